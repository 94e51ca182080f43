//! [`MemorySink`]: keeps events in memory, for tests; can be told to fail.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::identity::BoxFuture;

use super::event::Event;
use super::sink::{Sink, SinkError};

/// The most events a [`MemorySink`] keeps by default; writes beyond fail with
/// [`SinkError::Full`].
pub const DEFAULT_MEMORY_CAPACITY: usize = 1_000_000;

/// A sink that keeps events in memory. For tests: [`set_failing`](Self::set_failing)
/// makes every write and flush fail until it is turned off again.
///
/// ```
/// use tollgate::record::MemorySink;
/// let sink = MemorySink::new();
/// sink.set_failing(true);
/// assert!(sink.events().is_empty());
/// ```
#[derive(Debug)]
pub struct MemorySink {
    name: String,
    events: Mutex<Vec<Event>>,
    failing: AtomicBool,
    capacity: usize,
}

impl Default for MemorySink {
    fn default() -> Self {
        Self::new()
    }
}

impl MemorySink {
    /// An empty sink named `memory`.
    pub fn new() -> Self {
        Self::named("memory")
    }

    /// An empty sink with a name (to tell several apart).
    pub fn named(name: impl Into<String>) -> Self {
        MemorySink {
            name: name.into(),
            events: Mutex::new(Vec::new()),
            failing: AtomicBool::new(false),
            capacity: DEFAULT_MEMORY_CAPACITY,
        }
    }

    /// Caps how many events the sink keeps.
    pub fn with_capacity_limit(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// A copy of the events written so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Makes writes and flushes fail (true) or succeed (false).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Whether writes fail.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::SeqCst)
    }

    fn check(&self) -> Result<(), SinkError> {
        if self.is_failing() {
            Err(SinkError::Unavailable(format!(
                "{} is set to fail",
                self.name
            )))
        } else {
            Ok(())
        }
    }
}

impl Sink for MemorySink {
    fn name(&self) -> &str {
        &self.name
    }

    fn write<'a>(&'a self, batch: &'a [Event]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            self.check()?;
            let mut events = self
                .events
                .lock()
                .map_err(|_| SinkError::Unavailable("poisoned".into()))?;
            if events.len() + batch.len() > self.capacity {
                return Err(SinkError::Full(format!("{} events", self.capacity)));
            }
            events.extend_from_slice(batch);
            Ok(())
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async move { self.check() })
    }
}
