//! Tampering with a JSONL trail is detected by `verify`, with the right finding; an
//! untouched trail verifies, across rotation too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use tollgate::Event;
use tollgate::identity::IdentityKind;
use tollgate::policy::Action;
use tollgate::record::verify::{Problem, VerifyOptions, verify_files_with};
use tollgate::record::{
    CallRecord, DecisionRecord, IdentitySummary, JsonlSink, Recorder, SinkPolicy, verify_files,
};

const KEY: &[u8] = b"checkpoint-key-for-tests";

fn call(n: u64) -> Event {
    let decision = DecisionRecord::new(Action::Allow, Some("analysts".into()), None);
    Event::call(
        format!("session-{}", n % 3),
        IdentitySummary::new("alice", IdentityKind::User),
        CallRecord::new("tools/call", decision)
            .with_id(json!(n))
            .with_tool("db.query")
            .with_arguments(json!({"sql": format!("select {n}")})),
    )
}

/// Records `events` calls to a trail at `path` (checkpoint every 5 events) and shuts the
/// recorder down, which seals the file with a final checkpoint.
async fn write_trail(path: &Path, events: u64, rotate_bytes: Option<u64>) {
    let mut sink = JsonlSink::builder(path).hmac_key(KEY).checkpoint_every(5);
    if let Some(bytes) = rotate_bytes {
        sink = sink.rotate_bytes(bytes);
    }
    let recorder = Recorder::builder()
        .sink(Arc::new(sink.build().unwrap()), SinkPolicy::Required)
        .batch_size(2)
        .build()
        .unwrap();
    for n in 0..events {
        recorder.record(call(n)).await.unwrap();
    }
    recorder.shutdown().await.unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn problems(paths: &[PathBuf], options: &VerifyOptions) -> Vec<Problem> {
    verify_files_with(paths, options)
        .unwrap()
        .findings
        .iter()
        .map(|f| f.problem)
        .collect()
}

fn keyed() -> VerifyOptions {
    VerifyOptions::new().key(KEY).require_sealed(true)
}

/// The line of the call with JSON-RPC id `id`.
fn line_of(lines: &[String], id: u64) -> usize {
    lines
        .iter()
        .position(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["kind"] == "call" && v["id"] == id
        })
        .unwrap()
}

#[tokio::test]
async fn an_untouched_trail_verifies_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 12, None).await;
    let report = verify_files_with(&[&path], &keyed()).unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.events, 12);
    assert_eq!(report.unprotected_tail, 0);
    assert!(report.signed_checkpoints >= 2, "{report:?}");
    let last: Value = serde_json::from_str(lines(&path).last().unwrap()).unwrap();
    assert_eq!(last["kind"], "checkpoint");
}

#[tokio::test]
async fn a_modified_field_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 8, None).await;
    let mut all = lines(&path);
    let i = line_of(&all, 3);
    all[i] = all[i].replace("\"allow\"", "\"deny\"");
    write_lines(&path, &all);
    let report = verify_files(&[&path], None).unwrap();
    assert_eq!(report.findings[0].problem, Problem::Modified);
    assert_eq!(report.findings[0].line, i as u64 + 1);
    assert!(report.findings[0].to_string().contains("modified"));
}

#[tokio::test]
async fn a_modified_field_with_a_recomputed_chain_is_caught_by_the_signed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 8, None).await;
    // The attacker edits one event and recomputes every hash after it (no key needed).
    let mut prev = tollgate::record::GENESIS.to_owned();
    let mut rewritten = Vec::new();
    for (i, line) in lines(&path).into_iter().enumerate() {
        let mut value: Value = serde_json::from_str(&line).unwrap();
        if i == 1 {
            value["subject_note"] = json!("nobody was here");
        }
        if value["kind"] == "checkpoint" {
            value["head"] = json!(prev);
        }
        value["prev"] = json!(prev);
        let hash = tollgate::record::hash_value(&value);
        value["hash"] = json!(hash);
        prev = hash;
        rewritten.push(value.to_string());
    }
    write_lines(&path, &rewritten);
    assert!(verify_files(&[&path], None).unwrap().is_intact());
    assert!(problems(&[path], &keyed()).contains(&Problem::ForgedCheckpoint));
}

#[tokio::test]
async fn a_deleted_line_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 8, None).await;
    let mut all = lines(&path);
    all.remove(line_of(&all, 2));
    write_lines(&path, &all);
    let report = verify_files(&[&path], None).unwrap();
    assert_eq!(
        report.findings[0].problem,
        Problem::Missing,
        "{:?}",
        report.findings
    );
    assert!(report.findings[0].message.contains("1 event(s) missing"));
}

#[tokio::test]
async fn swapped_lines_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 8, None).await;
    let mut all = lines(&path);
    let (a, b) = (line_of(&all, 1), line_of(&all, 2));
    all.swap(a, b);
    write_lines(&path, &all);
    assert!(problems(&[path], &VerifyOptions::new()).contains(&Problem::Reordered));
}

#[tokio::test]
async fn truncation_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 8, None).await;
    let all = lines(&path);

    // Cut mid-line: a torn last line.
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() - 20]).unwrap();
    assert!(
        problems(std::slice::from_ref(&path), &VerifyOptions::new()).contains(&Problem::TornLine)
    );

    // Whole lines cut off the end: the trail no longer ends with a checkpoint.
    write_lines(&path, &all[..all.len() - 2]);
    let report = verify_files_with(&[&path], &keyed()).unwrap();
    assert_eq!(report.unprotected_tail, 1);
    assert_eq!(report.findings[0].problem, Problem::UnsealedEnd);
    // Without `require_sealed` the cut is only visible as an unprotected tail.
    let lenient = verify_files(&[&path], Some(KEY)).unwrap();
    assert!(lenient.is_intact());
    assert_eq!(lenient.unprotected_tail, 1);
}

#[tokio::test]
async fn a_checkpoint_forged_without_the_key_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 3, None).await;
    // Drop the final (signed) checkpoint and the last event, then seal the shortened
    // trail with a checkpoint signed with a guessed key.
    let mut all = lines(&path);
    all.truncate(all.len() - 2);
    let last: Value = serde_json::from_str(all.last().unwrap()).unwrap();
    let mut forged = json!({
        "v": 1, "seq": last["seq"], "ts": last["ts"], "kind": "checkpoint",
        "head": last["hash"], "prev": last["hash"], "hmac": "00".repeat(32),
    });
    let hash = tollgate::record::hash_value(&forged);
    forged["hash"] = json!(hash);
    all.push(forged.to_string());
    write_lines(&path, &all);
    let found = problems(std::slice::from_ref(&path), &keyed());
    assert_eq!(found, vec![Problem::ForgedCheckpoint]);
    // An unsigned one is refused too when a key is given.
    forged.as_object_mut().unwrap().remove("hmac");
    let hash = tollgate::record::hash_value(&forged);
    forged["hash"] = json!(hash);
    *all.last_mut().unwrap() = forged.to_string();
    write_lines(&path, &all);
    assert_eq!(
        problems(&[path], &keyed()),
        vec![Problem::UnsignedCheckpoint]
    );
}

#[tokio::test]
async fn spliced_files_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    write_trail(&a, 4, None).await;
    write_trail(&b, 9, None).await;
    // b's events 5..9 presented as the continuation of a.
    let tail: Vec<String> = lines(&b)
        .into_iter()
        .filter(|l| serde_json::from_str::<Value>(l).unwrap()["seq"].as_u64() > Some(4))
        .collect();
    write_lines(&b, &tail);
    let found = problems(&[a, b], &VerifyOptions::new());
    assert_eq!(found.first(), Some(&Problem::Spliced), "{found:?}");
}

#[tokio::test]
async fn rotated_files_verify_in_any_order_and_reopening_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    write_trail(&path, 30, Some(1500)).await;
    // A second run appends to the same trail.
    write_trail(&path, 5, Some(1500)).await;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() >= 3, "{files:?}");
    files.reverse();
    let report = verify_files_with(&files, &keyed()).unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
    assert_eq!(report.events, 35);

    // Removing a middle file breaks the chain across files.
    let mut ordered = report.files.clone();
    ordered.remove(1);
    let found = problems(&ordered, &keyed());
    assert!(found.contains(&Problem::Spliced), "{found:?}");
}
