//! [`JsonlSink`]: an append-only JSON Lines file with a SHA-256 hash chain, periodic
//! checkpoints (HMAC-signed with a key), size/time rotation, and fsync on flush.
//!
//! # The chain
//!
//! Every line is one [`Event`] with `prev` (the previous line's `hash`, or
//! [`GENESIS`](super::GENESIS) for the first line of a new trail) and `hash` (SHA-256 of
//! the line's [canonical form](super::canonical) without `hash`). Rotated files carry the
//! chain on: the first line of a new file has the last line of the previous file as
//! `prev`. Reopening an existing trail continues its chain from its last line.
//!
//! # Checkpoints
//!
//! A `checkpoint` line covers the line before it (`head` = that line's hash; `seq` =
//! its seq). With a key, it carries an HMAC-SHA256 over `(seq, head)`, which someone who
//! edits the file and recomputes the hashes cannot forge. Checkpoints are written every
//! `checkpoint_every` events or `checkpoint_interval` (checked when a batch is written),
//! before a rotation (so every rotated file ends with one), and at
//! [`close`](super::Sink::close) (recorder shutdown).
//!
//! What this protects, honestly: any edit, deletion, insertion or reordering of lines
//! up to the last checkpoint is detected; with a key, rewriting the whole chain up to a
//! checkpoint is detected too. Lines *after* the last checkpoint can be removed from the
//! end (or rewritten, without a key check) without a trace, so the verifier reports
//! how many events follow the last checkpoint, and `--sealed` demands that the trail
//! ends with one (a cleanly shut down recorder). Removing whole files from the end is
//! only detectable against an external record of the last checkpoint.
//!
//! # Rotation
//!
//! With `rotate_bytes` or `rotate_after`, once the file reaches the size or age (checked
//! after each batch, so a file may exceed the size by one batch), the sink writes a
//! checkpoint, flushes, renames the file to `<path>.<NNNNNN>` (increasing numbers) and
//! starts a new file at `path`.
//!
//! # Crash recovery
//!
//! A write that fails is cut back off the file. On reopening, an incomplete last line
//! (a write torn by a crash) is cut off, with a warning; the chain continues from the
//! last complete line. A last line that is complete but not an event is refused.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::identity::BoxFuture;

use super::chain::Chain;
use super::event::Event;
use super::sink::{Sink, SinkError};

/// The longest line the sink reads back when it reopens a file.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// An append-only, hash-chained JSON Lines sink. See the [module documentation](self).
pub struct JsonlSink {
    name: String,
    resumed_seq: Option<u64>,
    state: tokio::sync::Mutex<Option<JsonlState>>,
}

impl std::fmt::Debug for JsonlSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlSink")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Builds a [`JsonlSink`].
#[must_use]
pub struct JsonlSinkBuilder {
    path: PathBuf,
    name: Option<String>,
    key: Option<Vec<u8>>,
    checkpoint_every: Option<u64>,
    checkpoint_interval: Option<Duration>,
    rotate_bytes: Option<u64>,
    rotate_after: Option<Duration>,
    fsync: bool,
}

struct JsonlState {
    path: PathBuf,
    file: File,
    len: u64,
    opened_at: Instant,
    chain: Chain,
    next_rotation: u32,
    last_checkpoint: Instant,
    key: Option<Vec<u8>>,
    checkpoint_every: Option<u64>,
    checkpoint_interval: Option<Duration>,
    rotate_bytes: Option<u64>,
    rotate_after: Option<Duration>,
    fsync: bool,
}

impl JsonlSink {
    /// A builder for a sink writing to `path`.
    pub fn builder(path: impl Into<PathBuf>) -> JsonlSinkBuilder {
        JsonlSinkBuilder {
            path: path.into(),
            name: None,
            key: None,
            checkpoint_every: Some(1000),
            checkpoint_interval: Some(Duration::from_secs(60)),
            rotate_bytes: None,
            rotate_after: None,
            fsync: true,
        }
    }

    async fn with_state<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut JsonlState) -> Result<T, SinkError> + Send + 'static,
    ) -> Result<T, SinkError> {
        let mut guard = self.state.lock().await;
        run_blocking(&mut guard, work).await
    }
}

/// Runs `work` on the state on the blocking pool, putting the state back afterwards.
async fn run_blocking<T: Send + 'static>(
    slot: &mut Option<JsonlState>,
    work: impl FnOnce(&mut JsonlState) -> Result<T, SinkError> + Send + 'static,
) -> Result<T, SinkError> {
    let mut state = slot
        .take()
        .ok_or_else(|| SinkError::Unavailable("the sink's state was lost".into()))?;
    let (state, outcome) = tokio::task::spawn_blocking(move || {
        let outcome = work(&mut state);
        (state, outcome)
    })
    .await
    .map_err(|e| SinkError::Unavailable(format!("file task failed: {e}")))?;
    *slot = Some(state);
    outcome
}

impl JsonlSinkBuilder {
    /// The sink's name in errors and `gap` events (default: the file name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Signs checkpoints with HMAC-SHA256 under `key` (keep it away from the log).
    pub fn hmac_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Writes a checkpoint after this many events (default 1000; `0` turns it off).
    pub fn checkpoint_every(mut self, events: u64) -> Self {
        self.checkpoint_every = (events > 0).then_some(events);
        self
    }

    /// Writes a checkpoint when this long has passed since the last one (default 60 s;
    /// checked when a batch is written).
    pub fn checkpoint_interval(mut self, interval: Duration) -> Self {
        self.checkpoint_interval = Some(interval);
        self
    }

    /// Rotates once the file reaches this many bytes.
    pub fn rotate_bytes(mut self, bytes: u64) -> Self {
        self.rotate_bytes = Some(bytes);
        self
    }

    /// Rotates once the file has been open this long.
    pub fn rotate_after(mut self, age: Duration) -> Self {
        self.rotate_after = Some(age);
        self
    }

    /// Whether `flush` calls fsync (default true). Without it, flushed lines are in the
    /// operating system's cache: they survive a crash of the process, not of the machine.
    pub fn fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// Opens (or creates) the file and continues its chain.
    pub fn build(self) -> Result<JsonlSink, SinkError> {
        let path = self.path;
        let next_rotation = next_rotation_index(&path)?;
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        let mut chain = match last_line(&mut file, &path)? {
            Some(line) => Some(resume_from(&line, &path)?),
            None => None,
        };
        if chain.is_none() && next_rotation > 1 {
            // A fresh file after a rotation: continue the newest rotated file's chain.
            let previous = rotated_path(&path, next_rotation - 1);
            let mut old = File::open(&previous)?;
            if let Some(line) = last_line(&mut old, &previous)? {
                chain = Some(resume_from(&line, &previous)?);
            }
        }
        let resumed_seq = chain.as_ref().map(|c| c.last_seq);
        let len = file.metadata()?.len();
        let name = self.name.unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "jsonl".into())
        });
        let now = Instant::now();
        Ok(JsonlSink {
            name,
            resumed_seq,
            state: tokio::sync::Mutex::new(Some(JsonlState {
                path,
                file,
                len,
                opened_at: now,
                chain: chain.unwrap_or_else(Chain::genesis),
                next_rotation,
                last_checkpoint: now,
                key: self.key,
                checkpoint_every: self.checkpoint_every,
                checkpoint_interval: self.checkpoint_interval,
                rotate_bytes: self.rotate_bytes,
                rotate_after: self.rotate_after,
                fsync: self.fsync,
            })),
        })
    }
}

fn resume_from(line: &[u8], path: &Path) -> Result<Chain, SinkError> {
    serde_json::from_slice::<Value>(line)
        .ok()
        .as_ref()
        .and_then(Chain::resume)
        .ok_or_else(|| {
            SinkError::Encode(format!(
                "the last line of {} is not a chained event; refusing to continue its chain",
                path.display()
            ))
        })
}

/// `<path>.<index>`, the name of a rotated file.
fn rotated_path(path: &Path, index: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{index:06}"));
    PathBuf::from(name)
}

/// One more than the highest existing rotation index of `path` (1 when none).
fn next_rotation_index(path: &Path) -> Result<u32, SinkError> {
    let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(SinkError::Encode(format!(
            "{} is not a file path",
            path.display()
        )));
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!("{file_name}.");
    let mut highest = 0;
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(index) = name
            .strip_prefix(&prefix)
            .filter(|rest| rest.len() == 6)
            .and_then(|rest| rest.parse::<u32>().ok())
        {
            highest = highest.max(index);
        }
    }
    Ok(highest + 1)
}

/// The last complete line of `file`, cutting off an incomplete (torn) last line.
fn last_line(file: &mut File, path: &Path) -> Result<Option<Vec<u8>>, SinkError> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(None);
    }
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        Read::take(&mut *file, len - start).read_to_end(&mut tail)?;
        let complete_end = match tail.iter().rposition(|&b| b == b'\n') {
            Some(end) => end,
            None if start == 0 => {
                // Not one complete line: the whole file is a torn write.
                tracing::warn!(target: "tollgate::audit", file = %path.display(), "cutting off an incomplete line");
                file.set_len(0)?;
                return Ok(None);
            }
            None => {
                window = grow_window(window, path)?;
                continue;
            }
        };
        let complete_len = start + complete_end as u64 + 1;
        if complete_len < len {
            tracing::warn!(target: "tollgate::audit", file = %path.display(), bytes = len - complete_len, "cutting off an incomplete last line");
            file.set_len(complete_len)?;
        }
        let body = tail.get(..complete_end).unwrap_or_default();
        match body.iter().rposition(|&b| b == b'\n') {
            Some(line_start) => {
                return Ok(Some(
                    body.get(line_start + 1..).unwrap_or_default().to_vec(),
                ));
            }
            None if start == 0 => return Ok(Some(body.to_vec())),
            None => window = grow_window(window, path)?,
        }
    }
}

fn grow_window(window: u64, path: &Path) -> Result<u64, SinkError> {
    if window >= MAX_LINE_BYTES as u64 {
        return Err(SinkError::Encode(format!(
            "the last line of {} is longer than {MAX_LINE_BYTES} bytes",
            path.display()
        )));
    }
    Ok(window * 2)
}

impl JsonlState {
    /// Appends encoded lines, cutting them back off if the write fails.
    fn append(&mut self, lines: &[u8]) -> Result<(), SinkError> {
        if let Err(error) = self.file.write_all(lines) {
            let _ = self.file.set_len(self.len);
            return Err(error.into());
        }
        self.len += lines.len() as u64;
        Ok(())
    }

    fn write_checkpoint(&mut self) -> Result<(), SinkError> {
        if self.chain.at_checkpoint || self.chain.last_seq == 0 {
            return Ok(());
        }
        let checkpoint = self.chain.checkpoint(self.key.as_deref());
        let mut chain = self.chain.clone();
        let mut line = Vec::new();
        chain.append(&checkpoint, &mut line)?;
        self.append(&line)?;
        self.chain = chain;
        self.last_checkpoint = Instant::now();
        Ok(())
    }

    /// After a batch: checkpoint and rotate when due. Failures here leave the batch
    /// stored and are retried with the next batch.
    fn after_batch(&mut self) {
        let by_count = self
            .checkpoint_every
            .is_some_and(|n| self.chain.since_checkpoint >= n);
        let by_time = self
            .checkpoint_interval
            .is_some_and(|t| self.last_checkpoint.elapsed() >= t);
        if (by_count || by_time)
            && let Err(error) = self.write_checkpoint()
        {
            tracing::warn!(target: "tollgate::audit", file = %self.path.display(), %error, "checkpoint failed");
        }
        let by_size = self.rotate_bytes.is_some_and(|n| self.len >= n);
        let by_age = self
            .rotate_after
            .is_some_and(|t| self.opened_at.elapsed() >= t);
        if (by_size || by_age)
            && self.len > 0
            && let Err(error) = self.rotate()
        {
            tracing::warn!(target: "tollgate::audit", file = %self.path.display(), %error, "rotation failed");
        }
    }

    fn rotate(&mut self) -> Result<(), SinkError> {
        self.write_checkpoint()?;
        self.file.sync_data()?;
        let target = rotated_path(&self.path, self.next_rotation);
        if target.exists() {
            return Err(SinkError::Encode(format!(
                "{} already exists",
                target.display()
            )));
        }
        std::fs::rename(&self.path, &target)?;
        self.next_rotation += 1;
        self.file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)?;
        self.len = 0;
        self.opened_at = Instant::now();
        if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty())
            && let Ok(dir) = File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<(), SinkError> {
        if self.fsync {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

impl Sink for JsonlSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn write<'a>(&'a self, batch: &'a [Event]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            // Encode (CPU work) here, write (I/O) on the blocking pool.
            let mut guard = self.state.lock().await;
            let state = guard
                .as_ref()
                .ok_or_else(|| SinkError::Unavailable("the sink's state was lost".into()))?;
            let mut chain = state.chain.clone();
            let mut lines = Vec::with_capacity(batch.len() * 512);
            for event in batch {
                chain.append(event, &mut lines)?;
            }
            run_blocking(&mut guard, move |state| {
                state.append(&lines)?;
                state.chain = chain;
                state.after_batch();
                Ok(())
            })
            .await
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(self.with_state(JsonlState::sync))
    }

    fn close(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(self.with_state(|state| {
            state.write_checkpoint()?;
            state.file.sync_data()?;
            Ok(())
        }))
    }

    fn last_seq(&self) -> Option<u64> {
        self.resumed_seq
    }
}
