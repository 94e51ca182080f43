//! `tollgate verify`, `replay` and `report` on a recorded trail: output and exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::{Value, json};
use tollgate::Event;
use tollgate::identity::IdentityKind;
use tollgate::policy::Action;
use tollgate::record::{
    ApprovalDecidedRecord, ApprovalOutcome, ApprovalRequestedRecord, CallRecord, DecisionRecord,
    EndReason, IdentitySummary, JsonlSink, Recorder, ResultRecord, SessionStartedRecord,
    SinkPolicy,
};

const KEY: &[u8] = b"cli-test-key";

fn tollgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn alice() -> IdentitySummary {
    let mut alice = IdentitySummary::new("alice", IdentityKind::User);
    alice.groups = vec!["analysts".into()];
    alice.token_expiry = Some("2030-01-01T00:00:00.000000Z".into());
    alice
}

/// A trail with two sessions: alice's (allowed, denied, approved calls, a redacted and
/// hostile result, an end) and mallory's (no end).
async fn record_trail(dir: &Path) -> (PathBuf, PathBuf) {
    let path = dir.join("audit.jsonl");
    let key_path = dir.join("audit.key");
    std::fs::write(&key_path, [KEY, b"\n"].concat()).unwrap();
    let sink = JsonlSink::builder(&path).hmac_key(KEY).build().unwrap();
    let recorder = Recorder::builder()
        .sink(Arc::new(sink), SinkPolicy::Required)
        .build()
        .unwrap();
    let at = |s: u32| format!("2025-06-01T12:00:{s:02}.000000Z");
    let allow = DecisionRecord::new(Action::Allow, Some("analysts".into()), None);
    let deny = DecisionRecord::new(
        Action::Deny,
        Some("no-drops".into()),
        Some("no drops".into()),
    );
    let hold = DecisionRecord::new(Action::Approve, Some("writes".into()), None);
    let mut result = ResultRecord::new(false, 12_500);
    result.tool = Some("db.query".into());
    result.redactions = BTreeMap::from([("email".to_owned(), 2)]);
    result.content = Some("<script>alert(1)</script> \u{1b}[31mred [REDACTED:email]".into());
    let mut requested = ApprovalRequestedRecord::new("t-1");
    requested.tool = Some("db.update".into());
    requested.reviewers = vec!["dba".into()];
    let mut decided = ApprovalDecidedRecord::new("t-1", ApprovalOutcome::Approved);
    decided.reviewer = Some("carol".into());
    let events = vec![
        Event::session_started(
            "s-alice",
            alice(),
            SessionStartedRecord::new(
                Some("claude".into()),
                Some("1.0".into()),
                Some("2025-06-18".into()),
            ),
        )
        .with_ts(at(0)),
        Event::call(
            "s-alice",
            alice(),
            CallRecord::new("tools/call", allow)
                .with_id(json!(1))
                .with_tool("db.query")
                .with_arguments(json!({"sql": "select 1"})),
        )
        .with_ts(at(1)),
        Event::result("s-alice", alice(), result).with_ts(at(2)),
        Event::call(
            "s-alice",
            alice(),
            CallRecord::new("tools/call", deny)
                .with_id(json!(2))
                .with_tool("db.drop_table"),
        )
        .with_ts(at(3)),
        Event::call(
            "s-alice",
            alice(),
            CallRecord::new("tools/call", hold)
                .with_id(json!(3))
                .with_tool("db.update"),
        )
        .with_ts(at(4)),
        Event::approval_requested("s-alice", alice(), requested).with_ts(at(4)),
        Event::approval_decided("s-alice", alice(), decided).with_ts(at(9)),
        Event::session_ended("s-alice", alice(), EndReason::Delete).with_ts(at(10)),
        Event::call(
            "s-mallory",
            IdentitySummary::new("mallory", IdentityKind::Agent),
            CallRecord::new("tools/call", DecisionRecord::new(Action::Deny, None, None))
                .with_tool("fs.read"),
        )
        .with_ts(at(20)),
    ];
    for event in events {
        recorder.record(event).await.unwrap();
    }
    recorder.shutdown().await.unwrap();
    (path, key_path)
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[tokio::test]
async fn verify_accepts_an_intact_trail_and_rejects_a_tampered_one() {
    let dir = tempfile::tempdir().unwrap();
    let (path, key) = record_trail(dir.path()).await;

    let out = tollgate(&["verify", s(&path), "--key", s(&key), "--sealed"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with("intact: 9 events in 1 file(s)"),
        "{}",
        stdout(&out)
    );

    let wrong_key = dir.path().join("wrong.key");
    std::fs::write(&wrong_key, "not the key").unwrap();
    let out = tollgate(&["verify", s(&path), "--key", s(&wrong_key)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("HMAC does not verify"),
        "{}",
        stdout(&out)
    );

    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("\"no-drops\"", "\"analysts\"")).unwrap();
    let out = tollgate(&["verify", s(&path)]);
    assert_eq!(out.status.code(), Some(1));
    let printed = stdout(&out);
    assert!(
        printed.contains(&format!(
            "{}:4: the event's content does not match its hash",
            s(&path)
        )),
        "{printed}"
    );
    assert!(printed.contains("TAMPERED"), "{printed}");
}

#[test]
fn verify_of_a_missing_file_is_bad_input() {
    let out = tollgate(&["verify", "/nonexistent/audit.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    assert_eq!(tollgate(&["verify"]).status.code(), Some(2));
}

#[tokio::test]
async fn replay_shows_a_timeline_without_raw_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = record_trail(dir.path()).await;
    let out = tollgate(&["replay", s(&path)]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("session s-alice — alice (user) groups analysts"),
        "{text}"
    );
    assert!(text.contains("+    1.000s"), "{text}");
    assert!(
        text.contains("call tools/call db.query → allow (rule analysts)"),
        "{text}"
    );
    assert!(
        text.contains("call tools/call db.drop_table → deny (rule no-drops): no drops"),
        "{text}"
    );
    assert!(
        text.contains("approval approved: ticket t-1 by carol"),
        "{text}"
    );
    assert!(
        text.contains("result db.query ok in 12.5 ms, redacted email×2"),
        "{text}"
    );
    assert!(text.contains("\\u{1b}[31m"), "{text}");
    assert!(!text.contains('\u{1b}'), "raw escape in output");
    assert!(
        text.contains("(incomplete: no session end recorded)"),
        "{text}"
    );

    let only = stdout(&tollgate(&["replay", s(&path), "--session", "s-mallory"]));
    assert!(
        only.contains("s-mallory") && !only.contains("s-alice"),
        "{only}"
    );
}

#[tokio::test]
async fn report_json_counts_per_identity_and_session() {
    let dir = tempfile::tempdir().unwrap();
    let (path, key) = record_trail(dir.path()).await;
    let out = tollgate(&["report", s(&path), "--format", "json", "--key", s(&key)]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["integrity"]["status"], "intact");
    let alice = &report["identities"][0];
    assert_eq!(alice["subject"], "alice");
    assert_eq!(
        alice["calls"],
        json!({"allowed": 1, "denied": 1, "held": 1, "approved": 1, "rejected": 0})
    );
    assert_eq!(alice["tools"]["db.update"]["approved"], 1);
    assert_eq!(alice["approvals"][0]["reviewer"], "carol");
    assert_eq!(alice["redactions"]["email"], 2);
    assert_eq!(alice["token_expiries"][0], "2030-01-01T00:00:00.000000Z");
    assert_eq!(alice["first_seen"], "2025-06-01T12:00:00.000000Z");
    assert_eq!(alice["last_seen"], "2025-06-01T12:00:10.000000Z");
    assert_eq!(report["sessions"][0]["ended"], "delete");
    assert_eq!(report["sessions"][1]["ended"], Value::Null);

    let filtered = tollgate(&[
        "report",
        s(&path),
        "--format",
        "json",
        "--subject",
        "mallory",
        "--since",
        "2025-06-01T12:00:15Z",
    ]);
    let filtered: Value = serde_json::from_slice(&filtered.stdout).unwrap();
    assert_eq!(filtered["identities"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["identities"][0]["subject"], "mallory");
    let none = tollgate(&[
        "report",
        s(&path),
        "--format",
        "json",
        "--until",
        "2025-06-01",
    ]);
    let none: Value = serde_json::from_slice(&none.stdout).unwrap();
    assert_eq!(none["events"], 0);
}

#[tokio::test]
async fn report_html_is_self_contained_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = record_trail(dir.path()).await;
    let out = tollgate(&["report", s(&path), "--format", "html"]);
    assert_eq!(out.status.code(), Some(0));
    let html = stdout(&out);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"));
    assert_eq!(html.matches("<details>").count(), 2);
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "external resources"
    );
}

#[tokio::test]
async fn report_csv_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = record_trail(dir.path()).await;
    let csv = stdout(&tollgate(&["report", s(&path), "--format", "csv"]));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("subject,kind,tool,allowed,denied")
    );
    assert!(
        csv.contains("alice,user,db.update,0,0,1,1,0,approved by carol,email×2,"),
        "{csv}"
    );
    let md = stdout(&tollgate(&["report", s(&path), "--format", "md"]));
    assert!(md.contains("# Access review"));
    assert!(
        md.contains("| alice | user | analysts | 1 | 1 | 1 | 1 | 1 | 0 |"),
        "{md}"
    );
    assert_eq!(
        tollgate(&["report", s(&path), "--format", "pdf"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        tollgate(&["report", s(&path), "--since", "last week"])
            .status
            .code(),
        Some(2)
    );
}
