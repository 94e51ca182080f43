//! End to end: live sessions through the layer in front of rmcp's real server over HTTP
//! on 127.0.0.1 — listed with who opened them and what they did, killed mid-stream,
//! bound to the identity that opened them, revoked per subject, and only by admins.
#![cfg(feature = "admin")]

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use http::StatusCode;
use serde_json::{Value, json};
use tollgate::approval::{Approvals, NoopNotifier, TicketState};
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::session::{SessionInfo, SessionKey};
use tollgate::{Guard, GuardLayer, Identity, Policy};

const POLICY: &str = r#"
version = 1

[[allow]]
name = "agents"
groups = ["agents"]
tools = ["echo", "whoami", "slow", "db.*"]

[[approve]]
name = "drops-wait-for-a-dba"
groups = ["agents"]
tools = ["db.drop_table"]
flow = "wait"
timeout = "30s"
reviewers = ["dba"]
reason = "dropping a table needs a DBA"

[[deny]]
name = "no-queries"
tools = ["db.query"]
reason = "queries are off today"
"#;

const ALICE: &str = "k_alice_0123456789abcdef";
const BOB: &str = "k_bob_0123456789abcdef01";
/// An admin (group `secops`).
const ADMIN: &str = "k_admin_0123456789abcdef";
/// Authenticated, not an admin.
const SAM: &str = "k_sam_0123456789abcdef01";

const LEGACY: &str = "2025-11-25";

struct Fixture {
    addr: SocketAddr,
    mcp: String,
    admin: SocketAddr,
    guard: Guard,
}

async fn start() -> Fixture {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            ALICE,
            Identity::new("alice", IdentityKind::Agent).with_groups(["agents"]),
        )
        .key(
            BOB,
            Identity::new("bob", IdentityKind::Agent).with_groups(["agents"]),
        )
        .key(
            ADMIN,
            Identity::new("olive", IdentityKind::User).with_groups(["secops"]),
        )
        .key(
            SAM,
            Identity::new("sam", IdentityKind::User).with_groups(["support", "dba"]),
        )
        .build()
        .unwrap();
    let approvals = Approvals::builder()
        .notifier(std::sync::Arc::new(NoopNotifier))
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
    let admin = serve(tollgate::admin::router(&guard)).await;
    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard.clone()))
        .service(demo_server::mcp_service(false, false));
    let addr = serve(axum::Router::new().nest_service("/mcp", guarded)).await;
    Fixture {
        addr,
        mcp: url(addr, "/mcp"),
        admin,
        guard,
    }
}

/// An admin API request (`key` as bearer, or none); returns the status and JSON body.
async fn admin(
    f: &Fixture,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let bearer = key.map(|k| format!("Bearer {k}"));
    let mut headers = Vec::new();
    if let Some(b) = &bearer {
        headers.push(("authorization", b.as_str()));
    }
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

/// The live session of `subject` (exactly one).
fn session_of(f: &Fixture, subject: &str) -> SessionInfo {
    let mut of: Vec<SessionInfo> = f
        .guard
        .sessions()
        .list()
        .into_iter()
        .filter(|s| s.subject == subject)
        .collect();
    assert_eq!(of.len(), 1, "{of:?}");
    of.remove(0)
}

/// The `Mcp-Session-Id` of a legacy session.
fn session_id(info: &SessionInfo) -> String {
    match &info.key {
        SessionKey::Legacy(id) => id.clone(),
        other => panic!("not a legacy session: {other:?}"),
    }
}

/// Headers of a POST by `bearer` in session `sid` (none for `initialize`).
fn post_headers<'a>(bearer: &'a str, sid: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut headers = MCP_POST_HEADERS.to_vec();
    headers.push(("authorization", bearer));
    if let Some(sid) = sid {
        headers.push(("mcp-session-id", sid));
        headers.push(("mcp-protocol-version", LEGACY));
    }
    headers
}

/// Opens a legacy session by hand (`initialize`, then `notifications/initialized`);
/// returns its `Mcp-Session-Id`.
async fn raw_session(f: &Fixture, key: &str) -> String {
    let bearer = format!("Bearer {key}");
    let init = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "raw-client", "version": "1.0"}
        }
    });
    let (status, headers, body) = post_raw(
        f.addr,
        "/mcp",
        &post_headers(&bearer, None),
        &init.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sid = headers["mcp-session-id"].to_str().unwrap().to_owned();
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let (status, _, body) = post_raw(
        f.addr,
        "/mcp",
        &post_headers(&bearer, Some(&sid)),
        &initialized.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    sid
}

/// `tools/call echo` by `key` in session `sid`, by hand: the status and body.
async fn raw_echo(f: &Fixture, key: &str, sid: &str, text: &str) -> (StatusCode, String) {
    let bearer = format!("Bearer {key}");
    let call = json!({
        "jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": text}}
    });
    let (status, _, body) = post_raw(
        f.addr,
        "/mcp",
        &post_headers(&bearer, Some(sid)),
        &call.to_string(),
    )
    .await;
    (status, body)
}

/// The text of the echo result in a (SSE or JSON) response body.
fn echoed(body: &str) -> String {
    let messages = sse_json(body);
    let reply = messages
        .iter()
        .find(|m| m.get("id").is_some())
        .unwrap_or_else(|| panic!("no reply in {body}"));
    reply["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {reply}"))
        .to_owned()
}

/// Sends a request and reads its streaming body in a task until it ends; returns the
/// status and the task (which returns everything read). With `first_event`, the first
/// chunk is read here before the task starts, so the stream is known to be flowing.
async fn open_stream(
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    first_event: bool,
) -> (StatusCode, tokio::task::JoinHandle<String>) {
    let mut req = reqwest::Client::new().request(method, url);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    if let Some(body) = body {
        req = req.body(body);
    }
    let mut resp = req.send().await.unwrap();
    let status = resp.status();
    let mut read = Vec::new();
    if first_event {
        let chunk = resp.chunk().await.unwrap().expect("a first event");
        read.extend_from_slice(&chunk);
    }
    let task = tokio::spawn(async move {
        while let Ok(Some(chunk)) = resp.chunk().await {
            read.extend_from_slice(&chunk);
        }
        String::from_utf8_lossy(&read).into_owned()
    });
    (status, task)
}

/// The headers of a streaming request by `key` in session `sid`.
fn stream_headers(key: &str, sid: &str, accept: &str) -> Vec<(String, String)> {
    vec![
        ("authorization".to_owned(), format!("Bearer {key}")),
        ("accept".to_owned(), accept.to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
        ("mcp-session-id".to_owned(), sid.to_owned()),
        ("mcp-protocol-version".to_owned(), LEGACY.to_owned()),
    ]
}

/// Starts `db.drop_table {"table": "orders"}` (held by the wait rule) by hand with
/// progress token `p-5`; returns once its first progress event has arrived.
async fn held_drop(f: &Fixture, key: &str, sid: &str) -> tokio::task::JoinHandle<String> {
    let call = json!({
        "jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {
            "name": "db.drop_table",
            "arguments": {"table": "orders"},
            "_meta": {"progressToken": "p-5"}
        }
    });
    let (status, task) = open_stream(
        reqwest::Method::POST,
        f.mcp.clone(),
        stream_headers(key, sid, "application/json, text/event-stream"),
        Some(call.to_string()),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    task
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn live_sessions_are_listed_with_identity_client_protocol_and_counters() {
    let f = start().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    for text in ["one", "two"] {
        let r = call(&alice, "echo", json!({ "text": text })).await.unwrap();
        assert_eq!(first_text(&r), text);
    }
    let denied = call(&alice, "db.query", json!({"sql": "SELECT 1"}))
        .await
        .unwrap();
    assert_eq!(
        first_text(&denied),
        "Blocked by policy: queries are off today"
    );
    // A stateless (2026-07-28) client: one session per identity and client.
    let bob = connect(&f.mcp, Some(BOB), true).await.unwrap();
    assert_eq!(
        first_text(&call(&bob, "echo", json!({"text": "hi"})).await.unwrap()),
        "hi"
    );

    let info = session_of(&f, "alice");
    assert!(matches!(info.key, SessionKey::Legacy(_)));
    assert_eq!(info.kind, IdentityKind::Agent);
    assert_eq!(info.groups, ["agents"]);
    let client = info.client.as_ref().unwrap();
    assert_eq!(
        (client.name.as_str(), client.version.as_deref()),
        ("tollgate-itest", Some("0.0.1"))
    );
    assert_eq!(info.protocol_version.as_deref(), Some(LEGACY));
    assert_eq!((info.calls, info.denied, info.held), (3, 1, 0));
    assert!(info.killed.is_none());

    let bob_info = session_of(&f, "bob");
    assert_eq!(
        bob_info.key,
        SessionKey::Stateless {
            subject: "bob".into(),
            issuer: None,
            client: Some("tollgate-itest".into()),
        }
    );
    assert_eq!((bob_info.calls, bob_info.denied), (1, 0));

    // The same inventory over the admin API, without the secret session id.
    let (status, body) = admin(&f, "GET", "/sessions", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{body}");
    let a = sessions.iter().find(|s| s["subject"] == "alice").unwrap();
    assert_eq!(a["id"], info.id);
    assert_eq!(a["client"]["name"], "tollgate-itest");
    assert_eq!(a["protocol_version"], LEGACY);
    assert_eq!(
        (a["calls"].clone(), a["denied"].clone()),
        (json!(3), json!(1))
    );
    assert!(!body.to_string().contains(&session_id(&info)));
    let (status, one) = admin(
        &f,
        "GET",
        &format!("/sessions/{}", info.id),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(
        (status, one["subject"].clone()),
        (StatusCode::OK, json!("alice"))
    );
}

#[tokio::test]
async fn kill_ends_the_sessions_open_streams_and_its_further_requests() {
    let f = start().await;
    let sid = raw_session(&f, ALICE).await;
    let (status, body) = raw_echo(&f, ALICE, &sid, "before").await;
    assert_eq!(
        (status, echoed(&body)),
        (StatusCode::OK, "before".to_owned())
    );

    // The session's standalone event stream (GET).
    let (status, listen) = open_stream(
        reqwest::Method::GET,
        f.mcp.clone(),
        stream_headers(ALICE, &sid, "text/event-stream"),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // A call held for approval, streaming "awaiting approval" progress.
    let held = held_drop(&f, ALICE, &sid).await;
    let ticket = eventually("the held call's ticket", || async {
        let pending = f
            .guard
            .approvals()
            .list(Some(TicketState::Pending))
            .await
            .unwrap();
        pending.into_iter().next()
    })
    .await;
    let info = session_of(&f, "alice");
    assert_eq!(info.held, 1);
    assert!(info.open_streams >= 2, "{info:?}");
    assert!(!listen.is_finished() && !held.is_finished());

    let (status, body) = admin(
        &f,
        "POST",
        &format!("/sessions/{}/kill", info.id),
        Some(ADMIN),
        Some(json!({"reason": "credential leaked"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["killed"]["killed"]["by"], "olive");
    assert_eq!(body["killed"]["killed"]["reason"], "credential leaked");

    // Both streams end (a generous bound: the kill is immediate, CI machines are not).
    let listened = tokio::time::timeout(Duration::from_secs(5), listen)
        .await
        .expect("the GET stream did not end after kill")
        .unwrap();
    assert!(!listened.contains("\"result\""), "{listened}");
    let held_body = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .expect("the held call's stream did not end after kill")
        .unwrap();
    // The held call never reached the server.
    assert!(
        !held_body.contains("dropped orders"),
        "the held call was executed: {held_body}"
    );
    let progress = sse_json(&held_body);
    assert!(
        progress
            .iter()
            .any(|m| m["method"] == "notifications/progress"
                && m["params"]["progressToken"] == "p-5"),
        "{held_body}"
    );
    // Its ticket is cancelled, so it can no longer be approved.
    let ticket = f.guard.approvals().get(ticket.id).await.unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Cancelled);

    // The session is gone: its id is refused, and it is no longer listed.
    let (status, body) = raw_echo(&f, ALICE, &sid, "after").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(f.guard.sessions().list().is_empty());
    let (status, _) = admin(
        &f,
        "GET",
        &format!("/sessions/{}", info.id),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn kill_ends_an_rmcp_clients_session() {
    let f = start().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    assert_eq!(
        first_text(&call(&alice, "echo", json!({"text": "a"})).await.unwrap()),
        "a"
    );
    let info = session_of(&f, "alice");
    let (status, _) = admin(
        &f,
        "POST",
        &format!("/sessions/{}/kill", info.id),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The killed session id is refused from now on.
    let (status, _) = raw_echo(&f, ALICE, &session_id(&info), "c").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // rmcp's client answers a 404 by starting a new session; if it does, that is a new
    // session (new id, fresh counters), never the killed one coming back.
    if call(&alice, "echo", json!({"text": "b"})).await.is_ok() {
        let renewed = session_of(&f, "alice");
        assert_ne!(renewed.id, info.id);
        assert_ne!(session_id(&renewed), session_id(&info));
        assert_eq!(renewed.calls, 1);
    }
}

#[tokio::test]
async fn a_session_id_presented_by_another_identity_is_not_found() {
    let f = start().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    let sid = session_id(&session_of(&f, "alice"));

    let (status, body) = raw_echo(&f, BOB, &sid, "hijacked").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let bob_headers = [
        ("authorization", format!("Bearer {BOB}")),
        ("accept", "text/event-stream".to_owned()),
        ("mcp-session-id", sid.clone()),
        ("mcp-protocol-version", LEGACY.to_owned()),
    ];
    let bob_headers: Vec<(&str, &str)> =
        bob_headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let (status, _, _) = request_raw("GET", f.addr, "/mcp", &bob_headers, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Nor can bob end alice's session.
    let (status, _, _) = request_raw("DELETE", f.addr, "/mcp", &bob_headers, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Alice's session is untouched and still works, by her client and by hand.
    assert_eq!(
        first_text(
            &call(&alice, "echo", json!({"text": "still me"}))
                .await
                .unwrap()
        ),
        "still me"
    );
    let (status, body) = raw_echo(&f, ALICE, &sid, "by hand").await;
    assert_eq!(
        (status, echoed(&body)),
        (StatusCode::OK, "by hand".to_owned())
    );
    let info = session_of(&f, "alice");
    assert!(info.killed.is_none());
    // Bob's attempts were not counted as alice's calls, and opened no session for bob.
    assert_eq!(info.calls, 2);
    assert!(f.guard.sessions().list().iter().all(|s| s.subject != "bob"));
}

#[tokio::test]
async fn revoke_kills_a_subjects_sessions_and_refuses_it_until_the_time_given() {
    let f = start().await;
    let alice_sid = raw_session(&f, ALICE).await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    let bob = connect(&f.mcp, Some(BOB), false).await.unwrap();
    let alice_stateless = connect(&f.mcp, Some(ALICE), true).await.unwrap();
    assert_eq!(
        first_text(
            &call(&alice_stateless, "echo", json!({"text": "x"}))
                .await
                .unwrap()
        ),
        "x"
    );
    let alices = |f: &Fixture| {
        f.guard
            .sessions()
            .list()
            .into_iter()
            .filter(|s| s.subject == "alice")
            .count()
    };
    assert_eq!(alices(&f), 3);

    let until = unix_now() + 2;
    let (status, body) = admin(
        &f,
        "POST",
        "/revoke",
        Some(ADMIN),
        Some(json!({"subject": "alice", "until": until})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["killed"].as_array().unwrap().len(), 3, "{body}");
    assert_eq!(alices(&f), 0);

    // Her sessions are dead, new ones are refused, stateless calls too (while revoked,
    // every request of hers is 403, even on a session id that used to be hers).
    let (status, _) = raw_echo(&f, ALICE, &alice_sid, "x").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(call(&alice, "echo", json!({"text": "x"})).await.is_err());
    assert!(connect(&f.mcp, Some(ALICE), false).await.is_err());
    let init = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": LEGACY, "capabilities": {},
                   "clientInfo": {"name": "raw-client", "version": "1.0"}}
    });
    let bearer = format!("Bearer {ALICE}");
    let (status, _, body) = post_raw(
        f.addr,
        "/mcp",
        &post_headers(&bearer, None),
        &init.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        call(&alice_stateless, "echo", json!({"text": "x"}))
            .await
            .map(|r| r.is_error == Some(true))
            .unwrap_or(true)
    );

    // Bob is unaffected.
    assert_eq!(
        first_text(&call(&bob, "echo", json!({"text": "bob"})).await.unwrap()),
        "bob"
    );

    // Once the time given has passed, alice may open a session again.
    let again = eventually("the revocation to end", || async {
        if unix_now() <= until {
            return None;
        }
        connect(&f.mcp, Some(ALICE), false).await.ok()
    })
    .await;
    assert_eq!(
        first_text(&call(&again, "echo", json!({"text": "back"})).await.unwrap()),
        "back"
    );
}

#[tokio::test]
async fn only_admins_kill_and_revoke() {
    let f = start().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    let info = session_of(&f, "alice");
    let kill = format!("/sessions/{}/kill", info.id);
    let revoke = json!({"subject": "alice", "until": unix_now() + 3600});

    for key in [SAM, ALICE, BOB] {
        let (status, body) = admin(&f, "POST", &kill, Some(key), None).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::FORBIDDEN, json!("forbidden"))
        );
        let (status, _) = admin(&f, "POST", "/revoke", Some(key), Some(revoke.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = admin(&f, "GET", "/sessions", Some(key), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    for key in [None, Some("k_nobody_0123456789abcdef")] {
        let (status, body) = admin(&f, "POST", &kill, key, None).await;
        assert_eq!(
            (status, body["error"].clone()),
            (StatusCode::UNAUTHORIZED, json!("unauthorized"))
        );
        let (status, _) = admin(&f, "POST", "/revoke", key, Some(revoke.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    // None of it had any effect.
    assert!(session_of(&f, "alice").killed.is_none());
    assert_eq!(f.guard.sessions().revoked_until("alice", None), None);
    assert_eq!(
        first_text(&call(&alice, "echo", json!({"text": "fine"})).await.unwrap()),
        "fine"
    );
}

/// The spec: killing a session ends its streams and cancels its held calls. The held
/// call's stream must not claim the call was approved and then failed upstream.
#[tokio::test]
async fn a_held_call_ended_by_kill_is_not_reported_as_approved() {
    let f = start().await;
    let sid = raw_session(&f, ALICE).await;
    let held = held_drop(&f, ALICE, &sid).await;
    let info = session_of(&f, "alice");
    let (status, _) = admin(
        &f,
        "POST",
        &format!("/sessions/{}/kill", info.id),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let body = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .expect("the held call's stream did not end after kill")
        .unwrap();
    assert!(!body.contains("Approved call failed"), "{body}");
    assert!(!body.contains("upstream"), "{body}");
}
