//! The [`Sink`] trait: where recorded events go.

use crate::identity::BoxFuture;

use super::event::Event;

/// Why a sink could not write or flush.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// A file operation failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An event could not be encoded.
    #[error("cannot encode an event: {0}")]
    Encode(String),
    /// The database refused the write.
    #[error("database error: {0}")]
    Database(String),
    /// The sink is unavailable (a remote end is down, or a test sink set to fail).
    #[error("sink unavailable: {0}")]
    Unavailable(String),
    /// The sink is full (a capped in-memory sink).
    #[error("sink full: {0}")]
    Full(String),
    /// The sink took longer than the recorder's write timeout.
    #[error("sink timed out")]
    TimedOut,
}

/// A destination for recorded events.
///
/// The [`Recorder`](super::Recorder) calls one sink from a single worker task, one call at
/// a time, with batches of events in `seq` order; a sink is still `Sync` so it can be
/// shared (for example to query it). Implementations are usable as `Arc<dyn Sink>`.
///
/// Contract:
/// * `write` either stores the whole batch or fails. After a failure the recorder
///   sends the same events again (for a required sink), so a sink that stored part of a
///   batch before failing should undo it, or accept duplicates by `seq`.
/// * `flush` makes everything written so far durable (fsync, commit, upload). In
///   [`Durability::Sync`](super::Durability::Sync) it follows every batch.
/// * `close` is called once on [`Recorder::shutdown`](super::Recorder::shutdown): a sink
///   seals its output (the JSONL sink writes a final checkpoint) and flushes.
///
/// ```
/// use tollgate::{Event, Sink};
/// use tollgate::identity::BoxFuture;
/// use tollgate::record::SinkError;
///
/// /// Counts events and forgets them.
/// struct Counter(std::sync::atomic::AtomicU64);
///
/// impl Sink for Counter {
///     fn name(&self) -> &str { "counter" }
///     fn write<'a>(&'a self, batch: &'a [Event]) -> BoxFuture<'a, Result<(), SinkError>> {
///         Box::pin(async move {
///             self.0.fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
///             Ok(())
///         })
///     }
///     fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
///         Box::pin(async { Ok(()) })
///     }
/// }
/// let sink: std::sync::Arc<dyn Sink> = std::sync::Arc::new(Counter(Default::default()));
/// assert_eq!(sink.name(), "counter");
/// ```
pub trait Sink: Send + Sync {
    /// A short name for errors, metrics and `gap` events.
    fn name(&self) -> &str;

    /// Stores a batch of events.
    fn write<'a>(&'a self, batch: &'a [Event]) -> BoxFuture<'a, Result<(), SinkError>>;

    /// Makes everything written so far durable.
    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>>;

    /// Seals and flushes the sink at shutdown. The default flushes.
    fn close(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        self.flush()
    }

    /// The `seq` of the last event the sink already holds (from an earlier run), so a
    /// new recorder continues after it. The default: none.
    fn last_seq(&self) -> Option<u64> {
        None
    }
}
