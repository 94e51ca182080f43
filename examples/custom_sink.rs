//! A custom audit sink: a webhook that uploads each batch of events as one JSON array.
//!
//! The example starts its own receiving server (axum, on a free local port), records a
//! few sessions' worth of events through a [`Recorder`] whose only required sink is the
//! webhook, shuts the recorder down, and checks that the server received every event
//! exactly once and in order. It exits non-zero if not.
//!
//! ```sh
//! cargo run --example custom_sink
//! ```

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use tollgate::identity::{BoxFuture, IdentityKind};
use tollgate::policy::Action;
use tollgate::record::{
    CallRecord, DecisionRecord, IdentitySummary, Recorder, SinkError, SinkPolicy,
};
use tollgate::{Event, Sink};

/// Posts every batch to `url` as a JSON array. A batch is accepted only on a 2xx
/// answer; otherwise the recorder retries it (required) or counts it lost (best effort).
struct WebhookSink {
    client: reqwest::Client,
    url: String,
}

impl Sink for WebhookSink {
    fn name(&self) -> &str {
        "webhook"
    }

    fn write<'a>(&'a self, batch: &'a [Event]) -> BoxFuture<'a, Result<(), SinkError>> {
        Box::pin(async move {
            let response = self
                .client
                .post(&self.url)
                .json(batch)
                .send()
                .await
                .map_err(|e| SinkError::Unavailable(e.to_string()))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(SinkError::Unavailable(format!(
                    "webhook answered {}",
                    response.status()
                )))
            }
        })
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), SinkError>> {
        // Every accepted batch is already stored by the receiver.
        Box::pin(async { Ok(()) })
    }
}

type Received = Arc<Mutex<Vec<Value>>>;

async fn receive(State(received): State<Received>, Json(batch): Json<Vec<Value>>) -> &'static str {
    if let Ok(mut received) = received.lock() {
        received.extend(batch);
    }
    "stored"
}

#[tokio::main]
async fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route("/audit", post(receive))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/audit", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    let webhook = WebhookSink {
        client: reqwest::Client::new(),
        url,
    };
    let recorder = Recorder::builder()
        .sink(Arc::new(webhook), SinkPolicy::Required)
        .batch_size(10)
        .build()?;
    let alice = IdentitySummary::new("alice", IdentityKind::User);
    for n in 0..25 {
        let decision = DecisionRecord::new(Action::Allow, Some("analysts".into()), None);
        let call = CallRecord::new("tools/call", decision)
            .with_id(json!(n))
            .with_tool("db.query");
        recorder
            .record(Event::call("session-1", alice.clone(), call))
            .await?;
    }
    recorder.shutdown().await?;

    let received = received.lock().map_err(|_| "poisoned")?.clone();
    let seqs: Vec<u64> = received.iter().filter_map(|e| e["seq"].as_u64()).collect();
    let expected: Vec<u64> = (1..=25).collect();
    if seqs == expected {
        println!("webhook received all {} events in order", seqs.len());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("webhook received {seqs:?}, expected 1..=25");
        Ok(ExitCode::FAILURE)
    }
}
