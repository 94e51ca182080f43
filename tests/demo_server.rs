//! The demo server and the test harness on their own, without tollgate's layer: this is the
//! baseline the layer tests compare against.

#[path = "../examples/common/demo_server.rs"]
mod demo_server;

mod common;

use std::net::SocketAddr;

use common::{McpClient, call, connect, first_text, post_raw, sse_json, text_json, tool_names};
use demo_server::{DEMO_CARD_NUMBER, DEMO_TOOLS, mcp_service};
use rmcp::model::ProtocolVersion;
use serde_json::json;

const TOKEN: &str = "demo-bearer-token";

async fn serve_demo(stateless: bool, json_response: bool) -> SocketAddr {
    common::serve(axum::Router::new().nest_service("/mcp", mcp_service(stateless, json_response)))
        .await
}

fn negotiated(client: &McpClient) -> Option<ProtocolVersion> {
    client.peer_info().map(|info| info.protocol_version.clone())
}

/// Every tool of the demo server, called through `client` (which sent a bearer token).
async fn exercise_all_tools(client: &McpClient) -> anyhow::Result<()> {
    let names = tool_names(client).await?;
    assert_eq!(names, DEMO_TOOLS);

    let r = call(client, "echo", json!({"text": "hello, tollgate"})).await?;
    assert_eq!(r.is_error, Some(false));
    assert_eq!(first_text(&r), "hello, tollgate");

    let r = call(client, "crm.find_customer", json!({"name": "Jane Doe"})).await?;
    let customer = text_json(&r);
    assert_eq!(customer["name"], "Jane Doe");
    assert_eq!(customer["email"], "jane.doe@example.com");
    assert_eq!(customer["card_number"], DEMO_CARD_NUMBER);
    assert_eq!(customer["tier"], "gold");
    assert!(customer["id"].as_str().unwrap().starts_with("cus_"));
    assert!(customer["phone"].is_string());

    let r = call(client, "db.query", json!({"sql": "SELECT * FROM users"})).await?;
    let text = first_text(&r);
    assert!(text.starts_with("ran: SELECT * FROM users\n"), "{text}");
    assert!(text.contains("ada@example.com"), "{text}");

    let r = call(client, "db.drop_table", json!({"table": "users"})).await?;
    assert_eq!(first_text(&r), "dropped users");

    // No layer: nobody set an identity, and the bearer token reached the server.
    let r = call(client, "whoami", serde_json::Value::Null).await?;
    assert_eq!(
        text_json(&r),
        json!({"subject": null, "authorization_header_present": true})
    );

    // The rmcp client attaches a progress token to every request, so this streams progress.
    let r = call(client, "slow", serde_json::Value::Null).await?;
    assert_eq!(first_text(&r), "done");

    // rmcp reports arguments that do not deserialize as a tool error (`isError: true`).
    let r = call(client, "echo", json!({"wrong": 1})).await?;
    assert_eq!(r.is_error, Some(true));
    assert!(first_text(&r).contains("missing field `text`"), "{r:?}");

    // An unknown tool is a JSON-RPC error.
    let err = call(client, "no.such_tool", json!({})).await.unwrap_err();
    assert!(
        matches!(err, rmcp::ServiceError::McpError(ref e) if e.code.0 == -32602),
        "{err:?}"
    );
    Ok(())
}

/// Connects in one lifecycle to a server in one mode, checks the negotiated revision
/// and every tool, then (optionally) that a client without a bearer sends no
/// `Authorization` header.
async fn check_mode(
    stateless: bool,
    json_response: bool,
    modern: bool,
    expected: ProtocolVersion,
    check_without_bearer: bool,
) -> anyhow::Result<()> {
    let url = common::url(serve_demo(stateless, json_response).await, "/mcp");
    let client = connect(&url, Some(TOKEN), modern).await?;
    assert_eq!(negotiated(&client), Some(expected));
    exercise_all_tools(&client).await?;
    client.cancel().await?;
    if check_without_bearer {
        let client = connect(&url, None, modern).await?;
        let r = call(&client, "whoami", serde_json::Value::Null).await?;
        assert_eq!(
            text_json(&r),
            json!({"subject": null, "authorization_header_present": false})
        );
        client.cancel().await?;
    }
    Ok(())
}

#[tokio::test]
async fn legacy_client_against_stateful_server() -> anyhow::Result<()> {
    check_mode(false, false, false, ProtocolVersion::V_2025_11_25, true).await
}

#[tokio::test]
async fn modern_client_against_stateless_json_server() -> anyhow::Result<()> {
    check_mode(true, true, true, ProtocolVersion::V_2026_07_28, true).await
}

#[tokio::test]
async fn modern_client_against_stateless_sse_server() -> anyhow::Result<()> {
    check_mode(true, false, true, ProtocolVersion::V_2026_07_28, false).await
}

#[tokio::test]
async fn legacy_client_against_stateless_server() -> anyhow::Result<()> {
    check_mode(true, true, false, ProtocolVersion::V_2025_11_25, false).await
}

#[tokio::test]
async fn modern_client_against_stateful_server() -> anyhow::Result<()> {
    // rmcp serves 2026-07-28 per-request traffic statelessly even in legacy session mode.
    check_mode(false, false, true, ProtocolVersion::V_2026_07_28, false).await
}

#[tokio::test]
async fn whoami_reads_the_identity_in_the_request_extensions() -> anyhow::Result<()> {
    // A stand-in for the layer: put an Identity into the request extensions.
    let identity: tollgate::Identity =
        serde_json::from_value(json!({"subject": "alice@example.com", "kind": "user"}))?;
    let svc = tower::ServiceBuilder::new()
        .map_request(move |mut req: axum::extract::Request| {
            req.extensions_mut().insert(identity.clone());
            req
        })
        .service(mcp_service(true, true));
    // The rmcp service mounted at the root, through the generic `serve_service`.
    let addr = common::serve_service(svc).await;
    let client = connect(&common::url(addr, "/"), None, true).await?;
    let r = call(&client, "whoami", serde_json::Value::Null).await?;
    assert_eq!(
        text_json(&r),
        json!({"subject": "alice@example.com", "authorization_header_present": false})
    );
    client.cancel().await?;
    Ok(())
}

#[tokio::test]
async fn serve_service_serves_a_whole_router() -> anyhow::Result<()> {
    let router = axum::Router::new().nest_service("/mcp", mcp_service(false, false));
    let addr = common::serve_service(router).await;
    let client = connect(&common::url(addr, "/mcp"), None, false).await?;
    let r = call(&client, "echo", json!({"text": "via serve_service"})).await?;
    assert_eq!(first_text(&r), "via serve_service");
    client.cancel().await?;
    Ok(())
}

#[tokio::test]
async fn raw_batch_is_rejected_with_415() {
    let addr = serve_demo(true, true).await;
    let mut headers = common::MCP_POST_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-11-25"));
    let body = r#"[{"jsonrpc":"2.0","id":22,"method":"tools/list"},{"jsonrpc":"2.0","id":23,"method":"ping"}]"#;
    let (status, _, text) = post_raw(addr, "/mcp", &headers, body).await;
    assert_eq!(status, http::StatusCode::UNSUPPORTED_MEDIA_TYPE, "{text}");
    assert!(text.contains("unrecognized JSON-RPC message"), "{text}");
}

#[tokio::test]
async fn raw_missing_accept_is_rejected_with_406() {
    let addr = serve_demo(true, true).await;
    let headers = [("content-type", "application/json")];
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let (status, _, text) = post_raw(addr, "/mcp", &headers, body).await;
    assert_eq!(status, http::StatusCode::NOT_ACCEPTABLE, "{text}");
}

#[tokio::test]
async fn raw_slow_call_streams_progress_then_the_result() {
    // Stateless + JSON responses: the progress notifications make rmcp fall back to SSE.
    let addr = serve_demo(true, true).await;
    let mut headers = common::MCP_POST_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-06-18"));
    let body = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{},"_meta":{"progressToken":7}}}"#;
    let (status, resp_headers, text) = post_raw(addr, "/mcp", &headers, body).await;
    assert_eq!(status, http::StatusCode::OK, "{text}");
    assert_eq!(
        resp_headers[http::header::CONTENT_TYPE],
        "text/event-stream"
    );
    let messages = sse_json(&text);
    assert_eq!(messages.len(), 3, "{text}");
    for (i, m) in messages[..2].iter().enumerate() {
        assert_eq!(m["method"], "notifications/progress");
        assert_eq!(m["params"]["progressToken"], 7);
        assert_eq!(m["params"]["progress"], json!((i + 1) as f64));
        assert_eq!(m["params"]["total"], json!(2.0));
    }
    assert_eq!(messages[2]["id"], 3);
    assert_eq!(messages[2]["result"]["content"][0]["text"], "done");

    // Without a progress token the same call is a single JSON response.
    let body =
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"slow","arguments":{}}}"#;
    let (status, resp_headers, text) = post_raw(addr, "/mcp", &headers, body).await;
    assert_eq!(status, http::StatusCode::OK, "{text}");
    assert_eq!(resp_headers[http::header::CONTENT_TYPE], "application/json");
    let messages = sse_json(&text);
    assert_eq!(messages.len(), 1, "{text}");
    assert_eq!(messages[0]["result"]["content"][0]["text"], "done");
}

#[test]
fn sse_json_parses_events() {
    let body =
        "data: \nid: 0\nretry: 3000\n\ndata: {\"a\":1}\nid: 1\n\ndata: {\"b\":\ndata: 2}\n\n";
    assert_eq!(sse_json(body), vec![json!({"a": 1}), json!({"b": 2})]);
}
