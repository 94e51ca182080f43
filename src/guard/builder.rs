//! [`GuardBuilder`]: assembles a [`Guard`] and checks its configuration.

use std::sync::Arc;
use std::time::Duration;

use super::catalog::ToolCatalog;
use super::transport::TransportRules;
use super::{DenialStyle, Guard, Settings, UpstreamCredentials};
use crate::approval::Approvals;
use crate::classify::Classifier;
use crate::error::ConfigError;
use crate::identity::{Authenticator, AuthenticatorChain, Identity};
use crate::policy::Policy;
use crate::record::Recorder;
use crate::session::SessionRegistry;

/// The default cap on an MCP request body: 4 MiB, as rmcp's.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;
/// The default cap on a JSON response body that must be rewritten: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// The default cap on one SSE event of a response that must be rewritten: 4 MiB.
pub const DEFAULT_MAX_SSE_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// Builds a [`Guard`].
///
/// Safe defaults: requests must carry a credential some authenticator recognises; only
/// loopback `Host`s are accepted (`localhost`, `127.0.0.1`, `::1`) and any request with
/// an `Origin` header is refused until origins are allowed; bodies are capped at 4 MiB.
///
/// ```
/// use tollgate::{Guard, Identity, Policy};
/// use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
///
/// let policy = Policy::from_toml_str(r#"
///     version = 1
///     [[allow]]
///     groups = ["support"]
///     tools = ["crm.*"]
/// "#)?;
/// let keys = ApiKeyAuthenticator::builder()
///     .key("k_alice_5b0c7e1f9d2a", Identity::new("alice", IdentityKind::User).with_groups(["support"]))
///     .build()?;
/// let guard = Guard::builder()
///     .policy(policy)
///     .authenticator(keys)
///     .allowed_hosts(["gateway.example.com"])
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
#[must_use]
pub struct GuardBuilder {
    policy: Option<Policy>,
    authenticators: AuthenticatorChain,
    anonymous: Option<Identity>,
    classifiers: Vec<Arc<dyn Classifier>>,
    upstream: Option<Arc<dyn UpstreamCredentials>>,
    allowed_hosts: Option<Vec<String>>,
    any_host: bool,
    allowed_origins: Vec<String>,
    mcp_paths: Vec<String>,
    max_request_bytes: Option<usize>,
    max_response_bytes: Option<usize>,
    max_sse_event_bytes: Option<usize>,
    denial_style: DenialStyle,
    sessions: Option<SessionRegistry>,
    approvals: Option<Approvals>,
    progress_interval: Option<Duration>,
    admin_groups: Vec<String>,
    recorder: Option<Recorder>,
    resource_metadata: Option<String>,
    challenge_scope: Option<String>,
}

/// How often a call held for approval repeats its progress notification by default.
pub const DEFAULT_PROGRESS_INTERVAL: Duration = Duration::from_secs(10);

impl std::fmt::Debug for GuardBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardBuilder")
            .field("policy", &self.policy.is_some())
            .field("authenticators", &self.authenticators)
            .field("classifiers", &self.classifiers.len())
            .finish_non_exhaustive()
    }
}

impl GuardBuilder {
    /// The policy to enforce (required). It can be replaced later with
    /// [`Guard::set_policy`].
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Adds an authenticator. Several are tried in the order added; the first that
    /// recognises the credential decides.
    pub fn authenticator(self, authenticator: impl Authenticator) -> Self {
        self.authenticator_arc(Arc::new(authenticator))
    }

    /// Adds a shared authenticator.
    pub fn authenticator_arc(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticators.push(authenticator);
        self
    }

    /// The identity of requests that carry no credential at all. Without it such
    /// requests are refused with 401. A credential that is present but not recognised is
    /// refused either way.
    pub fn anonymous(mut self, identity: Identity) -> Self {
        self.anonymous = Some(identity);
        self
    }

    /// Adds a classifier; its labels are merged with the policy's own `[[label]]` rules.
    pub fn classifier(mut self, classifier: impl Classifier) -> Self {
        self.classifiers.push(Arc::new(classifier));
        self
    }

    /// Adds the gateway's own credentials to forwarded requests.
    pub fn upstream_credentials(mut self, credentials: impl UpstreamCredentials) -> Self {
        self.upstream = Some(Arc::new(credentials));
        self
    }

    /// The `Host` values accepted (DNS-rebinding defence). An entry without a port
    /// matches any port. Replaces the loopback default.
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_hosts = Some(
            hosts
                .into_iter()
                .map(|h| h.into().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// Accepts any `Host` header: only for deployments where a proxy in front checks it.
    pub fn allow_any_host(mut self) -> Self {
        self.any_host = true;
        self
    }

    /// The `Origin` values accepted (`scheme://host[:port]`). A request with any other
    /// `Origin` is refused with 403. Default: none.
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_origins = origins
            .into_iter()
            .map(|o| o.into().to_ascii_lowercase())
            .collect();
        self
    }

    /// Restricts MCP handling to this request path (as the layer sees it; may be called
    /// several times). Requests to other paths are authenticated and passed through.
    /// Default: every path is an MCP endpoint.
    pub fn mcp_path(mut self, path: impl Into<String>) -> Self {
        self.mcp_paths.push(path.into());
        self
    }

    /// The largest MCP request body accepted (413 above it). Default 4 MiB.
    pub fn max_request_bytes(mut self, limit: usize) -> Self {
        self.max_request_bytes = Some(limit);
        self
    }

    /// The largest JSON response body buffered for rewriting; a larger one ends with an
    /// error instead of passing unfiltered. Default 16 MiB.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// The largest SSE event of a rewritten stream; a larger one ends the stream with an
    /// error instead of passing unfiltered. Default 4 MiB.
    pub fn max_sse_event_bytes(mut self, limit: usize) -> Self {
        self.max_sse_event_bytes = Some(limit);
        self
    }

    /// How denied calls are reported. Default: [`DenialStyle::ToolError`].
    pub fn denial_style(mut self, style: DenialStyle) -> Self {
        self.denial_style = style;
        self
    }

    /// The session registry (default: [`SessionRegistry::new`], in memory with its
    /// default caps). Pass one built with your own settings, or share one registry
    /// between several guards.
    pub fn sessions(mut self, sessions: SessionRegistry) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// The approval service holding tickets for `approve` rules (default:
    /// [`Approvals::in_memory`], which notifies reviewers through the log only).
    pub fn approvals(mut self, approvals: Approvals) -> Self {
        self.approvals = Some(approvals);
        self
    }

    /// How often a call held for approval (wait flow) repeats its "awaiting approval"
    /// progress notification (default 10 s; must be greater than zero).
    pub fn progress_interval(mut self, interval: Duration) -> Self {
        self.progress_interval = Some(interval);
        self
    }

    /// Members of these groups may list, kill and revoke sessions through the admin API
    /// (`tollgate::admin::router`, feature `admin`). Default: none.
    pub fn admin_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.admin_groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Records every session, call, decision, approval and result to `recorder`'s
    /// sinks (default: none). While a `required` sink fails, new tool calls are
    /// refused with a clear error; with `Durability::Sync` a call is forwarded only
    /// once its `call` event is durable.
    pub fn recorder(mut self, recorder: Recorder) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// The URL of this resource's OAuth protected-resource metadata (RFC 9728), named
    /// in every `401` and `403` challenge as `resource_metadata`, as the MCP
    /// authorization spec requires. Serve the document itself with
    /// `tollgate::identity::ProtectedResourceMetadata`.
    pub fn resource_metadata_url(mut self, url: impl Into<String>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// The scopes a `401` challenge asks for (`scope="…"`, space-separated), so
    /// clients request them up front.
    pub fn challenge_scope(mut self, scope: impl Into<String>) -> Self {
        self.challenge_scope = Some(scope.into());
        self
    }

    /// Checks the configuration and builds the guard. Fails without a policy, without
    /// any authenticator or anonymous identity, or with a zero size cap or interval.
    pub fn build(self) -> Result<Guard, ConfigError> {
        let policy = self
            .policy
            .ok_or_else(|| ConfigError::new("a guard needs a policy"))?;
        if self.authenticators.is_empty() && self.anonymous.is_none() {
            return Err(ConfigError::new(
                "a guard needs an authenticator (or an explicit anonymous identity)",
            ));
        }
        let nonzero = |v: Option<usize>, default: usize, what: &str| match v.unwrap_or(default) {
            0 => Err(ConfigError::new(format!(
                "{what} must be greater than zero"
            ))),
            n => Ok(n),
        };
        let allowed_hosts =
            if self.any_host {
                None
            } else {
                Some(self.allowed_hosts.unwrap_or_else(|| {
                    ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec()
                }))
            };
        let credential_headers = {
            use crate::identity::Authenticator as _;
            self.authenticators.credential_headers()
        };
        let settings = Settings {
            authenticator: self.authenticators,
            credential_headers,
            anonymous: self.anonymous,
            classifiers: self.classifiers,
            upstream: self.upstream,
            transport: TransportRules {
                allowed_hosts,
                allowed_origins: self.allowed_origins,
                mcp_paths: self.mcp_paths,
            },
            max_request_bytes: nonzero(
                self.max_request_bytes,
                DEFAULT_MAX_REQUEST_BYTES,
                "max_request_bytes",
            )?,
            max_response_bytes: nonzero(
                self.max_response_bytes,
                DEFAULT_MAX_RESPONSE_BYTES,
                "max_response_bytes",
            )?,
            max_sse_event_bytes: nonzero(
                self.max_sse_event_bytes,
                DEFAULT_MAX_SSE_EVENT_BYTES,
                "max_sse_event_bytes",
            )?,
            denial_style: self.denial_style,
            sessions: self.sessions.unwrap_or_default(),
            approvals: self.approvals.unwrap_or_else(Approvals::in_memory),
            progress_interval: match self.progress_interval {
                Some(Duration::ZERO) => {
                    return Err(ConfigError::new(
                        "progress_interval must be greater than zero",
                    ));
                }
                other => other.unwrap_or(DEFAULT_PROGRESS_INTERVAL),
            },
            tool_catalog: ToolCatalog::default(),
            admin_groups: self.admin_groups,
            recorder: self.recorder,
            resource_metadata: self.resource_metadata,
            challenge_scope: self.challenge_scope,
        };
        Ok(Guard::from_parts(policy, settings))
    }
}
