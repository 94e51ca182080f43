//! [`ResponseFuture`]: admission by the guard, then the inner service's call.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body::Body;
use pin_project_lite::pin_project;
use tower_service::Service;

use super::{ForwardBody, GuardBody};
use crate::error::BoxError;
use crate::guard::{Admission, ResponsePlan};
use crate::identity::BoxFuture;

pin_project! {
    /// The future of [`GuardService`](super::GuardService): runs the guard's admission,
    /// then (when the request goes on) the inner service, and wraps the response body as
    /// the response plan says.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<ForwardBody<B>>>,
    {
        #[pin]
        state: State<S, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<ForwardBody<B>>>,
    {
        Admitting { admission: BoxFuture<'static, Admission<B>>, service: Option<S> },
        Calling { #[pin] future: S::Future, plan: Option<ResponsePlan> },
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<ForwardBody<B>>>,
{
    pub(crate) fn new(admission: BoxFuture<'static, Admission<B>>, service: S) -> Self {
        ResponseFuture {
            state: State::Admitting {
                admission,
                service: Some(service),
            },
        }
    }
}

impl<S, B, ResB> Future for ResponseFuture<S, B>
where
    S: Service<Request<ForwardBody<B>>, Response = Response<ResB>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResB: Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Output = Result<Response<GuardBody<ResB>>, S::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let mut this = self.as_mut().project();
            match this.state.as_mut().project() {
                StateProj::Admitting { admission, service } => {
                    match ready!(admission.as_mut().poll(cx)) {
                        Admission::Reply(reply) => {
                            return Poll::Ready(Ok(reply.map(GuardBody::full)));
                        }
                        Admission::Hold(hold) => match hold.progress {
                            None => *admission = hold.outcome,
                            Some(progress) => {
                                let Some(service) = service.take() else {
                                    return Poll::Ready(Ok(internal_error()));
                                };
                                return Poll::Ready(Ok(super::hold::respond(
                                    hold.outcome,
                                    progress,
                                    service,
                                )));
                            }
                        },
                        Admission::Forward { request, plan } => {
                            let Some(mut service) = service.take() else {
                                return Poll::Ready(Ok(internal_error()));
                            };
                            let future = service.call(request);
                            this.state.set(State::Calling {
                                future,
                                plan: Some(plan),
                            });
                        }
                    }
                }
                StateProj::Calling { future, plan } => {
                    let response = ready!(future.poll(cx))?;
                    let Some(plan) = plan.take() else {
                        return Poll::Ready(Ok(internal_error()));
                    };
                    return Poll::Ready(Ok(apply_plan(response, plan)));
                }
            }
        }
    }
}

/// Wraps the inner response's body: untouched when the plan asks for nothing or the
/// response carries no MCP messages, else rewritten as JSON or SSE.
pub(crate) fn apply_plan<B>(
    response: Response<B>,
    mut plan: ResponsePlan,
) -> Response<GuardBody<B>> {
    let stop = plan.on_response_headers(response.status(), response.headers());
    if plan.is_passthrough() || !response.status().is_success() {
        return response.map(|body| GuardBody::inner(body).stop_when(stop));
    }
    let media = crate::mcp::media_type(response.headers());
    let (mut parts, body) = response.into_parts();
    let body = match media.as_str() {
        "application/json" => GuardBody::rewrite_json(body, plan),
        "text/event-stream" => GuardBody::rewrite_sse(body, plan),
        _ => GuardBody::inner(body),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body.stop_when(stop))
}

/// Unreachable in practice (a future polled after it finished); answered, never
/// panicked on.
fn internal_error<B>() -> Response<GuardBody<B>> {
    let mut response = Response::new(GuardBody::full(Bytes::from_static(
        b"Internal Server Error",
    )));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
