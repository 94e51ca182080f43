//! End to end: rmcp's real client talks to rmcp's real server over HTTP on 127.0.0.1
//! through `GuardLayer`, in the session generation (2025-11-25) and the stateless one
//! (2026-07-28), with JSON and SSE responses.

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use common::*;
use rmcp::ServiceError;
use serde_json::json;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};

const POLICY: &str = r#"
version = 1

[[allow]]
name = "support"
groups = ["support"]
tools = ["crm.*", "echo", "whoami", "slow"]

[[allow]]
name = "analysts"
groups = ["analysts"]
tools = ["db.*", "echo", "whoami"]

[[approve]]
name = "writes-need-a-dba"
groups = ["analysts"]
tools = ["db.query"]
args = [{ pointer = "/sql", regex = "(?i)^\\s*(insert|update|delete)" }]
reviewers = ["dba"]
reason = "SQL writes need a DBA"

[[deny]]
name = "no-drops"
tools = ["db.drop_*"]
reason = "dropping tables is not allowed"

# The identity report is not PII to hide from its own caller.
[[redact.rule]]
name = "whoami-in-clear"
tools = ["whoami"]
enabled = false
"#;

const ALICE: &str = "k_alice_support_0123456789";
const BOT: &str = "k_bot_analysts_0123456789";

fn guard() -> Guard {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            ALICE,
            Identity::new("alice@example.com", IdentityKind::User).with_groups(["support"]),
        )
        .key(
            BOT,
            Identity::new("report-bot", IdentityKind::Agent).with_groups(["analysts"]),
        )
        .build()
        .unwrap();
    Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(keys)
        .build()
        .unwrap()
}

/// Serves the demo server at `/mcp` behind the layer, and the same server bare at
/// `/bare` (to compare results), and returns the guarded URL and the bare URL.
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
const MODES: [(bool, bool, bool); 4] = [
    (false, false, false), // sessions, SSE, 2025-11-25
    (true, true, true),    // stateless, JSON, 2026-07-28
    (true, false, true),   // stateless, SSE, 2026-07-28
    (true, true, false),   // stateless server, JSON, legacy client
];

#[tokio::test]
async fn allowed_calls_return_the_servers_result_with_pii_masked() {
    for (stateless, json_response, modern) in MODES {
        let (guarded, bare) = start(stateless, json_response).await;
        let through = connect(&guarded, Some(ALICE), modern).await.unwrap();
        let direct = connect(&bare, None, modern).await.unwrap();
        for (tool, args) in [
            ("echo", json!({"text": "hello"})),
            ("crm.find_customer", json!({"name": "Jane Doe"})),
        ] {
            let a = call(&through, tool, args.clone()).await.unwrap();
            let mut b = call(&direct, tool, args).await.unwrap();
            if tool == "crm.find_customer" {
                // The same result, with the card, e-mail and phone masked (in SSE and
                // JSON responses alike).
                let mut record = text_json(&b);
                record["card_number"] = json!("[REDACTED:CREDIT_CARD]");
                record["email"] = json!("[REDACTED:EMAIL]");
                record["phone"] = json!("[REDACTED:PHONE]");
                assert_eq!(
                    text_json(&a),
                    record,
                    "mode {stateless}/{json_response}/{modern}"
                );
                b.content = a.content.clone();
            }
            assert_eq!(a, b, "mode {stateless}/{json_response}/{modern}: {tool}");
            assert_ne!(a.is_error, Some(true));
        }
        let slow = call(&through, "slow", json!({})).await.unwrap();
        assert_eq!(first_text(&slow), "done");
    }
}

#[tokio::test]
async fn hidden_tools_are_unknown_tools() {
    for (stateless, json_response, modern) in MODES {
        let (guarded, _) = start(stateless, json_response).await;
        let alice = connect(&guarded, Some(ALICE), modern).await.unwrap();
        match call(&alice, "db.query", json!({"sql": "SELECT 1"})).await {
            Err(ServiceError::McpError(e)) => {
                assert_eq!(e.code.0, -32602);
                assert_eq!(e.message, "Unknown tool: db.query");
            }
            other => panic!("expected -32602, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn denied_and_held_calls_are_tool_errors_with_the_reason() {
    for (stateless, json_response, modern) in MODES {
        let (guarded, _) = start(stateless, json_response).await;
        let bot = connect(&guarded, Some(BOT), modern).await.unwrap();
        let denied = call(&bot, "db.drop_table", json!({"table": "customers"}))
            .await
            .unwrap();
        assert_eq!(denied.is_error, Some(true));
        assert_eq!(
            first_text(&denied),
            "Blocked by policy: dropping tables is not allowed"
        );

        let held = call(&bot, "db.query", json!({"sql": "DELETE FROM customers"}))
            .await
            .unwrap();
        assert_eq!(held.is_error, Some(true));
        let text = first_text(&held);
        assert!(
            text.starts_with(
                "Approval required by rule `writes-need-a-dba`: SQL writes need a DBA. Ticket "
            ),
            "{text}"
        );
        assert!(
            text.ends_with("Retry the identical call once it is approved."),
            "{text}"
        );

        let read = call(
            &bot,
            "db.query",
            json!({"sql": "SELECT name FROM customers"}),
        )
        .await
        .unwrap();
        assert_ne!(read.is_error, Some(true));
        assert!(first_text(&read).starts_with("ran: SELECT name FROM customers"));
    }
}

#[tokio::test]
async fn tools_list_is_filtered_per_caller() {
    for (stateless, json_response, modern) in MODES {
        let (guarded, _) = start(stateless, json_response).await;
        let alice = connect(&guarded, Some(ALICE), modern).await.unwrap();
        let bot = connect(&guarded, Some(BOT), modern).await.unwrap();
        assert_eq!(
            tool_names(&alice).await.unwrap(),
            ["crm.find_customer", "echo", "slow", "whoami"]
        );
        assert_eq!(
            tool_names(&bot).await.unwrap(),
            ["db.drop_table", "db.query", "echo", "whoami"]
        );
    }
}

#[tokio::test]
async fn handlers_see_the_identity_and_never_the_callers_token() {
    for (stateless, json_response, modern) in MODES {
        let (guarded, _) = start(stateless, json_response).await;
        let alice = connect(&guarded, Some(ALICE), modern).await.unwrap();
        let who = text_json(&call(&alice, "whoami", json!({})).await.unwrap());
        assert_eq!(who["subject"], "alice@example.com");
        assert_eq!(who["authorization_header_present"], false);
    }
}

#[tokio::test]
async fn unknown_or_missing_credentials_are_refused() {
    let (guarded, _) = start(false, false).await;
    assert!(
        connect(&guarded, Some("k_nobody_0123456789abc"), false)
            .await
            .is_err()
    );
    assert!(connect(&guarded, None, true).await.is_err());
}
