//! The key store of one issuer: static keys, or keys fetched from a JWKS URL (directly
//! or through OIDC discovery) and cached.
//!
//! Remote keys are cached for `max_age`. The cache is refreshed:
//! * when it is older than `max_age` (a request then waits for the refetch; if the
//!   refetch fails the keys are unavailable and requests fail closed);
//! * by one request (which waits for it) when it is older than half of `max_age` and
//!   the cooldown has passed (failures are ignored; the cached keys still serve), so a
//!   healthy endpoint is refetched before the cache expires;
//! * when a token names a `kid` the cache does not hold (the IdP rotated keys).
//!
//! Every refetch is single-flight (concurrent requests wait for the one in progress and
//! then use its result) and at most one starts per `cooldown`, however many unknown
//! `kid`s arrive. Nothing in a token ever chooses a URL.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use url::Url;

use super::algorithm::SigningAlgorithm;
use super::clock::Clock;
use super::discovery;
use super::error::JwtError;
use super::fetch::KeyFetcher;
use super::keys::{KeySet, Lookup, VerifyingKey};

/// Where the keys of an issuer come from.
pub(crate) enum KeyStore {
    Static(KeySet),
    Remote(Box<RemoteKeys>),
}

/// Where remote keys are fetched from.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    Jwks(Url),
    Discovery { issuer: String, url: Url },
}

pub(crate) struct RemoteKeys {
    location: Location,
    allowed: Vec<SigningAlgorithm>,
    allow_http: bool,
    max_age: Duration,
    cooldown: Duration,
    fetcher: Arc<dyn KeyFetcher>,
    state: Mutex<State>,
    flight: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    keys: Arc<KeySet>,
    fetched_at: Option<SystemTime>,
    last_attempt: Option<SystemTime>,
    attempts: u64,
    jwks_uri: Option<Url>,
}

impl State {
    fn fresh(&self, now: SystemTime, max_age: Duration) -> bool {
        self.fetched_at
            .and_then(|t| t.checked_add(max_age))
            .is_some_and(|until| now < until)
    }

    fn age(&self, now: SystemTime) -> Option<Duration> {
        self.fetched_at
            .map(|t| now.duration_since(t).unwrap_or_default())
    }

    fn cooled_down(&self, now: SystemTime, cooldown: Duration) -> bool {
        match self.last_attempt.and_then(|t| t.checked_add(cooldown)) {
            Some(until) => now >= until,
            None => true,
        }
    }
}

/// A key found for a token, with how long a verification made with it may be reused.
pub(crate) struct Found {
    pub(crate) key: Arc<VerifyingKey>,
    /// Until when the key is known to be current (`None`: static, forever).
    pub(crate) valid_until: Option<SystemTime>,
}

fn decide(lookup: Lookup) -> Result<Arc<VerifyingKey>, JwtError> {
    match lookup {
        Lookup::Found(key) => Ok(key),
        Lookup::Ambiguous => Err(JwtError::MissingKeyId),
        Lookup::Missing => Err(JwtError::UnknownKey),
    }
}

impl KeyStore {
    pub(crate) async fn key(
        &self,
        kid: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<Found, JwtError> {
        match self {
            KeyStore::Static(set) => decide(set.lookup(kid)).map(|key| Found {
                key,
                valid_until: None,
            }),
            KeyStore::Remote(remote) => remote.key(kid, clock).await,
        }
    }
}

impl RemoteKeys {
    pub(crate) fn new(
        location: Location,
        allowed: Vec<SigningAlgorithm>,
        allow_http: bool,
        max_age: Duration,
        cooldown: Duration,
        fetcher: Arc<dyn KeyFetcher>,
    ) -> Self {
        RemoteKeys {
            location,
            allowed,
            allow_http,
            max_age,
            cooldown,
            fetcher,
            state: Mutex::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of plain data;
        // the data is still a consistent snapshot.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key for `kid` from the current cache, if it is fresh.
    fn cached(&self, kid: Option<&str>, now: SystemTime) -> (Option<Found>, bool, u64) {
        let state = self.state();
        let fresh = state.fresh(now, self.max_age);
        let valid_until = state.fetched_at.and_then(|t| t.checked_add(self.max_age));
        let found = match (fresh, state.keys.lookup(kid)) {
            (true, Lookup::Found(key)) => Some(Found { key, valid_until }),
            _ => None,
        };
        let ageing = state.age(now).is_some_and(|age| age >= self.max_age / 2)
            && state.cooled_down(now, self.cooldown);
        (found, ageing, state.attempts)
    }

    /// The outcome after a refetch (or a wait for one): fresh keys decide, stale keys
    /// are unavailable.
    fn settle(&self, kid: Option<&str>, now: SystemTime) -> Result<Found, JwtError> {
        let state = self.state();
        if !state.fresh(now, self.max_age) {
            return Err(JwtError::Unavailable(
                "the issuer's keys could not be refreshed".into(),
            ));
        }
        let valid_until = state.fetched_at.and_then(|t| t.checked_add(self.max_age));
        decide(state.keys.lookup(kid)).map(|key| Found { key, valid_until })
    }

    async fn key(&self, kid: Option<&str>, clock: &dyn Clock) -> Result<Found, JwtError> {
        let now = clock.now();
        let (found, ageing, seen) = self.cached(kid, now);
        if let Some(found) = found {
            if ageing && let Ok(_flight) = self.flight.try_lock() {
                let _ = self.refetch(clock.now()).await;
            }
            return Ok(found);
        }
        // The key is unknown or the cache is stale: refetch, once per cooldown, one
        // request at a time.
        let _flight = self.flight.lock().await;
        let now = clock.now();
        let may_fetch = {
            let state = self.state();
            state.attempts == seen && state.cooled_down(now, self.cooldown)
        };
        if may_fetch {
            let _ = self.refetch(now).await;
        }
        self.settle(kid, clock.now())
    }

    /// Fetches the key set (discovering its URL first if needed) and installs it.
    /// Failures leave the cached keys in place. Callers hold `flight`.
    async fn refetch(&self, now: SystemTime) -> bool {
        let known_uri = {
            let mut state = self.state();
            state.last_attempt = Some(now);
            state.attempts += 1;
            state.jwks_uri.clone()
        };
        match self.fetch_keys(known_uri).await {
            Ok((keys, uri)) => {
                let mut state = self.state();
                state.keys = Arc::new(keys);
                state.fetched_at = Some(now);
                state.jwks_uri = Some(uri);
                true
            }
            Err(reason) => {
                tracing::warn!(target: "tollgate::identity", %reason, "JWKS refresh failed");
                self.state().jwks_uri = None;
                false
            }
        }
    }

    async fn fetch_keys(&self, known_uri: Option<Url>) -> Result<(KeySet, Url), String> {
        let uri = match (&self.location, known_uri) {
            (Location::Jwks(url), _) => url.clone(),
            (Location::Discovery { .. }, Some(uri)) => uri,
            (Location::Discovery { issuer, url }, None) => {
                let doc = self.fetcher.fetch(url).await.map_err(|e| e.to_string())?;
                discovery::jwks_uri(&doc, issuer, self.allow_http)?
            }
        };
        let body = self.fetcher.fetch(&uri).await.map_err(|e| e.to_string())?;
        let (keys, skipped) = KeySet::from_jwks(&body, &self.allowed, false)?;
        for reason in skipped {
            tracing::debug!(target: "tollgate::identity", %reason, "JWKS key skipped");
        }
        Ok((keys, uri))
    }

    /// Refetches now (unless one is in progress), ignoring the cooldown.
    pub(crate) async fn refresh(&self, clock: &dyn Clock) -> Result<(), JwtError> {
        let _flight = self.flight.lock().await;
        if self.refetch(clock.now()).await {
            Ok(())
        } else {
            Err(JwtError::Unavailable(
                "the issuer's keys could not be fetched".into(),
            ))
        }
    }
}
