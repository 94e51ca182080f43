//! Errors of the recorder and of reading recorded files.

use std::path::PathBuf;

/// Why the recorder refused or could not finish something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The builder was used outside a tokio runtime.
    #[error("the recorder needs a tokio runtime (build it inside one)")]
    NoRuntime,
    /// The builder's settings are unusable.
    #[error("invalid recorder configuration: {0}")]
    Config(String),
    /// A required sink is failing: new calls must be refused until it recovers.
    #[error("audit sink `{sink}` is failing ({reason}); calls are refused until it recovers")]
    SinkFailing {
        /// The sink's name.
        sink: String,
        /// The last error.
        reason: String,
    },
    /// The queue is full while a required sink is failing, so the event was not accepted.
    #[error("the audit queue is full ({capacity} events) and a required sink is failing")]
    QueueFull {
        /// The queue capacity.
        capacity: usize,
    },
    /// The recorder has shut down.
    #[error("the recorder has shut down")]
    Closed,
    /// At shutdown, accepted events could not be written to a required sink in time.
    #[error("{events} accepted events could not be written to a required sink before shutdown")]
    Undelivered {
        /// How many.
        events: usize,
    },
    /// An event has a schema version this crate does not read.
    #[error("unsupported event schema version {0}")]
    UnsupportedVersion(u32),
}

/// Why a recorded file could not be read at all (as opposed to a finding in it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line is not an event.
    #[error("{path}:{line}: not an event: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
    },
}
