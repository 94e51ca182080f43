//! The approval service: binding, grants, reviewers, expiry, waits and store bounds.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tollgate::approval::{
    ApprovalError, ApprovalStore, Approvals, ManualClock, MemoryApprovalStore, NoopNotifier,
    Notifier, NotifyError, Outcome, StoreError, Ticket, TicketFilter, TicketRequest, TicketState,
    webhook_payload,
};
use tollgate::identity::{BoxFuture, Identity, IdentityKind};
use tollgate::policy::{ApprovalFlow, ApprovalTerms, GrantScope};

fn agent() -> Identity {
    Identity::new("agent-7", IdentityKind::Agent).with_issuer("https://idp.example")
}

fn reviewer(name: &str) -> Identity {
    Identity::new(name, IdentityKind::User)
        .with_issuer("https://idp.example")
        .with_groups(["dba"])
}

fn args() -> Value {
    json!({"sql": "DELETE FROM carts WHERE id = 7"})
}

fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn service(clock: &Arc<ManualClock>) -> Approvals {
    Approvals::builder()
        .clock(clock.clone())
        .notifier(Arc::new(NoopNotifier))
        .review_url("https://gw.example/admin/")
        .build()
        .unwrap()
}

fn request(terms: ApprovalTerms) -> TicketRequest {
    TicketRequest::new(agent(), "db.query", args(), terms)
        .with_rule("writes")
        .with_tool_definition_hash([7; 32])
}

#[tokio::test]
async fn a_once_grant_applies_only_to_the_identical_call_and_only_once() {
    let clock = Arc::new(ManualClock::new(start()));
    let approvals = service(&clock);
    let ticket = approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap();
    assert_eq!(ticket.state, TicketState::Pending);
    let def = Some(&[7u8; 32]);

    // Retry before approval: no grant.
    assert_eq!(
        approvals
            .try_consume_grant(&agent(), "db.query", &args(), def)
            .await,
        Ok(None)
    );
    approvals
        .approve(ticket.id, &reviewer("dana"), Some("ok".into()))
        .await
        .unwrap();

    // Changed arguments, a changed tool definition, another tool, another caller: no grant.
    let changed = json!({"sql": "DELETE FROM carts"});
    assert_eq!(
        approvals
            .try_consume_grant(&agent(), "db.query", &changed, def)
            .await,
        Ok(None)
    );
    assert_eq!(
        approvals
            .try_consume_grant(&agent(), "db.query", &args(), Some(&[8; 32]))
            .await,
        Ok(None)
    );
    assert_eq!(
        approvals
            .try_consume_grant(&agent(), "db.query", &args(), None)
            .await,
        Ok(None)
    );
    assert_eq!(
        approvals
            .try_consume_grant(&agent(), "db.exec", &args(), def)
            .await,
        Ok(None)
    );
    let other = Identity::new("agent-7", IdentityKind::Agent).with_issuer("https://evil.example");
    assert_eq!(
        approvals
            .try_consume_grant(&other, "db.query", &args(), def)
            .await,
        Ok(None)
    );

    let grant = approvals
        .try_consume_grant(&agent(), "db.query", &args(), def)
        .await
        .unwrap()
        .expect("the identical call is granted");
    assert_eq!(grant.ticket, ticket.id);
    assert_eq!(grant.approvers, ["dana"]);
    assert_eq!(grant.use_number, 1);
    assert_eq!(grant.scope, GrantScope::Once);
    // The third identical call needs a new ticket.
    assert_eq!(
        approvals
            .try_consume_grant(&agent(), "db.query", &args(), def)
            .await,
        Ok(None)
    );
    let consumed = approvals.get(ticket.id).await.unwrap().unwrap();
    assert_eq!(consumed.state, TicketState::Consumed);
    let fresh = approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap();
    assert_ne!(fresh.id, ticket.id);
}

#[tokio::test]
async fn a_window_grant_allows_identical_calls_until_the_window_closes() {
    let clock = Arc::new(ManualClock::new(start()));
    let approvals = service(&clock);
    let terms =
        ApprovalTerms::new(["dba"]).with_grant(GrantScope::Window(Duration::from_secs(600)));
    let ticket = approvals.request(request(terms)).await.unwrap();
    approvals
        .approve(ticket.id, &reviewer("dana"), None)
        .await
        .unwrap();
    let def = Some(&[7u8; 32]);
    for n in 1..=3 {
        let grant = approvals
            .try_consume_grant(&agent(), "db.query", &args(), def)
            .await
            .unwrap();
        assert_eq!(grant.map(|g| g.use_number), Some(n));
        clock.advance(Duration::from_secs(120));
    }
    clock.advance(Duration::from_secs(300)); // 11 minutes after the approval
    assert_eq!(
        approvals
            .try_consume_grant(&agent(), "db.query", &args(), def)
            .await,
        Ok(None)
    );
    assert_eq!(
        approvals.get(ticket.id).await.unwrap().unwrap().state,
        TicketState::Consumed
    );
}

#[tokio::test]
async fn min_approvals_needs_distinct_reviewers_and_a_reviewer_counts_once() {
    let clock = Arc::new(ManualClock::new(start()));
    let approvals = service(&clock);
    let ticket = approvals
        .request(request(ApprovalTerms::new(["dba"]).with_min_approvals(2)))
        .await
        .unwrap();
    let t = approvals
        .approve(ticket.id, &reviewer("dana"), None)
        .await
        .unwrap();
    assert_eq!(t.state, TicketState::Pending);
    let t = approvals
        .approve(ticket.id, &reviewer("dana"), None)
        .await
        .unwrap();
    assert_eq!((t.state, t.approvals.len()), (TicketState::Pending, 1));
    // A second, distinct reviewer completes it.
    let t = approvals
        .approve(ticket.id, &reviewer("erin"), None)
        .await
        .unwrap();
    assert_eq!(t.state, TicketState::Approved);
    assert_eq!(
        approvals.approve(ticket.id, &reviewer("finn"), None).await,
        Err(ApprovalError::NotPending(TicketState::Approved))
    );
}

#[tokio::test]
async fn requesters_non_reviewers_and_agents_cannot_approve() {
    let clock = Arc::new(ManualClock::new(start()));
    let approvals = service(&clock);
    let requester = Identity::new("dana", IdentityKind::User)
        .with_issuer("https://idp.example")
        .with_groups(["dba"]);
    let ticket = approvals
        .request(TicketRequest::new(
            requester.clone(),
            "db.query",
            args(),
            ApprovalTerms::new(["dba"]),
        ))
        .await
        .unwrap();
    let err = approvals
        .approve(ticket.id, &requester, None)
        .await
        .unwrap_err();
    assert_eq!(err, ApprovalError::SelfApproval);
    assert_eq!(err.status(), http::StatusCode::FORBIDDEN);

    let outsider = Identity::new("sam", IdentityKind::User).with_groups(["support"]);
    assert_eq!(
        approvals.approve(ticket.id, &outsider, None).await,
        Err(ApprovalError::NotAReviewer)
    );
    assert_eq!(
        approvals.deny(ticket.id, &outsider, None).await,
        Err(ApprovalError::NotAReviewer)
    );
    let bot = Identity::new("helper-bot", IdentityKind::Agent).with_groups(["dba"]);
    assert_eq!(
        approvals.approve(ticket.id, &bot, None).await,
        Err(ApprovalError::NotAReviewer)
    );
    let unknown = tollgate::approval::TicketId([0; 16]);
    assert_eq!(
        approvals.approve(unknown, &reviewer("x"), None).await,
        Err(ApprovalError::NotFound)
    );
    assert_eq!(
        approvals.get(ticket.id).await.unwrap().unwrap().state,
        TicketState::Pending
    );
}

#[tokio::test]
async fn rules_without_reviewers_use_the_default_reviewers_or_nobody() {
    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .build()
        .unwrap();
    let none: Vec<String> = Vec::new();
    let t = approvals
        .request(request(ApprovalTerms::new(none.clone())))
        .await
        .unwrap();
    assert_eq!(
        approvals.approve(t.id, &reviewer("dana"), None).await,
        Err(ApprovalError::NotAReviewer)
    );

    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .default_reviewers(["dba"])
        .build()
        .unwrap();
    let t = approvals
        .request(request(ApprovalTerms::new(none)))
        .await
        .unwrap();
    assert_eq!(t.terms.reviewers, ["dba"]);
    assert!(
        approvals
            .approve(t.id, &reviewer("dana"), None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn pending_tickets_expire_after_their_ttl() {
    let clock = Arc::new(ManualClock::new(start()));
    let approvals = service(&clock);
    let terms = ApprovalTerms::new(["dba"]).with_ttl(Duration::from_secs(300));
    let ticket = approvals.request(request(terms.clone())).await.unwrap();
    clock.advance(Duration::from_secs(299));
    assert_eq!(
        approvals
            .list(Some(TicketState::Pending))
            .await
            .unwrap()
            .len(),
        1
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        approvals.get(ticket.id).await.unwrap().unwrap().state,
        TicketState::Expired
    );
    assert!(
        approvals
            .list(Some(TicketState::Pending))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        approvals.approve(ticket.id, &reviewer("dana"), None).await,
        Err(ApprovalError::NotPending(TicketState::Expired))
    );
    // An expired ticket is not reused: the retry opens a new one.
    let again = approvals.request(request(terms)).await.unwrap();
    assert_ne!(again.id, ticket.id);
    assert_eq!(approvals.expire_due().await, Ok(0));
}

#[tokio::test]
async fn a_pending_ticket_is_reused_for_the_same_call() {
    let clock = Arc::new(ManualClock::new(start()));
    let approvals = service(&clock);
    let a = approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap();
    let b = approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap();
    assert_eq!(a.id, b.id);
    let c = approvals
        .request(TicketRequest::new(
            agent(),
            "db.query",
            json!({"sql": "other"}),
            ApprovalTerms::new(["dba"]),
        ))
        .await
        .unwrap();
    assert_ne!(a.id, c.id);
    assert_eq!(approvals.list(None).await.unwrap().len(), 2);
    assert_eq!(
        approvals.review_url(a.id),
        Some(format!("https://gw.example/admin/tickets/{}", a.id))
    );
}

#[tokio::test]
async fn pending_tickets_per_requester_and_argument_size_are_capped() {
    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .build()
        .unwrap();
    let cap = approvals.settings().max_pending_per_requester;
    for i in 0..cap {
        approvals
            .request(TicketRequest::new(
                agent(),
                "t",
                json!({"i": i}),
                ApprovalTerms::new(["dba"]),
            ))
            .await
            .unwrap();
    }
    let err = approvals
        .request(TicketRequest::new(
            agent(),
            "t",
            json!({"i": "one more"}),
            ApprovalTerms::new(["dba"]),
        ))
        .await
        .unwrap_err();
    assert_eq!(err, ApprovalError::TooManyPending { limit: cap });
    // Another requester is not affected.
    let other = Identity::new("agent-8", IdentityKind::Agent);
    assert!(
        approvals
            .request(TicketRequest::new(
                other.clone(),
                "t",
                json!({}),
                ApprovalTerms::new(["dba"])
            ))
            .await
            .is_ok()
    );
    let huge = json!({"blob": "x".repeat(approvals.settings().max_argument_bytes)});
    assert!(matches!(
        approvals
            .request(TicketRequest::new(
                other,
                "t",
                huge,
                ApprovalTerms::new(["dba"])
            ))
            .await,
        Err(ApprovalError::ArgumentsTooLarge { .. })
    ));
}

#[tokio::test]
async fn the_memory_store_drops_final_tickets_but_never_live_ones() {
    let store = Arc::new(MemoryApprovalStore::new(2));
    let approvals = Approvals::builder()
        .store(store.clone())
        .notifier(Arc::new(NoopNotifier))
        .build()
        .unwrap();
    let who = |n: u32| Identity::new(format!("agent-{n}"), IdentityKind::Agent);
    let a = approvals
        .request(TicketRequest::new(
            who(1),
            "t",
            json!({}),
            ApprovalTerms::new(["dba"]),
        ))
        .await
        .unwrap();
    approvals
        .request(TicketRequest::new(
            who(2),
            "t",
            json!({}),
            ApprovalTerms::new(["dba"]),
        ))
        .await
        .unwrap();
    let full = approvals
        .request(TicketRequest::new(
            who(3),
            "t",
            json!({}),
            ApprovalTerms::new(["dba"]),
        ))
        .await;
    assert_eq!(full.unwrap_err(), ApprovalError::Store(StoreError::Full));
    approvals
        .deny(a.id, &reviewer("dana"), Some("no".into()))
        .await
        .unwrap();
    approvals
        .request(TicketRequest::new(
            who(3),
            "t",
            json!({}),
            ApprovalTerms::new(["dba"]),
        ))
        .await
        .unwrap();
    assert_eq!(store.len(), 2);
    assert_eq!(approvals.get(a.id).await, Ok(None));
}

#[tokio::test]
async fn compare_and_swap_refuses_a_stale_version() {
    let store = MemoryApprovalStore::default();
    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .build()
        .unwrap();
    let ticket = approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap();
    store.insert(ticket.clone()).await.unwrap();
    assert_eq!(
        store.insert(ticket.clone()).await,
        Err(StoreError::Duplicate)
    );
    let mut next = ticket.clone();
    next.state = TicketState::Cancelled;
    assert_eq!(store.compare_and_swap(0, next.clone()).await, Ok(true));
    assert_eq!(store.compare_and_swap(0, next).await, Ok(false));
    let stored = store.get(ticket.id).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.version), (TicketState::Cancelled, 1));
    let listed = store
        .list(TicketFilter::all().with_state(TicketState::Pending))
        .await
        .unwrap();
    assert!(listed.is_empty());
}

#[tokio::test]
async fn wait_resolves_on_approve_deny_cancel_and_timeout() {
    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .build()
        .unwrap();
    let terms = ApprovalTerms::new(["dba"]).with_flow(ApprovalFlow::Wait);
    let long = Duration::from_secs(3600);

    let call =
        |sql: &str| TicketRequest::new(agent(), "db.query", json!({ "sql": sql }), terms.clone());
    let t = approvals.request(call("approve me")).await.unwrap();
    let waiter = tokio::spawn({
        let approvals = approvals.clone();
        async move { approvals.wait(t.id, long).await }
    });
    tokio::task::yield_now().await;
    approvals
        .approve(t.id, &reviewer("dana"), None)
        .await
        .unwrap();
    let outcome = waiter.await.unwrap().unwrap();
    assert!(
        matches!(outcome, Outcome::Approved(ref g) if g.ticket == t.id),
        "{outcome:?}"
    );
    // The held call used the once grant.
    assert_eq!(
        approvals.get(t.id).await.unwrap().unwrap().state,
        TicketState::Consumed
    );

    let t = approvals.request(call("deny me")).await.unwrap();
    let waiter = tokio::spawn({
        let approvals = approvals.clone();
        async move { approvals.wait(t.id, long).await }
    });
    tokio::task::yield_now().await;
    approvals
        .deny(
            t.id,
            &reviewer("dana"),
            Some("not during the freeze".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        waiter.await.unwrap().unwrap(),
        Outcome::Denied {
            reason: "denied by dana: not during the freeze".into()
        }
    );

    let t = approvals.request(call("cancel me")).await.unwrap();
    let waiter = tokio::spawn({
        let approvals = approvals.clone();
        async move { approvals.wait(t.id, long).await }
    });
    tokio::task::yield_now().await;
    approvals.cancel(t.id).await.unwrap();
    assert_eq!(waiter.await.unwrap().unwrap(), Outcome::Cancelled);

    let t = approvals.request(call("time out")).await.unwrap();
    assert_eq!(
        approvals.wait(t.id, Duration::from_millis(20)).await,
        Ok(Outcome::Expired)
    );
    assert_eq!(
        approvals.get(t.id).await.unwrap().unwrap().state,
        TicketState::Expired
    );
}

#[tokio::test]
async fn dropping_a_wait_cancels_the_ticket() {
    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .build()
        .unwrap();
    let t = approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap();
    let waiter = tokio::spawn({
        let approvals = approvals.clone();
        async move { approvals.wait(t.id, Duration::from_secs(3600)).await }
    });
    tokio::task::yield_now().await;
    waiter.abort();
    let _ = waiter.await;
    for _ in 0..100 {
        if approvals.get(t.id).await.unwrap().unwrap().state == TicketState::Cancelled {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the abandoned ticket was not cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_decisions_end_each_ticket_in_one_state_and_once_grants_execute_once() {
    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .settings({
            let mut s = tollgate::approval::ApprovalSettings::default();
            s.max_pending_per_requester = 1_000;
            s
        })
        .build()
        .unwrap();
    let terms = ApprovalTerms::new(["dba"]).with_flow(ApprovalFlow::Wait);
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let approvals = approvals.clone();
        let terms = terms.clone();
        tasks.push(tokio::spawn(async move {
            let req = TicketRequest::new(agent(), "db.query", json!({ "n": i }), terms);
            let ticket = approvals.request(req).await.unwrap();
            let waiter = {
                let approvals = approvals.clone();
                tokio::spawn(
                    async move { approvals.wait(ticket.id, Duration::from_millis(50)).await },
                )
            };
            let racer = {
                let approvals = approvals.clone();
                tokio::spawn(async move {
                    match i % 3 {
                        0 => approvals
                            .approve(ticket.id, &reviewer("dana"), None)
                            .await
                            .map(|_| ()),
                        1 => approvals
                            .deny(ticket.id, &reviewer("erin"), None)
                            .await
                            .map(|_| ()),
                        _ => Ok(()),
                    }
                })
            };
            // A deferred retry races the held call for the same once grant.
            let retry = approvals
                .try_consume_grant(&agent(), "db.query", &json!({ "n": i }), None)
                .await
                .unwrap();
            let outcome = waiter.await.unwrap().unwrap();
            let _ = racer.await.unwrap();
            let executions =
                usize::from(retry.is_some()) + usize::from(matches!(outcome, Outcome::Approved(_)));
            let state = approvals.get(ticket.id).await.unwrap().unwrap().state;
            (executions, state, outcome)
        }));
    }
    for task in tasks {
        let (executions, state, outcome) = task.await.unwrap();
        assert!(executions <= 1, "a once grant executed {executions} times");
        assert!(state.is_final(), "ended {state}");
        match state {
            TicketState::Consumed => assert_eq!(executions, 1),
            TicketState::Denied => assert!(matches!(outcome, Outcome::Denied { .. })),
            TicketState::Expired => assert_eq!(outcome, Outcome::Expired),
            other => panic!("unexpected final state {other}"),
        }
    }
}

struct Recording(mpsc::UnboundedSender<Value>);

impl Notifier for Recording {
    fn ticket_created<'a>(
        &'a self,
        ticket: &'a Ticket,
        url: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), NotifyError>> {
        let _ = self.0.send(webhook_payload(ticket, url));
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn reviewers_are_notified_once_per_new_ticket() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let approvals = Approvals::builder()
        .notifier(Arc::new(Recording(tx)))
        .review_url("https://gw.example/admin")
        .build()
        .unwrap();
    let t = approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap();
    approvals
        .request(request(ApprovalTerms::new(["dba"])))
        .await
        .unwrap(); // reused: no new notice
    let body = rx.recv().await.unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("agent-7") && text.contains("db.query") && text.contains(&t.id.to_string()),
        "{text}"
    );
    assert!(
        text.contains(&format!("https://gw.example/admin/tickets/{}", t.id)),
        "{text}"
    );
    assert_eq!(body["ticket"]["id"], t.id.to_string());
    assert_eq!(body["ticket"]["state"], "pending");
    assert_eq!(body["ticket"]["terms"]["reviewers"], json!(["dba"]));
    tokio::task::yield_now().await;
    assert!(rx.try_recv().is_err());
}
