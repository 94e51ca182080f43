//! [`SessionInfo`]: a snapshot of one live session, and [`ClientInfo`].

use std::time::SystemTime;

use serde::{Serialize, Serializer};

use super::key::SessionKey;
use crate::identity::IdentityKind;

/// The client's self-description from `initialize` (`clientInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientInfo {
    /// The client's name.
    pub name: String,
    /// The client's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl ClientInfo {
    /// The longest name or version kept; longer ones are cut (they come from clients).
    pub const MAX_LEN: usize = 256;

    /// A client called `name`, version `version`, each cut to [`ClientInfo::MAX_LEN`]
    /// characters.
    pub fn new(name: &str, version: Option<&str>) -> ClientInfo {
        let cut = |s: &str| s.chars().take(Self::MAX_LEN).collect::<String>();
        ClientInfo {
            name: cut(name),
            version: version.map(cut),
        }
    }
}

/// Who killed a session, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KillRecord {
    /// Who killed it (an admin's subject, or `revoke`).
    pub by: String,
    /// Why.
    pub reason: String,
    /// When (unix seconds).
    #[serde(serialize_with = "unix_seconds")]
    pub at: SystemTime,
}

/// A snapshot of one live session: the credential inventory a reviewer sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The registry's own id of the session (32 hex digits), used by the admin API.
    pub id: String,
    /// The session's key (a legacy id only as its fingerprint).
    pub key: SessionKey,
    /// The identity's subject.
    pub subject: String,
    /// The identity's issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The identity's kind.
    pub kind: IdentityKind,
    /// The identity's groups.
    pub groups: Vec<String>,
    /// The credential's id (`jti` or API key id), never the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// When the credential expires (unix seconds).
    #[serde(
        serialize_with = "opt_unix_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub token_expires_at: Option<SystemTime>,
    /// The OAuth client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The client's `clientInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientInfo>,
    /// The negotiated protocol revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// When the session started (unix seconds).
    #[serde(serialize_with = "unix_seconds")]
    pub started_at: SystemTime,
    /// When it was last used (unix seconds).
    #[serde(serialize_with = "unix_seconds")]
    pub last_seen: SystemTime,
    /// Requests seen.
    pub calls: u64,
    /// Calls denied.
    pub denied: u64,
    /// Calls held for approval.
    pub held: u64,
    /// Values redacted from responses.
    pub redactions: u64,
    /// Response streams open now.
    pub open_streams: u64,
    /// Set once the session is killed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub killed: Option<KillRecord>,
}

pub(crate) fn secs(t: &SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn unix_seconds<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(secs(t))
}

fn opt_unix_seconds<S: Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_u64(secs(t)),
        None => s.serialize_none(),
    }
}
