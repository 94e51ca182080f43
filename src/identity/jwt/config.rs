//! Configuration: [`Issuer`] (one trusted token issuer) and [`JwtAuthenticatorBuilder`].

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::algorithm::{ASYMMETRIC, Family, SigningAlgorithm};
use super::cache::VerifiedCache;
use super::claims::ClaimRules;
use super::clock::{Clock, SystemClock};
use super::discovery;
use super::fetch::KeyFetcher;
use super::keys::{KeySet, VerifyingKey};
use super::store::{KeyStore, Location, RemoteKeys};
use super::{Inner, IssuerState, JwtAuthenticator};
use crate::ConfigError;
use crate::identity::IdentityKind;

/// The largest leeway accepted for `exp`, `nbf` and `iat`: 60 s.
pub const MAX_LEEWAY: Duration = Duration::from_secs(60);
/// The default cap on the `Authorization` header value (and the token): 8 KiB.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;
/// The default capacity of the verified-token cache.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;
/// The default `typ` required of access tokens (RFC 9068).
pub const DEFAULT_TOKEN_TYPE: &str = "at+jwt";

/// An HMAC secret that never shows in `Debug` output.
#[derive(Clone)]
struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} secret bytes]", self.0.len())
    }
}

#[derive(Debug, Clone)]
enum KeySpec {
    JwksJson(String),
    JwksFile(PathBuf),
    JwksUrl(String),
    Discovery,
    Hmac {
        kid: Option<String>,
        algorithm: SigningAlgorithm,
        secret: Secret,
    },
}

/// One trusted token issuer: its `iss` value, accepted audiences, keys, and claim rules.
///
/// Every issuer needs a key source: a static JWKS ([`Issuer::jwks_json`],
/// [`Issuer::jwks_file`]), HMAC secrets ([`Issuer::hmac_secret`]), a JWKS URL
/// ([`Issuer::jwks_url`]) or OIDC discovery ([`Issuer::discovery`]). Static sources
/// can be combined; a remote source stands alone.
///
/// ```
/// use tollgate::identity::IdentityKind;
/// use tollgate::identity::jwt::Issuer;
///
/// let humans = Issuer::new("https://login.example.com/realms/corp")
///     .discovery()
///     .audience("https://gw.example.com/mcp")
///     .groups_claim("realm_access.roles");
/// let agents = Issuer::new("https://workload.example.com")
///     .jwks_url("https://workload.example.com/keys.json")
///     .audience("https://gw.example.com/mcp")
///     .default_kind(IdentityKind::Agent);
/// # let _ = (humans, agents);
/// ```
#[derive(Debug, Clone)]
pub struct Issuer {
    issuer: String,
    audiences: Vec<String>,
    keys: Vec<KeySpec>,
    algorithms: Option<Vec<SigningAlgorithm>>,
    token_types: Vec<String>,
    accept_untyped: bool,
    required: Vec<String>,
    groups_claim: String,
    kind_claim: Option<String>,
    default_kind: IdentityKind,
    max_key_age: Duration,
    refetch_cooldown: Duration,
    allow_http: bool,
    max_token_age: Option<Duration>,
    single_audience: bool,
}

impl Issuer {
    /// An issuer whose tokens carry exactly `iss` = `issuer`.
    pub fn new(issuer: impl Into<String>) -> Self {
        Issuer {
            issuer: issuer.into(),
            audiences: Vec::new(),
            keys: Vec::new(),
            algorithms: None,
            token_types: vec![DEFAULT_TOKEN_TYPE.to_owned()],
            accept_untyped: false,
            required: Vec::new(),
            groups_claim: "groups".to_owned(),
            kind_claim: None,
            default_kind: IdentityKind::User,
            max_key_age: Duration::from_secs(600),
            refetch_cooldown: Duration::from_secs(30),
            allow_http: false,
            max_token_age: None,
            single_audience: false,
        }
    }

    /// Adds an accepted audience (the gateway's canonical resource URI, RFC 8707). A
    /// token's `aud` must contain one accepted audience. Issuers without their own use
    /// the builder's [`JwtAuthenticatorBuilder::audience`].
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Refuses tokens whose `aud` array names more than one audience (they widen
    /// replay). By default an array is accepted when one member is accepted.
    pub fn single_audience(mut self, single: bool) -> Self {
        self.single_audience = single;
        self
    }

    /// Keys from a JWKS document given inline.
    pub fn jwks_json(mut self, jwks: impl Into<String>) -> Self {
        self.keys.push(KeySpec::JwksJson(jwks.into()));
        self
    }

    /// Keys from a JWKS file, read when the authenticator is built.
    pub fn jwks_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.keys.push(KeySpec::JwksFile(path.into()));
        self
    }

    /// Keys fetched from a JWKS URL and cached (see [`Issuer::max_key_age`]).
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.keys.push(KeySpec::JwksUrl(url.into()));
        self
    }

    /// Keys found by OIDC discovery: `{issuer}/.well-known/openid-configuration`, whose
    /// `issuer` must equal this issuer, names the `jwks_uri`.
    pub fn discovery(mut self) -> Self {
        self.keys.push(KeySpec::Discovery);
        self
    }

    /// A shared HMAC secret for `algorithm` (HS256/384/512), used for tokens with this
    /// `kid` (or for tokens without one when it is the issuer's only key). Secrets
    /// shorter than the algorithm's hash (32 bytes for HS256) are refused by `build`.
    pub fn hmac_secret(
        mut self,
        kid: Option<&str>,
        algorithm: SigningAlgorithm,
        secret: impl Into<Vec<u8>>,
    ) -> Self {
        self.keys.push(KeySpec::Hmac {
            kid: kid.map(str::to_owned),
            algorithm,
            secret: Secret(secret.into()),
        });
        if let Some(list) = &mut self.algorithms {
            list.push(algorithm);
        }
        self
    }

    /// The algorithms keys of this issuer may be pinned to. Defaults to every
    /// asymmetric algorithm (RS*, PS*, ES256, ES384, EdDSA) plus the algorithms of the
    /// HMAC secrets given. Symmetric keys in a static JWKS need their HS algorithm here.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = SigningAlgorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// The accepted `typ` values, replacing the default `at+jwt`. Compared without
    /// letter case and with an optional `application/` prefix.
    pub fn token_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.token_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts tokens without a `typ` header (some IdPs omit it). Off by default: the
    /// type is what tells an access token from an ID or logout token (RFC 8725 §3.11).
    pub fn accept_untyped(mut self, accept: bool) -> Self {
        self.accept_untyped = accept;
        self
    }

    /// Requires a claim besides `exp`, `iss`, `aud` and `sub` (always required).
    pub fn require_claim(mut self, name: impl Into<String>) -> Self {
        self.required.push(name.into());
        self
    }

    /// Where the groups are: a claim name (`groups`, `cognito:groups`) or a dot path
    /// into nested objects (`realm_access.roles`). An exact top-level name wins over a
    /// path. Defaults to `groups`.
    pub fn groups_claim(mut self, path: impl Into<String>) -> Self {
        self.groups_claim = path.into();
        self
    }

    /// The claim (name or dot path) whose value, `user`, `service` or `agent`, gives the
    /// identity kind. Tokens without it get [`Issuer::default_kind`]; any other value
    /// is refused.
    pub fn kind_claim(mut self, path: impl Into<String>) -> Self {
        self.kind_claim = Some(path.into());
        self
    }

    /// The identity kind of this issuer's tokens (default [`IdentityKind::User`]).
    pub fn default_kind(mut self, kind: IdentityKind) -> Self {
        self.default_kind = kind;
        self
    }

    /// How long fetched keys are trusted without a successful refetch (default 10
    /// minutes). Past it, if the key source cannot be reached, tokens are refused.
    pub fn max_key_age(mut self, age: Duration) -> Self {
        self.max_key_age = age;
        self
    }

    /// The least time between two key fetches triggered by unknown `kid`s or expiry
    /// (default 30 s).
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.refetch_cooldown = cooldown;
        self
    }

    /// Allows `http://` key and discovery URLs (for tests and loopback IdPs only).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Refuses tokens whose `iat` is older than `age` (and tokens without `iat`).
    pub fn max_token_age(mut self, age: Duration) -> Self {
        self.max_token_age = Some(age);
        self
    }

    fn allowed(&self) -> Vec<SigningAlgorithm> {
        match &self.algorithms {
            Some(list) => list.clone(),
            None => {
                let mut list = ASYMMETRIC.to_vec();
                for spec in &self.keys {
                    if let KeySpec::Hmac { algorithm, .. } = spec
                        && !list.contains(algorithm)
                    {
                        list.push(*algorithm);
                    }
                }
                list
            }
        }
    }

    fn compile(
        self,
        defaults: &JwtAuthenticatorBuilder,
        fetcher: &mut Option<Arc<dyn KeyFetcher>>,
    ) -> Result<IssuerState, ConfigError> {
        let err = |m: String| ConfigError::new(format!("JWT issuer {:?}: {m}", self.issuer));
        if self.issuer.is_empty() {
            return Err(ConfigError::new("JWT issuer: empty issuer"));
        }
        let audiences = if self.audiences.is_empty() {
            defaults.audiences.clone()
        } else {
            self.audiences.clone()
        };
        if audiences.is_empty() || audiences.iter().any(String::is_empty) {
            return Err(err("no accepted audience".into()));
        }
        if self.token_types.is_empty() && !self.accept_untyped {
            return Err(err("no accepted token type".into()));
        }
        let allowed = self.allowed();
        let remote: Vec<&KeySpec> = self
            .keys
            .iter()
            .filter(|k| matches!(k, KeySpec::JwksUrl(_) | KeySpec::Discovery))
            .collect();
        let keys = match remote.as_slice() {
            [] if self.keys.is_empty() => return Err(err("no key source".into())),
            [] => KeyStore::Static(self.static_keys(&allowed).map_err(err)?),
            [one] if self.keys.len() == 1 => {
                if self.max_key_age.is_zero() {
                    return Err(err("max_key_age must be positive".into()));
                }
                let location = match one {
                    KeySpec::JwksUrl(url) => {
                        let url = Url::parse(url).map_err(|e| err(format!("JWKS URL: {e}")))?;
                        discovery::check_scheme(&url, self.allow_http).map_err(err)?;
                        Location::Jwks(url)
                    }
                    _ => {
                        let url = discovery::discovery_url(&self.issuer).map_err(err)?;
                        discovery::check_scheme(&url, self.allow_http).map_err(err)?;
                        Location::Discovery {
                            issuer: self.issuer.clone(),
                            url,
                        }
                    }
                };
                let fetcher = match fetcher {
                    Some(f) => Arc::clone(f),
                    None => {
                        let made = default_fetcher().map_err(|e| err(e.message().to_owned()))?;
                        *fetcher = Some(Arc::clone(&made));
                        made
                    }
                };
                KeyStore::Remote(Box::new(RemoteKeys::new(
                    location,
                    allowed,
                    self.allow_http,
                    self.max_key_age,
                    self.refetch_cooldown,
                    fetcher,
                )))
            }
            _ => {
                return Err(err(
                    "a JWKS URL or discovery cannot be combined with other key sources".into(),
                ));
            }
        };
        let rules = ClaimRules {
            issuer: self.issuer,
            audiences,
            single_audience: self.single_audience,
            required: self.required,
            leeway: defaults.leeway.as_secs(),
            max_token_age: self.max_token_age,
            groups_claim: self.groups_claim,
            kind_claim: self.kind_claim,
            default_kind: self.default_kind,
        };
        Ok(IssuerState {
            rules,
            token_types: self.token_types,
            accept_untyped: self.accept_untyped,
            keys,
        })
    }

    fn static_keys(&self, allowed: &[SigningAlgorithm]) -> Result<KeySet, String> {
        let mut set = KeySet::default();
        for spec in &self.keys {
            let (parsed, skipped) = match spec {
                KeySpec::JwksJson(json) => KeySet::from_jwks(json.as_bytes(), allowed, true)?,
                KeySpec::JwksFile(path) => {
                    let bytes = std::fs::read(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    KeySet::from_jwks(&bytes, allowed, true)?
                }
                KeySpec::Hmac {
                    kid,
                    algorithm,
                    secret,
                } => {
                    if algorithm.family() != Family::Hmac || !allowed.contains(algorithm) {
                        return Err(format!("{algorithm} is not an allowed HMAC algorithm"));
                    }
                    let key = VerifyingKey::hmac(kid.clone(), *algorithm, &secret.0)?;
                    (KeySet::new(vec![key]), Vec::new())
                }
                KeySpec::JwksUrl(_) | KeySpec::Discovery => continue,
            };
            // A static key set is configuration: a key that cannot be used is an error
            // to fix, not something to skip quietly.
            if let Some(reason) = skipped.first() {
                return Err(format!("unusable key in JWKS: {reason}"));
            }
            set.extend(parsed);
        }
        if set.len() == 0 {
            return Err("the static key set is empty".into());
        }
        if set.has_duplicate_kids() {
            return Err("two keys share a kid".into());
        }
        Ok(set)
    }
}

#[cfg(feature = "http-client")]
fn default_fetcher() -> Result<Arc<dyn KeyFetcher>, ConfigError> {
    Ok(Arc::new(super::fetch::HttpKeyFetcher::new()?))
}

#[cfg(not(feature = "http-client"))]
fn default_fetcher() -> Result<Arc<dyn KeyFetcher>, ConfigError> {
    Err(ConfigError::new(
        "remote keys need a KeyFetcher (JwtAuthenticatorBuilder::fetcher) or the `http-client` feature",
    ))
}

/// Builds a [`JwtAuthenticator`].
///
/// ```
/// use std::time::Duration;
/// use tollgate::identity::jwt::{Issuer, JwtAuthenticator, SigningAlgorithm};
///
/// let auth = JwtAuthenticator::builder()
///     .audience("https://gw.example.com/mcp")
///     .issuer(
///         Issuer::new("https://issuer.example.com")
///             .hmac_secret(Some("k1"), SigningAlgorithm::HS256, *b"0123456789abcdef0123456789abcdef"),
///     )
///     .leeway(Duration::from_secs(30))
///     .build()?;
/// # let _ = auth;
/// # Ok::<(), tollgate::ConfigError>(())
/// ```
pub struct JwtAuthenticatorBuilder {
    issuers: Vec<Issuer>,
    audiences: Vec<String>,
    leeway: Duration,
    max_token_len: usize,
    cache_capacity: usize,
    clock: Arc<dyn Clock>,
    fetcher: Option<Arc<dyn KeyFetcher>>,
}

impl fmt::Debug for JwtAuthenticatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtAuthenticatorBuilder")
            .field("issuers", &self.issuers)
            .field("audiences", &self.audiences)
            .field("leeway", &self.leeway)
            .field("max_token_len", &self.max_token_len)
            .field("cache_capacity", &self.cache_capacity)
            .finish_non_exhaustive()
    }
}

impl Default for JwtAuthenticatorBuilder {
    fn default() -> Self {
        JwtAuthenticatorBuilder {
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: MAX_LEEWAY,
            max_token_len: DEFAULT_MAX_TOKEN_LEN,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            clock: Arc::new(SystemClock),
            fetcher: None,
        }
    }
}

impl JwtAuthenticatorBuilder {
    /// Adds a trusted issuer. Each `iss` value may be configured once.
    pub fn issuer(mut self, issuer: Issuer) -> Self {
        self.issuers.push(issuer);
        self
    }

    /// Adds an audience accepted for issuers that set none of their own.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf` and `iat`: at most [`MAX_LEEWAY`] (the
    /// default), down to zero. Whole seconds.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The longest `Authorization` value (and token) looked at, checked before any
    /// decoding. Default [`DEFAULT_MAX_TOKEN_LEN`].
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.max_token_len = len;
        self
    }

    /// How many verified tokens are remembered (default [`DEFAULT_CACHE_CAPACITY`];
    /// 0 disables the cache).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The time source (default the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The fetcher of remote key sets and discovery documents. Defaults to
    /// `HttpKeyFetcher` with the `http-client` feature; without it, issuers with a
    /// JWKS URL or discovery need one.
    pub fn fetcher(mut self, fetcher: Arc<dyn KeyFetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Checks the configuration and builds the authenticator. Static key files are read
    /// here; remote keys are fetched on first use (or by
    /// [`JwtAuthenticator::refresh_keys`]).
    pub fn build(mut self) -> Result<JwtAuthenticator, ConfigError> {
        if self.issuers.is_empty() {
            return Err(ConfigError::new("JWT: no issuer configured"));
        }
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::new(format!(
                "JWT: leeway {:?} exceeds the maximum of {:?}",
                self.leeway, MAX_LEEWAY
            )));
        }
        if self.max_token_len < 64 {
            return Err(ConfigError::new("JWT: max_token_len below 64 bytes"));
        }
        let mut fetcher = self.fetcher.take();
        let issuers = std::mem::take(&mut self.issuers);
        let mut compiled = HashMap::new();
        for issuer in issuers {
            let name = issuer.issuer.clone();
            let state = issuer.compile(&self, &mut fetcher)?;
            if compiled.insert(name.clone(), state).is_some() {
                return Err(ConfigError::new(format!(
                    "JWT issuer {name:?} configured twice"
                )));
            }
        }
        Ok(JwtAuthenticator {
            inner: Arc::new(Inner {
                issuers: compiled,
                max_token_len: self.max_token_len,
                cache: VerifiedCache::new(self.cache_capacity),
                clock: self.clock,
            }),
        })
    }
}
