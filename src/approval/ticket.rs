//! [`Ticket`]: one held call awaiting review, its [`TicketId`] and [`TicketState`].

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::binding::{BindingHash, write_hex};
use super::error::ApprovalError;
use crate::identity::Identity;
use crate::policy::{ApprovalTerms, GrantScope};

/// An unguessable ticket id: 128 random bits, written as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(pub [u8; 16]);

impl TicketId {
    /// A fresh id from the operating system's random source.
    pub fn random() -> Result<TicketId, ApprovalError> {
        random_bytes().map(TicketId).ok_or(ApprovalError::Random)
    }
}

/// 16 bytes from the OS random source, or `None` when it fails.
pub(crate) fn random_bytes() -> Option<[u8; 16]> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).ok().map(|()| b)
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({self})")
    }
}

impl Serialize for TicketId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The text is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a ticket id is 32 hex digits")]
pub struct ParseTicketIdError;

impl FromStr for TicketId {
    type Err = ParseTicketIdError;

    /// Parses 32 hex digits (either case).
    fn from_str(s: &str) -> Result<TicketId, ParseTicketIdError> {
        if s.len() != 32 {
            return Err(ParseTicketIdError);
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            let pair = s.get(i * 2..i * 2 + 2).ok_or(ParseTicketIdError)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| ParseTicketIdError)?;
        }
        Ok(TicketId(out))
    }
}

/// Where a ticket is in its life: pending → approved / denied / expired / cancelled,
/// and approved → consumed when its grant is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TicketState {
    /// Waiting for reviewers.
    Pending,
    /// Approved; the grant has not been used up.
    Approved,
    /// A reviewer refused it.
    Denied,
    /// Nobody decided within its lifetime (or the wait timed out).
    Expired,
    /// The requester went away (client disconnect, session killed).
    Cancelled,
    /// The grant was used (`once`) or its window closed.
    Consumed,
}

impl TicketState {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Pending => "pending",
            TicketState::Approved => "approved",
            TicketState::Denied => "denied",
            TicketState::Expired => "expired",
            TicketState::Cancelled => "cancelled",
            TicketState::Consumed => "consumed",
        }
    }

    /// Whether the state never changes again.
    pub fn is_final(self) -> bool {
        !matches!(self, TicketState::Pending | TicketState::Approved)
    }
}

impl fmt::Display for TicketState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a ticket state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ticket state `{0}`")]
pub struct ParseTicketStateError(pub String);

impl FromStr for TicketState {
    type Err = ParseTicketStateError;

    fn from_str(s: &str) -> Result<TicketState, ParseTicketStateError> {
        Ok(match s {
            "pending" => TicketState::Pending,
            "approved" => TicketState::Approved,
            "denied" => TicketState::Denied,
            "expired" => TicketState::Expired,
            "cancelled" => TicketState::Cancelled,
            "consumed" => TicketState::Consumed,
            other => return Err(ParseTicketStateError(other.chars().take(32).collect())),
        })
    }
}

/// One reviewer's approval or denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// The reviewer's subject.
    pub reviewer: String,
    /// The reviewer's issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// What the reviewer wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// When (unix seconds).
    #[serde(serialize_with = "unix_seconds")]
    pub at: SystemTime,
}

/// A call held for approval.
///
/// Fields are public so that a store outside this crate can build tickets from its
/// rows; only [`Approvals`](super::Approvals) should change them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    /// The unguessable id.
    pub id: TicketId,
    /// Where the ticket is in its life.
    pub state: TicketState,
    /// Bumped by the store on every successful compare-and-swap.
    pub version: u64,
    /// The hash binding the ticket to exactly one call.
    pub binding: BindingHash,
    /// Who made the call.
    pub requester: Identity,
    /// The tool called.
    pub tool: String,
    /// The call's arguments, as sent.
    pub arguments: Value,
    /// The hash of the tool's definition when it was last listed, when known.
    #[serde(serialize_with = "opt_hex", skip_serializing_if = "Option::is_none")]
    pub tool_definition_hash: Option<[u8; 32]>,
    /// The approve rule that held the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The rule's terms; `reviewers` are the effective reviewer groups.
    pub terms: ApprovalTerms,
    /// The session the call came in, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// When the ticket was made (unix seconds).
    #[serde(serialize_with = "unix_seconds")]
    pub created_at: SystemTime,
    /// When a pending ticket expires (unix seconds).
    #[serde(serialize_with = "unix_seconds")]
    pub expires_at: SystemTime,
    /// The approvals so far, one per distinct reviewer.
    pub approvals: Vec<Review>,
    /// The denial, when denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denial: Option<Review>,
    /// When it left the pending state (unix seconds).
    #[serde(
        serialize_with = "opt_unix_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub decided_at: Option<SystemTime>,
    /// For a window grant: when the window closes (unix seconds).
    #[serde(
        serialize_with = "opt_unix_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub grant_expires_at: Option<SystemTime>,
    /// How many executions the grant has allowed.
    pub uses: u32,
}

impl Ticket {
    /// Whether `identity` is the requester (same subject and issuer).
    pub fn is_requester(&self, identity: &Identity) -> bool {
        self.requester.subject == identity.subject && self.requester.issuer == identity.issuer
    }

    /// Moves the ticket to the state time has put it in: a pending ticket past its
    /// lifetime expires; an approved window grant past its window is consumed. Returns
    /// whether it changed.
    pub(crate) fn age(&mut self, now: SystemTime) -> bool {
        match self.state {
            TicketState::Pending if now >= self.expires_at => {
                self.state = TicketState::Expired;
                self.decided_at = Some(now);
                true
            }
            TicketState::Approved
                if matches!(self.terms.grant, GrantScope::Window(_))
                    && self.grant_expires_at.is_some_and(|end| now >= end) =>
            {
                self.state = TicketState::Consumed;
                true
            }
            _ => false,
        }
    }
}

fn secs(t: &SystemTime) -> u64 {
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

fn opt_hex<S: Serializer>(h: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
    match h {
        Some(h) => s.collect_str(&BindingHash(*h)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_ids_round_trip_and_are_distinct() {
        let a = TicketId::random().unwrap();
        let b = TicketId::random().unwrap();
        assert_ne!(a, b);
        let text = a.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<TicketId>(), Ok(a));
        assert_eq!(text.to_uppercase().parse::<TicketId>(), Ok(a));
        for bad in [
            "",
            "abc",
            &format!("{text}0"),
            &format!("{}g", &text[..31]),
            "é".repeat(16).as_str(),
        ] {
            assert!(bad.parse::<TicketId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn states_parse_and_know_which_are_final() {
        for s in [
            "pending",
            "approved",
            "denied",
            "expired",
            "cancelled",
            "consumed",
        ] {
            let state: TicketState = s.parse().unwrap();
            assert_eq!(state.as_str(), s);
            assert_eq!(state.is_final(), !matches!(s, "pending" | "approved"));
        }
        assert!("Pending".parse::<TicketState>().is_err());
    }
}
