//! End to end: rmcp's real client calls `crm.find_customer` on rmcp's real server through
//! `GuardLayer`, with JSON and SSE responses. The policy's `[[redact.rule]]` gives the
//! `pii-cleared` group partial masks (last four of the card and phone, the e-mail's
//! domain); everyone else sees full masks. Nothing but the masked values differs from
//! what the server sent.

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use common::*;
use serde_json::{Value, json};
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};

const POLICY: &str = r#"
version = 1

[[allow]]
groups = ["support", "pii-cleared"]
tools = ["crm.find_customer"]

[[redact.rule]]
name = "cleared-see-last-four"
groups = ["pii-cleared"]
style = "partial"
"#;

/// In `support` only: full masks.
const SUPPORT: &str = "k_sam_support_0123456789";
/// In `support` and `pii-cleared`: partial masks.
const CLEARED: &str = "k_cleo_cleared_0123456789";

fn guard() -> Guard {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            SUPPORT,
            Identity::new("sam", IdentityKind::User).with_groups(["support"]),
        )
        .key(
            CLEARED,
            Identity::new("cleo", IdentityKind::User).with_groups(["support", "pii-cleared"]),
        )
        .build()
        .unwrap();
    Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(keys)
        .build()
        .unwrap()
}

/// Serves the demo server behind the layer at `/mcp` and bare at `/bare`.
async fn start(stateless: bool, json_response: bool) -> (String, String) {
    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard()))
        .service(demo_server::mcp_service(stateless, json_response));
    let app = axum::Router::new()
        .nest_service("/mcp", guarded)
        .nest_service("/bare", demo_server::mcp_service(stateless, json_response));
    let addr = serve(app).await;
    (url(addr, "/mcp"), url(addr, "/bare"))
}

/// (stateless server, JSON responses, modern client)
const MODES: [(bool, bool, bool); 3] = [
    (true, true, true),    // stateless, JSON
    (true, false, true),   // stateless, SSE
    (false, false, false), // sessions, SSE
];

async fn customer(url: &str, key: Option<&str>, modern: bool) -> Value {
    let client = connect(url, key, modern).await.unwrap();
    let result = call(&client, "crm.find_customer", json!({"name": "Jane Doe"}))
        .await
        .unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    text_json(&result)
}

#[tokio::test]
async fn pii_cleared_callers_see_partial_masks_and_others_full_masks() {
    for (stateless, json_response, modern) in MODES {
        let mode = format!("stateless={stateless} json={json_response}");
        let (guarded, bare) = start(stateless, json_response).await;
        let original = customer(&bare, None, modern).await;
        assert_eq!(original["card_number"], demo_server::DEMO_CARD_NUMBER);

        let mut full = original.clone();
        full["card_number"] = json!("[REDACTED:CREDIT_CARD]");
        full["email"] = json!("[REDACTED:EMAIL]");
        full["phone"] = json!("[REDACTED:PHONE]");
        assert_eq!(
            customer(&guarded, Some(SUPPORT), modern).await,
            full,
            "{mode}"
        );

        let mut partial = original.clone();
        partial["card_number"] = json!("[CREDIT_CARD:****1111]");
        partial["email"] = json!("[EMAIL:****@example.com]");
        partial["phone"] = json!("[PHONE:****0134]");
        let seen = customer(&guarded, Some(CLEARED), modern).await;
        assert_eq!(seen, partial, "{mode}");
        let text = seen.to_string();
        assert!(
            !text.contains("4111 1111") && !text.contains("jane.doe"),
            "{mode}: {text}"
        );
    }
}

#[tokio::test]
async fn raw_http_answers_are_masked_per_caller_in_json_and_sse() {
    let body = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"crm.find_customer","arguments":{"name":"Jane Doe"}}}"#;
    for json_response in [true, false] {
        let guarded = tower::ServiceBuilder::new()
            .layer(GuardLayer::new(guard()))
            .service(demo_server::mcp_service(true, json_response));
        let addr = serve(axum::Router::new().nest_service("/mcp", guarded)).await;
        for (key, card) in [
            (SUPPORT, "[REDACTED:CREDIT_CARD]"),
            (CLEARED, "[CREDIT_CARD:****1111]"),
        ] {
            let auth = format!("Bearer {key}");
            let mut headers = MCP_POST_HEADERS.to_vec();
            headers.push(("authorization", &auth));
            headers.push(("mcp-protocol-version", "2025-11-25"));
            let (status, response_headers, text) = post_raw(addr, "/mcp", &headers, body).await;
            assert_eq!(status, http::StatusCode::OK, "{text}");
            let content_type = response_headers["content-type"].to_str().unwrap();
            assert_eq!(
                content_type.starts_with("text/event-stream"),
                !json_response,
                "{content_type}"
            );
            assert!(!text.contains("4111 1111 1111 1111"), "{text}");
            let replies = sse_json(&text);
            let reply = replies.iter().find(|m| m["id"] == 3).unwrap();
            let record: Value =
                serde_json::from_str(reply["result"]["content"][0]["text"].as_str().unwrap())
                    .unwrap();
            assert_eq!(record["card_number"], card, "json={json_response}");
        }
    }
}
