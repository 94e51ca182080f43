//! 200 calls held for approval at once, through the layer over HTTP, with approvals
//! racing denials and timeouts: every ticket ends in exactly one final state, and the
//! upstream server executes an approved call exactly once, even when two identical
//! calls wait on the same ticket.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tollgate::approval::{ApprovalSettings, Approvals, TicketState};
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::layer::ForwardBody;
use tollgate::{Guard, GuardLayer, Identity, Policy};
use tower::{Layer, service_fn};

const AGENT_KEY: &str = "k_agent_race_0123456789";
const CALLS: u64 = 200;

const POLICY: &str = r#"
version = 1
[[approve]]
name = "held"
groups = ["agents"]
tools = ["op"]
reviewers = ["reviewers"]
flow = "wait"
timeout = "3s"
"#;

fn guard() -> Guard {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            AGENT_KEY,
            Identity::new("agent-7", IdentityKind::Agent).with_groups(["agents"]),
        )
        .build()
        .unwrap();
    let mut settings = ApprovalSettings::default();
    settings.max_pending_per_requester = 1000;
    let approvals = Approvals::builder().settings(settings).build().unwrap();
    Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(keys)
        .approvals(approvals)
        .build()
        .unwrap()
}

type Executions = Arc<Mutex<HashMap<u64, u32>>>;

/// The upstream server: counts how often each `n` was executed.
async fn upstream(
    executions: Executions,
    request: Request<ForwardBody<axum::body::Body>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let message: Value = serde_json::from_slice(&body).unwrap();
    let n = message["params"]["arguments"]["n"].as_u64().unwrap();
    *executions.lock().unwrap().entry(n).or_default() += 1;
    let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": {
        "content": [{"type": "text", "text": format!("ran {n}")}], "isError": false
    }});
    let mut response = Response::new(Full::new(Bytes::from(reply.to_string())));
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    Ok(response)
}

/// One tools/call as raw HTTP; returns the tool result's text.
async fn call(client: &reqwest::Client, url: &str, id: u64, n: u64) -> String {
    let body = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "op", "arguments": {"n": n}}});
    let response = client
        .post(url)
        .header("authorization", format!("Bearer {AGENT_KEY}"))
        .header("accept", "application/json")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2025-06-18")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let value: Value = response.json().await.unwrap();
    value["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {value}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn held_calls_race_to_exactly_one_outcome_and_run_at_most_once() {
    let guard = guard();
    let executions: Executions = Arc::default();
    let service = {
        let executions = executions.clone();
        service_fn(move |request| upstream(executions.clone(), request))
    };
    let addr = serve_service(GuardLayer::new(guard.clone()).layer(service)).await;
    let url = url(addr, "/mcp");
    let client = reqwest::Client::new();

    // Every n is called once; n % 4 == 0 is called twice at once (one ticket, two
    // waiters, one `once` grant).
    let mut calls = Vec::new();
    for n in 0..CALLS {
        let copies = if n % 4 == 0 { 2 } else { 1 };
        for copy in 0..copies {
            let (client, url) = (client.clone(), url.clone());
            calls.push(tokio::spawn(async move {
                (n, call(&client, &url, n * 10 + copy, n).await)
            }));
        }
    }

    // The reviewer decides as tickets appear: approve n%4 == 0, deny 1, race approve
    // against deny for 2, leave 3 to time out.
    let rita = Identity::new("rita", IdentityKind::User).with_groups(["reviewers"]);
    let mut decided = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while decided.len() < (CALLS / 4 * 3) as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tickets never appeared"
        );
        for ticket in guard
            .approvals()
            .list(Some(TicketState::Pending))
            .await
            .unwrap()
        {
            let n = ticket.arguments["n"].as_u64().unwrap();
            if n % 4 == 3 || decided.contains_key(&n) {
                continue;
            }
            let (g1, g2, r1, r2) = (guard.clone(), guard.clone(), rita.clone(), rita.clone());
            let id = ticket.id;
            decided.insert(
                n,
                tokio::spawn(async move {
                    match n % 4 {
                        0 => (g1.approve_ticket(id, &r1, None).await.is_ok(), false),
                        1 => (false, g1.deny_ticket(id, &r1, None).await.is_ok()),
                        _ => {
                            let (a, d) = tokio::join!(
                                g1.approve_ticket(id, &r1, None),
                                g2.deny_ticket(id, &r2, Some("no".into()))
                            );
                            (a.is_ok(), d.is_ok())
                        }
                    }
                }),
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut winners = HashMap::new();
    for (n, decision) in decided {
        let (approved, denied) = decision.await.unwrap();
        assert!(approved ^ denied, "n={n}: exactly one decision wins");
        winners.insert(n, approved);
    }

    let mut answers: HashMap<u64, Vec<String>> = HashMap::new();
    for call in calls {
        let (n, text) = call.await.unwrap();
        answers.entry(n).or_default().push(text);
    }

    let mut tickets: HashMap<u64, Vec<TicketState>> = HashMap::new();
    for ticket in guard.approvals().list(None).await.unwrap() {
        let n = ticket.arguments["n"].as_u64().unwrap();
        tickets.entry(n).or_default().push(ticket.state);
    }
    assert_eq!(tickets.len() as u64, CALLS, "every call opened a ticket");
    let executions = executions.lock().unwrap().clone();
    for (n, mut states) in tickets {
        states.sort_by_key(|s| s.as_str());
        let ran = executions.get(&n).copied().unwrap_or(0);
        let texts = &answers[&n];
        let approved = winners.get(&n).copied().unwrap_or(false);
        match (n % 4, approved) {
            (3, _) => {
                assert_eq!(states, [TicketState::Expired], "n={n}");
                assert!(
                    texts[0].starts_with("Approval timed out"),
                    "n={n}: {texts:?}"
                );
            }
            (_, true) => {
                // The twin of n % 4 == 0 either waited on the same ticket (and found
                // its grant used) or arrived after it was used and opened its own,
                // which nobody approved.
                let consumed = states
                    .iter()
                    .filter(|s| **s == TicketState::Consumed)
                    .count();
                assert_eq!(consumed, 1, "n={n}: {states:?}");
                assert!(
                    states
                        .iter()
                        .all(|s| matches!(s, TicketState::Consumed | TicketState::Expired)),
                    "n={n}: {states:?}"
                );
                let ok = texts.iter().filter(|t| **t == format!("ran {n}")).count();
                assert_eq!(ok, 1, "n={n}: exactly one waiter runs the call: {texts:?}");
            }
            (_, false) => {
                assert_eq!(states, [TicketState::Denied], "n={n}");
                assert!(
                    texts[0].starts_with("Denied by reviewer"),
                    "n={n}: {texts:?}"
                );
            }
        }
        assert_eq!(
            ran,
            u32::from(approved),
            "n={n}: an approved call runs exactly once, any other never"
        );
    }
}
