//! Fuzz target: the JSONL trail verifier (`verify_files`, `verify_files_with`) and the
//! event reader (`Events`) over arbitrary files.
//!
//! Once per process the target records a genuine trail: `EVENTS` calls written through a
//! `JsonlSink` signed with `TRUSTED_KEY` (a checkpoint every two events, and a final one
//! at close). Only this trail, which lives in memory and is never part of an input, ever
//! carries checkpoints signed with `TRUSTED_KEY`.
//!
//! Input (each run writes the file to a fresh temporary path and removes it after):
//! * mode B, when the first byte is `B`: `[B][pos: u16 LE][mask...]`; the file is the
//!   genuine trail with `mask` XORed into it from byte `pos % len` on (the file keeps the
//!   genuine length). An input of just `B` is the untouched trail;
//! * mode A, any other input: the input is the file, as is. The committed trail seeds
//!   are signed with `SEED_KEY`, which the oracle does not trust.
//!
//! Oracles:
//! * nothing panics, whatever the file;
//! * never verified unless untouched: when the report under `TRUSTED_KEY` is intact,
//!   has events and a checkpoint after the last one (no unprotected tail), the file's
//!   lines, parsed as JSON, are the genuine trail's lines or a prefix of them (cutting a
//!   trail back to an earlier checkpoint is the documented limit of what a trail alone can
//!   prove). The last line is compared on what its HMAC and the chain pin down (`v`,
//!   `kind`, `seq`, `head`, `prev`): a final checkpoint's `ts`, the spelling of its `hmac`
//!   and its own `hash` are not covered by anything that follows it;
//! * an untouched trail verifies: a mode-B file whose lines parse to the genuine lines
//!   is intact with and without the key, fully covered, and reads back as every event;
//! * `require_sealed` adds exactly one `UnsealedEnd` finding when there is an
//!   unprotected tail, and nothing else;
//! * the reader yields one item (event or error) per line that is not blank.
//!
//! Regenerating the committed trail seeds: run the built target with
//! `RECORD_VERIFY_WRITE_SEED=<file>` set; it writes a trail signed with `SEED_KEY` there.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use tollgate::Event;
use tollgate::identity::IdentityKind;
use tollgate::policy::Action;
use tollgate::record::reader::Events;
use tollgate::record::verify::{
    MAX_FINDINGS, Problem, VerifyOptions, VerifyReport, verify_files_with,
};
use tollgate::record::{
    CallRecord, DecisionRecord, IdentitySummary, JsonlSink, Sink, jsonl::MAX_LINE_BYTES,
    verify_files,
};

/// Signs the in-memory genuine trail; the only key the oracle trusts.
const TRUSTED_KEY: &[u8] = b"record-verify-fuzz-trusted-key";
/// Signs the committed trail seeds (and is tried too, without an oracle).
const SEED_KEY: &[u8] = b"record-verify-fuzz-seed-key";
/// Calls in a genuine trail.
const EVENTS: u64 = 5;

/// Writes a trail of `EVENTS` calls, signed with `key`, and returns its bytes.
fn record_trail(key: &[u8]) -> Vec<u8> {
    let dir = unique_path("trail");
    std::fs::create_dir_all(&dir).expect("trail directory");
    let path = dir.join("audit.jsonl");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("current-thread runtime");
    runtime.block_on(async {
        let sink = JsonlSink::builder(&path)
            .hmac_key(key)
            .checkpoint_every(2)
            .checkpoint_interval(Duration::from_secs(1 << 30))
            .fsync(false)
            .build()
            .expect("JSONL sink");
        let sink: Arc<dyn Sink> = Arc::new(sink);
        for n in 1..=EVENTS {
            let decision = DecisionRecord::new(Action::Allow, Some("analysts".into()), None);
            let mut event = Event::call(
                format!("session-{}", n % 2),
                IdentitySummary::new("alice", IdentityKind::User),
                CallRecord::new("tools/call", decision)
                    .with_id(json!(n))
                    .with_tool("db.query")
                    .with_arguments(json!({"sql": format!("select {n}")})),
            )
            .with_ts(format!("2025-06-01T12:00:0{n}.000000Z"));
            event.seq = n;
            sink.write(std::slice::from_ref(&event))
                .await
                .expect("write");
        }
        sink.close().await.expect("close");
    });
    let bytes = std::fs::read(&path).expect("read the trail back");
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// The genuine trail and its parsed lines.
fn genuine() -> &'static (Vec<u8>, Vec<Line>) {
    static GENUINE: OnceLock<(Vec<u8>, Vec<Line>)> = OnceLock::new();
    GENUINE.get_or_init(|| {
        if let Some(seed) = std::env::var_os("RECORD_VERIFY_WRITE_SEED") {
            std::fs::write(seed, record_trail(SEED_KEY)).expect("write the seed trail");
        }
        let bytes = record_trail(TRUSTED_KEY);
        let lines = parse_lines(&bytes);
        assert!(
            lines.iter().all(|l| matches!(l, Line::Json(_))),
            "the genuine trail has a line that is not JSON"
        );
        (bytes, lines)
    })
}

/// A path under the temporary directory no other run (or process) uses.
fn unique_path(what: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "tollgate-fuzz-record-verify-{}-{what}-{n}",
        std::process::id()
    ))
}

/// A line as the verifier sees it.
#[derive(Debug, PartialEq)]
enum Line {
    /// A complete line that parses as JSON.
    Json(Value),
    /// A complete line that does not.
    Invalid,
    /// Bytes after the last line break (verify reports a torn line).
    Torn,
}

/// The lines of `bytes` that are not blank, as the verifier and the reader skip them.
fn parse_lines(bytes: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (line, complete) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let (line, after) = rest.split_at(end);
                rest = &after[1..];
                (line, true)
            }
            None => (std::mem::take(&mut rest), false),
        };
        if !complete {
            out.push(Line::Torn);
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            out.push(match serde_json::from_slice(line) {
                Ok(value) => Line::Json(value),
                Err(_) => Line::Invalid,
            });
        }
    }
    out
}

/// What a final checkpoint's HMAC and the chain pin down.
fn pinned(line: &Line) -> Option<[Option<&Value>; 5]> {
    match line {
        Line::Json(value) => Some(["v", "kind", "seq", "head", "prev"].map(|k| value.get(k))),
        _ => None,
    }
}

/// Whether `lines` are the genuine lines or a prefix of them, the last one compared on
/// its pinned fields.
fn is_genuine_prefix(lines: &[Line], genuine: &[Line]) -> bool {
    let Some((last, body)) = lines.split_last() else {
        return true;
    };
    lines.len() <= genuine.len()
        && body.iter().zip(genuine).all(|(a, b)| a == b)
        && pinned(last).is_some()
        && pinned(last) == pinned(&genuine[lines.len() - 1])
}

fn verify(path: &Path, options: &VerifyOptions) -> Option<VerifyReport> {
    verify_files_with(&[path], options).ok()
}

fn check(file: &[u8], mode_b: bool) {
    let (genuine_bytes, genuine_lines) = genuine();
    let path = unique_path("input");
    std::fs::write(&path, file).expect("write the input file");

    let unkeyed = verify_files(&[&path], None).ok();
    let keyed = verify(&path, &VerifyOptions::new().key(TRUSTED_KEY));
    let _ = verify(
        &path,
        &VerifyOptions::new().key(SEED_KEY).allow_partial(true),
    );
    let sealed = verify(
        &path,
        &VerifyOptions::new().key(TRUSTED_KEY).require_sealed(true),
    );
    let mut reader_items = 0usize;
    let mut reader_events = 0usize;
    if let Ok(events) = Events::open(&path) {
        for item in events {
            reader_items += 1;
            reader_events += usize::from(item.is_ok());
        }
    }
    let _ = std::fs::remove_file(&path);

    // Inputs are far below the line cap, so no file read fails.
    let (Some(unkeyed), Some(keyed), Some(sealed)) = (unkeyed, keyed, sealed) else {
        panic!("verifying a small file failed");
    };
    let lines = parse_lines(file);
    if file.len() < MAX_LINE_BYTES {
        // The reader skips blank lines, a blank torn last line too.
        let not_blank = file
            .split(|&b| b == b'\n')
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
            .count();
        assert_eq!(reader_items, not_blank, "reader items vs non-blank lines");
    }

    // require_sealed adds exactly one UnsealedEnd, for an unprotected tail.
    if !sealed.findings_truncated && sealed.findings.len() < MAX_FINDINGS {
        let split = keyed.findings.len().min(sealed.findings.len());
        let (common, extra) = sealed.findings.split_at(split);
        assert_eq!(
            common,
            &keyed.findings[..],
            "require_sealed changed the findings"
        );
        let extra: Vec<Problem> = extra.iter().map(|f| f.problem).collect();
        let expected = if keyed.unprotected_tail > 0 {
            vec![Problem::UnsealedEnd]
        } else {
            Vec::new()
        };
        assert_eq!(extra, expected, "tail {}", keyed.unprotected_tail);
    }

    // Never verified unless untouched.
    if keyed.is_intact() && keyed.events > 0 && keyed.unprotected_tail == 0 {
        assert!(
            is_genuine_prefix(&lines, genuine_lines),
            "a changed trail verified under the trusted key: {keyed:?}"
        );
    }

    // An untouched trail verifies.
    if mode_b && lines == *genuine_lines {
        assert_eq!(file.len(), genuine_bytes.len());
        assert!(keyed.is_intact(), "{:?}", keyed.findings);
        assert!(unkeyed.is_intact(), "{:?}", unkeyed.findings);
        assert_eq!(keyed.events, EVENTS);
        assert_eq!(keyed.unprotected_tail, 0);
        assert_eq!(keyed.signed_checkpoints, keyed.checkpoints);
        assert_eq!(reader_events, genuine_lines.len());
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((b'B', rest)) => {
            let mut file = genuine().0.clone();
            let (pos, mask) = match rest {
                [lo, hi, mask @ ..] => (usize::from(u16::from_le_bytes([*lo, *hi])), mask),
                _ => (0, &[][..]),
            };
            let start = pos % file.len();
            for (byte, m) in file[start..].iter_mut().zip(mask) {
                *byte ^= m;
            }
            check(&file, true);
        }
        _ => check(data, false),
    }
});
