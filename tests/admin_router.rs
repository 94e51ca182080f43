//! The admin router, driven in-process: authentication, authorisation, status codes
//! and JSON bodies.
#![cfg(feature = "admin")]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tollgate::admin::{AdminAction, AdminState, router_from};
use tollgate::approval::{Approvals, NoopNotifier, TicketRequest, TicketState};
use tollgate::identity::{ApiKeyAuthenticator, Identity, IdentityKind};
use tollgate::policy::ApprovalTerms;
use tollgate::session::{SessionKey, SessionRegistry};
use tower::ServiceExt;

const ADMIN: &str = "k_admin_0123456789abcdef";
const DBA: &str = "k_dba_0123456789abcdef01";
const DBA2: &str = "k_dba2_0123456789abcdef0";
const AGENT: &str = "k_agent_0123456789abcdef";
const SUPPORT: &str = "k_support_0123456789abcd";

fn agent() -> Identity {
    Identity::new("agent-7", IdentityKind::User).with_groups(["dba"])
}

struct Fixture {
    app: axum::Router,
    sessions: SessionRegistry,
    approvals: Approvals,
    actions: Arc<Mutex<Vec<AdminAction>>>,
}

fn fixture() -> Fixture {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            ADMIN,
            Identity::new("olive", IdentityKind::User).with_groups(["secops"]),
        )
        .key(
            DBA,
            Identity::new("dana", IdentityKind::User).with_groups(["dba"]),
        )
        .key(
            DBA2,
            Identity::new("erin", IdentityKind::User).with_groups(["dba"]),
        )
        // The requester is in the reviewer group too: self-approval must still fail.
        .key(AGENT, agent())
        .key(
            SUPPORT,
            Identity::new("sam", IdentityKind::User).with_groups(["support"]),
        )
        .build()
        .unwrap();
    let sessions = SessionRegistry::new();
    let approvals = Approvals::builder()
        .notifier(Arc::new(NoopNotifier))
        .build()
        .unwrap();
    let actions = Arc::new(Mutex::new(Vec::new()));
    let log = actions.clone();
    let state = AdminState::new(sessions.clone(), approvals.clone(), Arc::new(keys))
        .with_admin_groups(["secops"])
        .with_on_action(move |a| log.lock().unwrap().push(a));
    Fixture {
        app: router_from(state),
        sessions,
        approvals,
        actions,
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(k) = key {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    let response = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, json)
}

async fn ticket(f: &Fixture, min: u32) -> String {
    let t = f
        .approvals
        .request(TicketRequest::new(
            agent(),
            "db.query",
            json!({"sql": "DROP TABLE x"}),
            ApprovalTerms::new(["dba"]).with_min_approvals(min),
        ))
        .await
        .unwrap();
    t.id.to_string()
}

#[tokio::test]
async fn unauthenticated_requests_get_401_with_a_json_error() {
    let f = fixture();
    for (method, path) in [
        ("GET", "/sessions"),
        ("GET", "/tickets"),
        ("POST", "/tickets/00/approve"),
        ("POST", "/revoke"),
    ] {
        let (status, body) = call(&f.app, method, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(body["error"], "unauthorized");
        let (status, _) = call(&f.app, method, path, Some("k_wrong_0123456789abcdef"), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn reviewers_approve_and_deny_but_never_their_own_ticket() {
    let f = fixture();
    let id = ticket(&f, 2).await;
    let path = format!("/tickets/{id}/approve");

    let (status, body) = call(&f.app, "POST", &path, Some(AGENT), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"],
        "the requester cannot approve their own ticket"
    );
    let (status, _) = call(&f.app, "POST", &path, Some(SUPPORT), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Admins are not reviewers unless in a reviewer group.
    let (status, _) = call(&f.app, "POST", &path, Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, body) = call(
        &f.app,
        "POST",
        &path,
        Some(DBA),
        Some(json!({"comment": "looks fine"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["state"], "pending");
    assert_eq!(body["approvals"][0]["reviewer"], "dana");
    assert_eq!(body["approvals"][0]["comment"], "looks fine");
    let (status, body) = call(&f.app, "POST", &path, Some(DBA2), None).await;
    assert_eq!(
        (status, body["state"].clone()),
        (StatusCode::OK, json!("approved"))
    );
    let (status, body) = call(
        &f.app,
        "POST",
        &format!("/tickets/{id}/deny"),
        Some(DBA),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "the ticket is approved, not pending");

    let id = ticket(&f, 1).await;
    let (status, body) = call(
        &f.app,
        "POST",
        &format!("/tickets/{id}/deny"),
        Some(DBA),
        Some(json!({"comment": "no"})),
    )
    .await;
    assert_eq!(
        (status, body["state"].clone()),
        (StatusCode::OK, json!("denied"))
    );

    let (status, _) = call(
        &f.app,
        "POST",
        "/tickets/ffffffffffffffffffffffffffffffff/approve",
        Some(DBA),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &f.app,
        "POST",
        "/tickets/not-an-id/approve",
        Some(DBA),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(
        &f.app,
        "POST",
        &format!("/tickets/{id}/approve"),
        Some(DBA),
        Some(json!({"coment": "typo"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let actions = f.actions.lock().unwrap();
    let refused = actions
        .iter()
        .filter(|a| matches!(a, AdminAction::Refused { .. }))
        .count();
    let approved = actions
        .iter()
        .filter(|a| matches!(a, AdminAction::TicketApproved { .. }))
        .count();
    let denied = actions
        .iter()
        .filter(|a| matches!(a, AdminAction::TicketDenied { .. }))
        .count();
    assert_eq!((approved, denied), (2, 1));
    assert!(refused >= 4, "{refused}");
}

#[tokio::test]
async fn tickets_are_listed_by_state_to_those_who_may_see_them() {
    let f = fixture();
    let a = ticket(&f, 1).await;
    let (status, body) = call(&f.app, "GET", "/tickets?state=pending", Some(DBA), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(body["tickets"][0]["id"], a);
    assert_eq!(body["tickets"][0]["arguments"]["sql"], "DROP TABLE x");
    let (_, body) = call(&f.app, "GET", "/tickets?state=approved", Some(ADMIN), None).await;
    assert_eq!(body["tickets"], json!([]));
    let (status, _) = call(&f.app, "GET", "/tickets?state=bogus", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Someone outside the reviewer groups sees none of them.
    let (_, body) = call(&f.app, "GET", "/tickets", Some(SUPPORT), None).await;
    assert_eq!(body["tickets"], json!([]));
    let (status, _) = call(&f.app, "GET", &format!("/tickets/{a}"), Some(SUPPORT), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(&f.app, "GET", &format!("/tickets/{a}"), Some(AGENT), None).await;
    assert_eq!(
        (status, body["state"].clone()),
        (StatusCode::OK, json!("pending"))
    );
    assert_eq!(
        f.approvals
            .get(a.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .state,
        TicketState::Pending
    );
}

#[tokio::test]
async fn admins_list_and_kill_sessions_and_others_get_403() {
    let f = fixture();
    let alice = Identity::new("alice", IdentityKind::User);
    let handle = f
        .sessions
        .open_or_touch(
            &SessionKey::legacy("sess-secret-1").unwrap(),
            &alice,
            None,
            None,
        )
        .unwrap();

    let (status, body) = call(&f.app, "GET", "/sessions", Some(DBA), None).await;
    assert_eq!(
        (status, body["error"].clone()),
        (StatusCode::FORBIDDEN, json!("forbidden"))
    );
    let (status, body) = call(&f.app, "GET", "/sessions", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["sessions"][0]["subject"], "alice");
    assert!(!body.to_string().contains("sess-secret-1"));
    let id = body["sessions"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = call(&f.app, "GET", &format!("/sessions/{id}"), Some(ADMIN), None).await;
    assert_eq!((status, body["id"].clone()), (StatusCode::OK, json!(id)));

    let kill = format!("/sessions/{id}/kill");
    let (status, _) = call(&f.app, "POST", &kill, Some(DBA), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!handle.is_killed());
    let (status, body) = call(
        &f.app,
        "POST",
        &kill,
        Some(ADMIN),
        Some(json!({"reason": "leaked token"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["killed"]["killed"]["reason"], "leaked token");
    assert_eq!(body["killed"]["killed"]["by"], "olive");
    assert!(handle.is_killed());
    let (status, _) = call(&f.app, "POST", &kill, Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&f.app, "GET", &format!("/sessions/{id}"), Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(f.actions.lock().unwrap().iter().any(
        |a| matches!(a, AdminAction::SessionKilled { reason, .. } if reason == "leaked token")
    ));
}

#[tokio::test]
async fn revoke_kills_a_subjects_sessions_and_refuses_new_ones() {
    let f = fixture();
    let alice = Identity::new("alice", IdentityKind::User);
    let handle = f
        .sessions
        .open_or_touch(&SessionKey::legacy("s-1").unwrap(), &alice, None, None)
        .unwrap();
    let until = SystemTime::now() + Duration::from_secs(3600);
    let until_secs = until.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let body = json!({"subject": "alice", "until": until_secs});

    let (status, _) = call(&f.app, "POST", "/revoke", Some(DBA), Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = call(
        &f.app,
        "POST",
        "/revoke",
        Some(ADMIN),
        Some(json!({"until": 5})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, reply) = call(&f.app, "POST", "/revoke", Some(ADMIN), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["killed"].as_array().unwrap().len(), 1);
    assert!(handle.is_killed());
    let refused = f
        .sessions
        .open_or_touch(&SessionKey::legacy("s-2").unwrap(), &alice, None, None);
    assert!(matches!(
        refused,
        Err(tollgate::session::SessionError::Revoked { .. })
    ));
    assert!(
        f.actions.lock().unwrap().iter().any(
            |a| matches!(a, AdminAction::SubjectRevoked { subject, .. } if subject == "alice")
        )
    );
}
