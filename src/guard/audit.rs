//! Step 9 of the pipeline: what happened, reported to the log and, when the guard has a
//! [`Recorder`](crate::record::Recorder), to the audit trail.
//!
//! Calls are recorded before they are forwarded, and awaited (so `Durability::Sync`
//! holds a call until its event is durable); events from places that cannot wait (a
//! response body being streamed, an operator's kill) are handed to the recorder from a
//! task, so they may reach the trail a moment later than their neighbours.

use http::request::Parts;

use super::Guard;
use super::approval_step::HeldCall;
use crate::approval::{Grant, Ticket};
use crate::identity::Identity;
use crate::record::{
    ApprovalDecidedRecord, ApprovalOutcome, ApprovalRequestedRecord, EndReason, Event,
    IdentitySummary, RecordError, SessionKilledRecord, SessionStartedRecord,
};
use crate::session::{SessionHandle, SessionInfo};

impl Guard {
    /// Whether new calls may go on: `Err` while a required sink fails.
    pub(crate) fn audit_ready(&self) -> Result<(), RecordError> {
        match &self.inner.settings.recorder {
            Some(recorder) => recorder.healthy(),
            None => Ok(()),
        }
    }

    /// Whether the guard records to an audit trail.
    pub(crate) fn records(&self) -> bool {
        self.inner.settings.recorder.is_some()
    }

    /// Records `event` and waits as the recorder's durability says.
    pub(crate) async fn record(&self, event: Event) -> Result<(), RecordError> {
        match &self.inner.settings.recorder {
            Some(recorder) => recorder.record(event).await,
            None => Ok(()),
        }
    }

    /// Records `event` without waiting (from code that cannot await).
    pub(crate) fn record_detached(&self, event: Event) {
        let Some(recorder) = self.inner.settings.recorder.clone() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = recorder.record(event).await {
                        tracing::warn!(target: "tollgate::audit", %error, "event not recorded");
                    }
                });
            }
            Err(_) => tracing::warn!(
                target: "tollgate::audit",
                kind = event.kind(),
                "event not recorded: no async runtime"
            ),
        }
    }

    /// A session was opened by this request.
    pub(crate) fn record_session_started(&self, handle: &SessionHandle, identity: &Identity) {
        let info = handle.info();
        let record = SessionStartedRecord::new(
            info.client.as_ref().map(|c| c.name.clone()),
            info.client.as_ref().and_then(|c| c.version.clone()),
            info.protocol_version.clone(),
        );
        tracing::info!(target: "tollgate::audit", session = %info.id, subject = %identity.subject, "session started");
        self.record_detached(Event::session_started(handle.id(), identity, record));
    }

    /// A session id was presented by an identity that does not own it.
    pub(crate) fn record_session_mismatch(&self, identity: &Identity, parts: &Parts) {
        tracing::warn!(
            target: "tollgate::audit",
            subject = %identity.subject,
            path = %parts.uri.path(),
            "session hijack attempt refused"
        );
        let record = SessionKilledRecord {
            by: Some("tollgate".to_owned()),
            reason: Some(
                "refused: session id presented by an identity that does not own it".to_owned(),
            ),
        };
        self.record_detached(Event::new(
            "",
            Some(identity.into()),
            crate::record::EventBody::SessionKilled(record),
        ));
    }

    /// A session ended.
    pub(crate) fn record_session_ended(&self, info: &SessionInfo, reason: EndReason) {
        tracing::info!(target: "tollgate::audit", session = %info.id, reason = reason.as_str(), "session ended");
        self.record_detached(Event::session_ended(&info.id, summary(info), reason));
    }

    /// A session was killed (directly, or by revoking its identity).
    pub(crate) fn record_session_killed(&self, info: &SessionInfo, by: &str, reason: &str) {
        tracing::info!(target: "tollgate::audit", session = %info.id, by, reason, "session killed");
        let record = SessionKilledRecord {
            by: Some(by.to_owned()),
            reason: Some(reason.to_owned()),
        };
        self.record_detached(Event::session_killed(&info.id, summary(info), record));
    }

    /// A ticket was opened for a held call.
    pub(crate) fn record_approval_requested(
        &self,
        identity: &Identity,
        session: Option<&str>,
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
        let mut record = ApprovalRequestedRecord::new(ticket.id.to_string());
        record.id = serde_json::to_value(&held.id).ok();
        record.tool = Some(held.call.name.clone());
        record.rule = held.decision.rule.clone();
        record.reviewers = ticket.terms.reviewers.clone();
        self.record_detached(Event::approval_requested(
            session.unwrap_or_default(),
            identity,
            record,
        ));
    }

    /// A call went on under an approval's grant.
    pub(crate) fn record_grant_used(&self, identity: &Identity, held: &HeldCall, grant: &Grant) {
        tracing::info!(
            target: "tollgate::audit",
            subject = %identity.subject,
            tool = %held.call.name,
            ticket = %grant.ticket,
            use_number = grant.use_number,
            "approved call forwarded"
        );
    }

    /// A ticket was decided: by a reviewer, or by expiry or cancellation.
    pub(crate) fn record_ticket_decided(
        &self,
        ticket: &Ticket,
        reviewer: Option<&Identity>,
        outcome: ApprovalOutcome,
        comment: Option<&str>,
    ) {
        tracing::info!(
            target: "tollgate::audit",
            ticket = %ticket.id,
            reviewer = reviewer.map(|r| r.subject.as_str()).unwrap_or("-"),
            outcome = outcome.as_str(),
            "approval decided"
        );
        let mut record = ApprovalDecidedRecord::new(ticket.id.to_string(), outcome);
        record.reviewer = reviewer.map(|r| r.subject.clone());
        record.comment = comment.map(str::to_owned);
        // The event acts as the requester, whose call it decides.
        self.record_detached(Event::approval_decided(
            ticket.session.clone().unwrap_or_default(),
            &ticket.requester,
            record,
        ));
    }

    /// An action taken or refused through the admin API.
    #[cfg(feature = "admin")]
    pub(crate) fn record_admin_action(&self, action: &crate::admin::AdminAction) {
        use crate::admin::AdminAction;
        match action {
            AdminAction::SessionKilled {
                by,
                session,
                reason,
            } => self.record_session_killed(session, &by.subject, reason),
            AdminAction::SubjectRevoked {
                by,
                subject,
                sessions,
                ..
            } => {
                let reason = format!("subject `{subject}` revoked");
                for session in sessions {
                    self.record_session_killed(session, &by.subject, &reason);
                }
            }
            AdminAction::TicketApproved { by, ticket } => {
                let comment = ticket.approvals.last().and_then(|r| r.comment.as_deref());
                let outcome = ApprovalOutcome::Approved;
                self.record_ticket_decided(ticket, Some(by), outcome, comment);
            }
            AdminAction::TicketDenied { by, ticket } => {
                let comment = ticket.denial.as_ref().and_then(|r| r.comment.as_deref());
                self.record_ticket_decided(ticket, Some(by), ApprovalOutcome::Denied, comment);
            }
            AdminAction::Refused {
                by,
                operation,
                target,
                reason,
            } => tracing::warn!(
                target: "tollgate::audit",
                by = %by.subject,
                operation,
                target,
                reason,
                "admin action refused"
            ),
        }
    }
}

/// The identity summary of a session's owner.
fn summary(info: &SessionInfo) -> IdentitySummary {
    let mut summary = IdentitySummary::new(info.subject.clone(), info.kind);
    summary.issuer = info.issuer.clone();
    summary.groups = info.groups.clone();
    summary.client_id = info.client_id.clone();
    summary.token_id = info.token_id.clone();
    summary.token_expiry = info
        .token_expires_at
        .map(crate::record::time::format_rfc3339);
    summary
}
