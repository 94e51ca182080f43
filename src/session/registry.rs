//! [`SessionRegistry`]: every live session, bound to the identity that opened it, with
//! kill, revoke and idle expiry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use super::SessionError;
use super::info::{ClientInfo, KillRecord, SessionInfo};
use super::key::SessionKey;
use super::kill::{KillSignal, KillSwitch};
use crate::approval::{Clock, SystemClock};
use crate::identity::Identity;

/// Limits and timeouts of a [`SessionRegistry`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionSettings {
    /// A session unused this long (and with no open stream) is expired (default 30 min).
    pub idle_timeout: Duration,
    /// The most live sessions (default 10 000). When full, idle sessions are expired
    /// first; if none is, a new session is refused ([`SessionError::Full`]) rather
    /// than evicting a live one, whose streams could then no longer be killed.
    pub max_sessions: usize,
    /// The most live sessions of one identity (default 100), so one caller cannot
    /// fill the registry.
    pub max_sessions_per_identity: usize,
    /// How long a killed session's key keeps being refused (default 1 h).
    pub killed_retention: Duration,
    /// The most revocations held at once (default 10 000).
    pub max_revocations: usize,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_timeout: Duration::from_secs(30 * 60),
            max_sessions: 10_000,
            max_sessions_per_identity: 100,
            killed_retention: Duration::from_secs(3600),
            max_revocations: 10_000,
        }
    }
}

impl SessionSettings {
    /// Sets the idle timeout.
    pub fn with_idle_timeout(mut self, t: Duration) -> Self {
        self.idle_timeout = t;
        self
    }

    /// Sets the cap on live sessions.
    pub fn with_max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n;
        self
    }

    /// Sets the cap on live sessions per identity.
    pub fn with_max_sessions_per_identity(mut self, n: usize) -> Self {
        self.max_sessions_per_identity = n;
        self
    }

    /// Sets how long killed keys stay refused.
    pub fn with_killed_retention(mut self, t: Duration) -> Self {
        self.killed_retention = t;
        self
    }
}

type Principal = (String, Option<String>);

struct Meta {
    identity: Identity,
    client: Option<ClientInfo>,
    protocol: Option<String>,
    last_seen: SystemTime,
    killed: Option<KillRecord>,
}

struct Entry {
    id: String,
    key: SessionKey,
    started_at: SystemTime,
    meta: Mutex<Meta>,
    calls: AtomicU64,
    denied: AtomicU64,
    held: AtomicU64,
    redactions: AtomicU64,
    open_streams: AtomicU64,
    switch: KillSwitch,
}

impl Entry {
    fn meta(&self) -> MutexGuard<'_, Meta> {
        self.meta.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn principal(&self) -> Principal {
        let m = self.meta();
        (m.identity.subject.clone(), m.identity.issuer.clone())
    }

    fn info(&self) -> SessionInfo {
        let m = self.meta();
        SessionInfo {
            id: self.id.clone(),
            key: self.key.clone(),
            subject: m.identity.subject.clone(),
            issuer: m.identity.issuer.clone(),
            kind: m.identity.kind,
            groups: m.identity.groups.clone(),
            token_id: m.identity.token_id.clone(),
            token_expires_at: m.identity.expires_at,
            client_id: m.identity.client_id.clone(),
            client: m.client.clone(),
            protocol_version: m.protocol.clone(),
            started_at: self.started_at,
            last_seen: m.last_seen,
            calls: self.calls.load(Ordering::Relaxed),
            denied: self.denied.load(Ordering::Relaxed),
            held: self.held.load(Ordering::Relaxed),
            redactions: self.redactions.load(Ordering::Relaxed),
            open_streams: self.open_streams.load(Ordering::Relaxed),
            killed: m.killed.clone(),
        }
    }

    fn is_idle(&self, now: SystemTime, timeout: Duration) -> bool {
        let last = self.meta().last_seen;
        self.open_streams.load(Ordering::Relaxed) == 0
            && last.checked_add(timeout).is_some_and(|end| now >= end)
    }
}

#[derive(Default)]
struct State {
    sessions: HashMap<SessionKey, Arc<Entry>>,
    by_id: HashMap<String, SessionKey>,
    per_principal: HashMap<Principal, usize>,
    /// Killed keys, refused until the time given.
    tombstones: HashMap<SessionKey, SystemTime>,
    /// Revoked principals (issuer `None`: every issuer), refused until the time given.
    revoked: HashMap<Principal, SystemTime>,
}

impl State {
    fn remove(&mut self, key: &SessionKey) -> Option<Arc<Entry>> {
        let entry = self.sessions.remove(key)?;
        self.by_id.remove(&entry.id);
        let principal = entry.principal();
        if let Some(n) = self.per_principal.get_mut(&principal) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_principal.remove(&principal);
            }
        }
        Some(entry)
    }

    fn revoked_until(
        &self,
        subject: &str,
        issuer: Option<&str>,
        now: SystemTime,
    ) -> Option<SystemTime> {
        let exact = self
            .revoked
            .get(&(subject.to_owned(), issuer.map(str::to_owned)));
        let any = self.revoked.get(&(subject.to_owned(), None));
        exact
            .into_iter()
            .chain(any)
            .copied()
            .filter(|until| *until > now)
            .max()
    }
}

/// The live sessions. Cheap to clone; share one between the layer and the admin API.
///
/// ```
/// use tollgate::identity::{Identity, IdentityKind};
/// use tollgate::session::{SessionError, SessionKey, SessionRegistry};
///
/// let sessions = SessionRegistry::new();
/// let alice = Identity::new("alice", IdentityKind::User);
/// let key = SessionKey::legacy("3f0c9e2a7b")?;
/// let handle = sessions.open_or_touch(&key, &alice, None, Some("2025-11-25"))?;
/// handle.record_call();
///
/// // Another identity presenting alice's session id is refused.
/// let mallory = Identity::new("mallory", IdentityKind::User);
/// assert_eq!(sessions.open_or_touch(&key, &mallory, None, None).err(), Some(SessionError::IdentityMismatch));
///
/// assert!(sessions.kill(&key, "admin", "suspicious"));
/// assert!(handle.kill_signal().killed());
/// assert_eq!(sessions.open_or_touch(&key, &alice, None, None).err(), Some(SessionError::Killed));
/// # Ok::<(), SessionError>(())
/// ```
#[derive(Clone)]
pub struct SessionRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Arc<dyn Clock>,
    settings: SessionSettings,
    state: Mutex<State>,
}

impl std::fmt::Debug for SessionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRegistry")
            .field("settings", &self.inner.settings)
            .field("sessions", &self.len())
            .finish()
    }
}

impl Default for SessionRegistry {
    fn default() -> Self {
        SessionRegistry::new()
    }
}

impl SessionRegistry {
    /// A registry with default settings and the system clock.
    pub fn new() -> SessionRegistry {
        SessionRegistry::with_settings(SessionSettings::default(), Arc::new(SystemClock))
    }

    /// A registry with `settings`, reading time from `clock`.
    pub fn with_settings(settings: SessionSettings, clock: Arc<dyn Clock>) -> SessionRegistry {
        SessionRegistry {
            inner: Arc::new(Inner {
                clock,
                settings,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.inner.settings
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Finds the session `key` for a request by `identity`, or opens it bound to that
    /// identity. Updates last-seen, the credential (token id and expiry rotate) and,
    /// when given, the client info and protocol revision.
    ///
    /// Refused with [`SessionError::IdentityMismatch`] when the session belongs to
    /// another subject or issuer (answer 404 and record an audit event),
    /// [`SessionError::Killed`] for a killed session, [`SessionError::Revoked`] while
    /// the identity is revoked, and [`SessionError::Full`] /
    /// [`SessionError::TooManySessions`] at the caps.
    pub fn open_or_touch(
        &self,
        key: &SessionKey,
        identity: &Identity,
        client: Option<ClientInfo>,
        protocol: Option<&str>,
    ) -> Result<SessionHandle, SessionError> {
        let now = self.now();
        let settings = &self.inner.settings;
        let mut state = self.state();
        if let Some(until) = state.revoked_until(&identity.subject, identity.issuer.as_deref(), now)
        {
            return Err(SessionError::Revoked { until });
        }
        if let Some(until) = state.tombstones.get(key).copied() {
            if until > now {
                return Err(SessionError::Killed);
            }
            state.tombstones.remove(key);
        }
        if let Some(entry) = state.sessions.get(key) {
            let mut meta = entry.meta();
            if meta.identity.subject != identity.subject || meta.identity.issuer != identity.issuer
            {
                return Err(SessionError::IdentityMismatch);
            }
            if meta.killed.is_some() {
                return Err(SessionError::Killed);
            }
            meta.identity = identity.clone();
            meta.last_seen = now;
            if client.is_some() {
                meta.client = client;
            }
            if let Some(p) = protocol {
                meta.protocol = Some(cut(p));
            }
            drop(meta);
            return Ok(SessionHandle {
                opened: false,
                entry: Arc::clone(entry),
            });
        }

        let principal: Principal = (identity.subject.clone(), identity.issuer.clone());
        let of_principal = state.per_principal.get(&principal).copied().unwrap_or(0);
        if of_principal >= settings.max_sessions_per_identity {
            return Err(SessionError::TooManySessions {
                limit: settings.max_sessions_per_identity,
            });
        }
        if state.sessions.len() >= settings.max_sessions {
            expire_idle_locked(&mut state, now, settings.idle_timeout);
            if state.sessions.len() >= settings.max_sessions {
                return Err(SessionError::Full);
            }
        }
        let id = random_hex().ok_or(SessionError::Unavailable)?;
        let entry = Arc::new(Entry {
            id: id.clone(),
            key: key.clone(),
            started_at: now,
            meta: Mutex::new(Meta {
                identity: identity.clone(),
                client,
                protocol: protocol.map(cut),
                last_seen: now,
                killed: None,
            }),
            calls: AtomicU64::new(0),
            denied: AtomicU64::new(0),
            held: AtomicU64::new(0),
            redactions: AtomicU64::new(0),
            open_streams: AtomicU64::new(0),
            switch: KillSwitch::new(),
        });
        state.sessions.insert(key.clone(), Arc::clone(&entry));
        state.by_id.insert(id, key.clone());
        *state.per_principal.entry(principal).or_insert(0) += 1;
        Ok(SessionHandle {
            entry,
            opened: true,
        })
    }

    /// Every live session, oldest first.
    pub fn list(&self) -> Vec<SessionInfo> {
        let entries: Vec<Arc<Entry>> = self.state().sessions.values().cloned().collect();
        let mut out: Vec<SessionInfo> = entries.iter().map(|e| e.info()).collect();
        out.sort_by(|a, b| {
            a.started_at
                .cmp(&b.started_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }

    /// How many sessions are live.
    pub fn len(&self) -> usize {
        self.state().sessions.len()
    }

    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The session `key`, if live.
    pub fn get(&self, key: &SessionKey) -> Option<SessionInfo> {
        let entry = self.state().sessions.get(key).cloned();
        entry.map(|e| e.info())
    }

    /// The session whose registry id ([`SessionInfo::id`]) is `id`, if live.
    pub fn get_by_id(&self, id: &str) -> Option<SessionInfo> {
        self.key_of(id).and_then(|k| self.get(&k))
    }

    /// The key of the session with registry id `id`.
    pub fn key_of(&self, id: &str) -> Option<SessionKey> {
        self.state().by_id.get(id).cloned()
    }

    /// Kills session `key`: its open streams end, a call it holds for approval is
    /// cancelled (its wait is dropped when the stream ends), and its key is refused
    /// for [`SessionSettings::killed_retention`]. Returns whether it was live.
    pub fn kill(&self, key: &SessionKey, by: &str, reason: &str) -> bool {
        self.kill_info(key, by, reason).is_some()
    }

    /// Like [`kill`](Self::kill), returning the killed session's last snapshot.
    pub fn kill_info(&self, key: &SessionKey, by: &str, reason: &str) -> Option<SessionInfo> {
        let now = self.now();
        let mut state = self.state();
        let entry = state.remove(key)?;
        self.tombstone(&mut state, key.clone(), now);
        drop(state);
        Some(kill_entry(&entry, by, reason, now))
    }

    fn tombstone(&self, state: &mut State, key: SessionKey, now: SystemTime) {
        let settings = &self.inner.settings;
        if state.tombstones.len() >= settings.max_sessions {
            state.tombstones.retain(|_, until| *until > now);
            if state.tombstones.len() >= settings.max_sessions
                && let Some(first) = state
                    .tombstones
                    .iter()
                    .min_by_key(|(_, until)| **until)
                    .map(|(k, _)| k.clone())
            {
                state.tombstones.remove(&first);
            }
        }
        let until = now.checked_add(settings.killed_retention).unwrap_or(now);
        state.tombstones.insert(key, until);
    }

    /// Revokes `subject` (from `issuer`, or from every issuer when `None`) until
    /// `until`: kills each of its sessions and refuses new ones until then. Returns the
    /// killed sessions.
    pub fn revoke(
        &self,
        subject: &str,
        issuer: Option<&str>,
        until: SystemTime,
        by: &str,
    ) -> Result<Vec<SessionInfo>, SessionError> {
        let now = self.now();
        let mut state = self.state();
        if state.revoked.len() >= self.inner.settings.max_revocations {
            state.revoked.retain(|_, u| *u > now);
            if state.revoked.len() >= self.inner.settings.max_revocations {
                return Err(SessionError::Full);
            }
        }
        let principal = (subject.to_owned(), issuer.map(str::to_owned));
        let previous = state.revoked.get(&principal).copied();
        state
            .revoked
            .insert(principal, previous.map_or(until, |p| p.max(until)));
        let keys: Vec<SessionKey> = state
            .sessions
            .iter()
            .filter(|(_, e)| {
                let (s, i) = e.principal();
                s == subject && (issuer.is_none() || i.as_deref() == issuer)
            })
            .map(|(k, _)| k.clone())
            .collect();
        let mut killed = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(entry) = state.remove(&key) {
                self.tombstone(&mut state, key, now);
                killed.push(entry);
            }
        }
        drop(state);
        let reason = format!("subject revoked until {}", super::info::secs(&until));
        Ok(killed
            .iter()
            .map(|e| kill_entry(e, by, &reason, now))
            .collect())
    }

    /// Until when `subject` from `issuer` is revoked, if it is now.
    pub fn revoked_until(&self, subject: &str, issuer: Option<&str>) -> Option<SystemTime> {
        let now = self.now();
        self.state().revoked_until(subject, issuer, now)
    }

    /// Lifts a revocation of `subject` from `issuer` (`None`: the every-issuer one).
    /// Returns whether there was one.
    pub fn lift_revocation(&self, subject: &str, issuer: Option<&str>) -> bool {
        self.state()
            .revoked
            .remove(&(subject.to_owned(), issuer.map(str::to_owned)))
            .is_some()
    }

    /// Ends session `key` (the client's `DELETE`): its streams end and it is removed.
    /// The key is not remembered, so the next use opens a new session.
    pub fn end(&self, key: &SessionKey) -> Option<SessionInfo> {
        let entry = self.state().remove(key)?;
        entry.switch.kill();
        Some(entry.info())
    }

    /// Removes every session idle past the idle timeout at `now` (one with an open
    /// stream is never idle), ending their streams; forgets kills and revocations
    /// that have run out. Returns the expired sessions.
    pub fn expire_idle(&self, now: SystemTime) -> Vec<SessionInfo> {
        let mut state = self.state();
        let expired = expire_idle_locked(&mut state, now, self.inner.settings.idle_timeout);
        state.tombstones.retain(|_, until| *until > now);
        state.revoked.retain(|_, until| *until > now);
        drop(state);
        expired.iter().map(|e| e.info()).collect()
    }
}

fn expire_idle_locked(state: &mut State, now: SystemTime, timeout: Duration) -> Vec<Arc<Entry>> {
    let idle: Vec<SessionKey> = state
        .sessions
        .iter()
        .filter(|(_, e)| e.is_idle(now, timeout))
        .map(|(k, _)| k.clone())
        .collect();
    let mut out = Vec::with_capacity(idle.len());
    for key in idle {
        if let Some(entry) = state.remove(&key) {
            entry.switch.kill();
            out.push(entry);
        }
    }
    out
}

fn kill_entry(entry: &Entry, by: &str, reason: &str, now: SystemTime) -> SessionInfo {
    entry.meta().killed = Some(KillRecord {
        by: cut(by),
        reason: cut(reason),
        at: now,
    });
    entry.switch.kill();
    entry.info()
}

fn cut(s: &str) -> String {
    s.chars().take(ClientInfo::MAX_LEN).collect()
}

fn random_hex() -> Option<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).ok()?;
    Some(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// One request's view of its session: counters and the kill signal.
#[derive(Clone)]
pub struct SessionHandle {
    entry: Arc<Entry>,
    opened: bool,
}

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionHandle")
            .field("id", &self.entry.id)
            .field("key", &self.entry.key)
            .finish()
    }
}

impl SessionHandle {
    /// The registry's id of the session.
    pub fn id(&self) -> &str {
        &self.entry.id
    }

    /// Whether this request opened the session (rather than finding it live).
    pub fn is_new(&self) -> bool {
        self.opened
    }

    /// The session's key.
    pub fn key(&self) -> &SessionKey {
        &self.entry.key
    }

    /// Counts a request.
    pub fn record_call(&self) {
        self.entry.calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a denied call.
    pub fn record_denied(&self) {
        self.entry.denied.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a call held for approval.
    pub fn record_held(&self) {
        self.entry.held.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts `n` redacted values.
    pub fn record_redactions(&self, n: u64) {
        self.entry.redactions.fetch_add(n, Ordering::Relaxed);
    }

    /// A signal that fires when the session is killed, revoked, ended or expired.
    pub fn kill_signal(&self) -> KillSignal {
        self.entry.switch.signal()
    }

    /// Whether the session was killed (or ended, or expired).
    pub fn is_killed(&self) -> bool {
        self.entry.switch.is_killed()
    }

    /// Marks a response stream open until the returned guard drops; a session with an
    /// open stream is never expired as idle. The guard carries the kill signal.
    pub fn open_stream(&self) -> OpenStream {
        self.entry.open_streams.fetch_add(1, Ordering::Relaxed);
        OpenStream {
            signal: self.entry.switch.signal(),
            entry: Arc::clone(&self.entry),
        }
    }

    /// A snapshot of the session.
    pub fn info(&self) -> SessionInfo {
        self.entry.info()
    }
}

/// An open response stream of a session (see [`SessionHandle::open_stream`]).
pub struct OpenStream {
    signal: KillSignal,
    entry: Arc<Entry>,
}

impl std::fmt::Debug for OpenStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenStream")
            .field("session", &self.entry.id)
            .finish()
    }
}

impl OpenStream {
    /// The session's kill signal: poll it from the body and end the stream when it
    /// fires.
    pub fn signal(&self) -> &KillSignal {
        &self.signal
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.entry.open_streams.fetch_sub(1, Ordering::Relaxed);
    }
}
