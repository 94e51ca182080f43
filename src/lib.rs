//! # tollgate
//!
//! A policy-enforcement point for MCP (Model Context Protocol) traffic, built as a
//! [`tower`](https://docs.rs/tower) layer. Put [`GuardLayer`] in front of an MCP server
//! (rmcp's `StreamableHttpService`, an axum `Router`, any `http` service) and every
//! request is **authenticated** (who), **classified** (what the tool call would do) and
//! **decided** (allow, deny, or hold for approval) before it reaches the server; the
//! caller's `tools/list` shows only the tools it may call.
//!
//! ## Quick start (rmcp + axum)
//!
//! ```no_run
//! # async fn demo<S>(mcp: S) -> Result<(), Box<dyn std::error::Error>>
//! # where S: tower::Service<http::Request<tollgate::layer::ForwardBody<axum::body::Body>>,
//! #     Response = http::Response<axum::body::Body>, Error = std::convert::Infallible>
//! #     + Clone + Send + Sync + 'static, S::Future: Send + 'static {
//! use tollgate::{Guard, GuardLayer, Identity, Policy};
//! use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
//!
//! let policy = Policy::load("policy.toml")?;
//! let keys = ApiKeyAuthenticator::builder()
//!     .key("k_support_93c1e0a7b5d2", Identity::new("alice", IdentityKind::User).with_groups(["support"]))
//!     .build()?;
//! let guard = Guard::builder().policy(policy).authenticator(keys).build()?;
//! // `mcp` is e.g. rmcp's StreamableHttpService.
//! let app = axum::Router::new()
//!     .nest_service("/mcp", tower::ServiceBuilder::new().layer(GuardLayer::new(guard)).service(mcp));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! Handlers behind the layer read the caller from the request extensions
//! (`parts.extensions.get::<tollgate::Identity>()`; with rmcp, the HTTP
//! `http::request::Parts` are in the request context's extensions).
//!
//! ## Security model
//!
//! * **Fail closed.** An authenticator, classifier or policy error denies; a response
//!   that must be filtered but cannot be parsed ends with an error instead of passing.
//! * **Decide on the body.** Mirrored headers (`Mcp-Method`, `Mcp-Name`) are checked
//!   against the body and a mismatch is refused (`-32020`); duplicate and case-variant
//!   keys are refused; batches are accepted only in 2025-03-26, and each element is
//!   decided.
//! * **No token passthrough.** Headers that carry the caller's credentials are removed
//!   before the request is forwarded; [`UpstreamCredentials`] adds the gateway's own.
//! * **Bounded.** Request bodies, rewritten response bodies and SSE events are capped.
//! * **DNS rebinding.** `Host` and `Origin` are checked against allow-lists (loopback
//!   only, and no origins, by default).
//!
//! ## Features
//!
//! * `cli` (default): the `tollgate` command-line tool.
//! * `admin`: the admin HTTP API ([`admin`]): sessions, revocation, approval tickets.
//! * `http-client`: outbound HTTP, such as the approval webhook notifier
//!   (`approval::WebhookNotifier`).
// One `unsafe` block in the library: the redaction prefilter calls its AVX2 build after
// checking at run time that the processor has AVX2 (`redact::prefilter`). Everything
// else is safe code, and `deny` keeps it so.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(rust_2018_idioms)]

#[cfg(feature = "admin")]
pub mod admin;
pub mod approval;
pub mod classify;
mod error;
pub mod guard;
pub mod identity;
pub mod layer;
pub mod mcp;
pub mod policy;
pub mod record;
pub mod redact;
pub mod session;

pub use classify::{Classification, Classifier, Risk};
pub use error::{BoxError, ConfigError};
pub use guard::{DenialStyle, Guard, GuardBuilder, UpstreamCredentials, Verdict};
pub use identity::{Authenticator, Identity};
pub use layer::{GuardLayer, GuardService};
pub use policy::{Decision, Policy};
pub use record::{Event, Sink};
pub use redact::Redactor;
