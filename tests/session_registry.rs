//! The session registry: binding to the opening identity, kill, revoke, idle expiry
//! and caps.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tollgate::approval::{Clock, ManualClock};
use tollgate::identity::{Identity, IdentityKind};
use tollgate::session::{ClientInfo, SessionError, SessionKey, SessionRegistry, SessionSettings};

fn start() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn alice() -> Identity {
    Identity::new("alice", IdentityKind::User)
        .with_issuer("https://idp.example")
        .with_token_id("jti-1")
}

fn registry(settings: SessionSettings) -> (SessionRegistry, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(start()));
    (
        SessionRegistry::with_settings(settings, clock.clone()),
        clock,
    )
}

fn key(id: &str) -> SessionKey {
    SessionKey::legacy(id).unwrap()
}

#[test]
fn a_session_is_bound_to_the_identity_that_opened_it() {
    let (sessions, clock) = registry(SessionSettings::default());
    let client = ClientInfo::new("claude-code", Some("1.0"));
    let h = sessions
        .open_or_touch(
            &key("s-1"),
            &alice(),
            Some(client.clone()),
            Some("2025-11-25"),
        )
        .unwrap();
    h.record_call();
    h.record_call();
    h.record_denied();
    h.record_held();
    h.record_redactions(3);

    let mallory = Identity::new("mallory", IdentityKind::User).with_issuer("https://idp.example");
    let err = sessions
        .open_or_touch(&key("s-1"), &mallory, None, None)
        .unwrap_err();
    assert_eq!(err, SessionError::IdentityMismatch);
    assert_eq!(err.status(), http::StatusCode::NOT_FOUND);
    // Same subject from another issuer is another identity.
    let other_issuer =
        Identity::new("alice", IdentityKind::User).with_issuer("https://evil.example");
    assert_eq!(
        sessions
            .open_or_touch(&key("s-1"), &other_issuer, None, None)
            .unwrap_err(),
        SessionError::IdentityMismatch
    );

    clock.advance(Duration::from_secs(30));
    let rotated = alice().with_token_id("jti-2");
    let again = sessions
        .open_or_touch(&key("s-1"), &rotated, None, None)
        .unwrap();
    assert_eq!(again.id(), h.id());
    let info = sessions.get(&key("s-1")).unwrap();
    assert_eq!(info.subject, "alice");
    assert_eq!(info.token_id.as_deref(), Some("jti-2"));
    assert_eq!(info.client, Some(client));
    assert_eq!(info.protocol_version.as_deref(), Some("2025-11-25"));
    assert_eq!(
        (info.calls, info.denied, info.held, info.redactions),
        (2, 1, 1, 3)
    );
    assert_eq!(info.last_seen, start() + Duration::from_secs(30));
    assert_eq!(info.started_at, start());
    assert_eq!(
        sessions.get_by_id(h.id()).map(|i| i.id),
        Some(h.id().to_owned())
    );
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(json["calls"], 2);
    assert!(
        !json.to_string().contains("s-1"),
        "the session id leaked: {json}"
    );
}

#[tokio::test]
async fn kill_ends_open_streams_and_refuses_later_requests() {
    let (sessions, _) = registry(SessionSettings::default());
    let h = sessions
        .open_or_touch(&key("s-1"), &alice(), None, None)
        .unwrap();
    let stream = h.open_stream();
    let ended = tokio::spawn(async move { stream.signal().wait().await });
    tokio::task::yield_now().await;
    assert!(!ended.is_finished());
    assert_eq!(sessions.get(&key("s-1")).unwrap().open_streams, 1);

    let info = sessions
        .kill_info(&key("s-1"), "admin", "leaked token")
        .unwrap();
    ended.await.unwrap();
    assert!(h.is_killed());
    assert_eq!(
        info.killed.as_ref().map(|k| k.reason.as_str()),
        Some("leaked token")
    );
    assert_eq!(
        sessions
            .open_or_touch(&key("s-1"), &alice(), None, None)
            .unwrap_err(),
        SessionError::Killed
    );
    assert!(sessions.get(&key("s-1")).is_none());
    assert!(!sessions.kill(&key("s-1"), "admin", "again"));
    // Other sessions of the same identity live on.
    assert!(
        sessions
            .open_or_touch(&key("s-2"), &alice(), None, None)
            .is_ok()
    );
}

#[test]
fn revoke_kills_every_session_of_the_identity_and_refuses_new_ones_until_the_time() {
    let (sessions, clock) = registry(SessionSettings::default());
    let a = sessions
        .open_or_touch(&key("s-1"), &alice(), None, None)
        .unwrap();
    let stateless = SessionKey::stateless(&alice(), Some("cli")).unwrap();
    let b = sessions
        .open_or_touch(&stateless, &alice(), None, None)
        .unwrap();
    let bob = Identity::new("bob", IdentityKind::User).with_issuer("https://idp.example");
    let c = sessions
        .open_or_touch(&key("s-3"), &bob, None, None)
        .unwrap();

    let until = start() + Duration::from_secs(3600);
    let killed = sessions.revoke("alice", None, until, "admin").unwrap();
    assert_eq!(killed.len(), 2);
    assert!(a.kill_signal().killed() && b.kill_signal().killed());
    assert!(!c.kill_signal().killed());
    assert_eq!(
        sessions
            .open_or_touch(&key("s-new"), &alice(), None, None)
            .unwrap_err(),
        SessionError::Revoked { until }
    );
    assert_eq!(
        sessions.revoked_until("alice", Some("https://idp.example")),
        Some(until)
    );
    assert_eq!(sessions.len(), 1);

    clock.advance(Duration::from_secs(3600));
    assert!(
        sessions
            .open_or_touch(&key("s-new"), &alice(), None, None)
            .is_ok()
    );
}

#[test]
fn a_revocation_for_one_issuer_leaves_the_same_subject_of_another() {
    let (sessions, _) = registry(SessionSettings::default());
    let until = start() + Duration::from_secs(60);
    sessions
        .revoke("alice", Some("https://idp.example"), until, "admin")
        .unwrap();
    let elsewhere = Identity::new("alice", IdentityKind::User).with_issuer("https://other.example");
    assert!(
        sessions
            .open_or_touch(&key("s-1"), &elsewhere, None, None)
            .is_ok()
    );
    assert!(
        sessions
            .open_or_touch(&key("s-2"), &alice(), None, None)
            .is_err()
    );
    assert!(sessions.lift_revocation("alice", Some("https://idp.example")));
    assert!(
        sessions
            .open_or_touch(&key("s-2"), &alice(), None, None)
            .is_ok()
    );
}

#[test]
fn idle_sessions_expire_unless_a_stream_is_open() {
    let settings = SessionSettings::default().with_idle_timeout(Duration::from_secs(600));
    let (sessions, clock) = registry(settings);
    let idle = sessions
        .open_or_touch(&key("idle"), &alice(), None, None)
        .unwrap();
    let streaming = sessions
        .open_or_touch(&key("streaming"), &alice(), None, None)
        .unwrap();
    let stream = streaming.open_stream();
    let busy = sessions
        .open_or_touch(&key("busy"), &alice(), None, None)
        .unwrap();

    clock.advance(Duration::from_secs(599));
    sessions
        .open_or_touch(&key("busy"), &alice(), None, None)
        .unwrap();
    assert!(sessions.expire_idle(clock.now()).is_empty());
    clock.advance(Duration::from_secs(1));
    let expired = sessions.expire_idle(clock.now());
    assert_eq!(expired.len(), 1);
    assert!(idle.is_killed());
    assert!(!busy.is_killed() && !streaming.is_killed());
    drop(stream);
    // An expired legacy id is not remembered as killed: the next use opens a new session.
    let reopened = sessions
        .open_or_touch(&key("idle"), &alice(), None, None)
        .unwrap();
    assert_ne!(reopened.id(), idle.id());
}

#[test]
fn the_registry_and_each_identity_are_capped() {
    let settings = SessionSettings::default()
        .with_max_sessions(3)
        .with_max_sessions_per_identity(2)
        .with_idle_timeout(Duration::from_secs(60));
    let (sessions, clock) = registry(settings);
    sessions
        .open_or_touch(&key("a1"), &alice(), None, None)
        .unwrap();
    sessions
        .open_or_touch(&key("a2"), &alice(), None, None)
        .unwrap();
    assert_eq!(
        sessions
            .open_or_touch(&key("a3"), &alice(), None, None)
            .unwrap_err(),
        SessionError::TooManySessions { limit: 2 }
    );
    let bob = Identity::new("bob", IdentityKind::User);
    let carol = Identity::new("carol", IdentityKind::User);
    sessions
        .open_or_touch(&key("b1"), &bob, None, None)
        .unwrap();
    assert_eq!(
        sessions
            .open_or_touch(&key("c1"), &carol, None, None)
            .unwrap_err(),
        SessionError::Full
    );
    // Existing sessions keep working when full.
    assert!(
        sessions
            .open_or_touch(&key("a1"), &alice(), None, None)
            .is_ok()
    );
    // Once some are idle, a new session makes room by expiring them.
    clock.advance(Duration::from_secs(61));
    assert!(
        sessions
            .open_or_touch(&key("c1"), &carol, None, None)
            .is_ok()
    );
    assert_eq!(sessions.len(), 1);
}

#[test]
fn ending_a_session_closes_its_streams_without_barring_its_key() {
    let (sessions, _) = registry(SessionSettings::default());
    let h = sessions
        .open_or_touch(&key("s-1"), &alice(), None, None)
        .unwrap();
    assert!(sessions.end(&key("s-1")).is_some());
    assert!(h.kill_signal().killed());
    assert!(sessions.end(&key("s-1")).is_none());
    assert!(sessions.list().is_empty());
}

#[test]
fn session_ids_from_clients_are_validated() {
    assert_eq!(
        SessionKey::legacy(&"x".repeat(4096)).unwrap_err(),
        SessionError::InvalidKey
    );
    assert_eq!(
        SessionError::InvalidKey.status(),
        http::StatusCode::BAD_REQUEST
    );
}
