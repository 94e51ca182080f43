//! OAuth 2.0 Protected Resource Metadata (RFC 9728), which MCP servers must publish,
//! and a small tower service that serves it.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;
use url::Url;

use super::challenge::Challenge;
use crate::ConfigError;

/// The well-known path prefix of RFC 9728 §3.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/oauth-protected-resource";

/// The protected-resource metadata document of the gateway (RFC 9728 §2).
///
/// ```
/// use tollgate::identity::ProtectedResourceMetadata;
///
/// let meta = ProtectedResourceMetadata::builder("https://gw.example.com/mcp")
///     .authorization_server("https://login.example.com/realms/corp")
///     .scopes(["files:read", "files:write"])
///     .build()?;
/// assert_eq!(meta.well_known_path(), "/.well-known/oauth-protected-resource/mcp");
/// assert_eq!(
///     meta.metadata_url(),
///     "https://gw.example.com/.well-known/oauth-protected-resource/mcp"
/// );
/// assert_eq!(
///     meta.to_json(),
///     r#"{"resource":"https://gw.example.com/mcp","authorization_servers":["https://login.example.com/realms/corp"],"scopes_supported":["files:read","files:write"],"bearer_methods_supported":["header"]}"#
/// );
/// // The 401 challenge that points clients at it:
/// assert_eq!(
///     meta.challenge().to_string(),
///     r#"Bearer resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp""#
/// );
/// # Ok::<(), tollgate::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProtectedResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes_supported: Vec<String>,
    bearer_methods_supported: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_documentation: Option<String>,
    #[serde(skip)]
    origin: String,
    #[serde(skip)]
    path: String,
}

/// Builds a [`ProtectedResourceMetadata`].
#[derive(Debug, Clone)]
pub struct ProtectedResourceMetadataBuilder {
    resource: String,
    authorization_servers: Vec<String>,
    scopes: Vec<String>,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
}

/// HTTPS, or HTTP to a loopback host (local development).
fn check_url(value: &str, what: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::new(format!("{what} {value:?}: {e}")))?;
    let loopback = matches!(url.host(), Some(url::Host::Domain("localhost")))
        || matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(ConfigError::new(format!(
                "{what} {value:?} must be an https URL"
            )));
        }
    }
    if url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(ConfigError::new(format!(
            "{what} {value:?} must be an absolute URL without fragment"
        )));
    }
    Ok(url)
}

fn valid_scope(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

impl ProtectedResourceMetadataBuilder {
    /// Adds an authorization server (its issuer URL) clients may get tokens from. At
    /// least one is required.
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// Adds a supported scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Adds supported scopes.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// A human-readable name of the resource.
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// A URL of human-readable documentation.
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// Checks the URLs (https, or http on loopback; no fragment) and scopes, and builds.
    pub fn build(self) -> Result<ProtectedResourceMetadata, ConfigError> {
        let url = check_url(&self.resource, "resource")?;
        if self.authorization_servers.is_empty() {
            return Err(ConfigError::new(
                "protected-resource metadata needs at least one authorization server",
            ));
        }
        for server in &self.authorization_servers {
            check_url(server, "authorization server")?;
        }
        if let Some(doc) = &self.resource_documentation {
            check_url(doc, "resource documentation")?;
        }
        if let Some(bad) = self.scopes.iter().find(|s| !valid_scope(s)) {
            return Err(ConfigError::new(format!("invalid scope {bad:?}")));
        }
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/').to_owned();
        let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
        Ok(ProtectedResourceMetadata {
            resource: self.resource,
            authorization_servers: self.authorization_servers,
            scopes_supported: self.scopes,
            bearer_methods_supported: vec!["header".to_owned()],
            resource_name: self.resource_name,
            resource_documentation: self.resource_documentation,
            origin,
            path: format!("{path}{query}"),
        })
    }
}

impl ProtectedResourceMetadata {
    /// Starts a builder for the resource with canonical URI `resource` (the audience
    /// tokens must carry, e.g. `https://gw.example.com/mcp`).
    pub fn builder(resource: impl Into<String>) -> ProtectedResourceMetadataBuilder {
        ProtectedResourceMetadataBuilder {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes: Vec::new(),
            resource_name: None,
            resource_documentation: None,
        }
    }

    /// The resource's canonical URI.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The supported scopes.
    pub fn scopes_supported(&self) -> &[String] {
        &self.scopes_supported
    }

    /// Where the document is served: the well-known prefix followed by the resource's
    /// path (RFC 9728 §3.1), e.g. `/.well-known/oauth-protected-resource/mcp`.
    pub fn well_known_path(&self) -> String {
        format!("{WELL_KNOWN_PREFIX}{}", self.path)
    }

    /// The absolute URL of the document, for `resource_metadata=` in challenges.
    pub fn metadata_url(&self) -> String {
        format!("{}{}", self.origin, self.well_known_path())
    }

    /// A 401 challenge pointing at this document.
    pub fn challenge(&self) -> Challenge {
        Challenge::new().resource_metadata(self.metadata_url())
    }

    /// The document as JSON.
    pub fn to_json(&self) -> String {
        // Serializing strings and vectors of strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A tower service answering `GET`/`HEAD` of [`Self::well_known_path`] with the
    /// document (and 404 for other paths).
    pub fn service(&self) -> ResourceMetadataService {
        ResourceMetadataService::new(self)
    }
}

/// A tower `Service` that serves a [`ProtectedResourceMetadata`] document.
///
/// `GET` or `HEAD` of the document's well-known path (and, with
/// [`ResourceMetadataService::also_at_root`], of the bare
/// `/.well-known/oauth-protected-resource`) answers 200 with the JSON; other methods
/// there answer 405; any other path 404. Mount it wherever requests for
/// `/.well-known/` arrive, e.g. `axum::Router::route_service`.
///
/// ```
/// use tower::ServiceExt;
/// use tollgate::identity::ProtectedResourceMetadata;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let meta = ProtectedResourceMetadata::builder("https://gw.example.com/mcp")
///     .authorization_server("https://login.example.com")
///     .build()
///     .unwrap();
/// let request = http::Request::get("/.well-known/oauth-protected-resource/mcp")
///     .body(())
///     .unwrap();
/// let response = meta.service().oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct ResourceMetadataService {
    body: Bytes,
    path: String,
    root: bool,
}

impl ResourceMetadataService {
    /// A service for `metadata`.
    pub fn new(metadata: &ProtectedResourceMetadata) -> Self {
        ResourceMetadataService {
            body: Bytes::from(metadata.to_json()),
            path: metadata.well_known_path(),
            root: false,
        }
    }

    /// Also answers at the root well-known path, where clients look last. Only for a
    /// host that serves one protected resource.
    pub fn also_at_root(mut self, root: bool) -> Self {
        self.root = root;
        self
    }

    fn respond(&self, method: &Method, path: &str) -> Response<Full<Bytes>> {
        let matches = path == self.path || (self.root && path == WELL_KNOWN_PREFIX);
        let mut builder = Response::builder();
        let body = if !matches {
            builder = builder.status(StatusCode::NOT_FOUND);
            Bytes::new()
        } else if method == Method::GET || method == Method::HEAD {
            builder = builder
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CACHE_CONTROL, "max-age=3600")
                .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
            if method == Method::HEAD {
                Bytes::new()
            } else {
                self.body.clone()
            }
        } else {
            builder = builder
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(header::ALLOW, "GET, HEAD");
            Bytes::new()
        };
        builder.body(Full::new(body)).unwrap_or_else(|_| {
            let mut fallback = Response::new(Full::new(Bytes::new()));
            *fallback.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            fallback
        })
    }
}

impl<B> tower_service::Service<Request<B>> for ResourceMetadataService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.respond(request.method(), request.uri().path())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(resource: &str) -> ProtectedResourceMetadata {
        ProtectedResourceMetadata::builder(resource)
            .authorization_server("https://idp.example")
            .build()
            .unwrap()
    }

    #[test]
    fn well_known_path_follows_rfc_9728() {
        assert_eq!(
            meta("https://gw.example").well_known_path(),
            "/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            meta("https://gw.example/").well_known_path(),
            "/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            meta("https://gw.example:8443/public/mcp/").metadata_url(),
            "https://gw.example:8443/.well-known/oauth-protected-resource/public/mcp"
        );
    }

    #[test]
    fn refuses_insecure_or_incomplete_configuration() {
        let b = |r: &str| {
            ProtectedResourceMetadata::builder(r).authorization_server("https://idp.example")
        };
        assert!(b("http://gw.example/mcp").build().is_err());
        assert!(b("http://127.0.0.1:8080/mcp").build().is_ok());
        assert!(b("https://gw.example/mcp#x").build().is_err());
        assert!(b("https://gw.example/mcp").scope("a b").build().is_err());
        assert!(
            ProtectedResourceMetadata::builder("https://gw.example")
                .build()
                .is_err()
        );
    }

    #[test]
    fn service_answers_only_its_path() {
        let svc = meta("https://gw.example/mcp").service();
        let r = svc.respond(&Method::GET, "/.well-known/oauth-protected-resource/mcp");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            svc.respond(&Method::GET, "/.well-known/oauth-protected-resource")
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            svc.clone()
                .also_at_root(true)
                .respond(&Method::GET, "/.well-known/oauth-protected-resource")
                .status(),
            StatusCode::OK
        );
        assert_eq!(
            svc.respond(&Method::POST, "/.well-known/oauth-protected-resource/mcp")
                .status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
        assert_eq!(
            svc.respond(&Method::GET, "/mcp").status(),
            StatusCode::NOT_FOUND
        );
    }
}
