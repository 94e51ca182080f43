//! [`SqliteSink`]: the embedded, queryable store (rusqlite with a bundled SQLite).
//!
//! One table, `events`, with a column per field a review filters on and the whole event
//! as JSON:
//!
//! | column | content |
//! |---|---|
//! | `seq` | the event's `seq` (primary key) |
//! | `ts` | RFC 3339 timestamp (text, sorts in time order) |
//! | `session`, `subject`, `tool`, `kind` | for filtering (indexed, except `kind`) |
//! | `prev`, `hash` | the hash chain, as in the JSONL sink |
//! | `event` | the event as JSON, including `prev` and `hash` |
//!
//! Each batch is one transaction. With `synchronous(true)` (the default) every commit is
//! durable when it returns; `flush` then has nothing left to do. SQLite work runs on
//! tokio's blocking pool.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::identity::BoxFuture;

use super::chain::Chain;
use super::event::Event;
use super::sink::{Sink, SinkError};

/// The most rows [`SqliteSink::query`] returns.
pub const MAX_QUERY_ROWS: usize = 100_000;

/// A hash-chained SQLite sink. See the [module documentation](self).
pub struct SqliteSink {
    inner: Arc<Mutex<SqliteState>>,
    resumed_seq: Option<u64>,
}

impl std::fmt::Debug for SqliteSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteSink").finish_non_exhaustive()
    }
}

struct SqliteState {
    connection: Connection,
    chain: Chain,
}

/// Which events [`SqliteSink::query`] returns; every field set must match.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EventFilter {
    /// Only this session.
    pub session: Option<String>,
    /// Only this subject.
    pub subject: Option<String>,
    /// Only this tool.
    pub tool: Option<String>,
    /// Only this kind (`call`, `result`, …).
    pub kind: Option<String>,
    /// Only events at or after this RFC 3339 time (as written by the recorder).
    pub since: Option<String>,
    /// Only events before this RFC 3339 time.
    pub until: Option<String>,
    /// At most this many events (capped at [`MAX_QUERY_ROWS`]).
    pub limit: Option<usize>,
}

impl EventFilter {
    /// Every event (up to the row cap).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `session`.
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// Only `subject`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Only `tool`.
    pub fn tool(mut self, tool: impl Into<String>) -> Self {
        self.tool = Some(tool.into());
        self
    }

    /// Only `kind`.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }
}

fn db_error(error: rusqlite::Error) -> SinkError {
    SinkError::Database(error.to_string())
}

impl SqliteSink {
    /// Opens (or creates) the database at `path`, durable per commit.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SinkError> {
        Self::open_with(path, true)
    }

    /// Opens (or creates) the database; `synchronous` false trades durability on power
    /// loss for speed (commits survive a process crash either way, in WAL mode).
    pub fn open_with(path: impl AsRef<Path>, synchronous: bool) -> Result<Self, SinkError> {
        let connection = Connection::open(path).map_err(db_error)?;
        Self::from_connection(connection, synchronous)
    }

    /// An in-memory database (for tests).
    pub fn in_memory() -> Result<Self, SinkError> {
        Self::from_connection(Connection::open_in_memory().map_err(db_error)?, false)
    }

    fn from_connection(connection: Connection, synchronous: bool) -> Result<Self, SinkError> {
        connection
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = {};
                 CREATE TABLE IF NOT EXISTS events (
                     seq INTEGER PRIMARY KEY,
                     ts TEXT NOT NULL,
                     session TEXT,
                     subject TEXT,
                     tool TEXT,
                     kind TEXT NOT NULL,
                     prev TEXT NOT NULL,
                     hash TEXT NOT NULL,
                     event TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
                 CREATE INDEX IF NOT EXISTS events_session ON events(session);
                 CREATE INDEX IF NOT EXISTS events_subject ON events(subject);
                 CREATE INDEX IF NOT EXISTS events_tool ON events(tool);",
                if synchronous { "FULL" } else { "NORMAL" }
            ))
            .map_err(db_error)?;
        let last: Option<String> = connection
            .query_row(
                "SELECT event FROM events ORDER BY seq DESC LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map_err(db_error)?;
        let chain = match last {
            Some(text) => serde_json::from_str::<Value>(&text)
                .ok()
                .as_ref()
                .and_then(Chain::resume)
                .ok_or_else(|| SinkError::Encode("the last stored event is not chained".into()))?,
            None => Chain::genesis(),
        };
        let resumed_seq = (chain.last_seq > 0).then_some(chain.last_seq);
        Ok(SqliteSink {
            inner: Arc::new(Mutex::new(SqliteState { connection, chain })),
            resumed_seq,
        })
    }

    /// The events matching `filter`, in `seq` order.
    pub async fn query(&self, filter: &EventFilter) -> Result<Vec<Event>, SinkError> {
        let inner = Arc::clone(&self.inner);
        let filter = filter.clone();
        tokio::task::spawn_blocking(move || {
            let state = inner
                .lock()
                .map_err(|_| SinkError::Unavailable("poisoned".into()))?;
            query_blocking(&state.connection, &filter)
        })
        .await
        .map_err(|e| SinkError::Unavailable(e.to_string()))?
    }
}

fn query_blocking(connection: &Connection, filter: &EventFilter) -> Result<Vec<Event>, SinkError> {
    let mut sql = String::from("SELECT event FROM events WHERE 1 = 1");
    let mut values: Vec<String> = Vec::new();
    for (column, op, value) in [
        ("session", "=", &filter.session),
        ("subject", "=", &filter.subject),
        ("tool", "=", &filter.tool),
        ("kind", "=", &filter.kind),
        ("ts", ">=", &filter.since),
        ("ts", "<", &filter.until),
    ] {
        if let Some(value) = value {
            values.push(value.clone());
            sql.push_str(&format!(" AND {column} {op} ?{}", values.len()));
        }
    }
    let limit = filter.limit.unwrap_or(MAX_QUERY_ROWS).min(MAX_QUERY_ROWS);
    sql.push_str(&format!(" ORDER BY seq LIMIT {limit}"));
    let mut statement = connection.prepare(&sql).map_err(db_error)?;
    let rows = statement
        .query_map(rusqlite::params_from_iter(values.iter()), |row| {
            row.get::<_, String>(0)
        })
        .map_err(db_error)?;
    let mut events = Vec::new();
    for row in rows {
        let text = row.map_err(db_error)?;
        events.push(serde_json::from_str(&text).map_err(|e| SinkError::Encode(e.to_string()))?);
    }
    Ok(events)
}

struct Row {
    seq: u64,
    ts: String,
    session: Option<String>,
    subject: Option<String>,
    tool: Option<String>,
    kind: &'static str,
    prev: String,
    hash: String,
    json: String,
}

impl Sink for SqliteSink {
    fn name(&self) -> &str {
        "sqlite"
    }

    fn write<'a>(&'a self, batch: &'a [Event]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let mut chain = self
                .inner
                .lock()
                .map_err(|_| SinkError::Unavailable("poisoned".into()))?
                .chain
                .clone();
            let mut rows = Vec::with_capacity(batch.len());
            let mut line = Vec::new();
            for event in batch {
                line.clear();
                let prev = chain.head.clone();
                let hash = chain.append(event, &mut line)?;
                let json =
                    String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(&line)).into_owned();
                rows.push(Row {
                    seq: event.seq,
                    ts: event.ts.clone(),
                    session: event.session.clone(),
                    subject: event.subject().map(str::to_owned),
                    tool: event.tool().map(str::to_owned),
                    kind: event.kind(),
                    prev,
                    hash,
                    json,
                });
            }
            let inner = Arc::clone(&self.inner);
            tokio::task::spawn_blocking(move || {
                let mut state = inner
                    .lock()
                    .map_err(|_| SinkError::Unavailable("poisoned".into()))?;
                let transaction = state.connection.transaction().map_err(db_error)?;
                {
                    let mut insert = transaction
                        .prepare_cached(
                            "INSERT INTO events (seq, ts, session, subject, tool, kind, prev, hash, event)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        )
                        .map_err(db_error)?;
                    for row in &rows {
                        insert
                            .execute(params![
                                i64::try_from(row.seq).unwrap_or(i64::MAX),
                                row.ts,
                                row.session,
                                row.subject,
                                row.tool,
                                row.kind,
                                row.prev,
                                row.hash,
                                row.json
                            ])
                            .map_err(db_error)?;
                    }
                }
                transaction.commit().map_err(db_error)?;
                state.chain = chain;
                Ok(())
            })
            .await
            .map_err(|e| SinkError::Unavailable(e.to_string()))?
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        Box::pin(async { Ok(()) })
    }

    fn last_seq(&self) -> Option<u64> {
        self.resumed_seq
    }
}
