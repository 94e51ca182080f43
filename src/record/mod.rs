//! Session recording: a tamper-evident audit trail of MCP sessions.
//!
//! The guard builds an [`Event`] for everything that happens in a session (session
//! start, each call with its classification and decision, approvals, results with
//! their redactions, server notifications, kills and ends) and hands it to a
//! [`Recorder`]. The recorder queues, batches and fans the events out to [`Sink`]s:
//!
//! * [`JsonlSink`]: an append-only JSON Lines file with a SHA-256 hash chain, HMAC-signed
//!   checkpoints and rotation — the trail [`verify`](verify::verify_files) checks;
//! * [`SqliteSink`]: an embedded, indexed, queryable store (also hash-chained);
//! * [`TracingSink`]: structured `tracing` events (target `tollgate::audit`);
//! * [`MemorySink`]: for tests;
//! * your own, by implementing [`Sink`].
//!
//! Recorded content is always the *redacted* content. The event schema is described
//! field by field in [`event`] (and in `schema/event-v1.schema.json`); how `hash` is
//! computed in [`canonical`]; what the recorder promises when a sink fails in
//! [`recorder`]; what the chain and checkpoints protect in [`jsonl`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use tollgate::record::{
//!     CallRecord, DecisionRecord, Durability, IdentitySummary, MemorySink, Recorder, SinkPolicy,
//! };
//! use tollgate::identity::IdentityKind;
//! use tollgate::policy::Action;
//! use tollgate::Event;
//!
//! let memory = Arc::new(MemorySink::new());
//! let recorder = Recorder::builder()
//!     .sink(memory.clone(), SinkPolicy::Required)
//!     .durability(Durability::Sync)
//!     .build()?;
//! let alice = IdentitySummary::new("alice", IdentityKind::User);
//! let decision = DecisionRecord::new(Action::Allow, Some("analysts".into()), None);
//! recorder
//!     .record(Event::call("session-1", alice, CallRecord::new("tools/call", decision).with_tool("db.query")))
//!     .await?;
//! recorder.shutdown().await?;
//! assert_eq!(memory.events()[0].seq, 1);
//! # Ok(()) }
//! ```

pub mod canonical;
mod canonical_writer;
mod chain;
mod error;
pub mod event;
pub mod jsonl;
mod memory;
pub mod reader;
pub mod recorder;
pub mod replay;
pub mod report;
mod sink;
pub mod sqlite;
pub mod time;
mod tracing_sink;
pub mod verify;

pub use chain::{GENESIS, hash_value};
pub use error::{ReadError, RecordError};
pub use event::{
    ApprovalDecidedRecord, ApprovalOutcome, ApprovalRequestedRecord, CallRecord, CheckpointRecord,
    ClassificationRecord, DecisionRecord, EndReason, Event, EventBody, GapRecord, IdentitySummary,
    NotificationRecord, ResultRecord, SCHEMA_VERSION, SessionEndedRecord, SessionKilledRecord,
    SessionStartedRecord,
};
pub use jsonl::{JsonlSink, JsonlSinkBuilder};
pub use memory::MemorySink;
pub use recorder::{Durability, Recorder, RecorderBuilder, SinkPolicy};
pub use sink::{Sink, SinkError};
pub use sqlite::{EventFilter, SqliteSink};
pub use tracing_sink::TracingSink;
pub use verify::{VerifyOptions, VerifyReport, verify_files};

/// Reads an HMAC key file: its bytes, without a trailing line break (`\n` or `\r\n`),
/// so a key written with `echo` works. Use the same bytes for
/// [`JsonlSinkBuilder::hmac_key`].
pub fn read_key_file(path: impl AsRef<std::path::Path>) -> std::io::Result<Vec<u8>> {
    let mut key = std::fs::read(path)?;
    if key.last() == Some(&b'\n') {
        key.pop();
        if key.last() == Some(&b'\r') {
            key.pop();
        }
    }
    Ok(key)
}
