//! The SQLite, tracing and memory sinks behind a recorder.

use std::sync::{Arc, Mutex};

use serde_json::json;
use tollgate::Event;
use tollgate::identity::IdentityKind;
use tollgate::policy::Action;
use tollgate::record::{
    CallRecord, DecisionRecord, EventFilter, IdentitySummary, MemorySink, Recorder, ResultRecord,
    SinkPolicy, SqliteSink, TracingSink,
};

fn call(subject: &str, session: &str, tool: &str) -> Event {
    Event::call(
        session,
        IdentitySummary::new(subject, IdentityKind::User),
        CallRecord::new("tools/call", DecisionRecord::new(Action::Allow, None, None))
            .with_tool(tool)
            .with_arguments(json!({"q": "x"})),
    )
}

#[tokio::test]
async fn sqlite_stores_a_chained_trail_and_answers_queries() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    {
        let sqlite = Arc::new(SqliteSink::open(&db).unwrap());
        let recorder = Recorder::builder()
            .sink(sqlite.clone(), SinkPolicy::Required)
            .build()
            .unwrap();
        recorder
            .record(call("alice", "s1", "db.query"))
            .await
            .unwrap();
        recorder.record(call("bob", "s2", "fs.read")).await.unwrap();
        recorder
            .record(call("alice", "s1", "fs.read"))
            .await
            .unwrap();
        recorder.shutdown().await.unwrap();

        let alice = sqlite
            .query(&EventFilter::new().subject("alice"))
            .await
            .unwrap();
        assert_eq!(alice.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 3]);
        let reads = sqlite
            .query(&EventFilter::new().tool("fs.read"))
            .await
            .unwrap();
        assert_eq!(reads.len(), 2);
        let s2 = sqlite
            .query(&EventFilter::new().session("s2"))
            .await
            .unwrap();
        assert_eq!(s2[0].subject(), Some("bob"));
        // The stored events carry the chain.
        let all = sqlite.query(&EventFilter::new()).await.unwrap();
        assert_eq!(all[1].prev, all[0].hash);
        assert_eq!(all[0].prev.as_deref(), Some(tollgate::record::GENESIS));
    }
    // Reopened, a new recorder continues the sequence and the chain.
    let sqlite = Arc::new(SqliteSink::open(&db).unwrap());
    let recorder = Recorder::builder()
        .sink(sqlite.clone(), SinkPolicy::Required)
        .build()
        .unwrap();
    recorder
        .record(call("carol", "s3", "db.query"))
        .await
        .unwrap();
    recorder.shutdown().await.unwrap();
    let all = sqlite.query(&EventFilter::new()).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[3].seq, 4);
    assert_eq!(all[3].prev, all[2].hash);
}

/// Collects the `event` field of `tollgate::audit` tracing events.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Collect {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "tollgate::audit"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Visit<'a>(&'a Mutex<Vec<String>>);
        impl tracing::field::Visit for Visit<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "event" {
                    self.0.lock().unwrap().push(format!("{value:?}"));
                }
            }
        }
        event.record(&mut Visit(&self.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn tracing_sink_emits_structured_events() {
    let collect = Collect::default();
    let seen = collect.0.clone();
    tracing::subscriber::with_default(collect, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let recorder = Recorder::builder()
                .sink(Arc::new(TracingSink::new()), SinkPolicy::BestEffort)
                .build()
                .unwrap();
            recorder
                .record(call("alice", "s1", "db.query"))
                .await
                .unwrap();
            recorder.shutdown().await.unwrap();
        });
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let event: serde_json::Value = serde_json::from_str(&seen[0]).unwrap();
    assert_eq!(event["tool"], "db.query");
    assert_eq!(event["seq"], 1);
}

#[tokio::test]
async fn excerpts_are_capped_by_the_recorder() {
    let memory = Arc::new(MemorySink::new());
    let recorder = Recorder::builder()
        .sink(memory.clone(), SinkPolicy::Required)
        .max_excerpt_bytes(8)
        .build()
        .unwrap();
    let mut result = ResultRecord::new(false, 1);
    result.content = Some("0123456789abcdef".into());
    recorder
        .record(Event::result(
            "s1",
            IdentitySummary::new("alice", IdentityKind::User),
            result,
        ))
        .await
        .unwrap();
    recorder.shutdown().await.unwrap();
    let value = serde_json::to_value(&memory.events()[0]).unwrap();
    assert_eq!(value["content"], "01234567");
    assert_eq!(value["truncated"], true);
    assert!(!value["ts"].as_str().unwrap().is_empty());
}
