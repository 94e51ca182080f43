//! Step 9 of the pipeline as the guard's own steps see it: what happened to sessions and
//! approvals, reported to the log (and, with a recorder, to the audit trail).

use http::request::Parts;

use super::Guard;
use super::approval_step::HeldCall;
use crate::approval::{Grant, Ticket};
use crate::identity::Identity;
use crate::session::SessionInfo;

impl Guard {
    /// A session id was presented by an identity that does not own it.
    pub(crate) fn record_session_mismatch(&self, identity: &Identity, parts: &Parts) {
        tracing::warn!(
            target: "tollgate::audit",
            subject = %identity.subject,
            path = %parts.uri.path(),
            "session hijack attempt refused"
        );
    }

    /// A session ended (`reason`: delete, idle, kill).
    pub(crate) fn record_session_ended(&self, info: &SessionInfo, reason: &str) {
        tracing::info!(target: "tollgate::audit", session = %info.id, reason, "session ended");
    }

    /// A ticket was opened for a held call.
    pub(crate) fn record_approval_requested(
        &self,
        identity: &Identity,
        held: &HeldCall,
        ticket: &Ticket,
    ) {
        tracing::info!(
            target: "tollgate::audit",
            subject = %identity.subject,
            tool = %held.call.name,
            ticket = %ticket.id,
            "approval requested"
        );
    }

    /// A call went on under an approval's grant.
    pub(crate) fn record_grant_used(&self, identity: &Identity, held: &HeldCall, grant: &Grant) {
        tracing::info!(
            target: "tollgate::audit",
            subject = %identity.subject,
            tool = %held.call.name,
            ticket = %grant.ticket,
            "approved call forwarded"
        );
    }

    /// An action taken or refused through the admin API.
    #[cfg(feature = "admin")]
    pub(crate) fn record_admin_action(&self, action: &crate::admin::AdminAction) {
        tracing::info!(target: "tollgate::audit", ?action, "admin action");
    }

    /// A session was killed (directly, or by revoking its identity).
    pub(crate) fn record_session_killed(&self, info: &SessionInfo, by: &str, reason: &str) {
        tracing::info!(target: "tollgate::audit", session = %info.id, by, reason, "session killed");
    }

    /// A reviewer decided a ticket.
    pub(crate) fn record_ticket_decided(
        &self,
        ticket: &Ticket,
        reviewer: &Identity,
        outcome: &str,
    ) {
        tracing::info!(
            target: "tollgate::audit",
            ticket = %ticket.id,
            reviewer = %reviewer.subject,
            outcome,
            "approval decided"
        );
    }
}
