//! Verifying JSONL trails: the hash chain, sequence numbers, checkpoints and the links
//! between rotated files.
//!
//! # What is detected
//!
//! | Tampering | Finding |
//! |---|---|
//! | a line's content changed | [`Problem::Modified`] (its hash no longer matches) |
//! | a line changed and its hash recomputed | [`Problem::BrokenLink`] on the next line |
//! | the whole rest of the chain recomputed | [`Problem::ForgedCheckpoint`] at the next signed checkpoint (with the key) |
//! | a line deleted | [`Problem::Missing`] (seq gap) |
//! | lines swapped | [`Problem::Reordered`] |
//! | a line inserted (from another trail) | [`Problem::BrokenLink`] / [`Problem::Reordered`] |
//! | a checkpoint made up without the key | [`Problem::ForgedCheckpoint`] or [`Problem::UnsignedCheckpoint`] |
//! | a write torn off mid-line | [`Problem::TornLine`] |
//! | files from two trails put together | [`Problem::Spliced`] |
//! | the end of a rotated (non-last) file cut off | [`Problem::UnsealedFile`] |
//! | the first files removed | [`Problem::MissingStart`] (unless partial trails are allowed) |
//!
//! # What is not
//!
//! Whole lines removed from the *end* of the last file, after its last checkpoint,
//! leave a valid shorter chain; without a key, so does rewriting them. The report
//! says how many events follow the last checkpoint ([`VerifyReport::unprotected_tail`]);
//! with [`VerifyOptions::require_sealed`] a trail that does not end with a checkpoint
//! (as a cleanly shut down recorder leaves it) is a finding ([`Problem::UnsealedEnd`]).
//! Cutting a trail back to an earlier checkpoint (dropping whole later lines, or later
//! files) can only be caught by comparing with a copy of a later checkpoint kept
//! elsewhere (for example shipped by a [`TracingSink`](super::TracingSink)).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::chain::{GENESIS, checkpoint_hmac_matches, hash_value};
use super::error::ReadError;
use super::event::SCHEMA_VERSION;
use super::reader::Lines;

/// The most findings a report lists.
pub const MAX_FINDINGS: usize = 1000;

/// How to verify.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// The checkpoint HMAC key; with it every checkpoint must carry a valid HMAC.
    pub key: Option<Vec<u8>>,
    /// Events after the last checkpoint are a finding (the trail must be sealed).
    pub require_sealed: bool,
    /// The first file need not start at genesis (older files were removed on purpose).
    pub allow_partial: bool,
}

impl VerifyOptions {
    /// No key, not sealed, from genesis.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks checkpoint HMACs with `key`.
    pub fn key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Requires the trail to end with a checkpoint.
    pub fn require_sealed(mut self, sealed: bool) -> Self {
        self.require_sealed = sealed;
        self
    }

    /// Accepts a trail whose first file does not start at genesis.
    pub fn allow_partial(mut self, partial: bool) -> Self {
        self.allow_partial = partial;
        self
    }
}

/// What is wrong at a place in a trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// The line is not a JSON object.
    Malformed,
    /// The event's schema version is not one this crate reads.
    UnsupportedVersion,
    /// The line's content does not match its `hash`.
    Modified,
    /// `prev` is not the previous line's `hash`.
    BrokenLink,
    /// `seq` jumps: events are missing.
    Missing,
    /// `seq` goes backwards: events are out of order.
    Reordered,
    /// A checkpoint does not describe the line before it.
    BadCheckpoint,
    /// A checkpoint's HMAC does not verify under the key.
    ForgedCheckpoint,
    /// A checkpoint has no HMAC although a key was given.
    UnsignedCheckpoint,
    /// A file does not continue the chain of the file before it.
    Spliced,
    /// The first event does not start at genesis.
    MissingStart,
    /// A line ends without a line break (a torn write, or a cut file).
    TornLine,
    /// A file followed by another does not end with a checkpoint.
    UnsealedFile,
    /// The trail does not end with a checkpoint (only with `require_sealed`).
    UnsealedEnd,
}

/// One finding: what, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IntegrityFinding {
    /// What kind of problem.
    pub problem: Problem,
    /// The file.
    pub file: PathBuf,
    /// The 1-based line (0 for a whole-file finding on an empty file).
    pub line: u64,
    /// A sentence for people.
    pub message: String,
}

impl fmt::Display for IntegrityFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct VerifyReport {
    /// The files, in chain order (sorted by their first `seq`).
    pub files: Vec<PathBuf>,
    /// Events read (checkpoints excluded).
    pub events: u64,
    /// Checkpoints read.
    pub checkpoints: u64,
    /// Checkpoints whose HMAC verified under the key.
    pub signed_checkpoints: u64,
    /// Events after the last checkpoint: nothing proves they were not cut off or
    /// (without a key check) rewritten.
    pub unprotected_tail: u64,
    /// Everything found, in file order (at most [`MAX_FINDINGS`]).
    pub findings: Vec<IntegrityFinding>,
    /// True when more findings existed than are listed.
    pub findings_truncated: bool,
}

impl VerifyReport {
    /// True when nothing was found.
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }

    fn find(&mut self, problem: Problem, file: &Path, line: u64, message: String) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(IntegrityFinding {
                problem,
                file: file.to_path_buf(),
                line,
                message,
            });
        } else {
            self.findings_truncated = true;
        }
    }
}

/// Verifies the files of one trail (any order; they are put in chain order), checking
/// checkpoint HMACs with `key` when given.
pub fn verify_files<P: AsRef<Path>>(
    paths: &[P],
    key: Option<&[u8]>,
) -> Result<VerifyReport, ReadError> {
    let mut options = VerifyOptions::new();
    options.key = key.map(<[u8]>::to_vec);
    verify_files_with(paths, &options)
}

/// The walking state across lines and files.
struct Walk<'o> {
    options: &'o VerifyOptions,
    report: VerifyReport,
    /// The hash the next line's `prev` must equal (`None`: unknown, after a bad line).
    expected_prev: Option<String>,
    /// The last event seq (checkpoints carry it again).
    last_seq: Option<u64>,
    /// Whether the previous line was a checkpoint.
    at_checkpoint: bool,
    /// Whether any line has been read.
    started: bool,
}

/// Verifies with [`VerifyOptions`].
pub fn verify_files_with<P: AsRef<Path>>(
    paths: &[P],
    options: &VerifyOptions,
) -> Result<VerifyReport, ReadError> {
    let mut ordered = Vec::with_capacity(paths.len());
    for path in paths {
        let path = path.as_ref().to_path_buf();
        let first_seq = Lines::open(&path)?
            .next()
            .transpose()?
            .and_then(|line| serde_json::from_slice::<Value>(&line.bytes).ok())
            .and_then(|value| value.get("seq").and_then(Value::as_u64));
        ordered.push((first_seq, path));
    }
    ordered.sort_by_key(|(seq, _)| *seq);
    let mut walk = Walk {
        options,
        report: VerifyReport::default(),
        expected_prev: if options.allow_partial {
            None
        } else {
            Some(GENESIS.to_owned())
        },
        last_seq: None,
        at_checkpoint: false,
        started: false,
    };
    let count = ordered.len();
    let mut previous_file: Option<PathBuf> = None;
    for (index, (_, path)) in ordered.into_iter().enumerate() {
        walk.report.files.push(path.clone());
        let mut first_line = true;
        let mut last_line = 0;
        for line in Lines::open(&path)? {
            let line = line?;
            last_line = line.number;
            if line.bytes.iter().all(u8::is_ascii_whitespace) && line.complete {
                continue;
            }
            if !line.complete {
                walk.report.find(
                    Problem::TornLine,
                    &path,
                    line.number,
                    "the line ends without a line break: the file was cut off or a write was torn"
                        .into(),
                );
                walk.expected_prev = None;
                continue;
            }
            walk.line(
                &path,
                line.number,
                &line.bytes,
                first_line.then_some(previous_file.as_deref()),
            );
            first_line = false;
        }
        if index + 1 < count && !walk.at_checkpoint {
            walk.report.find(
                Problem::UnsealedFile,
                &path,
                last_line,
                "the file is followed by another but does not end with a checkpoint: its end was cut off".into(),
            );
        }
        previous_file = Some(path);
    }
    if options.require_sealed && walk.report.unprotected_tail > 0 {
        let file = walk.report.files.last().cloned().unwrap_or_default();
        let tail = walk.report.unprotected_tail;
        walk.report.find(
            Problem::UnsealedEnd,
            &file,
            0,
            format!("the trail does not end with a checkpoint: the last {tail} events are not covered by one (the log is still open, the recorder crashed, or the end was cut off)"),
        );
    }
    Ok(walk.report)
}

impl Walk<'_> {
    /// Checks one line. `file_start` is `Some(previous file)` for a file's first line.
    fn line(&mut self, path: &Path, number: u64, bytes: &[u8], file_start: Option<Option<&Path>>) {
        let value: Value = match serde_json::from_slice(bytes) {
            Ok(value @ Value::Object(_)) => value,
            _ => {
                self.report
                    .find(Problem::Malformed, path, number, "not a JSON object".into());
                self.expected_prev = None;
                return;
            }
        };
        let computed = hash_value(&value);
        let stated = value.get("hash").and_then(Value::as_str).map(str::to_owned);
        let prev = value.get("prev").and_then(Value::as_str).unwrap_or("");
        let seq = value.get("seq").and_then(Value::as_u64);
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        let mut reported = false;

        if value.get("v").and_then(Value::as_u64) != Some(u64::from(SCHEMA_VERSION)) {
            self.report.find(
                Problem::UnsupportedVersion,
                path,
                number,
                format!(
                    "schema version {} is not {SCHEMA_VERSION}",
                    value.get("v").unwrap_or(&Value::Null)
                ),
            );
            reported = true;
        }
        if stated.as_deref() != Some(computed.as_str()) {
            let message = if stated.is_none() {
                "the event has no hash".to_owned()
            } else {
                "the event's content does not match its hash: it was modified".to_owned()
            };
            self.report.find(Problem::Modified, path, number, message);
            reported = true;
        }
        let Some(seq) = seq else {
            if !reported {
                self.report.find(
                    Problem::Malformed,
                    path,
                    number,
                    "the event has no seq".into(),
                );
            }
            self.expected_prev = stated.or(Some(computed));
            return;
        };

        // A file that does not continue the one before it: say so before anything else.
        if let (Some(Some(previous)), Some(expected)) = (file_start, &self.expected_prev)
            && prev != expected
            && !reported
        {
            self.report.find(
                Problem::Spliced,
                path,
                number,
                format!(
                    "the file does not continue {}: its first prev is not that file's last hash (the files belong to different trails, or files between them are missing)",
                    previous.display()
                ),
            );
            reported = true;
        }

        // Sequence numbers.
        if kind == "checkpoint" {
            self.checkpoint(path, number, &value, seq, reported);
            reported = true;
        } else if let Some(last) = self.last_seq {
            let (first_new, last_new) = if kind == "gap" {
                let first = value
                    .get("first_seq")
                    .and_then(Value::as_u64)
                    .unwrap_or(seq);
                (first, seq)
            } else {
                (seq, seq)
            };
            if first_new <= last {
                if !reported {
                    self.report.find(
                        Problem::Reordered,
                        path,
                        number,
                        format!("seq {seq} comes after seq {last}: events are out of order"),
                    );
                }
                reported = true;
            } else if first_new > last + 1 {
                if !reported {
                    let missing = first_new - last - 1;
                    self.report.find(
                        Problem::Missing,
                        path,
                        number,
                        format!("seq jumps from {last} to {first_new}: {missing} event(s) missing (deleted)"),
                    );
                }
                reported = true;
            }
            self.last_seq = Some(last.max(last_new));
        } else {
            self.last_seq = Some(seq);
        }

        // The chain link.
        if let Some(expected) = &self.expected_prev
            && prev != expected
            && !reported
        {
            let (problem, message) = if file_start.is_some() && !self.started {
                (
                    Problem::MissingStart,
                    "the trail does not start at genesis: earlier events or files are missing"
                        .to_owned(),
                )
            } else {
                (
                    Problem::BrokenLink,
                    "prev does not match the previous line's hash: a line before it was changed, removed or inserted".to_owned(),
                )
            };
            self.report.find(problem, path, number, message);
        }
        if kind != "checkpoint" {
            self.report.events += 1;
            self.report.unprotected_tail += 1;
            self.at_checkpoint = false;
        }
        self.started = true;
        self.expected_prev = stated.or(Some(computed));
    }

    fn checkpoint(&mut self, path: &Path, number: u64, value: &Value, seq: u64, reported: bool) {
        self.report.checkpoints += 1;
        let head = value.get("head").and_then(Value::as_str).unwrap_or("");
        let prev = value.get("prev").and_then(Value::as_str).unwrap_or("");
        if !reported && (Some(seq) != self.last_seq || head != prev) {
            self.report.find(
                Problem::BadCheckpoint,
                path,
                number,
                "the checkpoint does not describe the event before it (seq or head differ)".into(),
            );
        }
        if let Some(key) = &self.options.key {
            match value.get("hmac").and_then(Value::as_str) {
                Some(hmac) if checkpoint_hmac_matches(key, seq, head, hmac) => {
                    self.report.signed_checkpoints += 1;
                }
                Some(_) => self.report.find(
                    Problem::ForgedCheckpoint,
                    path,
                    number,
                    "the checkpoint's HMAC does not verify with the key: it was forged or the chain before it rewritten".into(),
                ),
                None => self.report.find(
                    Problem::UnsignedCheckpoint,
                    path,
                    number,
                    "the checkpoint has no HMAC although a key was given".into(),
                ),
            }
        }
        self.report.unprotected_tail = 0;
        self.at_checkpoint = true;
    }
}
