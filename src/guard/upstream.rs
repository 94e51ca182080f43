//! The gateway's own credentials for the upstream service.

use http::HeaderMap;

use crate::identity::{BoxFuture, Identity};

/// Adds the gateway's own credentials to a request before it is forwarded.
///
/// The caller's credentials never travel upstream: the guard removes every header an
/// authenticator reads (by default `Authorization`) before this runs. An implementation
/// may insert a static service token, or exchange the caller's identity for a
/// short-lived upstream token. An error refuses the request with 502 (fail closed).
///
/// ```
/// use http::{HeaderMap, HeaderValue};
/// use tollgate::{Identity, UpstreamCredentials};
/// use tollgate::identity::BoxFuture;
///
/// struct ServiceToken(HeaderValue);
///
/// impl UpstreamCredentials for ServiceToken {
///     fn apply<'a>(&'a self, _caller: &'a Identity, headers: &'a mut HeaderMap)
///         -> BoxFuture<'a, Result<(), String>>
///     {
///         headers.insert(http::header::AUTHORIZATION, self.0.clone());
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait UpstreamCredentials: Send + Sync + 'static {
    /// Adds credentials for a request made on behalf of `caller`. The error message is
    /// logged, never sent to the client.
    fn apply<'a>(
        &'a self,
        caller: &'a Identity,
        headers: &'a mut HeaderMap,
    ) -> BoxFuture<'a, Result<(), String>>;
}
