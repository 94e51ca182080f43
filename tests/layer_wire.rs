//! The layer's answers to hand-made requests: transport checks, bad bodies, header
//! mismatches, batches, and the wire shape of denials.

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use common::*;
use http::StatusCode;
use serde_json::{Value, json};
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};

const KEY: &str = "k_alice_support_0123456789";

const POLICY: &str = r#"
version = 1
[[allow]]
groups = ["support"]
tools = ["echo", "whoami", "crm.*"]
[[deny]]
tools = ["crm.delete_*"]
reason = "deleting customers is not allowed"
"#;

async fn start(stateless: bool, json_response: bool, max_body: usize) -> std::net::SocketAddr {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            KEY,
            Identity::new("alice", IdentityKind::User).with_groups(["support"]),
        )
        .build()
        .unwrap();
    let guard = Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(keys)
        .allowed_origins(["https://console.example"])
        .max_request_bytes(max_body)
        .build()
        .unwrap();
    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard))
        .service(demo_server::mcp_service(stateless, json_response));
    serve(axum::Router::new().nest_service("/mcp", guarded)).await
}

const AUTH: (&str, &str) = ("authorization", "Bearer k_alice_support_0123456789");

fn headers<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = MCP_POST_HEADERS.to_vec();
    h.push(AUTH);
    h.extend_from_slice(extra);
    h
}

async fn post(
    addr: std::net::SocketAddr,
    extra: &[(&str, &str)],
    body: &str,
) -> (StatusCode, http::HeaderMap, String) {
    post_raw(addr, "/mcp", &headers(extra), body).await
}

fn error_code(body: &str) -> i64 {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

const MODERN: [(&str, &str); 3] = [
    ("mcp-protocol-version", "2026-07-28"),
    ("mcp-method", "tools/call"),
    ("mcp-name", "echo"),
];

fn modern_call(name: &str, id: u32) -> String {
    json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":name,"arguments":{"text":"x"},
        "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})
    .to_string()
}

#[tokio::test]
async fn malformed_json_is_a_parse_error() {
    let addr = start(true, true, 1 << 20).await;
    let (status, _, body) = post(addr, &[], r#"{"jsonrpc":"2.0","id":1,"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), -32700);
}

#[tokio::test]
async fn duplicate_and_case_variant_keys_are_invalid_requests() {
    let addr = start(true, true, 1 << 20).await;
    for body in [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"crm.delete_all","arguments":{"text":"x"}}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x","Text":"y"}}}"#,
    ] {
        let (status, _, reply) = post(addr, &[("mcp-protocol-version", "2025-06-18")], body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&reply), -32600, "{reply}");
    }
}

#[tokio::test]
async fn header_body_mismatch_is_minus_32020() {
    let addr = start(true, true, 1 << 20).await;
    // Capture 35: the header says one tool, the body calls another.
    let mut h = MODERN.to_vec();
    h[2] = ("mcp-name", "get_secret");
    let (status, _, body) = post(addr, &h, &modern_call("echo", 6)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), -32020);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["id"], 6);
    // The header names an allowed tool while the body calls a denied one.
    let (status, _, body) = post(addr, &MODERN, &modern_call("crm.delete_all", 7)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), -32020);
    // Matching headers pass.
    let (status, _, body) = post(addr, &MODERN, &modern_call("echo", 8)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn batches_are_refused_outside_2025_03_26_and_decided_element_by_element_inside() {
    let addr = start(true, true, 1 << 20).await;
    let batch = r#"[{"jsonrpc":"2.0","id":22,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a"}}},{"jsonrpc":"2.0","id":23,"method":"tools/call","params":{"name":"crm.delete_all"}}]"#;
    let (status, _, body) = post(addr, &[("mcp-protocol-version", "2025-11-25")], batch).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), -32600);

    let (status, _, body) = post(addr, &[("mcp-protocol-version", "2025-03-26")], batch).await;
    assert_eq!(status, StatusCode::OK);
    let answers: Value = serde_json::from_str(&body).unwrap();
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["id"], 22);
    assert_eq!(
        answers[0]["error"]["code"], -31002,
        "the allowed element is not executed alone"
    );
    assert_eq!(answers[1]["id"], 23);
    assert_eq!(answers[1]["result"]["isError"], true);
}

#[tokio::test]
async fn oversized_bodies_are_413_with_or_without_content_length() {
    let addr = start(true, true, 256).await;
    let big = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x".repeat(1000)}}}).to_string();
    let (status, _, _) = post(addr, &[("mcp-protocol-version", "2025-06-18")], &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Chunked, no Content-Length: the cap is enforced while reading.
    let client = reqwest::Client::new();
    let stream = futures::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![b' '; 100])));
    let response = client
        .post(url(addr, "/mcp"))
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {KEY}"))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn unsupported_protocol_version_is_refused() {
    let addr = start(true, true, 1 << 20).await;
    let (status, _, body) = post(
        addr,
        &[("mcp-protocol-version", "1999-01-01")],
        r#"{"jsonrpc":"2.0","id":24,"method":"tools/list"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), -32022);
}

#[tokio::test]
async fn host_and_origin_allow_lists_answer_403() {
    let addr = start(true, true, 1 << 20).await;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let (status, _, _) = post(addr, &[("origin", "https://evil.example")], body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = post(addr, &[("origin", "https://console.example")], body).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, text) = post(addr, &[("host", "evil.example")], body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("Host"), "{text}");
}

#[tokio::test]
async fn missing_and_unknown_credentials_get_401_with_a_challenge() {
    let addr = start(true, true, 1 << 20).await;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let (status, headers, _) = post_raw(addr, "/mcp", &MCP_POST_HEADERS, body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let mut h = MCP_POST_HEADERS.to_vec();
    h.push(("authorization", "Bearer k_wrong_wrong_wrong_wrong"));
    let (status, _, _) = post_raw(addr, "/mcp", &h, body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // GET and DELETE are authenticated too.
    let (status, _, _) =
        request_raw("GET", addr, "/mcp", &[("accept", "text/event-stream")], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = request_raw("DELETE", addr, "/mcp", &[], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn non_json_posts_are_refused_and_denials_answer_in_the_accepted_format() {
    let addr = start(true, true, 1 << 20).await;
    let mut h = vec![
        ("accept", "application/json, text/event-stream"),
        ("content-type", "text/plain"),
        AUTH,
    ];
    let (status, _, _) = post_raw(addr, "/mcp", &h, "{}").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // A client that accepts only event streams gets its denial as one SSE event.
    h[0] = ("accept", "text/event-stream");
    h[1] = ("content-type", "application/json");
    h.push(("mcp-protocol-version", "2025-06-18"));
    let body =
        r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"crm.delete_all"}}"#;
    let (status, headers, text) = post_raw(addr, "/mcp", &h, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    let events = sse_json(&text);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["id"], 9);
    assert_eq!(events[0]["result"]["isError"], true);
    assert_eq!(
        events[0]["result"]["content"][0]["text"],
        "Blocked by policy: deleting customers is not allowed"
    );
}

#[tokio::test]
async fn modern_denials_carry_result_type_complete() {
    let addr = start(true, true, 1 << 20).await;
    let mut h = MODERN.to_vec();
    h[2] = ("mcp-name", "crm.delete_all");
    let (status, _, body) = post(addr, &h, &modern_call("crm.delete_all", 3)).await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["result"]["isError"], true);
    assert_eq!(v["result"]["resultType"], "complete");
}
