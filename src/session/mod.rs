//! Live sessions: the inventory of every agent session — who, with which credential,
//! from which client, doing how much — with kill, revoke and idle expiry.
//!
//! * A session is keyed by the client's `Mcp-Session-Id` ([`SessionKey::Legacy`]) or,
//!   for stateless traffic, by identity and client ([`SessionKey::Stateless`]).
//! * A session is **bound** to the subject and issuer that opened it: the same session
//!   id presented with another identity's credential is refused
//!   ([`SessionError::IdentityMismatch`]; answer 404 and record it). A session is never
//!   a credential: the request must still authenticate.
//! * [`SessionRegistry::kill`] fires the session's [`KillSignal`]: every open response
//!   stream ends, a held call is cancelled, and the key is refused afterwards.
//!   [`SessionRegistry::revoke`] does that for every session of an identity and
//!   refuses new ones until a time.
//! * Memory is bounded: client-supplied ids are capped at [`MAX_SESSION_ID_LEN`]
//!   visible ASCII bytes; sessions, sessions per identity, remembered kills and
//!   revocations are capped ([`SessionSettings`]).

mod info;
mod key;
mod kill;
mod registry;

use std::time::SystemTime;

use http::StatusCode;

pub use info::{ClientInfo, KillRecord, SessionInfo};
pub use key::{MAX_KEY_PART_LEN, MAX_SESSION_ID_LEN, SessionKey};
pub use kill::{KillSignal, KillSwitch, Killed};
pub use registry::{OpenStream, SessionHandle, SessionRegistry, SessionSettings};

/// Why a request cannot use a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session id is empty, too long or not visible ASCII.
    #[error("invalid session id")]
    InvalidKey,
    /// The session belongs to another identity.
    #[error("session not found")]
    IdentityMismatch,
    /// The session was killed.
    #[error("session terminated")]
    Killed,
    /// The identity is revoked until the time given.
    #[error("access revoked")]
    Revoked {
        /// When the revocation ends.
        until: SystemTime,
    },
    /// The registry holds as many sessions (or revocations) as it may.
    #[error("too many live sessions")]
    Full,
    /// The identity holds as many sessions as it may.
    #[error("too many live sessions for this identity (at most {limit})")]
    TooManySessions {
        /// The per-identity cap.
        limit: usize,
    },
    /// No random source for session ids.
    #[error("sessions unavailable")]
    Unavailable,
}

impl SessionError {
    /// The HTTP status to answer with: 400 for an invalid id, 404 for a session of
    /// another identity or a killed one (as for a terminated session), 403 while
    /// revoked, 429 at the per-identity cap, 503 when full or unavailable.
    pub fn status(&self) -> StatusCode {
        match self {
            SessionError::InvalidKey => StatusCode::BAD_REQUEST,
            SessionError::IdentityMismatch | SessionError::Killed => StatusCode::NOT_FOUND,
            SessionError::Revoked { .. } => StatusCode::FORBIDDEN,
            SessionError::TooManySessions { .. } => StatusCode::TOO_MANY_REQUESTS,
            SessionError::Full | SessionError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}
