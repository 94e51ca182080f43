//! [`GuardBody`]: the response body the client receives.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use tokio::sync::mpsc;

use crate::error::BoxError;
use crate::guard::{ResponsePlan, RewriteError};
use crate::identity::BoxFuture;
use crate::mcp::sse::SseParser;

pin_project! {
    /// The body of a response that passed the guard: the inner service's body untouched,
    /// a reply the guard wrote itself, or the inner body rewritten as the response plan
    /// says (a JSON body as a whole, an SSE stream event by event).
    ///
    /// A rewritten body reports an unknown size (the layer drops `Content-Length`);
    /// trailers pass through. A body that must be rewritten but cannot be (not JSON, over
    /// its size cap) ends with an error rather than pass unfiltered.
    pub struct GuardBody<B> {
        #[pin]
        kind: Kind<B>,
        // Completes when the session this response belongs to is killed; the body then
        // ends at once, whatever it was doing.
        stop: Option<BoxFuture<'static, ()>>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Full { data: Option<Bytes> },
        Rewrite { #[pin] body: B, state: Box<Rewrite> },
        Channel { frames: mpsc::Receiver<Result<Bytes, BoxError>> },
        Stopped,
    }
}

struct Rewrite {
    plan: ResponsePlan,
    mode: Mode,
    trailers: Option<HeaderMap>,
    finished: bool,
}

enum Mode {
    Json(BytesMut),
    Sse(SseParser),
}

/// Why a rewritten response body ended early.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error("response body exceeds the rewrite limit of {0} bytes")]
    TooLarge(usize),
    #[error(transparent)]
    Rewrite(#[from] RewriteError),
    #[error(transparent)]
    Sse(#[from] crate::mcp::sse::SseError),
}

impl<B> GuardBody<B> {
    fn of(kind: Kind<B>) -> Self {
        GuardBody { kind, stop: None }
    }

    pub(crate) fn inner(body: B) -> Self {
        Self::of(Kind::Inner { body })
    }

    pub(crate) fn full(data: Bytes) -> Self {
        Self::of(Kind::Full {
            data: (!data.is_empty()).then_some(data),
        })
    }

    /// A body fed by a task (a call held for approval streams its progress, then its
    /// reply, through a bounded channel). It ends when the task drops its sender.
    pub(crate) fn channel(frames: mpsc::Receiver<Result<Bytes, BoxError>>) -> Self {
        Self::of(Kind::Channel { frames })
    }

    /// Ends the body as soon as `stop` completes (a killed session).
    pub(crate) fn stop_when(mut self, stop: Option<BoxFuture<'static, ()>>) -> Self {
        self.stop = stop;
        self
    }

    pub(crate) fn rewrite_json(body: B, plan: ResponsePlan) -> Self {
        Self::rewrite(body, plan, Mode::Json(BytesMut::new()))
    }

    pub(crate) fn rewrite_sse(body: B, plan: ResponsePlan) -> Self {
        let parser = SseParser::new(plan.limits().max_sse_event_bytes);
        Self::rewrite(body, plan, Mode::Sse(parser))
    }

    fn rewrite(body: B, plan: ResponsePlan, mode: Mode) -> Self {
        Self::of(Kind::Rewrite {
            body,
            state: Box::new(Rewrite {
                plan,
                mode,
                trailers: None,
                finished: false,
            }),
        })
    }
}

impl<B> std::fmt::Debug for GuardBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.kind {
            Kind::Inner { .. } => "Inner",
            Kind::Full { .. } => "Full",
            Kind::Rewrite { .. } => "Rewrite",
            Kind::Channel { .. } => "Channel",
            Kind::Stopped => "Stopped",
        };
        f.debug_struct("GuardBody")
            .field("kind", &kind)
            .field("stoppable", &self.stop.is_some())
            .finish()
    }
}

impl Rewrite {
    /// Takes in one data frame; returns bytes ready to go out (possibly empty).
    fn accept(&mut self, data: Bytes) -> Result<Bytes, BodyError> {
        match &mut self.mode {
            Mode::Json(buffer) => {
                let limit = self.plan.limits().max_json_bytes;
                if buffer.len() + data.len() > limit {
                    return Err(BodyError::TooLarge(limit));
                }
                buffer.extend_from_slice(&data);
                Ok(Bytes::new())
            }
            Mode::Sse(parser) => {
                parser.push(&data);
                let mut out = BytesMut::new();
                while let Some(event) = parser.next_event()? {
                    out.extend_from_slice(&self.plan.rewrite_event(&event));
                }
                Ok(out.freeze())
            }
        }
    }

    /// The inner body ended; returns the last bytes to go out.
    fn finish(&mut self) -> Result<Bytes, BodyError> {
        match &mut self.mode {
            Mode::Json(buffer) => {
                let body = std::mem::take(buffer).freeze();
                Ok(self.plan.rewrite_json(&body)?.unwrap_or(body))
            }
            Mode::Sse(parser) => {
                // An event without its closing blank line is never dispatched by a
                // client; it is dropped rather than passed on unexamined.
                if parser.pending_bytes() > 0 {
                    tracing::debug!(target: "tollgate::layer", "dropping an unterminated SSE event");
                }
                Ok(match parser.finish()? {
                    Some(event) => self.plan.rewrite_event(&event),
                    None => Bytes::new(),
                })
            }
        }
    }
}

impl<B> Body for GuardBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        if let Some(stop) = this.stop.as_mut()
            && stop.as_mut().poll(cx).is_ready()
        {
            *this.stop = None;
            this.kind.set(Kind::Stopped);
            tracing::info!(target: "tollgate::session", "response stream ended: session killed");
        }
        match this.kind.project() {
            KindProj::Stopped => Poll::Ready(None),
            KindProj::Channel { frames } => frames
                .poll_recv(cx)
                .map(|frame| frame.map(|f| f.map(Frame::data))),
            KindProj::Inner { body } => body.poll_frame(cx).map_err(Into::into),
            KindProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            KindProj::Rewrite { mut body, state } => loop {
                if state.finished {
                    return Poll::Ready(state.trailers.take().map(|t| Ok(Frame::trailers(t))));
                }
                let frame = match ready!(body.as_mut().poll_frame(cx)) {
                    Some(Ok(frame)) => frame,
                    Some(Err(error)) => {
                        state.finished = true;
                        return Poll::Ready(Some(Err(error.into())));
                    }
                    None => {
                        state.finished = true;
                        match state.finish() {
                            Ok(out) if out.is_empty() => continue,
                            Ok(out) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                            Err(error) => return Poll::Ready(Some(Err(error.into()))),
                        }
                    }
                };
                match frame.into_data() {
                    Ok(data) => match state.accept(data) {
                        Ok(out) if out.is_empty() => continue,
                        Ok(out) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                        Err(error) => {
                            state.finished = true;
                            state.trailers = None;
                            return Poll::Ready(Some(Err(error.into())));
                        }
                    },
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            state.trailers = Some(trailers);
                        }
                    }
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Full { data } => data.is_none(),
            Kind::Rewrite { state, .. } => state.finished && state.trailers.is_none(),
            Kind::Channel { frames } => frames.is_closed() && frames.is_empty(),
            Kind::Stopped => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Full { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            Kind::Rewrite { .. } | Kind::Channel { .. } => SizeHint::default(),
            Kind::Stopped => SizeHint::with_exact(0),
        }
    }
}
