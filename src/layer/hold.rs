//! A call held for a reviewer while its client listens on an event stream.
//!
//! The response starts at once as `text/event-stream`. A task sends the client's own
//! `notifications/progress` (with its `progressToken`) until the reviewer decides, then
//! relays the outcome into the same stream: the upstream server's reply when the call
//! was approved (a JSON reply becomes one event, an event stream is relayed event by
//! event, both through the response plan), or the guard's refusal. A client that hangs
//! up ends the task, which drops the pending decision and so cancels the ticket.

use bytes::Bytes;
use http::{HeaderValue, Request, Response, header};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tower_service::Service;

use super::{ForwardBody, GuardBody, future::apply_plan};
use crate::error::BoxError;
use crate::guard::{Admission, HoldProgress};
use crate::identity::BoxFuture;
use crate::mcp::sse::SseEvent;
use crate::mcp::{codes, error_response};

/// Frames buffered between the task and the client; the task waits when they are full.
const CHANNEL_FRAMES: usize = 8;

type Sender = mpsc::Sender<Result<Bytes, BoxError>>;

/// Starts the task and returns the event-stream response the client gets now.
pub(crate) fn respond<S, B, ResB>(
    outcome: BoxFuture<'static, Admission<B>>,
    progress: HoldProgress,
    service: S,
) -> Response<GuardBody<ResB>>
where
    S: Service<Request<ForwardBody<B>>, Response = Response<ResB>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResB: Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    let (frames, receiver) = mpsc::channel(CHANNEL_FRAMES);
    tokio::spawn(run(outcome, progress, service, frames));
    let mut response = Response::new(GuardBody::channel(receiver));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn run<S, B, ResB>(
    mut outcome: BoxFuture<'static, Admission<B>>,
    progress: HoldProgress,
    mut service: S,
    frames: Sender,
) where
    S: Service<Request<ForwardBody<B>>, Response = Response<ResB>>,
    ResB: Body<Data = Bytes>,
    ResB::Error: Into<BoxError>,
{
    let mut ticker = tokio::time::interval(progress.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent: u64 = 0;
    let admission = loop {
        tokio::select! {
            admission = &mut outcome => break admission,
            _ = ticker.tick() => {
                let event = progress_event(&progress, sent);
                sent += 1;
                if frames.send(Ok(event)).await.is_err() {
                    return;
                }
            }
            () = frames.closed() => return,
        }
    };
    let response = match admission {
        // A refusal the guard wrote (denied, timed out) goes to the client; anything
        // else it wrote (the session was killed) ends the stream without a word.
        Admission::Reply(reply) if reply.status().is_success() => {
            reply.map(GuardBody::<ResB>::full)
        }
        Admission::Reply(_) => return,
        Admission::Forward { request, plan } => {
            let called = tokio::select! {
                called = service.call(request) => called,
                () = frames.closed() => return,
            };
            // The service's error is dropped before the next await (it need not be Send).
            match called.ok() {
                Some(response) => apply_plan(response, plan),
                None => {
                    let _ = frames
                        .send(Ok(failure(&progress, "the upstream server failed")))
                        .await;
                    return;
                }
            }
        }
        Admission::Hold(_) => {
            let _ = frames.send(Ok(failure(&progress, "internal error"))).await;
            return;
        }
    };
    relay(response, &progress, &frames).await;
}

/// Relays a response into the stream: its events as they come, or its JSON as one event.
async fn relay<B>(response: Response<GuardBody<B>>, progress: &HoldProgress, frames: &Sender)
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if !response.status().is_success() {
        let reason = format!("the upstream server answered HTTP {}", response.status());
        let _ = frames.send(Ok(failure(progress, &reason))).await;
        return;
    }
    let media = crate::mcp::media_type(response.headers());
    let mut body = std::pin::pin!(response.into_body());
    if media == "text/event-stream" {
        while let Some(frame) = body.frame().await {
            let data = match frame {
                Ok(frame) => match frame.into_data() {
                    Ok(data) => data,
                    Err(_) => continue,
                },
                Err(error) => {
                    let _ = frames.send(Err(error)).await;
                    return;
                }
            };
            if frames.send(Ok(data)).await.is_err() {
                return;
            }
        }
        return;
    }
    let collected = Limited::new(body, progress.max_reply_bytes).collect().await;
    let event = match collected {
        Ok(collected) if media == "application/json" => {
            let bytes = collected.to_bytes();
            match std::str::from_utf8(&bytes) {
                Ok(text) => SseEvent::from_data(text.to_owned()).encode(),
                Err(_) => failure(progress, "the upstream reply is not UTF-8"),
            }
        }
        Ok(_) => failure(progress, "the upstream reply is not JSON"),
        Err(_) => failure(progress, "the upstream reply could not be read"),
    };
    let _ = frames.send(Ok(event)).await;
}

fn progress_event(progress: &HoldProgress, sent: u64) -> Bytes {
    let value = json!({
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {
            "progressToken": progress.token,
            "progress": sent,
            "message": progress.message,
        }
    });
    event(&value)
}

/// The held request's answer when the outcome cannot be relayed.
fn failure(progress: &HoldProgress, reason: &str) -> Bytes {
    let value = error_response(
        Some(&progress.id),
        codes::INTERNAL_ERROR,
        &format!("Approved call failed: {reason}"),
        None,
    );
    event(&value)
}

fn event(value: &Value) -> Bytes {
    SseEvent::from_data(value.to_string()).encode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::RequestId;
    use std::convert::Infallible;
    use std::time::Duration;

    fn progress() -> HoldProgress {
        HoldProgress {
            id: RequestId::Number(7),
            token: json!("tok"),
            message: "Awaiting approval: ticket t1".to_owned(),
            interval: Duration::from_millis(10),
            max_reply_bytes: 1 << 16,
        }
    }

    #[derive(Clone)]
    struct Upstream;

    impl Service<Request<ForwardBody<http_body_util::Full<Bytes>>>> for Upstream {
        type Response = Response<http_body_util::Full<Bytes>>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Infallible>> {
            std::task::Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<ForwardBody<http_body_util::Full<Bytes>>>) -> Self::Future {
            let mut response = Response::new(http_body_util::Full::new(Bytes::from_static(
                br#"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#,
            )));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            std::future::ready(Ok(response))
        }
    }

    #[tokio::test]
    async fn progress_flows_until_the_decision_then_the_reply_is_relayed() {
        let (decide, decided) = tokio::sync::oneshot::channel::<()>();
        let outcome: BoxFuture<'static, Admission<http_body_util::Full<Bytes>>> =
            Box::pin(async move {
                let _ = decided.await;
                Admission::Forward {
                    request: Request::new(ForwardBody::buffered(Bytes::new())),
                    plan: crate::guard::ResponsePlan::passthrough(crate::guard::ResponseLimits {
                        max_json_bytes: 1 << 16,
                        max_sse_event_bytes: 1 << 16,
                    }),
                }
            });
        let response = respond(outcome, progress(), Upstream);
        assert_eq!(response.status(), http::StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        let mut body = std::pin::pin!(response.into_body());
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        let second = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert!(
            std::str::from_utf8(&first)
                .unwrap()
                .contains(r#""progress":0"#)
        );
        assert!(
            std::str::from_utf8(&second)
                .unwrap()
                .contains(r#""progress":1"#)
        );
        assert!(
            std::str::from_utf8(&first)
                .unwrap()
                .contains(r#""progressToken":"tok""#)
        );
        decide.send(()).unwrap();
        let mut rest = Vec::new();
        while let Some(frame) = body.frame().await {
            rest.extend_from_slice(&frame.unwrap().into_data().unwrap());
        }
        let rest = String::from_utf8(rest).unwrap();
        assert!(
            rest.ends_with("data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[]}}\n\n"),
            "{rest}"
        );
    }

    #[tokio::test]
    async fn a_client_that_hangs_up_drops_the_pending_decision() {
        let (dropped, was_dropped) = tokio::sync::oneshot::channel::<()>();
        struct OnDrop(Option<tokio::sync::oneshot::Sender<()>>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                if let Some(tx) = self.0.take() {
                    let _ = tx.send(());
                }
            }
        }
        let guard = OnDrop(Some(dropped));
        let outcome: BoxFuture<'static, Admission<http_body_util::Full<Bytes>>> =
            Box::pin(async move {
                let _keep = guard;
                std::future::pending::<()>().await;
                Admission::Reply(Response::new(Bytes::new()))
            });
        let response = respond(outcome, progress(), Upstream);
        drop(response);
        tokio::time::timeout(Duration::from_secs(5), was_dropped)
            .await
            .expect("the task ends when the client is gone")
            .unwrap();
    }
}
