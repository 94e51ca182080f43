//! The tower glue: [`GuardLayer`] wraps any `http` service (rmcp's
//! `StreamableHttpService`, an axum `Router`, tonic `Routes`) in a [`GuardService`] that
//! runs every request through its [`Guard`].
//!
//! The layer makes no decisions itself. A refusal is a *response* (never a service
//! error); the inner service's errors pass through unchanged.

mod forward_body;
mod future;
mod guard_body;
mod hold;

pub use forward_body::ForwardBody;
pub use future::ResponseFuture;
pub use guard_body::GuardBody;

use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower_layer::Layer;
use tower_service::Service;

use crate::error::BoxError;
use crate::guard::Guard;

/// A [`tower_layer::Layer`] that puts a [`Guard`] in front of a service.
///
/// The inner service receives `Request<ForwardBody<B>>` and its response body is wrapped
/// in [`GuardBody`]. With axum, mount an rmcp service behind it:
///
/// ```no_run
/// # use tollgate::{Guard, GuardLayer};
/// # fn demo<S>(guard: Guard, mcp: S) -> axum::Router
/// # where S: tower::Service<http::Request<tollgate::layer::ForwardBody<axum::body::Body>>,
/// #     Response = http::Response<axum::body::Body>, Error = std::convert::Infallible>
/// #     + Clone + Send + Sync + 'static, S::Future: Send + 'static {
/// use tower::ServiceBuilder;
/// let guarded = ServiceBuilder::new().layer(GuardLayer::new(guard)).service(mcp);
/// axum::Router::new().nest_service("/mcp", guarded)
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct GuardLayer {
    guard: Guard,
}

impl GuardLayer {
    /// A layer enforcing `guard`.
    pub fn new(guard: Guard) -> Self {
        GuardLayer { guard }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> GuardService<S> {
        GuardService {
            inner,
            guard: self.guard.clone(),
        }
    }
}

/// The service [`GuardLayer`] produces.
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    inner: S,
    guard: Guard,
}

impl<S> GuardService<S> {
    /// Wraps `inner` with `guard`.
    pub fn new(inner: S, guard: Guard) -> Self {
        GuardService { inner, guard }
    }

    /// The guard this service enforces.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S, ReqB, ResB> Service<Request<ReqB>> for GuardService<S>
where
    S: Service<Request<ForwardBody<ReqB>>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqB: Body<Data = Bytes> + Send + 'static,
    ReqB::Error: Into<BoxError>,
    ResB: Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<GuardBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqB>) -> Self::Future {
        // The service that was polled ready handles this request; a fresh clone stays
        // behind for the next one.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        ResponseFuture::new(Box::pin(async move { guard.admit(request).await }), ready)
    }
}
