//! Who is calling: the [`Identity`] a request acts as, and the [`Authenticator`]s that
//! establish it from the request's credentials.
//!
//! An authenticator looks at the request headers and either recognises a credential
//! (returning an [`Identity`] or a rejection) or says the credential is not its kind
//! ([`AuthError::NotRecognized`]), so several can be chained: the first that recognises
//! the credential decides. A request that no authenticator recognises is refused with
//! 401; tollgate never falls back to an anonymous identity unless one is configured.

mod api_key;
mod chain;
pub mod challenge;
pub mod jwt;
pub mod resource_metadata;

pub use api_key::{ApiKeyAuthenticator, ApiKeyAuthenticatorBuilder, MIN_KEY_LEN};
pub use chain::AuthenticatorChain;
pub use challenge::{BearerError, Challenge};
pub use jwt::{Issuer, JwtAuthenticator, JwtError};
pub use resource_metadata::{
    ProtectedResourceMetadata, ProtectedResourceMetadataBuilder, ResourceMetadataService,
};

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// A boxed, `Send` future, as returned by the object-safe async traits of this crate.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What kind of principal an [`Identity`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    /// A person.
    User,
    /// A workload or service account.
    Service,
    /// An AI agent acting for someone.
    Agent,
}

impl IdentityKind {
    /// The lowercase name used in policy files and records.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::User => "user",
            IdentityKind::Service => "service",
            IdentityKind::Agent => "agent",
        }
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated principal a request acts as.
///
/// The layer inserts the caller's `Identity` into the request extensions before it
/// forwards a request, so handlers behind it can read who is calling. With rmcp, the
/// HTTP request parts are available in the handler's context:
///
/// ```
/// use tollgate::Identity;
///
/// fn caller(parts: &http::request::Parts) -> Option<&Identity> {
///     parts.extensions.get::<Identity>()
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Identity {
    /// The stable subject identifier (`sub` of a token, or the name of an API key owner).
    pub subject: String,
    /// Who vouched for the subject (token issuer), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Group or role memberships.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Granted OAuth scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// User, service or agent.
    pub kind: IdentityKind,
    /// The OAuth client the credential was issued to (`azp` / `client_id`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The credential's own id (`jti`, or an API key's id), when known. Never the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// When the credential stops being valid, when known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "unix_seconds_opt"
    )]
    pub expires_at: Option<SystemTime>,
}

impl Identity {
    /// An identity with the given subject and kind and nothing else.
    pub fn new(subject: impl Into<String>, kind: IdentityKind) -> Self {
        Identity {
            subject: subject.into(),
            issuer: None,
            groups: Vec::new(),
            scopes: Vec::new(),
            kind,
            client_id: None,
            token_id: None,
            expires_at: None,
        }
    }

    /// Sets the issuer.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets the groups.
    pub fn with_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the scopes.
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the client id.
    pub fn with_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Sets the token id.
    pub fn with_token_id(mut self, token_id: impl Into<String>) -> Self {
        self.token_id = Some(token_id.into());
        self
    }

    /// Sets the expiry.
    pub fn with_expires_at(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }

    /// Whether the identity is a member of `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    /// Whether the identity was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Why an [`Authenticator`] did not produce an identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The request carries no credential this authenticator understands; the next
    /// authenticator in a chain may try.
    #[error("no credential this authenticator recognises")]
    NotRecognized,
    /// The credential is of this authenticator's kind but is not valid (unknown key,
    /// bad signature, expired, wrong audience, malformed). The message is safe to log
    /// and never contains the credential.
    #[error("invalid credential: {0}")]
    Invalid(String),
    /// The authenticator could not decide (for example its key source is down). The
    /// request is refused: authentication fails closed.
    #[error("authentication unavailable: {0}")]
    Unavailable(String),
}

/// Establishes the [`Identity`] of a request from its headers.
///
/// Implementations are used as `Arc<dyn Authenticator>`. The returned future must not
/// borrow beyond the headers it was given.
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticates the request whose headers are `headers`.
    fn authenticate<'a>(
        &'a self,
        headers: &'a HeaderMap,
    ) -> BoxFuture<'a, Result<Identity, AuthError>>;

    /// The request headers that carry this authenticator's credentials. The layer
    /// removes them before a request reaches the inner service, so credentials are
    /// never passed through upstream. Defaults to `Authorization`.
    fn credential_headers(&self) -> Vec<http::HeaderName> {
        vec![http::header::AUTHORIZATION]
    }
}

/// Reads the token of an `Authorization: Bearer <token>` header.
///
/// Returns `None` when the header is absent or uses another scheme; the scheme name is
/// matched case-insensitively as RFC 7235 requires.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

mod unix_seconds_opt {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value.and_then(|t| t.duration_since(UNIX_EPOCH).ok()) {
            Some(d) => s.serialize_u64(d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let secs = Option::<u64>::deserialize(d)?;
        Ok(secs.and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_requires_a_token() {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, "bEaReR abc".parse().unwrap());
        assert_eq!(bearer_token(&h), Some("abc"));
        h.insert(http::header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
        h.insert(http::header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer_token(&h), None);
    }
}
