//! The verified-token cache: repeated calls with the same token skip the crypto.
//!
//! Entries are keyed by the SHA-256 of the whole token string (never by the signature
//! alone: ECDSA signatures are malleable, so two distinct token strings can carry the
//! "same" valid signature). An entry lives until the earliest of the token's `exp` and
//! the moment its key stops being known-current (the key cache's fetch time plus its
//! max-age), so a key removed from the JWKS stops being honoured through this cache no
//! later than through the key cache itself. The cache holds at most `capacity` entries;
//! when full, expired entries are dropped first, then the entry that expires soonest.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::identity::Identity;

pub(crate) type TokenDigest = [u8; 32];

pub(crate) fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

struct Entry {
    identity: Identity,
    until: SystemTime,
}

pub(crate) struct VerifiedCache {
    capacity: usize,
    entries: Mutex<HashMap<TokenDigest, Entry>>,
}

impl VerifiedCache {
    pub(crate) fn new(capacity: usize) -> Self {
        VerifiedCache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<TokenDigest, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The identity verified for this token, if still valid at `now`.
    pub(crate) fn get(&self, key: &TokenDigest, now: SystemTime) -> Option<Identity> {
        if self.capacity == 0 {
            return None;
        }
        let mut entries = self.entries();
        match entries.get(key) {
            Some(entry) if now < entry.until => Some(entry.identity.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remembers a verified token until `until`.
    pub(crate) fn insert(
        &self,
        key: TokenDigest,
        identity: Identity,
        until: SystemTime,
        now: SystemTime,
    ) {
        if self.capacity == 0 || until <= now {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| now < e.until);
            if entries.len() >= self.capacity
                && let Some(soonest) = entries.iter().min_by_key(|(_, e)| e.until).map(|(k, _)| *k)
            {
                entries.remove(&soonest);
            }
        }
        entries.insert(key, Entry { identity, until });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::identity::IdentityKind;

    fn at(s: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn entries_expire_and_capacity_is_bounded() {
        let cache = VerifiedCache::new(2);
        let id = Identity::new("a", IdentityKind::User);
        cache.insert(digest("t1"), id.clone(), at(100), at(0));
        cache.insert(digest("t2"), id.clone(), at(200), at(0));
        cache.insert(digest("t3"), id.clone(), at(300), at(0));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&digest("t1"), at(1)).is_none(), "soonest evicted");
        assert!(cache.get(&digest("t3"), at(1)).is_some());
        assert!(
            cache.get(&digest("t2"), at(200)).is_none(),
            "expired at until"
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn zero_capacity_disables() {
        let cache = VerifiedCache::new(0);
        cache.insert(
            digest("t"),
            Identity::new("a", IdentityKind::User),
            at(9),
            at(0),
        );
        assert!(cache.get(&digest("t"), at(1)).is_none());
    }
}
