//! The layer around things other than a bare rmcp service: a whole axum `Router`, and a
//! gRPC-style streaming service (passed through unbuffered, trailers intact).

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use std::convert::Infallible;

use bytes::Bytes;
use common::*;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream_shim::ReceiverStream;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};
use tower::{Layer, ServiceExt, service_fn};

const KEY: &str = "k_alice_support_0123456789";

fn guard() -> Guard {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            KEY,
            Identity::new("alice", IdentityKind::User).with_groups(["support"]),
        )
        .build()
        .unwrap();
    Guard::builder()
        .policy(
            Policy::from_toml_str(
                "version = 1\n[[allow]]\ngroups = [\"support\"]\ntools = [\"echo\", \"whoami\"]\n",
            )
            .unwrap(),
        )
        .authenticator(keys)
        .mcp_path("/mcp")
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_whole_router_behind_the_layer() {
    let router = axum::Router::new()
        .nest_service("/mcp", demo_server::mcp_service(false, false))
        .route("/health", axum::routing::get(|| async { "ok" }));
    let addr = serve_service(GuardLayer::new(guard()).layer(router)).await;

    let client = connect(&url(addr, "/mcp"), Some(KEY), false).await.unwrap();
    assert_eq!(tool_names(&client).await.unwrap(), ["echo", "whoami"]);
    let who = text_json(&call(&client, "whoami", json!({})).await.unwrap());
    assert_eq!(who["subject"], "alice");

    let auth = format!("Bearer {KEY}");
    let (status, _, body) =
        request_raw("GET", addr, "/health", &[("authorization", &auth)], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, _, _) = request_raw("GET", addr, "/health", &[], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A tiny stand-in for `tokio_stream::wrappers::ReceiverStream`.
mod tokio_stream_shim {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub struct ReceiverStream<T>(pub tokio::sync::mpsc::Receiver<T>);

    impl<T> futures::Stream for ReceiverStream<T> {
        type Item = T;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
            self.0.poll_recv(cx)
        }
    }
}

type ChannelBody = StreamBody<ReceiverStream<Result<Frame<Bytes>, Infallible>>>;

fn channel_body() -> (mpsc::Sender<Result<Frame<Bytes>, Infallible>>, ChannelBody) {
    let (tx, rx) = mpsc::channel(4);
    (tx, StreamBody::new(ReceiverStream(rx)))
}

/// Echoes the request body back frame by frame as it arrives, then sends trailers.
async fn grpc_echo<B>(request: Request<B>) -> Result<Response<ChannelBody>, Infallible>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Debug + Send,
{
    let (tx, body) = channel_body();
    let mut inbound = Box::pin(request.into_body());
    tokio::spawn(async move {
        while let Some(Ok(frame)) = inbound.frame().await {
            if let Ok(data) = frame.into_data() {
                let _ = tx.send(Ok(Frame::data(data))).await;
            }
        }
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", "0".parse().unwrap());
        let _ = tx.send(Ok(Frame::trailers(trailers))).await;
    });
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert("content-type", "application/grpc".parse().unwrap());
    Ok(response)
}

#[tokio::test]
async fn grpc_streams_pass_unbuffered_with_trailers() {
    let service = GuardLayer::new(guard()).layer(service_fn(grpc_echo));
    let (tx, body) = channel_body();
    let request = Request::post("http://localhost/mcp")
        .header("content-type", "application/grpc")
        .header("authorization", format!("Bearer {KEY}"))
        .body(body)
        .unwrap();
    let Ok(response) = service.oneshot(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();

    // The first message comes back before the second is sent: nothing was buffered.
    tx.send(Ok(Frame::data(Bytes::from_static(b"\0\0\0\0\x01a"))))
        .await
        .unwrap();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&first[..], b"\0\0\0\0\x01a");
    tx.send(Ok(Frame::data(Bytes::from_static(b"\0\0\0\0\x01b"))))
        .await
        .unwrap();
    let second = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(&second[..], b"\0\0\0\0\x01b");
    drop(tx);
    let trailers = body
        .frame()
        .await
        .unwrap()
        .unwrap()
        .into_trailers()
        .unwrap();
    assert_eq!(trailers["grpc-status"], "0");
}

#[tokio::test]
async fn unauthenticated_grpc_gets_a_grpc_status() {
    let service = GuardLayer::new(guard()).layer(service_fn(grpc_echo));
    let request = Request::post("http://localhost/mcp")
        .header("content-type", "application/grpc")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let Ok(response) = service.oneshot(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["grpc-status"], "16");
}

#[tokio::test]
async fn rewritten_bodies_keep_their_trailers_and_drop_content_length() {
    let upstream = service_fn(
        |_request: Request<tollgate::layer::ForwardBody<Full<Bytes>>>| async {
            let (tx, body) = channel_body();
            let list = json!({"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"echo"},{"name":"db.drop_table"}]}}).to_string();
            let mut response = Response::new(body);
            response
                .headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            response
                .headers_mut()
                .insert("content-length", list.len().into());
            tokio::spawn(async move {
                let (a, b) = list.split_at(10);
                let _ = tx.send(Ok(Frame::data(Bytes::from(a.to_owned())))).await;
                let _ = tx.send(Ok(Frame::data(Bytes::from(b.to_owned())))).await;
                let mut trailers = HeaderMap::new();
                trailers.insert("x-checksum", "abc".parse().unwrap());
                let _ = tx.send(Ok(Frame::trailers(trailers))).await;
            });
            Ok::<_, Infallible>(response)
        },
    );
    let service = GuardLayer::new(guard()).layer(upstream);
    let request = Request::post("http://localhost/mcp")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Full::new(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
        )))
        .unwrap();
    let Ok(response) = service.oneshot(request).await;
    assert!(response.headers().get("content-length").is_none());
    let collected = response.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap();
    let list: serde_json::Value = serde_json::from_slice(&collected.to_bytes()).unwrap();
    assert_eq!(list["result"]["tools"], json!([{"name": "echo"}]));
    assert_eq!(trailers["x-checksum"], "abc");
}
