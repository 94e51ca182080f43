//! Fetching key sets and discovery documents: the [`KeyFetcher`] extension point and,
//! with the `http-client` feature, the default [`HttpKeyFetcher`].

use url::Url;

use crate::identity::BoxFuture;

/// The largest key set or discovery document accepted, in bytes.
pub const MAX_DOCUMENT_LEN: usize = 512 * 1024;

/// Why a document could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fetch failed: {message}")]
pub struct FetchError {
    message: String,
}

impl FetchError {
    /// A fetch failure saying `message` (never include credentials).
    pub fn new(message: impl Into<String>) -> Self {
        FetchError {
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Fetches the bytes of a JWKS or OIDC discovery document by URL.
///
/// tollgate only ever asks for URLs from its own configuration (a configured JWKS URL,
/// the issuer's `/.well-known/openid-configuration`, and the `jwks_uri` it names),
/// never for a URL taken from a token. Implementations should send no cookies or
/// credentials, follow no redirects to other hosts, time out, and refuse bodies larger
/// than [`MAX_DOCUMENT_LEN`]. Tests and air-gapped deployments supply their own:
///
/// ```
/// use std::sync::Arc;
/// use tollgate::identity::BoxFuture;
/// use tollgate::identity::jwt::{FetchError, KeyFetcher};
///
/// struct Fixed(Vec<u8>);
///
/// impl KeyFetcher for Fixed {
///     fn fetch<'a>(&'a self, _url: &'a url::Url) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
///         Box::pin(std::future::ready(Ok(self.0.clone())))
///     }
/// }
///
/// let fetcher: Arc<dyn KeyFetcher> = Arc::new(Fixed(br#"{"keys":[]}"#.to_vec()));
/// ```
pub trait KeyFetcher: Send + Sync + 'static {
    /// The body of a successful (200) `GET url`.
    fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, FetchError>>;
}

#[cfg(feature = "http-client")]
pub use http_client::HttpKeyFetcher;

#[cfg(feature = "http-client")]
mod http_client {
    use std::sync::Arc;
    use std::time::Duration;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Empty, Limited};
    use hyper_rustls::HttpsConnector;
    use hyper_util::client::legacy::Client;
    use hyper_util::client::legacy::connect::HttpConnector;
    use hyper_util::rt::TokioExecutor;
    use rustls_platform_verifier::BuilderVerifierExt;
    use url::Url;

    use super::{FetchError, KeyFetcher, MAX_DOCUMENT_LEN};
    use crate::ConfigError;
    use crate::identity::BoxFuture;

    /// The default [`KeyFetcher`]: hyper over rustls (the `ring` provider, the
    /// platform's trust store), HTTP/1.1, a timeout (10 s by default) on the whole
    /// exchange, no redirects followed, no cookies, and a [`MAX_DOCUMENT_LEN`] body
    /// cap. Needs the `http-client` feature and a Tokio runtime.
    #[derive(Debug, Clone)]
    pub struct HttpKeyFetcher {
        client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
        timeout: Duration,
    }

    impl HttpKeyFetcher {
        /// A fetcher with a 10 s timeout.
        pub fn new() -> Result<Self, ConfigError> {
            Self::with_timeout(Duration::from_secs(10))
        }

        /// A fetcher whose requests give up after `timeout`.
        pub fn with_timeout(timeout: Duration) -> Result<Self, ConfigError> {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .and_then(|b| b.with_platform_verifier())
                .map_err(|e| ConfigError::new(format!("TLS set-up failed: {e}")))?
                .with_no_client_auth();
            // Plain http is let through here because issuers may allow it explicitly
            // (`Issuer::allow_http`); by default the configuration refuses it.
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .build();
            let client = Client::builder(TokioExecutor::new()).build(connector);
            Ok(HttpKeyFetcher { client, timeout })
        }

        async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
            let uri: http::Uri = url
                .as_str()
                .parse()
                .map_err(|e| FetchError::new(format!("{url}: {e}")))?;
            let request = http::Request::get(uri)
                .header(http::header::ACCEPT, "application/json")
                .body(Empty::<Bytes>::new())
                .map_err(|e| FetchError::new(format!("{url}: {e}")))?;
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| FetchError::new(format!("GET {url}: {e}")))?;
            if response.status() != http::StatusCode::OK {
                return Err(FetchError::new(format!(
                    "GET {url}: status {}",
                    response.status()
                )));
            }
            let body = Limited::new(response.into_body(), MAX_DOCUMENT_LEN)
                .collect()
                .await
                .map_err(|e| FetchError::new(format!("GET {url}: {e}")))?;
            Ok(body.to_bytes().to_vec())
        }
    }

    impl KeyFetcher for HttpKeyFetcher {
        fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
            Box::pin(async move {
                match tokio::time::timeout(self.timeout, self.get(url)).await {
                    Ok(result) => result,
                    Err(_) => Err(FetchError::new(format!("GET {url}: timed out"))),
                }
            })
        }
    }
}
