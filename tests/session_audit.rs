//! End to end: the audit trail a guard records for live sessions, with rmcp's real
//! client and server over HTTP on 127.0.0.1 — session start, calls with their decision
//! and classification, results with their redaction counts, kills, revocations and
//! hijack attempts; a JSONL trail that verifies intact; and calls refused while a
//! required sink fails.

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::*;
use http::StatusCode;
use serde_json::json;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::policy::Action;
use tollgate::record::{
    CallRecord, Durability, EventBody, JsonlSink, MemorySink, Recorder, ResultRecord,
    SessionKilledRecord, SinkPolicy, verify_files,
};
use tollgate::session::{SessionInfo, SessionKey};
use tollgate::{Event, Guard, GuardLayer, Identity, Policy};

const POLICY: &str = r#"
version = 1

[[allow]]
name = "agents"
groups = ["agents"]
tools = ["echo", "db.*"]

[[deny]]
name = "no-queries"
tools = ["db.query"]
reason = "queries are off today"
"#;

const ALICE: &str = "k_alice_0123456789abcdef";
const BOB: &str = "k_bob_0123456789abcdef01";

/// What an echo of this text must not give away.
const EMAIL: &str = "bob.smith@example.com";
const CARD: &str = "4111 1111 1111 1111";

struct Fixture {
    mcp: String,
    addr: SocketAddr,
    guard: Guard,
    recorder: Recorder,
}

fn keys() -> ApiKeyAuthenticator {
    ApiKeyAuthenticator::builder()
        .key(
            ALICE,
            Identity::new("alice", IdentityKind::Agent).with_groups(["agents"]),
        )
        .key(
            BOB,
            Identity::new("bob", IdentityKind::Agent).with_groups(["agents"]),
        )
        .build()
        .unwrap()
}

/// The demo server (legacy sessions) behind a guard recording to `recorder`.
async fn start(recorder: Recorder) -> Fixture {
    let guard = Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(keys())
        .recorder(recorder.clone())
        .build()
        .unwrap();
    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard.clone()))
        .service(demo_server::mcp_service(false, false));
    let addr = serve(axum::Router::new().nest_service("/mcp", guarded)).await;
    Fixture {
        mcp: url(addr, "/mcp"),
        addr,
        guard,
        recorder,
    }
}

/// A guard recording to a fresh required memory sink.
async fn start_with_memory() -> (Fixture, Arc<MemorySink>) {
    let memory = Arc::new(MemorySink::new());
    let recorder = Recorder::builder()
        .sink(memory.clone(), SinkPolicy::Required)
        .build()
        .unwrap();
    (start(recorder).await, memory)
}

/// Flushes the recorder and polls the sink until `find` picks something out of the
/// events recorded so far (events recorded off the request path arrive a little later);
/// panics after a generous deadline with everything recorded.
async fn eventually<T>(
    f: &Fixture,
    memory: &MemorySink,
    what: &str,
    find: impl Fn(&[Event]) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        f.recorder.flush().await.unwrap();
        let events = memory.events();
        if let Some(found) = find(&events) {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; recorded: {events:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The live sessions of `subject`.
fn sessions_of(f: &Fixture, subject: &str) -> Vec<SessionInfo> {
    f.guard
        .sessions()
        .list()
        .into_iter()
        .filter(|s| s.subject == subject)
        .collect()
}

/// The only live session of `subject`.
fn session_of(f: &Fixture, subject: &str) -> SessionInfo {
    let mut of = sessions_of(f, subject);
    assert_eq!(of.len(), 1, "{of:?}");
    of.remove(0)
}

fn call_of<'a>(event: &'a Event, tool: &str) -> Option<&'a CallRecord> {
    match &event.body {
        EventBody::Call(c) if c.tool.as_deref() == Some(tool) => Some(c),
        _ => None,
    }
}

fn result_of<'a>(event: &'a Event, tool: &str) -> Option<&'a ResultRecord> {
    match &event.body {
        EventBody::Result(r) if r.tool.as_deref() == Some(tool) => Some(r),
        _ => None,
    }
}

fn killed(event: &Event) -> Option<&SessionKilledRecord> {
    match &event.body {
        EventBody::SessionKilled(k) => Some(k),
        _ => None,
    }
}

fn subject(event: &Event) -> Option<&str> {
    event.identity.as_ref().map(|i| i.subject.as_str())
}

/// The `Mcp-Session-Id` of a legacy session.
fn legacy_id(info: &SessionInfo) -> String {
    match &info.key {
        SessionKey::Legacy(id) => id.clone(),
        other => panic!("not a legacy session: {other:?}"),
    }
}

/// `tools/call echo` by hand with credential `key` and session id `sid`: the status
/// and body.
async fn raw_echo(f: &Fixture, key: &str, sid: &str, text: &str) -> (StatusCode, String) {
    let bearer = format!("Bearer {key}");
    let mut headers = MCP_POST_HEADERS.to_vec();
    headers.extend([
        ("authorization", bearer.as_str()),
        ("mcp-session-id", sid),
        ("mcp-protocol-version", "2025-11-25"),
    ]);
    let call = json!({
        "jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": text}}
    });
    let (status, _, body) = post_raw(f.addr, "/mcp", &headers, &call.to_string()).await;
    (status, body)
}

/// A tool call's answer text, whether the guard answered with an `isError` result or a
/// JSON-RPC error.
async fn answer_text(client: &McpClient, tool: &str, arguments: serde_json::Value) -> String {
    match call(client, tool, arguments).await {
        Ok(result) => texts(&result).join("\n"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn a_sessions_calls_decisions_and_redacted_results_are_recorded() {
    let (f, memory) = start_with_memory().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    let text = format!("write to {EMAIL}, card {CARD}");
    let echoed = first_text(&call(&alice, "echo", json!({ "text": text })).await.unwrap());
    assert!(
        !echoed.contains(EMAIL) && !echoed.contains(CARD),
        "{echoed}"
    );
    assert!(echoed.contains("[REDACTED:EMAIL]"), "{echoed}");
    let denied = call(&alice, "db.query", json!({"sql": "SELECT 1"}))
        .await
        .unwrap();
    assert_eq!(
        first_text(&denied),
        "Blocked by policy: queries are off today"
    );
    let info = session_of(&f, "alice");

    // The session's start, under its registry id, as alice, with the client's name.
    let started = eventually(&f, &memory, "session_started", |events| {
        events.iter().find_map(|e| match &e.body {
            EventBody::SessionStarted(s) if e.session.as_deref() == Some(&info.id) => {
                Some((s.clone(), subject(e).map(str::to_owned)))
            }
            _ => None,
        })
    })
    .await;
    assert_eq!(started.0.client_name.as_deref(), Some("tollgate-itest"));
    assert_eq!(started.1.as_deref(), Some("alice"));

    // The allowed call: its decision, classification and redacted arguments.
    let events = memory.events();
    let echo_call = events
        .iter()
        .find_map(|e| call_of(e, "echo").map(|c| (e, c)))
        .expect("the echo call is recorded before it goes on");
    assert_eq!(echo_call.0.session.as_deref(), Some(info.id.as_str()));
    let echo_call = echo_call.1;
    assert_eq!(echo_call.method, "tools/call");
    assert_eq!(echo_call.decision.action, Action::Allow);
    assert_eq!(echo_call.decision.rule.as_deref(), Some("agents"));
    assert!(echo_call.classification.is_some(), "{echo_call:?}");
    let arguments = echo_call.arguments.as_ref().unwrap().to_string();
    assert!(
        !arguments.contains(EMAIL) && !arguments.contains(CARD),
        "{arguments}"
    );

    // The denied call: action deny, the rule and its reason.
    let denied_call = events
        .iter()
        .find_map(|e| call_of(e, "db.query"))
        .expect("the denied call is recorded");
    assert_eq!(denied_call.decision.action, Action::Deny);
    assert_eq!(denied_call.decision.rule.as_deref(), Some("no-queries"));
    assert_eq!(
        denied_call.decision.reason.as_deref(),
        Some("queries are off today")
    );

    // The echo's result: how long it took and what was redacted, never the values.
    let result = eventually(&f, &memory, "the echo result", |events| {
        events.iter().find_map(|e| result_of(e, "echo").cloned())
    })
    .await;
    assert!(!result.is_error);
    assert!(result.duration_us > 0, "{result:?}");
    assert!(
        result.redactions.get("EMAIL").is_some_and(|n| *n >= 1),
        "{result:?}"
    );
    assert!(
        result
            .redactions
            .get("CREDIT_CARD")
            .is_some_and(|n| *n >= 1),
        "{result:?}"
    );
    let content = result.content.unwrap_or_default();
    assert!(content.contains("[REDACTED:EMAIL]"), "{content}");
    assert!(
        !content.contains(EMAIL) && !content.contains(CARD),
        "{content}"
    );
    // Sequence numbers increase in recording order.
    let seqs: Vec<u64> = memory.events().iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[tokio::test]
async fn killing_a_session_records_who_and_why() {
    let (f, memory) = start_with_memory().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    assert_eq!(
        first_text(&call(&alice, "echo", json!({"text": "hi"})).await.unwrap()),
        "hi"
    );
    let info = session_of(&f, "alice");
    assert!(
        f.guard
            .kill_session(&info.key, "olive", "suspicious tool use")
    );
    assert!(!f.guard.kill_session(&info.key, "olive", "twice"));

    let record = eventually(&f, &memory, "session_killed", |events| {
        events
            .iter()
            .filter(|e| e.session.as_deref() == Some(&info.id))
            .find_map(|e| killed(e).map(|k| (k.clone(), subject(e).map(str::to_owned))))
    })
    .await;
    assert_eq!(record.0.by.as_deref(), Some("olive"));
    assert_eq!(record.0.reason.as_deref(), Some("suspicious tool use"));
    assert_eq!(record.1.as_deref(), Some("alice"));
    // The killed session id is refused afterwards (rmcp's client would open a new one).
    let (status, body) = raw_echo(&f, ALICE, &legacy_id(&info), "again").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn revoking_an_identity_records_a_kill_for_each_of_its_sessions() {
    let (f, memory) = start_with_memory().await;
    let first = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    let second = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    let bob = connect(&f.mcp, Some(BOB), false).await.unwrap();
    for client in [&first, &second, &bob] {
        assert_eq!(
            first_text(&call(client, "echo", json!({"text": "x"})).await.unwrap()),
            "x"
        );
    }
    let mut live: Vec<String> = sessions_of(&f, "alice").into_iter().map(|s| s.id).collect();
    live.sort();
    assert_eq!(live.len(), 2);

    let until = SystemTime::now() + Duration::from_secs(600);
    let killed_sessions = f.guard.revoke("alice", None, until, "olive").unwrap();
    let mut revoked: Vec<String> = killed_sessions.into_iter().map(|s| s.id).collect();
    revoked.sort();
    assert_eq!(revoked, live);

    let mut recorded = eventually(&f, &memory, "a kill per session", |events| {
        let kills: Vec<(String, SessionKilledRecord)> = events
            .iter()
            .filter_map(|e| Some((e.session.clone()?, killed(e)?.clone())))
            .collect();
        (kills.len() >= 2).then_some(kills)
    })
    .await;
    recorded.sort_by(|a, b| a.0.cmp(&b.0));
    let sessions: Vec<&str> = recorded.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(sessions, live);
    for (_, record) in &recorded {
        assert_eq!(record.by.as_deref(), Some("olive"));
        assert_eq!(record.reason.as_deref(), Some("identity revoked"));
    }
    // Bob's session is untouched.
    assert_eq!(
        first_text(
            &call(&bob, "echo", json!({"text": "still here"}))
                .await
                .unwrap()
        ),
        "still here"
    );
    assert_eq!(sessions_of(&f, "bob").len(), 1);
}

#[tokio::test]
async fn a_session_id_presented_by_another_identity_is_refused_and_recorded() {
    let (f, memory) = start_with_memory().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    assert_eq!(
        first_text(&call(&alice, "echo", json!({"text": "mine"})).await.unwrap()),
        "mine"
    );
    let info = session_of(&f, "alice");

    let (status, body) = raw_echo(&f, BOB, &legacy_id(&info), "not yours").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let record = eventually(&f, &memory, "the refused hijack", |events| {
        events
            .iter()
            .filter(|e| subject(e) == Some("bob"))
            .find_map(|e| killed(e).cloned())
    })
    .await;
    assert_eq!(record.by.as_deref(), Some("tollgate"));
    let reason = record.reason.unwrap_or_default();
    assert!(reason.starts_with("refused"), "{reason}");
    // Bob's call never reached the server, and alice's session was not harmed.
    assert!(
        !memory
            .events()
            .iter()
            .any(|e| subject(e) == Some("bob") && call_of(e, "echo").is_some())
    );
    assert!(session_of(&f, "alice").killed.is_none());
    assert_eq!(
        first_text(
            &call(&alice, "echo", json!({"text": "still mine"}))
                .await
                .unwrap()
        ),
        "still mine"
    );
}

/// A unique path under the system's temporary directory, removed (with any rotated
/// siblings) when dropped.
struct TempTrail(std::path::PathBuf);

impl TempTrail {
    fn new() -> TempTrail {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!(
            "tollgate-session-audit-{}-{nanos}.jsonl",
            std::process::id()
        );
        TempTrail(std::env::temp_dir().join(name))
    }
}

impl Drop for TempTrail {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_jsonl_trail_of_a_session_verifies_intact() {
    let trail = TempTrail::new();
    let sink = JsonlSink::builder(&trail.0).build().unwrap();
    let recorder = Recorder::builder()
        .sink(Arc::new(sink), SinkPolicy::Required)
        .build()
        .unwrap();
    let f = start(recorder).await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    let text = format!("mail {EMAIL}");
    let echoed = first_text(&call(&alice, "echo", json!({ "text": text })).await.unwrap());
    assert!(!echoed.contains(EMAIL), "{echoed}");
    let denied = call(&alice, "db.query", json!({"sql": "SELECT 1"}))
        .await
        .unwrap();
    assert!(first_text(&denied).contains("queries are off today"));
    let info = session_of(&f, "alice");
    assert!(f.guard.kill_session(&info.key, "olive", "end of test"));

    // Wait until the detached events (result, kill) are in, then seal the trail.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        f.recorder.flush().await.unwrap();
        let written = std::fs::read_to_string(&trail.0).unwrap();
        if written.contains("\"kind\":\"result\"")
            && written.contains("\"kind\":\"session_killed\"")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for the trail: {written}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f.recorder.shutdown().await.unwrap();

    let written = std::fs::read_to_string(&trail.0).unwrap();
    assert!(
        !written.contains(EMAIL),
        "the trail holds the redacted content only"
    );
    let report = verify_files(&[&trail.0], None).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(report.events >= 5, "{report:?}");
    assert!(report.checkpoints >= 1, "{report:?}");
    assert_eq!(report.unprotected_tail, 0, "{report:?}");
}

#[tokio::test]
async fn calls_are_refused_once_a_required_sink_is_seen_failing() {
    let (f, memory) = start_with_memory().await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    assert_eq!(
        first_text(
            &call(&alice, "echo", json!({"text": "before"}))
                .await
                .unwrap()
        ),
        "before"
    );
    f.recorder.flush().await.unwrap();

    // A buffered recorder learns of the failure when a write fails: this call's
    // events are queued (and kept), and the write that fails marks the sink failing.
    memory.set_failing(true);
    let _unnoticed = answer_text(&alice, "echo", json!({"text": "unnoticed"})).await;
    assert!(f.recorder.flush().await.is_err());
    let refused = answer_text(&alice, "echo", json!({"text": "during"})).await;
    assert!(refused.contains("audit trail is unavailable"), "{refused}");
    assert!(!refused.contains("during"), "{refused}");

    // Once the sink recovers, calls go on, and the refusal itself was kept and written.
    memory.set_failing(false);
    f.recorder.flush().await.unwrap();
    assert_eq!(
        first_text(
            &call(&alice, "echo", json!({"text": "after"}))
                .await
                .unwrap()
        ),
        "after"
    );
    let reason = eventually(&f, &memory, "the refused call's record", |events| {
        events
            .iter()
            .filter_map(|e| call_of(e, "echo"))
            .find(|c| c.decision.action == Action::Deny)
            .and_then(|c| c.decision.reason.clone())
    })
    .await;
    assert!(reason.contains("audit trail is unavailable"), "{reason}");
}

#[tokio::test]
async fn in_sync_mode_the_first_call_after_the_sink_fails_is_refused() {
    let memory = Arc::new(MemorySink::new());
    let recorder = Recorder::builder()
        .sink(memory.clone(), SinkPolicy::Required)
        .durability(Durability::Sync)
        .build()
        .unwrap();
    let f = start(recorder).await;
    let alice = connect(&f.mcp, Some(ALICE), false).await.unwrap();
    assert_eq!(
        first_text(
            &call(&alice, "echo", json!({"text": "before"}))
                .await
                .unwrap()
        ),
        "before"
    );

    // The call's event cannot be made durable, so the call does not go on.
    memory.set_failing(true);
    let refused = answer_text(&alice, "echo", json!({"text": "during"})).await;
    assert!(refused.contains("audit trail is unavailable"), "{refused}");
    assert!(!refused.contains("during"), "{refused}");

    memory.set_failing(false);
    f.recorder.flush().await.unwrap();
    assert_eq!(
        first_text(
            &call(&alice, "echo", json!({"text": "after"}))
                .await
                .unwrap()
        ),
        "after"
    );
}
