//! JWT access tokens from OIDC/OAuth issuers: [`JwtAuthenticator`].
//!
//! tollgate checks every token against rules that hold whatever the token says
//! (RFC 8725, RFC 9068, and the attack catalogue in the crate's threat model):
//!
//! * **Size first.** The `Authorization` value is capped ([`DEFAULT_MAX_TOKEN_LEN`])
//!   before anything is decoded.
//! * **Strict parsing.** Three base64url segments without padding or non-canonical
//!   trailing bits; header and claims are JSON objects without duplicate members.
//! * **Algorithms are pinned to keys.** Each key verifies exactly one algorithm; the
//!   header's `alg` must name it and never selects it. `none` (any case) and unknown
//!   names are refused; HMAC secrets shorter than their hash are refused at build time.
//! * **Keys come from configuration only**, looked up per issuer by exact `kid`.
//!   `jku`, `x5u`, `jwk` and `x5c` are never read, so never fetched or trusted.
//! * **`crit` is refused** (no extension is understood); **`typ` must be accepted**
//!   (default `at+jwt`).
//! * **Claims.** `exp`, `iss`, `aud`, `sub` are always required; `exp`/`nbf`/`iat` must
//!   be numbers and are checked with a leeway of at most 60 s (configurable to 0);
//!   `aud` may be a string or an array, one member of which must be accepted.
//! * **ECDSA signatures** must be raw `R || S` of the right length, never all-zero
//!   halves.
//!
//! Verified tokens are cached by the SHA-256 of the whole token (see
//! [`DEFAULT_CACHE_CAPACITY`]); remote keys are cached, refetched single-flight under a
//! cooldown, and fail closed past their max-age.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::identity::jwt::{Issuer, JwtAuthenticator, JwtError, SigningAlgorithm};
//! use tollgate::identity::{ApiKeyAuthenticator, AuthenticatorChain, IdentityKind};
//! use tollgate::Identity;
//!
//! let jwt = JwtAuthenticator::builder()
//!     .issuer(
//!         Issuer::new("https://issuer.example.com")
//!             .audience("https://gw.example.com/mcp")
//!             .hmac_secret(None, SigningAlgorithm::HS256, *b"0123456789abcdef0123456789abcdef")
//!             .groups_claim("realm_access.roles"),
//!     )
//!     .build()?;
//! let keys = ApiKeyAuthenticator::builder()
//!     .key("k_ci_8c1f0d2e7a6b5c4d", Identity::new("ci", IdentityKind::Service))
//!     .build()?;
//! // JWT-shaped bearer tokens go to the JWT verifier, anything else falls to the API keys.
//! let chain = AuthenticatorChain::new().with(Arc::new(jwt.clone())).with(Arc::new(keys));
//!
//! # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # rt.block_on(async {
//! // `{}` as header: no `alg`.
//! assert_eq!(jwt.verify("e30.e30.").await, Err(JwtError::Malformed("header has no alg")));
//! # });
//! # let _ = chain;
//! # Ok::<(), tollgate::ConfigError>(())
//! ```

mod algorithm;
mod cache;
mod claims;
mod clock;
mod config;
mod discovery;
mod error;
mod fetch;
mod json;
mod keys;
mod store;
mod token;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName};

pub use algorithm::SigningAlgorithm;
pub use clock::{Clock, SystemClock};
pub use config::{
    DEFAULT_CACHE_CAPACITY, DEFAULT_MAX_TOKEN_LEN, DEFAULT_TOKEN_TYPE, Issuer,
    JwtAuthenticatorBuilder, MAX_LEEWAY,
};
pub use error::JwtError;
#[cfg(feature = "http-client")]
pub use fetch::HttpKeyFetcher;
pub use fetch::{FetchError, KeyFetcher, MAX_DOCUMENT_LEN};

use super::{AuthError, Authenticator, BoxFuture, Identity, bearer_token};
use cache::VerifiedCache;
use claims::ClaimRules;
use store::KeyStore;

/// Verifies JWT bearer tokens from one or more trusted issuers and maps their claims
/// to an [`Identity`]. Cheap to clone (shared state).
///
/// As an [`Authenticator`]: no `Authorization: Bearer` header, or a bearer value that
/// is not JWT-shaped (three dot-separated base64url segments), is
/// [`AuthError::NotRecognized`], so an API-key authenticator later in an
/// [`AuthenticatorChain`](super::AuthenticatorChain) can try it; a JWT that fails
/// verification is [`AuthError::Invalid`]; keys that cannot be obtained give
/// [`AuthError::Unavailable`]. Two `Authorization` headers, or one longer than the cap,
/// are `Invalid`.
#[derive(Clone)]
pub struct JwtAuthenticator {
    inner: Arc<Inner>,
}

struct Inner {
    issuers: HashMap<String, IssuerState>,
    max_token_len: usize,
    cache: VerifiedCache,
    clock: Arc<dyn Clock>,
}

struct IssuerState {
    rules: ClaimRules,
    token_types: Vec<String>,
    accept_untyped: bool,
    keys: KeyStore,
}

impl fmt::Debug for JwtAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut issuers: Vec<&String> = self.inner.issuers.keys().collect();
        issuers.sort();
        f.debug_struct("JwtAuthenticator")
            .field("issuers", &issuers)
            .field("max_token_len", &self.inner.max_token_len)
            .finish_non_exhaustive()
    }
}

impl JwtAuthenticator {
    /// Starts a builder.
    pub fn builder() -> JwtAuthenticatorBuilder {
        JwtAuthenticatorBuilder::default()
    }

    /// Verifies `token` (the bare compact JWS, without `Bearer `) and returns the
    /// identity its claims describe, or exactly why it was refused.
    pub fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Identity, JwtError>> {
        Box::pin(self.inner.verify(token))
    }

    /// Fetches the keys of every issuer with a remote key source now, ignoring the
    /// refetch cooldown (for example at start-up, to fail fast). Static issuers are
    /// skipped.
    pub fn refresh_keys(&self) -> BoxFuture<'_, Result<(), JwtError>> {
        Box::pin(async move {
            for state in self.inner.issuers.values() {
                if let KeyStore::Remote(remote) = &state.keys {
                    remote.refresh(self.inner.clock.as_ref()).await?;
                }
            }
            Ok(())
        })
    }

    /// The cap on the `Authorization` value and the token, in bytes.
    pub fn max_token_len(&self) -> usize {
        self.inner.max_token_len
    }

    fn recognise<'h>(&self, headers: &'h HeaderMap) -> Result<Option<&'h str>, AuthError> {
        let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(AuthError::Invalid(
                "more than one Authorization header".into(),
            ));
        }
        if value.len() > self.inner.max_token_len {
            return Err(JwtError::TooLarge {
                len: value.len(),
                max: self.inner.max_token_len,
            }
            .into());
        }
        Ok(bearer_token(headers).filter(|t| token::split(t).is_some()))
    }
}

impl Inner {
    async fn verify(&self, token: &str) -> Result<Identity, JwtError> {
        if token.len() > self.max_token_len {
            return Err(JwtError::TooLarge {
                len: token.len(),
                max: self.max_token_len,
            });
        }
        let segments =
            token::split(token).ok_or(JwtError::Malformed("not three base64url segments"))?;
        let digest = cache::digest(token);
        if let Some(identity) = self.cache.get(&digest, self.clock.now()) {
            return Ok(identity);
        }
        let header = token::decode_header(segments.header)?;
        let claims = token::decode_claims(segments.payload)?;
        let iss = match claims.get("iss") {
            Some(serde_json::Value::String(iss)) => iss,
            Some(_) => return Err(JwtError::InvalidClaim("iss".into())),
            None => return Err(JwtError::MissingClaim("iss".into())),
        };
        let issuer = self.issuers.get(iss).ok_or(JwtError::UnknownIssuer)?;
        match &header.typ {
            Some(typ) if token::type_matches(typ, &issuer.token_types) => {}
            None if issuer.accept_untyped => {}
            _ => return Err(JwtError::WrongType),
        }
        let found = issuer
            .keys
            .key(header.kid.as_deref(), self.clock.as_ref())
            .await?;
        token::verify_signature(&segments, header.alg, &found.key)?;
        let now = self.clock.now();
        let validity = claims::validate(&claims, &issuer.rules, now)?;
        let identity = claims::identity(&claims, &issuer.rules, validity)?;
        let until = match found.valid_until {
            Some(keys_until) => keys_until.min(validity.expires_at),
            None => validity.expires_at,
        };
        self.cache.insert(digest, identity.clone(), until, now);
        Ok(identity)
    }
}

impl Authenticator for JwtAuthenticator {
    fn authenticate<'a>(
        &'a self,
        headers: &'a HeaderMap,
    ) -> BoxFuture<'a, Result<Identity, AuthError>> {
        Box::pin(async move {
            match self.recognise(headers)? {
                Some(token) => self.inner.verify(token).await.map_err(AuthError::from),
                None => Err(AuthError::NotRecognized),
            }
        })
    }

    fn credential_headers(&self) -> Vec<HeaderName> {
        vec![http::header::AUTHORIZATION]
    }
}
