//! [`TracingSink`]: every event as a structured `tracing` event.

use crate::identity::BoxFuture;

use super::event::Event;
use super::sink::{Sink, SinkError};

/// Emits each event as an `INFO` `tracing` event with target `tollgate::audit`, so a
/// subscriber can route records to OpenTelemetry or a log pipeline.
///
/// Fields: `seq`, `ts`, `kind`, `session`, `subject`, `tool`, and `event` (the whole
/// event as JSON). Tracing gives no durability: use it next to a JSONL or SQLite sink,
/// usually as [`SinkPolicy::BestEffort`](super::SinkPolicy::BestEffort).
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingSink;

impl TracingSink {
    /// The sink.
    pub fn new() -> Self {
        TracingSink
    }
}

impl Sink for TracingSink {
    fn name(&self) -> &str {
        "tracing"
    }

    fn write<'a>(&'a self, batch: &'a [Event]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            for event in batch {
                let json =
                    serde_json::to_string(event).map_err(|e| SinkError::Encode(e.to_string()))?;
                tracing::info!(
                    target: "tollgate::audit",
                    seq = event.seq,
                    ts = %event.ts,
                    kind = event.kind(),
                    session = event.session.as_deref().unwrap_or(""),
                    subject = event.subject().unwrap_or(""),
                    tool = event.tool().unwrap_or(""),
                    event = %json,
                    "audit event"
                );
            }
            Ok(())
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async { Ok(()) })
    }
}
