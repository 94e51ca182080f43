//! Fuzz target: redaction of a streamed (SSE) answer through the real layer body,
//! streamed versus one-shot.
//!
//! Input: `[cut count byte][cut bytes...][SSE body]`. The first byte's low nibble is how
//! many cut bytes follow (0–15); each cut byte moves a cut point forward by 1–256 bytes
//! of the body, so cuts land anywhere, inside `\u` escapes, UTF-8 sequences and CRLF
//! pairs included. The rest is what the upstream answers to a `tools/call` with id 7,
//! as `text/event-stream`.
//!
//! The target sends that `tools/call` through a `GuardLayer` (default redaction, a
//! 4 KiB SSE event cap so oversized events are reachable) three times: the body in one
//! chunk, in the chunks the cuts give, and one byte at a time.
//!
//! Oracles:
//! * nothing panics, whatever the body, and the upstream's 200 reaches the client;
//! * the client receives the same thing all three times: the same status, and either
//!   the same bytes or an error in all three (an oversized or malformed event ends the
//!   stream with an error whatever the chunking);
//! * redaction is idempotent on the stream: feeding the one-shot output back in as the
//!   upstream's answer gives it back unchanged (through the same guard with a cap the
//!   output cannot reach: masks and U+FFFD replacements can make an event longer).
//!
//! `REDACT_STREAM_SHOW=1` prints what the client gets for each input.

#![no_main]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use libfuzzer_sys::fuzz_target;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::layer::ForwardBody;
use tollgate::{Guard, GuardLayer, Identity, Policy};
use tower_layer::Layer;
use tower_service::Service;

const KEY: &str = "k_fuzz_stream_0123456789";

/// The layer under test: a 4 KiB event cap.
static LAYER: LazyLock<GuardLayer> = LazyLock::new(|| layer(4096));

/// The same guard with a cap no redacted output reaches, for the idempotence check: a
/// redacted event can be longer than the original (masks, U+FFFD for invalid UTF-8).
static WIDE_LAYER: LazyLock<GuardLayer> = LazyLock::new(|| layer(1 << 20));

fn layer(max_event_bytes: usize) -> GuardLayer {
    let keys = ApiKeyAuthenticator::builder()
        .key(KEY, Identity::new("fuzz", IdentityKind::User))
        .build()
        .expect("a valid key");
    let guard = Guard::builder()
        .policy(Policy::from_toml_str("version = 1\n[[allow]]\ntools = [\"t\"]\n").expect("policy"))
        .authenticator(keys)
        .mcp_path("/mcp")
        .max_sse_event_bytes(max_event_bytes)
        .build()
        .expect("guard");
    GuardLayer::new(guard)
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
});

/// An upstream body that yields the given chunks, one frame each.
struct Chunks(VecDeque<Bytes>);

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|c| Ok(Frame::data(c))))
    }
}

/// What the client gets: the status, and the body or `None` when the body ended with
/// an error.
async fn through_layer(layer: &GuardLayer, chunks: Vec<Bytes>) -> (StatusCode, Option<Vec<u8>>) {
    let upstream = tower::service_fn(move |_request: Request<ForwardBody<Full<Bytes>>>| {
        let body = Chunks(chunks.clone().into());
        async move {
            let mut response = Response::new(body);
            response
                .headers_mut()
                .insert("content-type", http::HeaderValue::from_static("text/event-stream"));
            Ok::<_, Infallible>(response)
        }
    });
    let mut service = layer.layer(upstream);
    let request = Request::post("http://localhost/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Full::new(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":{}}}"#,
        )))
        .expect("request");
    let Ok(()) = poll_fn(|cx| service.poll_ready(cx)).await;
    let Ok(response) = service.call(request).await;
    let status = response.status();
    let body = response.into_body().collect().await.ok().map(|b| b.to_bytes().to_vec());
    (status, body)
}

fn split(body: &[u8], cuts: &[u8]) -> Vec<Bytes> {
    let mut chunks = Vec::new();
    let mut from = 0;
    for &c in cuts {
        let to = (from + 1 + usize::from(c)).min(body.len());
        chunks.push(Bytes::copy_from_slice(&body[from..to]));
        from = to;
    }
    chunks.push(Bytes::copy_from_slice(&body[from..]));
    chunks
}

fuzz_target!(|data: &[u8]| {
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let count = usize::from(count & 0x0f).min(rest.len());
    let (cuts, body) = rest.split_at(count);
    if body.len() > 16 * 1024 {
        return;
    }
    RUNTIME.block_on(async {
        let whole = through_layer(&LAYER, vec![Bytes::copy_from_slice(body)]).await;
        assert_eq!(whole.0, StatusCode::OK, "the upstream's 200 reaches the client");
        if std::env::var_os("REDACT_STREAM_SHOW").is_some() {
            let shown = whole.1.as_deref().map(String::from_utf8_lossy);
            eprintln!("{shown:?}");
        }
        let cut = through_layer(&LAYER, split(body, cuts)).await;
        assert_eq!(cut, whole, "the cuts {cuts:?} changed what the client gets");
        let bytes: Vec<Bytes> = body.iter().map(|b| Bytes::copy_from_slice(&[*b])).collect();
        let bytewise = through_layer(&LAYER, bytes).await;
        assert_eq!(bytewise, whole, "byte-at-a-time delivery changed what the client gets");
        if let (StatusCode::OK, Some(out)) = &whole {
            let again = through_layer(&WIDE_LAYER, vec![Bytes::from(out.clone())]).await;
            assert_eq!(again.1.as_ref(), Some(out), "redacting the redacted stream changed it");
        }
    });
});
