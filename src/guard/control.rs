//! Operator controls on a guard, usable without HTTP (a stdio proxy, a chat-ops bot, a
//! console of your own): kill a session, revoke an identity, decide approval tickets.
//! Each is recorded like the admin API's actions.

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Guard;
use crate::approval::{ApprovalError, Ticket, TicketId};
use crate::identity::Identity;
use crate::record::ApprovalOutcome;
use crate::session::{SessionError, SessionInfo, SessionKey};

/// How often idle sessions and overdue tickets are swept, at most.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

impl Guard {
    /// Kills the session `key`: its open response streams end at once, its held calls
    /// are cancelled, and its further requests are refused (404). `by` and `reason`
    /// are recorded. Returns whether a live session was killed.
    pub fn kill_session(&self, key: &SessionKey, by: &str, reason: &str) -> bool {
        match self.sessions().kill_info(key, by, reason) {
            Some(info) => {
                self.record_session_killed(&info, by, reason);
                true
            }
            None => false,
        }
    }

    /// Revokes `subject` (from `issuer`, or from every issuer with `None`) until
    /// `until`: every live session of it is killed and new ones are refused (403) until
    /// then. Returns the sessions killed.
    pub fn revoke(
        &self,
        subject: &str,
        issuer: Option<&str>,
        until: SystemTime,
        by: &str,
    ) -> Result<Vec<SessionInfo>, SessionError> {
        let killed = self.sessions().revoke(subject, issuer, until, by)?;
        for info in &killed {
            self.record_session_killed(info, by, "identity revoked");
        }
        Ok(killed)
    }

    /// Approves ticket `id` as `reviewer` (who must be in one of the rule's reviewer
    /// groups and is never the requester).
    pub async fn approve_ticket(
        &self,
        id: TicketId,
        reviewer: &Identity,
        comment: Option<String>,
    ) -> Result<Ticket, ApprovalError> {
        let ticket = self
            .approvals()
            .approve(id, reviewer, comment.clone())
            .await?;
        let outcome = ApprovalOutcome::Approved;
        self.record_ticket_decided(&ticket, Some(reviewer), outcome, comment.as_deref());
        Ok(ticket)
    }

    /// Denies ticket `id` as `reviewer`.
    pub async fn deny_ticket(
        &self,
        id: TicketId,
        reviewer: &Identity,
        comment: Option<String>,
    ) -> Result<Ticket, ApprovalError> {
        let ticket = self.approvals().deny(id, reviewer, comment.clone()).await?;
        let outcome = ApprovalOutcome::Denied;
        self.record_ticket_decided(&ticket, Some(reviewer), outcome, comment.as_deref());
        Ok(ticket)
    }

    /// Ends idle sessions and expires overdue tickets, at most every few seconds; the
    /// pipeline calls it on each request, so no background task is needed.
    pub(crate) async fn sweep_if_due(&self) {
        let now = SystemTime::now();
        let now_secs = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let last = &self.inner.last_sweep;
        let previous = last.load(Ordering::Relaxed);
        if now_secs < previous.saturating_add(SWEEP_EVERY.as_secs())
            || last
                .compare_exchange(previous, now_secs, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        for info in self.sessions().expire_idle(now) {
            self.record_session_ended(&info, crate::record::EndReason::Idle);
        }
        if let Err(error) = self.approvals().expire_due().await {
            tracing::warn!(target: "tollgate::approval", %error, "expiring tickets failed");
        }
    }
}
