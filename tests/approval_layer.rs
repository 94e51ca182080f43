//! End to end: calls matching `approve` rules, made by rmcp's real client through the
//! layer to rmcp's real server over HTTP on 127.0.0.1, decided by reviewers through the
//! admin router on its own port — the wait flow (approve, deny, timeout, client gone),
//! the deferred flow (ticket, retry, single use, changed arguments), who may approve,
//! and window grants.
#![cfg(feature = "admin")]

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;
#[path = "common/progress_client.rs"]
mod progress_client;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use http::StatusCode;
use progress_client::{ProgressLog, ProgressMcpClient, connect_logging_progress};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use serde_json::{Value, json};
use tollgate::approval::{Approvals, NoopNotifier, TicketId, TicketState};
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};

const POLICY: &str = r#"
version = 1

[[allow]]
name = "agents"
groups = ["agents"]
tools = ["db.*", "echo"]

[[approve]]
name = "drops-wait-for-a-dba"
groups = ["agents"]
tools = ["db.drop_table"]
args = [{ pointer = "/table", regex = "^w_" }]
flow = "wait"
timeout = "30s"
reviewers = ["dba"]
reason = "dropping a table needs a DBA"

[[approve]]
name = "quick-drops"
groups = ["agents"]
tools = ["db.drop_table"]
args = [{ pointer = "/table", regex = "^t_" }]
flow = "wait"
timeout = "1s"
reviewers = ["dba"]
reason = "dropping a table needs a DBA"

[[approve]]
name = "deletes-need-a-dba"
groups = ["agents"]
tools = ["db.query"]
args = [{ pointer = "/sql", regex = "(?i)^\\s*delete" }]
flow = "deferred"
grant = "once"
reviewers = ["dba"]
reason = "SQL deletes need a DBA"

[[approve]]
name = "updates-for-a-while"
groups = ["agents"]
tools = ["db.query"]
args = [{ pointer = "/sql", regex = "(?i)^\\s*update" }]
flow = "deferred"
grant_window = "10m"
reviewers = ["dba"]
reason = "SQL updates need a DBA"
"#;

/// The agent making calls. It is in the reviewer group too, so refusing its
/// self-approval is about being the requester, not about the group.
const AGENT: &str = "k_agent_0123456789abcdef";
/// A reviewer.
const DBA: &str = "k_dba_0123456789abcdef01";
/// Authenticated, but not a reviewer.
const SUPPORT: &str = "k_support_0123456789abcd";

/// The guarded MCP endpoint, the admin router, and the guard itself.
struct Fixture {
    mcp: String,
    admin: SocketAddr,
    guard: Guard,
}

async fn start() -> Fixture {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            AGENT,
            Identity::new("agent-7", IdentityKind::User).with_groups(["agents", "dba"]),
        )
        .key(
            DBA,
            Identity::new("dana", IdentityKind::User).with_groups(["dba"]),
        )
        .key(
            SUPPORT,
            Identity::new("sam", IdentityKind::User).with_groups(["support"]),
        )
        .build()
        .unwrap();
    // The admin listener is bound first so the review URL can name it.
    let admin_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = admin_listener.local_addr().unwrap();
    let approvals = Approvals::builder()
        .notifier(std::sync::Arc::new(NoopNotifier))
        .review_url(format!("http://{admin}"))
        .build()
        .unwrap();
    let guard = Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(keys)
        .approvals(approvals)
        .progress_interval(Duration::from_millis(50))
        .admin_groups(["secops"])
        .build()
        .unwrap();
    let router = tollgate::admin::router(&guard);
    tokio::spawn(async move { axum::serve(admin_listener, router).await.unwrap() });
    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard.clone()))
        .service(demo_server::mcp_service(false, false));
    let addr = serve(axum::Router::new().nest_service("/mcp", guarded)).await;
    Fixture {
        mcp: url(addr, "/mcp"),
        admin,
        guard,
    }
}

/// An admin API request with `key` as bearer; returns the status and the JSON body.
async fn admin(
    f: &Fixture,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let bearer = format!("Bearer {key}");
    let mut headers = vec![("authorization", bearer.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let (status, _, text) = request_raw(method, f.admin, path, &headers, &body).await;
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, json)
}

/// Polls `check` every 20 ms until it yields a value; panics after a generous deadline.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the reviewer sees exactly one pending ticket; returns it.
async fn the_pending_ticket(f: &Fixture) -> Value {
    eventually("a pending ticket", || async {
        let (status, body) = admin(f, "GET", "/tickets?state=pending", DBA, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let tickets = body["tickets"].as_array().unwrap().clone();
        assert!(tickets.len() <= 1, "{body}");
        tickets.into_iter().next()
    })
    .await
}

/// Waits until ticket `id` is in `state` (read through the guard's own API).
async fn ticket_reaches(f: &Fixture, id: &str, state: TicketState) {
    let id: TicketId = id.parse().unwrap();
    eventually(&format!("ticket {id} to be {state}"), || async {
        let ticket = f.guard.approvals().get(id).await.unwrap().unwrap();
        (ticket.state == state).then_some(())
    })
    .await;
}

/// Waits until the progress log holds an "awaiting approval" message; returns it.
async fn awaiting_message(log: &ProgressLog) -> String {
    eventually("an awaiting-approval progress notification", || async {
        log.messages()
            .into_iter()
            .find(|m| m.starts_with("Awaiting approval: ticket "))
    })
    .await
}

fn params(tool: &str, arguments: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(tool.to_owned()).with_arguments(args(arguments))
}

/// Starts a `db.drop_table` call on a progress-logging client of the agent in a task;
/// the task returns the result (and keeps the client alive until then).
async fn start_held_drop(
    f: &Fixture,
    table: &str,
) -> (
    tokio::task::JoinHandle<(CallToolResult, ProgressMcpClient)>,
    ProgressLog,
) {
    let (client, log) = connect_logging_progress(&f.mcp, AGENT).await.unwrap();
    let call = params("db.drop_table", json!({ "table": table }));
    let task = tokio::spawn(async move {
        let result = client.call_tool(call).await.unwrap();
        (result, client)
    });
    (task, log)
}

fn id_of(ticket: &Value) -> String {
    ticket["id"].as_str().unwrap().to_owned()
}

/// The deferred-flow refusal for `rule` (with `reason`) and ticket `id`.
fn deferred_text(f: &Fixture, rule: &str, reason: &str, id: &str) -> String {
    format!(
        "Approval required by rule `{rule}`: {reason}. Ticket {id} is pending review at \
         http://{}/tickets/{id}. Retry the identical call once it is approved.",
        f.admin
    )
}

/// The ticket id named in a deferred-flow refusal.
fn ticket_in(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let text = first_text(result);
    let rest = text
        .split_once("Ticket ")
        .unwrap_or_else(|| panic!("no ticket in {text}"))
        .1;
    rest.split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn wait_flow_holds_the_call_until_a_reviewer_approves_it() {
    let f = start().await;
    let (task, log) = start_held_drop(&f, "w_orders").await;

    let ticket = the_pending_ticket(&f).await;
    let id = id_of(&ticket);
    assert_eq!(ticket["tool"], "db.drop_table");
    assert_eq!(ticket["arguments"], json!({"table": "w_orders"}));
    assert_eq!(ticket["rule"], "drops-wait-for-a-dba");
    assert_eq!(ticket["requester"]["subject"], "agent-7");

    // The held call tells its client what it waits for, repeatedly.
    let message = awaiting_message(&log).await;
    assert_eq!(
        message,
        format!(
            "Awaiting approval: ticket {id} (rule `drops-wait-for-a-dba`), review at http://{}/tickets/{id}",
            f.admin
        )
    );
    eventually("a second progress notification", || async {
        (log.messages().len() >= 2).then_some(())
    })
    .await;
    assert!(!task.is_finished(), "the call must still be held");

    let (status, body) = admin(
        &f,
        "POST",
        &format!("/tickets/{id}/approve"),
        DBA,
        Some(json!({"comment": "staging only"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "approved");

    let (result, _client) = task.await.unwrap();
    assert_ne!(result.is_error, Some(true), "{result:?}");
    assert_eq!(first_text(&result), "dropped w_orders");
    ticket_reaches(&f, &id, TicketState::Consumed).await;
}

#[tokio::test]
async fn wait_flow_denied_by_the_reviewer_is_a_tool_error_with_the_reason() {
    let f = start().await;
    let (task, log) = start_held_drop(&f, "w_customers").await;
    let id = id_of(&the_pending_ticket(&f).await);
    awaiting_message(&log).await;

    let (status, body) = admin(
        &f,
        "POST",
        &format!("/tickets/{id}/deny"),
        DBA,
        Some(json!({"comment": "not in production"})),
    )
    .await;
    assert_eq!(
        (status, body["state"].clone()),
        (StatusCode::OK, json!("denied"))
    );

    let (result, _client) = task.await.unwrap();
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert_eq!(
        first_text(&result),
        "Denied by reviewer: denied by dana: not in production"
    );
    ticket_reaches(&f, &id, TicketState::Denied).await;
}

#[tokio::test]
async fn wait_flow_times_out_when_nobody_decides() {
    let f = start().await;
    let (task, _log) = start_held_drop(&f, "t_sessions").await;
    let id = id_of(&the_pending_ticket(&f).await);

    let (result, _client) = task.await.unwrap();
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert_eq!(
        first_text(&result),
        format!("Approval timed out: ticket {id} was not decided within 1 s")
    );
    ticket_reaches(&f, &id, TicketState::Expired).await;
    // Too late to approve now.
    let (status, _) = admin(&f, "POST", &format!("/tickets/{id}/approve"), DBA, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn deferred_flow_passes_the_identical_retry_once_after_approval() {
    let f = start().await;
    let client = connect(&f.mcp, Some(AGENT), false).await.unwrap();
    // Listing the tools records their definitions, which tickets are bound to.
    assert!(
        tool_names(&client)
            .await
            .unwrap()
            .contains(&"db.query".to_owned())
    );
    let sql = json!({"sql": "DELETE FROM orders WHERE id = 7"});

    let first = call(&client, "db.query", sql.clone()).await.unwrap();
    let id = ticket_in(&first);
    assert_eq!(
        first_text(&first),
        deferred_text(&f, "deletes-need-a-dba", "SQL deletes need a DBA", &id)
    );

    // Retried before approval: refused again, with the same pending ticket.
    let early = call(&client, "db.query", sql.clone()).await.unwrap();
    assert_eq!(ticket_in(&early), id);
    assert_eq!(
        f.guard
            .approvals()
            .list(Some(TicketState::Pending))
            .await
            .unwrap()
            .len(),
        1
    );

    let (status, body) = admin(&f, "POST", &format!("/tickets/{id}/approve"), DBA, None).await;
    assert_eq!(
        (status, body["state"].clone()),
        (StatusCode::OK, json!("approved"))
    );

    let passed = call(&client, "db.query", sql.clone()).await.unwrap();
    assert_ne!(passed.is_error, Some(true), "{passed:?}");
    assert!(
        first_text(&passed).starts_with("ran: DELETE FROM orders WHERE id = 7\n"),
        "{passed:?}"
    );
    ticket_reaches(&f, &id, TicketState::Consumed).await;

    // `once`: the grant is used up; the third identical call needs a new ticket.
    let third = call(&client, "db.query", sql).await.unwrap();
    let new_id = ticket_in(&third);
    assert_ne!(new_id, id);
    assert_eq!(
        first_text(&third),
        deferred_text(&f, "deletes-need-a-dba", "SQL deletes need a DBA", &new_id)
    );
}

#[tokio::test]
async fn an_approval_does_not_apply_to_changed_arguments() {
    let f = start().await;
    let client = connect(&f.mcp, Some(AGENT), false).await.unwrap();
    let approved_sql = json!({"sql": "DELETE FROM orders WHERE id = 7"});
    let id = ticket_in(&call(&client, "db.query", approved_sql).await.unwrap());
    let (status, _) = admin(&f, "POST", &format!("/tickets/{id}/approve"), DBA, None).await;
    assert_eq!(status, StatusCode::OK);

    let changed = call(
        &client,
        "db.query",
        json!({"sql": "DELETE FROM orders WHERE id > 0"}),
    )
    .await
    .unwrap();
    let other = ticket_in(&changed);
    assert_ne!(other, id);
    // The approved ticket is untouched: still waiting for its own call.
    ticket_reaches(&f, &id, TicketState::Approved).await;
    let pending = f
        .guard
        .approvals()
        .list(Some(TicketState::Pending))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id.to_string(), other);
    assert_eq!(
        pending[0].arguments,
        json!({"sql": "DELETE FROM orders WHERE id > 0"})
    );
}

#[tokio::test]
async fn requesters_and_non_reviewers_cannot_approve() {
    let f = start().await;
    let client = connect(&f.mcp, Some(AGENT), false).await.unwrap();
    let sql = json!({"sql": "DELETE FROM invoices"});
    let id = ticket_in(&call(&client, "db.query", sql.clone()).await.unwrap());
    let approve = format!("/tickets/{id}/approve");

    let (status, body) = admin(&f, "POST", &approve, AGENT, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"],
        "the requester cannot approve their own ticket"
    );
    let (status, _) = admin(&f, "POST", &approve, SUPPORT, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The non-reviewer does not even see it.
    let (status, body) = admin(&f, "GET", "/tickets", SUPPORT, None).await;
    assert_eq!(
        (status, body["tickets"].clone()),
        (StatusCode::OK, json!([]))
    );

    // Neither attempt counted: the ticket is pending and the call is still refused.
    ticket_reaches(&f, &id, TicketState::Pending).await;
    let retry = call(&client, "db.query", sql).await.unwrap();
    assert_eq!(ticket_in(&retry), id);
}

#[tokio::test]
async fn a_window_grant_passes_identical_calls_until_it_closes() {
    let f = start().await;
    let client = connect(&f.mcp, Some(AGENT), false).await.unwrap();
    let sql = json!({"sql": "UPDATE accounts SET tier = 'gold' WHERE id = 3"});
    let first = call(&client, "db.query", sql.clone()).await.unwrap();
    let id = ticket_in(&first);
    assert_eq!(
        first_text(&first),
        deferred_text(&f, "updates-for-a-while", "SQL updates need a DBA", &id)
    );
    let (status, body) = admin(&f, "POST", &format!("/tickets/{id}/approve"), DBA, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["grant_expires_at"].is_u64(), "{body}");

    for _ in 0..3 {
        let passed = call(&client, "db.query", sql.clone()).await.unwrap();
        assert_ne!(passed.is_error, Some(true), "{passed:?}");
        assert!(first_text(&passed).starts_with("ran: UPDATE accounts"));
    }
    let ticket = f
        .guard
        .approvals()
        .get(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ticket.state, TicketState::Approved);
    assert_eq!(ticket.uses, 3);
    // A different update is not covered by the window.
    let other = call(
        &client,
        "db.query",
        json!({"sql": "UPDATE accounts SET tier = 'x'"}),
    )
    .await
    .unwrap();
    assert_ne!(ticket_in(&other), id);
}

#[tokio::test]
async fn a_held_call_whose_client_goes_away_cancels_its_ticket() {
    let f = start().await;
    let (task, log) = start_held_drop(&f, "w_audit_log").await;
    let id = id_of(&the_pending_ticket(&f).await);
    awaiting_message(&log).await;

    // Dropping the task drops the client, which closes its connections.
    task.abort();
    assert!(matches!(task.await, Err(e) if e.is_cancelled()));

    ticket_reaches(&f, &id, TicketState::Cancelled).await;
    let (status, _) = admin(&f, "POST", &format!("/tickets/{id}/approve"), DBA, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
}
