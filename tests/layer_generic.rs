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

/// Records the `authorization` header the upstream received.
async fn record_authorization(
    request: Request<tollgate::layer::ForwardBody<Full<Bytes>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let seen = request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .unwrap_or_else(|| "none".to_owned());
    let subject = request
        .extensions()
        .get::<Identity>()
        .map(|i| i.subject.clone())
        .unwrap_or_default();
    Ok(Response::new(Full::new(Bytes::from(format!(
        "{seen}|{subject}"
    )))))
}

struct ServiceToken(Result<&'static str, &'static str>);

impl tollgate::UpstreamCredentials for ServiceToken {
    fn apply<'a>(
        &'a self,
        caller: &'a Identity,
        headers: &'a mut HeaderMap,
    ) -> tollgate::identity::BoxFuture<'a, Result<(), String>> {
        let outcome = self.0.map(|token| {
            let value = format!("Bearer {token}-for-{}", caller.subject);
            headers.insert("authorization", value.parse().unwrap());
        });
        Box::pin(async move { outcome.map_err(str::to_owned) })
    }
}

async fn upstream_sees(credentials: Option<ServiceToken>) -> (StatusCode, String) {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            KEY,
            Identity::new("alice", IdentityKind::User).with_groups(["support"]),
        )
        .build()
        .unwrap();
    let mut builder = Guard::builder()
        .policy(Policy::from_toml_str("version = 1\ndefault = \"allow\"\n").unwrap())
        .authenticator(keys);
    if let Some(credentials) = credentials {
        builder = builder.upstream_credentials(credentials);
    }
    let service = GuardLayer::new(builder.build().unwrap()).layer(service_fn(record_authorization));
    let request = Request::get("http://localhost/mcp")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let Ok(response) = service.oneshot(request).await;
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_callers_token_never_reaches_upstream_but_the_gateways_does() {
    assert_eq!(
        upstream_sees(None).await,
        (StatusCode::OK, "none|alice".to_owned())
    );
    assert_eq!(
        upstream_sees(Some(ServiceToken(Ok("svc")))).await,
        (StatusCode::OK, "Bearer svc-for-alice|alice".to_owned())
    );
    let (status, body) = upstream_sees(Some(ServiceToken(Err("token service down")))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        !body.contains("token service down"),
        "internal errors stay in the log: {body}"
    );
}

#[tokio::test]
async fn denials_can_be_json_rpc_errors_instead_of_tool_errors() {
    let keys = ApiKeyAuthenticator::builder()
        .key(KEY, Identity::new("alice", IdentityKind::User))
        .build()
        .unwrap();
    let policy = "version = 1\n[[allow]]\ntools = [\"*\"]\n[[deny]]\nname = \"no-drops\"\ntools = [\"db.drop_*\"]\nreason = \"no drops\"\n";
    let guard = Guard::builder()
        .policy(Policy::from_toml_str(policy).unwrap())
        .authenticator(keys)
        .denial_style(tollgate::DenialStyle::JsonRpcError)
        .build()
        .unwrap();
    let service = GuardLayer::new(guard).layer(service_fn(record_authorization));
    let request = Request::post("http://localhost/mcp")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Full::new(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":"x1","method":"tools/call","params":{"name":"db.drop_table","arguments":{"table":"t"}}}"#,
        )))
        .unwrap();
    let Ok(response) = service.oneshot(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(reply["id"], "x1");
    assert_eq!(reply["error"]["code"], -31001);
    assert_eq!(reply["error"]["data"]["rule"], "no-drops");
    assert_eq!(reply["error"]["data"]["reason"], "no drops");
}
