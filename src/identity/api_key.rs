//! Static API keys mapped to identities.

use std::collections::HashMap;

use http::{HeaderMap, HeaderName};
use sha2::{Digest, Sha256};

use super::{AuthError, Authenticator, BoxFuture, Identity, bearer_token};
use crate::error::ConfigError;

/// The shortest key accepted: 16 bytes. Shorter keys can be guessed.
pub const MIN_KEY_LEN: usize = 16;

/// Authenticates requests by static API keys, each mapped to an [`Identity`].
///
/// A key is read from `Authorization: Bearer <key>` and, when configured, from a
/// dedicated header such as `X-Api-Key`. Keys are kept only as SHA-256 digests, so a
/// memory dump does not reveal them and lookups do not compare secrets byte by byte.
///
/// A bearer token that is not a known key is [`AuthError::NotRecognized`], so a JWT
/// authenticator later in a chain can try it; a value in the dedicated header that is
/// not a known key is [`AuthError::Invalid`].
///
/// ```
/// use tollgate::{Identity, identity::{ApiKeyAuthenticator, IdentityKind}};
///
/// let auth = ApiKeyAuthenticator::builder()
///     .header("x-api-key")
///     .key("k_support_2f6c1d9e8a7b", Identity::new("alice", IdentityKind::User).with_groups(["support"]))
///     .build()?;
/// # Ok::<(), tollgate::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ApiKeyAuthenticator {
    keys: HashMap<[u8; 32], Identity>,
    header: Option<HeaderName>,
}

impl ApiKeyAuthenticator {
    /// Starts a builder.
    pub fn builder() -> ApiKeyAuthenticatorBuilder {
        ApiKeyAuthenticatorBuilder::default()
    }

    fn lookup(&self, key: &str) -> Option<&Identity> {
        self.keys.get(&digest(key))
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl Authenticator for ApiKeyAuthenticator {
    fn authenticate<'a>(
        &'a self,
        headers: &'a HeaderMap,
    ) -> BoxFuture<'a, Result<Identity, AuthError>> {
        let outcome = self.authenticate_now(headers);
        Box::pin(std::future::ready(outcome))
    }

    fn credential_headers(&self) -> Vec<HeaderName> {
        let mut names = vec![http::header::AUTHORIZATION];
        names.extend(self.header.clone());
        names
    }
}

impl ApiKeyAuthenticator {
    fn authenticate_now(&self, headers: &HeaderMap) -> Result<Identity, AuthError> {
        if let Some(name) = &self.header
            && let Some(value) = headers.get(name)
        {
            let key = value
                .to_str()
                .map_err(|_| AuthError::Invalid("API key is not visible ASCII".into()))?;
            return self
                .lookup(key.trim())
                .cloned()
                .ok_or_else(|| AuthError::Invalid("unknown API key".into()));
        }
        match bearer_token(headers) {
            Some(token) => self.lookup(token).cloned().ok_or(AuthError::NotRecognized),
            None => Err(AuthError::NotRecognized),
        }
    }
}

/// Builds an [`ApiKeyAuthenticator`].
#[derive(Debug, Default)]
pub struct ApiKeyAuthenticatorBuilder {
    keys: Vec<(String, Identity)>,
    header: Option<String>,
}

impl ApiKeyAuthenticatorBuilder {
    /// Also reads keys from this header (for example `x-api-key`).
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.header = Some(name.into());
        self
    }

    /// Maps `key` to `identity`.
    pub fn key(mut self, key: impl Into<String>, identity: Identity) -> Self {
        self.keys.push((key.into(), identity));
        self
    }

    /// Checks the configuration: every key at least [`MIN_KEY_LEN`] bytes, no key twice,
    /// a valid header name.
    pub fn build(self) -> Result<ApiKeyAuthenticator, ConfigError> {
        let header = self
            .header
            .map(|h| {
                HeaderName::from_bytes(h.as_bytes())
                    .map_err(|_| ConfigError::new(format!("`{h}` is not a valid header name")))
            })
            .transpose()?;
        let mut keys = HashMap::with_capacity(self.keys.len());
        for (key, identity) in self.keys {
            if key.len() < MIN_KEY_LEN {
                return Err(ConfigError::new(format!(
                    "the API key of `{}` is shorter than {MIN_KEY_LEN} bytes",
                    identity.subject
                )));
            }
            if key.trim() != key || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(ConfigError::new(format!(
                    "the API key of `{}` must be visible ASCII without spaces",
                    identity.subject
                )));
            }
            let subject = identity.subject.clone();
            if keys.insert(digest(&key), identity).is_some() {
                return Err(ConfigError::new(format!(
                    "an API key is configured twice (second time for `{subject}`)"
                )));
            }
        }
        if keys.is_empty() {
            return Err(ConfigError::new("no API keys configured"));
        }
        Ok(ApiKeyAuthenticator { keys, header })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKind;

    fn auth() -> ApiKeyAuthenticator {
        ApiKeyAuthenticator::builder()
            .header("x-api-key")
            .key(
                "alice-key-0123456789",
                Identity::new("alice", IdentityKind::User),
            )
            .key(
                "bot-key-0123456789ab",
                Identity::new("bot", IdentityKind::Agent),
            )
            .build()
            .unwrap()
    }

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        h
    }

    #[test]
    fn known_keys_map_to_their_identity() {
        let a = auth();
        let id = a
            .authenticate_now(&headers("authorization", "Bearer alice-key-0123456789"))
            .unwrap();
        assert_eq!(id.subject, "alice");
        let id = a
            .authenticate_now(&headers("x-api-key", "bot-key-0123456789ab"))
            .unwrap();
        assert_eq!(id.subject, "bot");
    }

    #[test]
    fn unknown_bearer_is_not_recognized_but_unknown_header_key_is_invalid() {
        let a = auth();
        assert_eq!(
            a.authenticate_now(&headers("authorization", "Bearer eyJhbGciOi.x.y")),
            Err(AuthError::NotRecognized)
        );
        assert!(matches!(
            a.authenticate_now(&headers("x-api-key", "nope-nope-nope-nope")),
            Err(AuthError::Invalid(_))
        ));
        assert_eq!(
            a.authenticate_now(&HeaderMap::new()),
            Err(AuthError::NotRecognized)
        );
    }

    #[test]
    fn weak_or_duplicate_keys_are_refused_at_build_time() {
        let short = ApiKeyAuthenticator::builder()
            .key("short", Identity::new("a", IdentityKind::User))
            .build();
        assert!(short.is_err());
        let dup = ApiKeyAuthenticator::builder()
            .key(
                "same-key-0123456789",
                Identity::new("a", IdentityKind::User),
            )
            .key(
                "same-key-0123456789",
                Identity::new("b", IdentityKind::User),
            )
            .build();
        assert!(dup.is_err());
        assert!(ApiKeyAuthenticator::builder().build().is_err());
    }
}
