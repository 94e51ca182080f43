//! The [`Recorder`]: a bounded queue in front of the sinks, with batching,
//! back-pressure, a failure policy per sink, and two durability modes.
//!
//! # How events flow
//!
//! [`Recorder::record`] stamps `ts` (when empty), cuts content excerpts to the configured
//! size and puts the event on a bounded queue. One worker task takes events off the
//! queue in order, assigns `seq`, and writes them to every sink in batches of up to
//! `batch_size`. Events stay in the worker's buffer until every
//! [`SinkPolicy::Required`] sink has stored them; the buffer is as large as the queue,
//! so at most twice `queue_capacity` events are held.
//!
//! # Failure policy
//!
//! * **Required** (the default policy): a failed write is retried with exponential
//!   backoff (50 ms doubling up to `retry_max`), and no accepted event is dropped.
//!   While the sink fails, [`Recorder::healthy`] returns
//!   [`RecordError::SinkFailing`] — the guard refuses new calls — and `record` stops
//!   waiting for room: when the queue is full it returns [`RecordError::QueueFull`].
//! * **BestEffort**: events the sink fails to take (or that arrive while it backs off)
//!   are dropped and counted; when the sink takes a write again, the recorder first
//!   writes a `gap` event (`first_seq`, `last_seq`, `count`) to that sink.
//!
//! # Durability
//!
//! * [`Durability::Buffered`] (default): `record` returns once the event is queued (it
//!   waits for room: back-pressure). Sinks are flushed every `flush_interval`, on
//!   [`Recorder::flush`] and at shutdown.
//! * [`Durability::Sync`]: `record` returns once every required sink has written *and
//!   flushed* the event. The worker writes and flushes whole batches, so concurrent
//!   callers share one flush (group commit). If a required sink fails, `record` returns
//!   [`RecordError::SinkFailing`] — the event is *not yet durable* but stays queued and
//!   is written when the sink recovers, so the caller must not act as if it were
//!   recorded (the guard refuses the call).
//!
//! # Shutdown
//!
//! [`Recorder::shutdown`] drains the queue, writes everything, closes the sinks (the
//! JSONL sink seals its file with a checkpoint) and stops the worker. Dropping every
//! clone of the recorder does the same in the background, if the runtime keeps running.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep_until, timeout};

use super::error::RecordError;
use super::event::{Event, EventBody, GapRecord};
use super::sink::{Sink, SinkError};

/// What happens while a sink fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SinkPolicy {
    /// Calls are refused while the sink fails; accepted events are kept and retried.
    #[default]
    Required,
    /// Calls go on; lost events are counted and recorded as a `gap` on recovery.
    BestEffort,
}

/// When [`Recorder::record`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// Once the event is queued.
    #[default]
    Buffered,
    /// Once every required sink has durably written the event.
    Sync,
}

/// Default queue capacity (events).
pub const DEFAULT_QUEUE_CAPACITY: usize = 8192;
/// Default largest batch handed to a sink.
pub const DEFAULT_BATCH_SIZE: usize = 256;
/// Default size cap of content excerpts (`result.content`, `notification.params`).
pub const DEFAULT_MAX_EXCERPT_BYTES: usize = 4096;

type Ack = oneshot::Sender<Result<(), RecordError>>;

enum Control {
    Flush(Ack),
    Shutdown(Ack),
}

struct Shared {
    durability: Durability,
    max_excerpt_bytes: usize,
    capacity: usize,
    failing: AtomicBool,
    failure: Mutex<Option<RecordError>>,
    dropped: AtomicU64,
}

impl Shared {
    fn set_failure(&self, failure: Option<RecordError>) {
        self.failing.store(failure.is_some(), Ordering::SeqCst);
        if let Ok(mut slot) = self.failure.lock() {
            *slot = failure;
        }
    }
}

/// Feeds recorded events to the sinks. Cheap to clone; every clone feeds the same
/// worker. See the [module documentation](self).
#[derive(Clone)]
pub struct Recorder {
    events: mpsc::Sender<(Event, Option<Ack>)>,
    control: mpsc::Sender<Control>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("durability", &self.shared.durability)
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Recorder`].
#[must_use]
pub struct RecorderBuilder {
    sinks: Vec<(Arc<dyn Sink>, SinkPolicy)>,
    durability: Durability,
    queue_capacity: usize,
    batch_size: usize,
    flush_interval: Duration,
    write_timeout: Duration,
    retry_max: Duration,
    shutdown_grace: Duration,
    max_excerpt_bytes: usize,
}

impl Recorder {
    /// A builder with the defaults: buffered, a queue of 8192, batches of 256, flush
    /// every second, 30 s write timeout, retries up to every 5 s, 4 KiB excerpts.
    pub fn builder() -> RecorderBuilder {
        RecorderBuilder {
            sinks: Vec::new(),
            durability: Durability::Buffered,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            batch_size: DEFAULT_BATCH_SIZE,
            flush_interval: Duration::from_secs(1),
            write_timeout: Duration::from_secs(30),
            retry_max: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(30),
            max_excerpt_bytes: DEFAULT_MAX_EXCERPT_BYTES,
        }
    }

    /// Records `event`: see [Durability](self#durability) for when this returns.
    /// `seq`, `prev` and `hash` are overwritten; `ts` is set when empty.
    pub async fn record(&self, mut event: Event) -> Result<(), RecordError> {
        if event.ts.is_empty() {
            event.ts = super::time::format_rfc3339(SystemTime::now());
        }
        event.cap_excerpts(self.shared.max_excerpt_bytes);
        event.seq = 0;
        event.prev = None;
        event.hash = None;
        match self.shared.durability {
            Durability::Buffered => self.enqueue(event, None).await,
            Durability::Sync => {
                let (ack, done) = oneshot::channel();
                self.enqueue(event, Some(ack)).await?;
                done.await.map_err(|_| RecordError::Closed)?
            }
        }
    }

    async fn enqueue(&self, event: Event, ack: Option<Ack>) -> Result<(), RecordError> {
        loop {
            if self.shared.failing.load(Ordering::SeqCst) {
                let permit = self.events.try_reserve().map_err(|e| match e {
                    mpsc::error::TrySendError::Full(()) => RecordError::QueueFull {
                        capacity: self.shared.capacity,
                    },
                    mpsc::error::TrySendError::Closed(()) => RecordError::Closed,
                })?;
                permit.send((event, ack));
                return Ok(());
            }
            // Wait for room, but look at the sinks' health now and then: a sink that
            // starts failing while we wait turns waiting into a refusal.
            match timeout(Duration::from_millis(100), self.events.reserve()).await {
                Ok(Ok(permit)) => {
                    permit.send((event, ack));
                    return Ok(());
                }
                Ok(Err(_)) => return Err(RecordError::Closed),
                Err(_) => continue,
            }
        }
    }

    /// `Ok` while every required sink works; the failing sink and its error otherwise.
    /// The guard refuses new calls while this is an error.
    pub fn healthy(&self) -> Result<(), RecordError> {
        if !self.shared.failing.load(Ordering::SeqCst) {
            return Ok(());
        }
        match self.shared.failure.lock() {
            Ok(failure) => failure.clone().map_or(Ok(()), Err),
            Err(_) => Err(RecordError::Closed),
        }
    }

    /// Events best-effort sinks have lost so far (summed over sinks).
    pub fn dropped_events(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Writes and flushes everything recorded so far, retrying failing sinks once now.
    /// `Err` when a required sink could not take it (the events stay queued).
    pub async fn flush(&self) -> Result<(), RecordError> {
        let (ack, done) = oneshot::channel();
        self.control
            .send(Control::Flush(ack))
            .await
            .map_err(|_| RecordError::Closed)?;
        done.await.map_err(|_| RecordError::Closed)?
    }

    /// Drains the queue, writes and closes every sink, and stops the worker. Later
    /// calls to `record` return [`RecordError::Closed`]. `Err` when a required sink could
    /// not take every accepted event within the shutdown grace period.
    pub async fn shutdown(&self) -> Result<(), RecordError> {
        let (ack, done) = oneshot::channel();
        self.control
            .send(Control::Shutdown(ack))
            .await
            .map_err(|_| RecordError::Closed)?;
        done.await.map_err(|_| RecordError::Closed)?
    }
}

impl RecorderBuilder {
    /// Adds a sink with its failure policy. Events go to every sink.
    pub fn sink(mut self, sink: Arc<dyn Sink>, policy: SinkPolicy) -> Self {
        self.sinks.push((sink, policy));
        self
    }

    /// Buffered (default) or sync.
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// How many events may wait in the queue (default 8192).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// The largest batch handed to a sink at once (default 256).
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size;
        self
    }

    /// How often a buffered recorder flushes its sinks (default 1 s).
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// How long one sink write or flush may take before it counts as failed (30 s).
    pub fn write_timeout(mut self, limit: Duration) -> Self {
        self.write_timeout = limit;
        self
    }

    /// The longest wait between retries of a failing sink (default 5 s).
    pub fn retry_max(mut self, limit: Duration) -> Self {
        self.retry_max = limit;
        self
    }

    /// How long shutdown keeps retrying a failing required sink (default 30 s).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The size cap of content excerpts, in bytes (default 4096).
    pub fn max_excerpt_bytes(mut self, bytes: usize) -> Self {
        self.max_excerpt_bytes = bytes;
        self
    }

    /// Starts the worker on the current tokio runtime.
    pub fn build(self) -> Result<Recorder, RecordError> {
        if self.sinks.is_empty() {
            return Err(RecordError::Config(
                "a recorder needs at least one sink".into(),
            ));
        }
        if self.queue_capacity == 0 || self.batch_size == 0 {
            return Err(RecordError::Config(
                "queue_capacity and batch_size must be at least 1".into(),
            ));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RecordError::NoRuntime)?;
        let shared = Arc::new(Shared {
            durability: self.durability,
            max_excerpt_bytes: self.max_excerpt_bytes,
            capacity: self.queue_capacity,
            failing: AtomicBool::new(false),
            failure: Mutex::new(None),
            dropped: AtomicU64::new(0),
        });
        let last_seq = self
            .sinks
            .iter()
            .filter_map(|(sink, _)| sink.last_seq())
            .max()
            .unwrap_or(0);
        let (events_tx, events_rx) = mpsc::channel(self.queue_capacity);
        let (control_tx, control_rx) = mpsc::channel(64);
        let now = Instant::now();
        let worker = Worker {
            events_rx,
            control_rx,
            shared: Arc::clone(&shared),
            slots: self
                .sinks
                .into_iter()
                .map(|(sink, policy)| Slot {
                    sink,
                    policy,
                    written: last_seq,
                    durable: last_seq,
                    failure: None,
                    retry_at: now,
                    backoff: INITIAL_BACKOFF,
                    lost: None,
                })
                .collect(),
            events: VecDeque::new(),
            acks: VecDeque::new(),
            next_seq: last_seq + 1,
            flush_waiters: Vec::new(),
            shutdown_waiters: Vec::new(),
            closing: false,
            closing_since: None,
            last_flush: now,
            batch_size: self.batch_size,
            flush_interval: self.flush_interval,
            write_timeout: self.write_timeout,
            retry_max: self.retry_max,
            shutdown_grace: self.shutdown_grace,
        };
        runtime.spawn(worker.run());
        Ok(Recorder {
            events: events_tx,
            control: control_tx,
            shared,
        })
    }
}

const INITIAL_BACKOFF: Duration = Duration::from_millis(50);

struct Slot {
    sink: Arc<dyn Sink>,
    policy: SinkPolicy,
    /// Last seq handed to the sink successfully (or dropped, for best-effort).
    written: u64,
    /// Last seq flushed successfully.
    durable: u64,
    failure: Option<String>,
    retry_at: Instant,
    backoff: Duration,
    /// Best-effort: the seq range lost since the last successful write.
    lost: Option<(u64, u64)>,
}

impl Slot {
    fn required(&self) -> bool {
        self.policy == SinkPolicy::Required
    }

    fn failed(&mut self, error: &SinkError, retry_max: Duration) {
        tracing::warn!(target: "tollgate::audit", sink = self.sink.name(), %error, "audit sink failed");
        self.failure = Some(error.to_string());
        self.retry_at = Instant::now() + self.backoff;
        self.backoff = (self.backoff * 2).min(retry_max);
    }

    fn recovered(&mut self) {
        if self.failure.take().is_some() {
            tracing::info!(target: "tollgate::audit", sink = self.sink.name(), "audit sink recovered");
        }
        self.backoff = INITIAL_BACKOFF;
    }

    fn lose(&mut self, first: u64, last: u64, shared: &Shared) {
        let start = self.lost.map_or(first, |(start, _)| start);
        self.lost = Some((start, last));
        self.written = last;
        self.durable = last;
        shared
            .dropped
            .fetch_add(last.saturating_sub(first) + 1, Ordering::Relaxed);
    }
}

struct Worker {
    events_rx: mpsc::Receiver<(Event, Option<Ack>)>,
    control_rx: mpsc::Receiver<Control>,
    shared: Arc<Shared>,
    slots: Vec<Slot>,
    /// Accepted events not yet stored by every required sink, in seq order.
    events: VecDeque<Event>,
    /// The sync acknowledgement of each event in `events`.
    acks: VecDeque<Option<Ack>>,
    next_seq: u64,
    flush_waiters: Vec<Ack>,
    shutdown_waiters: Vec<Ack>,
    closing: bool,
    closing_since: Option<Instant>,
    last_flush: Instant,
    batch_size: usize,
    flush_interval: Duration,
    write_timeout: Duration,
    retry_max: Duration,
    shutdown_grace: Duration,
}

impl Worker {
    async fn run(mut self) {
        loop {
            if !self.closing {
                self.receive().await;
            }
            self.deliver().await;
            self.flush_if_due().await;
            self.settle();
            self.publish_health();
            if self.closing {
                let since = *self.closing_since.get_or_insert_with(Instant::now);
                if self.events.is_empty() || since.elapsed() >= self.shutdown_grace {
                    self.finish().await;
                    return;
                }
                sleep_until(self.next_retry().min(since + self.shutdown_grace)).await;
            }
        }
    }

    /// Waits for something to do, then takes what is already queued.
    async fn receive(&mut self) {
        if !self.has_ready_work() {
            let deadline = self.next_deadline();
            let room = self.events.len() < self.shared.capacity;
            tokio::select! {
                biased;
                control = self.control_rx.recv() => match control {
                    Some(control) => self.handle_control(control),
                    None => self.start_closing(),
                },
                event = self.events_rx.recv(), if room => match event {
                    Some(event) => self.accept(event),
                    None => self.start_closing(),
                },
                () = sleep_until(deadline) => {}
            }
        }
        while self.events.len() < self.shared.capacity {
            match self.events_rx.try_recv() {
                Ok(event) => self.accept(event),
                Err(_) => break,
            }
        }
        while let Ok(control) = self.control_rx.try_recv() {
            self.handle_control(control);
        }
    }

    fn accept(&mut self, (mut event, ack): (Event, Option<Ack>)) {
        event.seq = self.next_seq;
        self.next_seq += 1;
        self.events.push_back(event);
        self.acks.push_back(ack);
    }

    fn handle_control(&mut self, control: Control) {
        match control {
            Control::Flush(ack) => {
                self.drain_queue();
                self.flush_waiters.push(ack);
                self.retry_now();
            }
            Control::Shutdown(ack) => {
                self.shutdown_waiters.push(ack);
                self.start_closing();
            }
        }
    }

    fn start_closing(&mut self) {
        if !self.closing {
            self.closing = true;
            self.events_rx.close();
            self.control_rx.close();
            self.drain_queue();
            while let Ok(control) = self.control_rx.try_recv() {
                match control {
                    Control::Flush(ack) => self.flush_waiters.push(ack),
                    Control::Shutdown(ack) => self.shutdown_waiters.push(ack),
                }
            }
            self.retry_now();
        }
    }

    /// Takes every queued event, beyond the buffer's capacity (bounded by the queue's).
    fn drain_queue(&mut self) {
        while let Ok(event) = self.events_rx.try_recv() {
            self.accept(event);
        }
    }

    fn retry_now(&mut self) {
        let now = Instant::now();
        for slot in &mut self.slots {
            slot.retry_at = now;
        }
    }

    fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    fn has_ready_work(&self) -> bool {
        let now = Instant::now();
        let last = self.last_seq();
        self.slots
            .iter()
            .any(|slot| slot.written < last && slot.retry_at <= now)
    }

    fn next_retry(&self) -> Instant {
        let last = self.last_seq();
        self.slots
            .iter()
            .filter(|slot| slot.written < last || slot.durable < slot.written)
            .map(|slot| slot.retry_at)
            .min()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }

    fn next_deadline(&self) -> Instant {
        let dirty = self.slots.iter().any(|slot| slot.durable < slot.written);
        let flush_at = if dirty {
            self.last_flush + self.flush_interval
        } else {
            Instant::now() + Duration::from_secs(3600)
        };
        self.next_retry().min(flush_at)
    }

    /// Hands every sink the events it has not stored yet.
    async fn deliver(&mut self) {
        let Worker {
            slots,
            events,
            acks,
            shared,
            batch_size,
            write_timeout,
            retry_max,
            ..
        } = self;
        let all: &[Event] = events.make_contiguous();
        let (Some(first), Some(last)) = (all.first(), all.last()) else {
            return;
        };
        let (front_seq, last_seq) = (first.seq, last.seq);
        let now = Instant::now();
        for slot in slots.iter_mut() {
            if slot.written >= last_seq {
                continue;
            }
            let mut start =
                usize::try_from((slot.written + 1).saturating_sub(front_seq)).unwrap_or(usize::MAX);
            if slot.retry_at > now {
                if !slot.required()
                    && let Some(from) = all.get(start)
                {
                    slot.lose(from.seq, last_seq, shared);
                }
                continue;
            }
            while let Some(rest) = all.get(start..).filter(|rest| !rest.is_empty()) {
                let chunk = rest.get(..(*batch_size).min(rest.len())).unwrap_or(rest);
                let (Some(chunk_first), Some(chunk_last)) = (chunk.first(), chunk.last()) else {
                    break;
                };
                let outcome = match slot.lost {
                    Some((first_lost, last_lost)) => {
                        let mut with_gap = Vec::with_capacity(chunk.len() + 1);
                        with_gap.push(Event::unattached(
                            EventBody::Gap(GapRecord {
                                sink: slot.sink.name().to_owned(),
                                first_seq: first_lost,
                                last_seq: last_lost,
                                count: last_lost - first_lost + 1,
                            }),
                            last_lost,
                        ));
                        with_gap.extend_from_slice(chunk);
                        write_with_timeout(slot.sink.as_ref(), &with_gap, *write_timeout).await
                    }
                    None => write_with_timeout(slot.sink.as_ref(), chunk, *write_timeout).await,
                };
                match outcome {
                    Ok(()) => {
                        slot.written = chunk_last.seq;
                        slot.lost = None;
                        slot.recovered();
                        start += chunk.len();
                    }
                    Err(error) => {
                        slot.failed(&error, *retry_max);
                        if slot.required() {
                            let failure = RecordError::SinkFailing {
                                sink: slot.sink.name().to_owned(),
                                reason: error.to_string(),
                            };
                            for ack in acks.iter_mut().skip(start) {
                                if let Some(ack) = ack.take() {
                                    let _ = ack.send(Err(failure.clone()));
                                }
                            }
                        } else {
                            slot.lose(chunk_first.seq, last_seq, shared);
                        }
                        break;
                    }
                }
            }
        }
    }

    /// Flushes in sync mode after every write, and otherwise when asked, at shutdown,
    /// or every flush interval.
    async fn flush_if_due(&mut self) {
        let due = self.shared.durability == Durability::Sync
            || !self.flush_waiters.is_empty()
            || self.closing
            || self.last_flush.elapsed() >= self.flush_interval;
        if !due {
            return;
        }
        let now = Instant::now();
        let mut flushed_any = false;
        for slot in &mut self.slots {
            if slot.durable >= slot.written || slot.retry_at > now {
                continue;
            }
            flushed_any = true;
            match timeout(self.write_timeout, slot.sink.flush()).await {
                Ok(Ok(())) => {
                    slot.durable = slot.written;
                    slot.recovered();
                }
                Ok(Err(error)) => slot.failed(&error, self.retry_max),
                Err(_) => slot.failed(&SinkError::TimedOut, self.retry_max),
            }
            if slot.required()
                && slot.durable < slot.written
                && let Some(reason) = slot.failure.clone()
            {
                let failure = RecordError::SinkFailing {
                    sink: slot.sink.name().to_owned(),
                    reason,
                };
                let front = self.events.front().map_or(0, |e| e.seq);
                let skip =
                    usize::try_from((slot.durable + 1).saturating_sub(front)).unwrap_or(usize::MAX);
                for ack in self.acks.iter_mut().skip(skip) {
                    if let Some(ack) = ack.take() {
                        let _ = ack.send(Err(failure.clone()));
                    }
                }
            }
        }
        if flushed_any || self.last_flush.elapsed() >= self.flush_interval {
            self.last_flush = Instant::now();
        }
        if !self.flush_waiters.is_empty() {
            let outcome = self.required_outcome(true);
            for ack in self.flush_waiters.drain(..) {
                let _ = ack.send(outcome.clone());
            }
        }
    }

    /// `Ok` when every required sink holds every accepted event (durably, if asked).
    fn required_outcome(&self, durable: bool) -> Result<(), RecordError> {
        let last = self.last_seq();
        for slot in self.slots.iter().filter(|slot| slot.required()) {
            let reached = if durable { slot.durable } else { slot.written };
            if reached < last {
                return Err(RecordError::SinkFailing {
                    sink: slot.sink.name().to_owned(),
                    reason: slot
                        .failure
                        .clone()
                        .unwrap_or_else(|| "events not yet written".into()),
                });
            }
        }
        Ok(())
    }

    /// Drops the events every sink is done with, acknowledging sync callers.
    fn settle(&mut self) {
        let sync = self.shared.durability == Durability::Sync;
        let done = self
            .slots
            .iter()
            .map(|slot| {
                if slot.required() && sync {
                    slot.durable
                } else {
                    slot.written
                }
            })
            .min()
            .unwrap_or(u64::MAX);
        while self.events.front().is_some_and(|event| event.seq <= done) {
            self.events.pop_front();
            if let Some(Some(ack)) = self.acks.pop_front() {
                let _ = ack.send(Ok(()));
            }
        }
    }

    fn publish_health(&self) {
        let failure = self
            .slots
            .iter()
            .find(|slot| slot.required() && slot.failure.is_some())
            .map(|slot| RecordError::SinkFailing {
                sink: slot.sink.name().to_owned(),
                reason: slot.failure.clone().unwrap_or_default(),
            });
        if failure.is_some() != self.shared.failing.load(Ordering::SeqCst) || failure.is_some() {
            self.shared.set_failure(failure);
        }
    }

    async fn finish(&mut self) {
        let mut outcome = if self.events.is_empty() {
            Ok(())
        } else {
            Err(RecordError::Undelivered {
                events: self.events.len(),
            })
        };
        for slot in &mut self.slots {
            let error = match timeout(self.write_timeout, slot.sink.close()).await {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error,
                Err(_) => SinkError::TimedOut,
            };
            tracing::warn!(target: "tollgate::audit", sink = slot.sink.name(), %error, "closing an audit sink failed");
            if slot.required() && outcome.is_ok() {
                outcome = Err(RecordError::SinkFailing {
                    sink: slot.sink.name().to_owned(),
                    reason: error.to_string(),
                });
            }
        }
        let closed = Err(RecordError::Closed);
        for ack in self.acks.drain(..).flatten() {
            let _ = ack.send(closed.clone());
        }
        for ack in self.flush_waiters.drain(..) {
            let _ = ack.send(outcome.clone());
        }
        for ack in self.shutdown_waiters.drain(..) {
            let _ = ack.send(outcome.clone());
        }
    }
}

async fn write_with_timeout(
    sink: &dyn Sink,
    batch: &[Event],
    limit: Duration,
) -> Result<(), SinkError> {
    match timeout(limit, sink.write(batch)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(SinkError::TimedOut),
    }
}
