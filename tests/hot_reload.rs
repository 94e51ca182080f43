//! Hot reload: `Guard::set_policy` swaps the policy atomically while requests are being
//! decided. Every decision is made under exactly one of the two policies (never a mix),
//! and once the swap returns every new decision sees the new policy.

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::json;
use tollgate::classify::ToolCall;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::policy::Action;
use tollgate::{Guard, Identity, Policy};

/// Allows `echo`, denies `db.*`.
const A: &str = r#"
version = 1
[[allow]]
tools = ["echo"]
[[deny]]
tools = ["db.*"]
reason = "policy A"
"#;

/// The mirror image: allows `db.*`, denies `echo`.
const B: &str = r#"
version = 1
[[allow]]
tools = ["db.*"]
[[deny]]
tools = ["echo"]
reason = "policy B"
"#;

fn guard() -> Guard {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            "k_reload_0123456789abc",
            Identity::new("alice", IdentityKind::User),
        )
        .build()
        .unwrap();
    Guard::builder()
        .policy(Policy::from_toml_str(A).unwrap())
        .authenticator(keys)
        .build()
        .unwrap()
}

#[test]
fn decisions_never_mix_two_policies_while_swapping() {
    let guard = guard();
    let alice = Identity::new("alice", IdentityKind::User);
    let echo = ToolCall::new("echo", json!({}));
    let db = ToolCall::new("db.query", json!({"sql": "SELECT 1"}));
    let stop = Arc::new(AtomicBool::new(false));
    let decided = Arc::new(AtomicUsize::new(0));

    let deciders: Vec<_> = (0..4)
        .map(|_| {
            let (guard, alice, echo, db) = (guard.clone(), alice.clone(), echo.clone(), db.clone());
            let (stop, decided) = (Arc::clone(&stop), Arc::clone(&decided));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // One snapshot must answer both calls consistently: under A echo is
                    // allowed and db denied, under B the reverse.
                    let policy = guard.policy();
                    let c = tollgate::Classification::new();
                    let e = policy.evaluate(&alice, &echo, &c).action;
                    let d = policy.evaluate(&alice, &db, &c).action;
                    assert_ne!(e, d, "a snapshot mixed two policies");
                    // And a decision through the guard is always one of the two outcomes.
                    let verdict = guard.decide(&alice, &echo);
                    assert!(matches!(
                        verdict.decision.action,
                        Action::Allow | Action::Deny
                    ));
                    decided.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    for round in 0..2_000 {
        let next = if round % 2 == 0 { B } else { A };
        guard.set_policy(Policy::from_toml_str(next).unwrap());
        // After the swap returns, this thread sees the new policy at once.
        let expect = if round % 2 == 0 {
            Action::Deny
        } else {
            Action::Allow
        };
        assert_eq!(guard.decide(&alice, &echo).decision.action, expect);
    }
    stop.store(true, Ordering::Relaxed);
    for d in deciders {
        d.join().unwrap();
    }
    assert!(decided.load(Ordering::Relaxed) > 0);
}

#[tokio::test]
async fn requests_in_flight_keep_working_across_reloads() {
    let guard = guard();
    let guarded = tower::ServiceBuilder::new()
        .layer(tollgate::GuardLayer::new(guard.clone()))
        .service(demo_server::mcp_service(true, true));
    let addr = common::serve(axum::Router::new().nest_service("/mcp", guarded)).await;
    let client = common::connect(
        &common::url(addr, "/mcp"),
        Some("k_reload_0123456789abc"),
        true,
    )
    .await
    .unwrap();

    let swapper = {
        let guard = guard.clone();
        tokio::spawn(async move {
            for round in 0..200 {
                guard
                    .set_policy(Policy::from_toml_str(if round % 2 == 0 { B } else { A }).unwrap());
                tokio::task::yield_now().await;
            }
            guard.set_policy(Policy::from_toml_str(A).unwrap());
        })
    };
    for _ in 0..100 {
        match common::call(&client, "echo", json!({"text": "hi"})).await {
            Ok(result) if result.is_error != Some(true) => {
                assert_eq!(common::first_text(&result), "hi")
            }
            Ok(result) => assert_eq!(common::first_text(&result), "Blocked by policy: policy B"),
            Err(rmcp::ServiceError::McpError(e)) => assert_eq!(e.code.0, -32602, "{e:?}"),
            Err(e) => panic!("transport failure during reload: {e}"),
        }
    }
    swapper.await.unwrap();
    let settled = common::call(&client, "echo", json!({"text": "after"}))
        .await
        .unwrap();
    assert_eq!(common::first_text(&settled), "after");
}
