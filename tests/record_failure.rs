//! What the recorder promises when sinks fail: required sinks make it unhealthy and
//! lose nothing; best-effort sinks record the gap; sync mode survives a crash.

use std::sync::Arc;

use serde_json::json;
use tollgate::Event;
use tollgate::identity::IdentityKind;
use tollgate::policy::Action;
use tollgate::record::{
    CallRecord, DecisionRecord, Durability, EventBody, IdentitySummary, JsonlSink, MemorySink,
    RecordError, Recorder, SinkPolicy, verify_files,
};

fn call(n: u64) -> Event {
    let decision = DecisionRecord::new(Action::Allow, None, None);
    Event::call(
        "s1",
        IdentitySummary::new("bob", IdentityKind::Agent),
        CallRecord::new("tools/call", decision)
            .with_id(json!(n))
            .with_tool("fs.read"),
    )
}

fn ids(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Call(c) => c.id.as_ref().and_then(|id| id.as_u64()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_failing_required_sink_makes_the_recorder_unhealthy_and_loses_nothing() {
    let sink = Arc::new(MemorySink::named("primary"));
    let recorder = Recorder::builder()
        .sink(sink.clone(), SinkPolicy::Required)
        .build()
        .unwrap();
    recorder.record(call(1)).await.unwrap();
    recorder.flush().await.unwrap();
    assert!(recorder.healthy().is_ok());

    sink.set_failing(true);
    for n in 2..=4 {
        recorder.record(call(n)).await.unwrap();
    }
    let error = recorder.flush().await.unwrap_err();
    assert!(matches!(&error, RecordError::SinkFailing { sink, .. } if sink == "primary"));
    let unhealthy = recorder.healthy().unwrap_err();
    assert!(
        unhealthy.to_string().contains("calls are refused"),
        "{unhealthy}"
    );

    sink.set_failing(false);
    recorder.flush().await.unwrap();
    assert!(recorder.healthy().is_ok());
    assert_eq!(ids(&sink.events()), vec![1, 2, 3, 4]);
    let seqs: Vec<u64> = sink.events().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    recorder.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_full_queue_behind_a_failing_required_sink_refuses_instead_of_hanging() {
    let sink = Arc::new(MemorySink::new());
    let recorder = Recorder::builder()
        .sink(sink.clone(), SinkPolicy::Required)
        .queue_capacity(2)
        .build()
        .unwrap();
    sink.set_failing(true);
    recorder.record(call(1)).await.unwrap();
    assert!(recorder.flush().await.is_err());
    let mut refused = None;
    for n in 2..20 {
        if let Err(error) = recorder.record(call(n)).await {
            refused = Some((n, error));
            break;
        }
    }
    let (n, error) = refused.expect("the bounded queue never refused");
    assert_eq!(error, RecordError::QueueFull { capacity: 2 });
    // Every accepted event is written once the sink recovers.
    sink.set_failing(false);
    recorder.shutdown().await.unwrap();
    assert_eq!(ids(&sink.events()), (1..n).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_best_effort_sink_records_the_gap_when_it_recovers() {
    let primary = Arc::new(MemorySink::named("primary"));
    let side = Arc::new(MemorySink::named("side"));
    let recorder = Recorder::builder()
        .sink(primary.clone(), SinkPolicy::Required)
        .sink(side.clone(), SinkPolicy::BestEffort)
        .build()
        .unwrap();
    recorder.record(call(1)).await.unwrap();
    recorder.flush().await.unwrap();
    side.set_failing(true);
    recorder.record(call(2)).await.unwrap();
    recorder.record(call(3)).await.unwrap();
    // The best-effort sink does not make the recorder unhealthy.
    recorder.flush().await.unwrap();
    assert!(recorder.healthy().is_ok());
    assert_eq!(recorder.dropped_events(), 2);

    side.set_failing(false);
    recorder.record(call(4)).await.unwrap();
    recorder.flush().await.unwrap();
    let side_events = side.events();
    assert_eq!(ids(&side_events), vec![1, 4]);
    let gap = side_events
        .iter()
        .find_map(|e| match &e.body {
            EventBody::Gap(g) => Some(g.clone()),
            _ => None,
        })
        .expect("no gap event");
    assert_eq!((gap.first_seq, gap.last_seq, gap.count), (2, 3, 2));
    assert_eq!(gap.sink, "side");
    assert_eq!(ids(&primary.events()), vec![1, 2, 3, 4]);
    recorder.shutdown().await.unwrap();
}

#[tokio::test]
async fn sync_mode_reports_an_event_that_is_not_durable() {
    let sink = Arc::new(MemorySink::new());
    let recorder = Recorder::builder()
        .sink(sink.clone(), SinkPolicy::Required)
        .durability(Durability::Sync)
        .build()
        .unwrap();
    recorder.record(call(1)).await.unwrap();
    assert_eq!(ids(&sink.events()), vec![1]);
    sink.set_failing(true);
    assert!(matches!(
        recorder.record(call(2)).await,
        Err(RecordError::SinkFailing { .. })
    ));
    sink.set_failing(false);
    recorder.flush().await.unwrap();
    // The event was kept and written on recovery.
    assert_eq!(ids(&sink.events()), vec![1, 2]);
}

#[test]
fn in_sync_mode_a_crash_after_record_returned_loses_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sink = JsonlSink::builder(&path).build().unwrap();
        let recorder = Recorder::builder()
            .sink(Arc::new(sink), SinkPolicy::Required)
            .durability(Durability::Sync)
            .build()
            .unwrap();
        // Many concurrent callers: group commit shares flushes between them.
        let mut tasks = Vec::new();
        for n in 1..=64 {
            let recorder = recorder.clone();
            tasks.push(tokio::spawn(async move { recorder.record(call(n)).await }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        // No shutdown, no drain: the recorder just disappears.
        std::mem::forget(recorder);
    });
    runtime.shutdown_background();

    let text = std::fs::read_to_string(&path).unwrap();
    let mut recorded: Vec<u64> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "call")
        .map(|v| v["id"].as_u64().unwrap())
        .collect();
    recorded.sort_unstable();
    assert_eq!(recorded, (1..=64).collect::<Vec<_>>());
    let report = verify_files(&[&path], None).unwrap();
    assert!(report.is_intact(), "{:?}", report.findings);
}

#[tokio::test]
async fn shutdown_drains_the_queue_and_later_records_are_refused() {
    let sink = Arc::new(MemorySink::new());
    let recorder = Recorder::builder()
        .sink(sink.clone(), SinkPolicy::Required)
        .batch_size(7)
        .build()
        .unwrap();
    for n in 1..=100 {
        recorder.record(call(n)).await.unwrap();
    }
    recorder.shutdown().await.unwrap();
    assert_eq!(ids(&sink.events()), (1..=100).collect::<Vec<_>>());
    assert_eq!(recorder.record(call(101)).await, Err(RecordError::Closed));
}

#[tokio::test]
async fn a_recorder_needs_a_sink() {
    assert!(matches!(
        Recorder::builder().build(),
        Err(RecordError::Config(_))
    ));
}
