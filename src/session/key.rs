//! [`SessionKey`]: what identifies a session — the client's `Mcp-Session-Id`, or for
//! stateless traffic the identity and client.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use super::SessionError;
use crate::identity::Identity;

/// The longest `Mcp-Session-Id` accepted (they come from clients and are attacker
/// controlled).
pub const MAX_SESSION_ID_LEN: usize = 128;
/// The longest subject, issuer or client name in a stateless key.
pub const MAX_KEY_PART_LEN: usize = 512;

/// Identifies one live session.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionKey {
    /// A session with an `Mcp-Session-Id` (protocol revisions up to 2025-11-25).
    Legacy(String),
    /// Stateless traffic (2026-07-28, or a server without sessions): one session per
    /// identity and client.
    Stateless {
        /// The identity's subject.
        subject: String,
        /// The identity's issuer.
        issuer: Option<String>,
        /// The client: the identity's OAuth client id or the `clientInfo` name.
        client: Option<String>,
    },
}

impl SessionKey {
    /// The key of a session with `Mcp-Session-Id: id`. Refuses ids that are empty,
    /// longer than [`MAX_SESSION_ID_LEN`] or outside visible ASCII (0x21–0x7E), as the
    /// transport spec requires of session ids.
    pub fn legacy(id: &str) -> Result<SessionKey, SessionError> {
        let visible = id.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if id.is_empty() || id.len() > MAX_SESSION_ID_LEN || !visible {
            return Err(SessionError::InvalidKey);
        }
        Ok(SessionKey::Legacy(id.to_owned()))
    }

    /// The key of stateless traffic by `identity` from `client` (defaults to the
    /// identity's client id).
    pub fn stateless(
        identity: &Identity,
        client: Option<&str>,
    ) -> Result<SessionKey, SessionError> {
        let client = client.or(identity.client_id.as_deref());
        let too_long = |s: Option<&str>| s.is_some_and(|s| s.len() > MAX_KEY_PART_LEN);
        if too_long(Some(&identity.subject))
            || too_long(identity.issuer.as_deref())
            || too_long(client)
        {
            return Err(SessionError::InvalidKey);
        }
        Ok(SessionKey::Stateless {
            subject: identity.subject.clone(),
            issuer: identity.issuer.clone(),
            client: client.map(str::to_owned),
        })
    }

    /// A short fingerprint of a legacy id (the first 8 bytes of its SHA-256, in hex),
    /// shown instead of the id so listings and logs never carry it.
    pub fn fingerprint(&self) -> Option<String> {
        match self {
            SessionKey::Legacy(id) => {
                let digest = Sha256::digest(id.as_bytes());
                Some(digest.iter().take(8).map(|b| format!("{b:02x}")).collect())
            }
            SessionKey::Stateless { .. } => None,
        }
    }
}

/// Never prints a legacy session id, only its fingerprint.
impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionKey::Legacy(_) => {
                write!(f, "Legacy({})", self.fingerprint().unwrap_or_default())
            }
            SessionKey::Stateless {
                subject,
                issuer,
                client,
            } => f
                .debug_struct("Stateless")
                .field("subject", subject)
                .field("issuer", issuer)
                .field("client", client)
                .finish(),
        }
    }
}

/// `{"legacy": "<fingerprint>"}` or `{"subject": …, "issuer": …, "client": …}`.
impl Serialize for SessionKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        match self {
            SessionKey::Legacy(_) => map.serialize_entry("legacy", &self.fingerprint())?,
            SessionKey::Stateless {
                subject,
                issuer,
                client,
            } => {
                map.serialize_entry("subject", subject)?;
                map.serialize_entry("issuer", issuer)?;
                map.serialize_entry("client", client)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKind;

    #[test]
    fn legacy_ids_are_capped_and_visible_ascii() {
        assert!(SessionKey::legacy("a1b2-c3").is_ok());
        assert!(SessionKey::legacy(&"x".repeat(MAX_SESSION_ID_LEN)).is_ok());
        for bad in [
            "",
            "has space",
            "tab\t",
            "é",
            &"x".repeat(MAX_SESSION_ID_LEN + 1),
        ] {
            assert!(SessionKey::legacy(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn legacy_ids_never_show_in_debug_or_json() {
        let key = SessionKey::legacy("secret-session-id").unwrap();
        assert!(!format!("{key:?}").contains("secret"));
        let json = serde_json::to_string(&key).unwrap();
        assert!(!json.contains("secret"), "{json}");
        assert_eq!(key.fingerprint().map(|f| f.len()), Some(16));
    }

    #[test]
    fn stateless_keys_use_the_client_id_by_default() {
        let id = Identity::new("alice", IdentityKind::User).with_client_id("cli");
        let key = SessionKey::stateless(&id, None).unwrap();
        assert!(matches!(key, SessionKey::Stateless { client: Some(ref c), .. } if c == "cli"));
        let long = Identity::new("a".repeat(MAX_KEY_PART_LEN + 1), IdentityKind::User);
        assert!(SessionKey::stateless(&long, None).is_err());
    }
}
