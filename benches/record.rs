//! Recording throughput: the JSONL sink (hash chain, canonical form, file append),
//! buffered and sync, and the SQLite sink. Throughput is reported in events per second.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tollgate::identity::IdentityKind;
use tollgate::policy::Action;
use tollgate::record::{
    CallRecord, DecisionRecord, Durability, IdentitySummary, JsonlSink, Recorder, SinkPolicy,
    SqliteSink,
};
use tollgate::{Event, Sink};

const BATCH: usize = 256;

fn event(n: usize) -> Event {
    let decision = DecisionRecord::new(Action::Allow, Some("analysts".into()), None);
    let mut event = Event::call(
        "3f2a9c1e-session",
        IdentitySummary::new("alice@example.com", IdentityKind::User),
        CallRecord::new("tools/call", decision)
            .with_id(json!(n))
            .with_tool("db.query")
            .with_arguments(
                json!({"sql": "select id, name from customers where region = 'eu'", "limit": 50}),
            ),
    )
    .with_ts("2025-06-01T12:00:00.123456Z");
    event.seq = n as u64 + 1;
    event
}

fn batch() -> Vec<Event> {
    (0..BATCH).map(event).collect()
}

fn sinks(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let events = batch();

    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(BATCH as u64));

    let jsonl = JsonlSink::builder(dir.path().join("buffered.jsonl"))
        .hmac_key(b"bench-key".to_vec())
        .build()
        .unwrap();
    group.bench_function("jsonl_buffered_write", |b| {
        b.to_async(&runtime).iter(|| jsonl.write(&events));
    });

    let sqlite = SqliteSink::open_with(dir.path().join("bench.db"), false).unwrap();
    let mut next = 0usize;
    group.bench_function("sqlite_write", |b| {
        b.to_async(&runtime).iter_batched(
            || {
                let mut events = batch();
                for e in &mut events {
                    next += 1;
                    e.seq = next as u64;
                }
                events
            },
            |events| {
                let sqlite = &sqlite;
                async move { sqlite.write(&events).await }
            },
            BatchSize::SmallInput,
        );
    });

    // Through the recorder, sync mode: 256 concurrent callers per iteration share
    // group-committed writes and fsyncs.
    let sync_recorder = runtime.block_on(async {
        let sink = JsonlSink::builder(dir.path().join("sync.jsonl"))
            .build()
            .unwrap();
        Recorder::builder()
            .sink(Arc::new(sink), SinkPolicy::Required)
            .durability(Durability::Sync)
            .build()
            .unwrap()
    });
    group.bench_function("recorder_sync_256_callers", |b| {
        b.to_async(&runtime).iter(|| {
            let recorder = sync_recorder.clone();
            async move {
                let tasks: Vec<_> = (0..BATCH)
                    .map(|n| {
                        let recorder = recorder.clone();
                        tokio::spawn(async move { recorder.record(event(n)).await })
                    })
                    .collect();
                for task in tasks {
                    let _ = task.await;
                }
            }
        });
    });
    group.finish();
}

criterion_group!(benches, sinks);
criterion_main!(benches);
