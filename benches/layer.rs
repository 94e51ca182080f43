//! Layer overhead: a tools/call round trip through a bare service and through the same
//! service behind `GuardLayer`, in process (no sockets), so the difference is the guard.

use std::convert::Infallible;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Request, Response};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};
use tower::{Layer, Service, ServiceExt, service_fn};

const POLICY: &str = r#"
version = 1
[[deny]]
tools = ["db.drop_*"]
reason = "no drops"
[[allow]]
groups = ["support"]
tools = ["crm.*", "echo"]
"#;

const CALL: &str = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},"_meta":{"progressToken":1}}}"#;
const RESULT: &str = r#"{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"hello"}],"isError":false}}"#;
const KEY: &str = "k_bench_4c1f8e2d7a9b";

/// The upstream: reads the whole body and answers a fixed JSON result, as rmcp would.
async fn upstream<B>(request: Request<B>) -> Result<Response<Full<Bytes>>, Infallible>
where
    B: Body<Data = Bytes>,
{
    let _ = request.into_body().collect().await;
    let mut response = Response::new(Full::new(Bytes::from_static(RESULT.as_bytes())));
    response.headers_mut().insert(
        "content-type",
        "application/json"
            .parse()
            .unwrap_or(http::HeaderValue::from_static("application/json")),
    );
    Ok(response)
}

fn request() -> Request<Full<Bytes>> {
    Request::post("http://localhost/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Full::new(Bytes::from_static(CALL.as_bytes())))
        .unwrap_or_default()
}

async fn round_trip<S, B>(service: S) -> usize
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: Body<Data = Bytes>,
{
    let Ok(response) = service.oneshot(request()).await;
    match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes().len(),
        Err(_) => 0,
    }
}

fn guard() -> Guard {
    let policy = Policy::from_toml_str(POLICY).unwrap_or_else(|e| panic!("bench policy: {e}"));
    let keys = ApiKeyAuthenticator::builder()
        .key(
            KEY,
            Identity::new("alice", IdentityKind::User).with_groups(["support"]),
        )
        .build()
        .unwrap_or_else(|e| panic!("bench keys: {e}"));
    Guard::builder()
        .policy(policy)
        .authenticator(keys)
        .build()
        .unwrap_or_else(|e| panic!("bench guard: {e}"))
}

fn bench_layer(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let bare = service_fn(upstream::<Full<Bytes>>);
    let guarded = GuardLayer::new(guard()).layer(service_fn(
        upstream::<tollgate::layer::ForwardBody<Full<Bytes>>>,
    ));
    assert_eq!(runtime.block_on(round_trip(bare)), RESULT.len());
    assert_eq!(runtime.block_on(round_trip(guarded.clone())), RESULT.len());

    let mut group = c.benchmark_group("layer_tools_call");
    group.bench_function("bare", |b| b.to_async(&runtime).iter(|| round_trip(bare)));
    group.bench_function("guarded", |b| {
        b.to_async(&runtime).iter(|| round_trip(guarded.clone()))
    });
    group.finish();
}

criterion_group!(benches, bench_layer);
criterion_main!(benches);
