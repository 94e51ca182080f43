//! Step 7 for a call an `approve` rule matched: use a grant an approval already gave to
//! exactly this call, or open a ticket and either hold the request until a reviewer
//! decides (wait flow) or answer at once with the ticket (deferred flow).

use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::{Request, StatusCode, header};
use serde_json::Value;

use super::{Admission, Guard, Hold, HoldProgress, ResponsePlan, replies};
use crate::approval::{Outcome, Ticket, TicketRequest};
use crate::classify::ToolCall;
use crate::identity::Identity;
use crate::layer::ForwardBody;
use crate::mcp::{ProtocolVersion, ReplyFormat, RequestId};
use crate::policy::{Action, ApprovalFlow, ApprovalTerms, Decision};
use crate::session::KillSignal;

/// A single `tools/call` that an approve rule matched.
#[derive(Debug)]
pub(crate) struct HeldCall {
    pub id: RequestId,
    pub call: ToolCall,
    pub decision: Decision,
    /// The client's `_meta.progressToken`, used for "awaiting approval" progress.
    pub progress_token: Option<Value>,
}

/// What the request needs to go on once approved.
struct Pending {
    parts: Parts,
    bytes: Bytes,
    identity: Identity,
    plan: ResponsePlan,
}

impl Guard {
    /// Step 7 for a held call.
    #[expect(clippy::too_many_arguments, reason = "the request's parts, moved once")]
    pub(crate) async fn hold_for_approval<B>(
        &self,
        parts: Parts,
        bytes: Bytes,
        identity: Identity,
        held: HeldCall,
        version: ProtocolVersion,
        plan: ResponsePlan,
        format: ReplyFormat,
    ) -> Admission<B>
    where
        B: Send + 'static,
    {
        let terms = held
            .decision
            .approval
            .clone()
            .unwrap_or_else(|| ApprovalTerms::new(Vec::<String>::new()));
        let definition = self.catalog().hash(&held.call.name);
        let approvals = self.approvals();
        let refuse = |text: &str, reason: &str| {
            let value = self.refusal(
                Some(&held.id),
                text,
                reason,
                held.decision.rule.as_deref(),
                Action::Approve,
                version,
            );
            Admission::Reply(replies::jsonrpc(StatusCode::OK, format, &value))
        };

        // A grant given to exactly this call (deferred retry, or a window grant).
        match approvals
            .try_consume_grant(
                &identity,
                &held.call.name,
                &held.call.arguments,
                definition.as_ref(),
            )
            .await
        {
            Ok(Some(grant)) => {
                tracing::info!(
                    target: "tollgate::approval",
                    ticket = %grant.ticket,
                    tool = %held.call.name,
                    "approved call goes on"
                );
                self.record_grant_used(&identity, &held, &grant);
                return self
                    .forward_approved(Pending {
                        parts,
                        bytes,
                        identity,
                        plan,
                    })
                    .await;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(target: "tollgate::approval", %error, "approval service failed");
                return refuse(
                    "Blocked: the approval service is unavailable",
                    "approval service unavailable",
                );
            }
        }

        let session_id = plan.session_id();
        let mut request = TicketRequest::new(
            identity.clone(),
            held.call.name.clone(),
            held.call.arguments.clone(),
            terms.clone(),
        );
        if let Some(rule) = &held.decision.rule {
            request = request.with_rule(rule.clone());
        }
        if let Some(hash) = definition {
            request = request.with_tool_definition_hash(hash);
        }
        if let Some(session) = &session_id {
            request = request.with_session(session.clone());
        }
        let ticket = match approvals.request(request).await {
            Ok(ticket) => ticket,
            Err(error) => {
                let text = format!("Blocked: approval could not be requested: {error}");
                return refuse(&text, &error.to_string());
            }
        };
        plan.record_held();
        self.record_approval_requested(&identity, session_id.as_deref(), &held, &ticket);
        let review_url = approvals.review_url(ticket.id);
        let rule = held.decision.rule.as_deref().unwrap_or("default");

        if terms.flow != ApprovalFlow::Wait {
            let why = held
                .decision
                .reason
                .as_deref()
                .map(|r| format!("{r}. "))
                .unwrap_or_default();
            let text = format!(
                "Approval required by rule `{rule}`: {why}Ticket {} is pending review{}. \
                 Retry the identical call once it is approved.",
                ticket.id,
                review_url
                    .as_deref()
                    .map(|u| format!(" at {u}"))
                    .unwrap_or_default(),
            );
            return refuse(&text, "approval pending");
        }

        let accepts_sse = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/event-stream"));
        let progress = match (&held.progress_token, accepts_sse) {
            (Some(token), true) => Some(HoldProgress {
                id: held.id.clone(),
                token: token.clone(),
                message: format!(
                    "Awaiting approval: ticket {} (rule `{rule}`){}",
                    ticket.id,
                    review_url
                        .as_deref()
                        .map(|u| format!(", review at {u}"))
                        .unwrap_or_default(),
                ),
                interval: self.inner.settings.progress_interval,
                max_reply_bytes: self.inner.settings.max_response_bytes,
            }),
            _ => None,
        };
        // Inside an event stream the outcome is relayed as one JSON event.
        let outcome_format = if progress.is_some() {
            ReplyFormat::Json
        } else {
            format
        };
        let guard = self.clone();
        let kill = plan.kill_signal();
        let pending = Pending {
            parts,
            bytes,
            identity,
            plan,
        };
        let outcome = Box::pin(async move {
            guard
                .await_decision(
                    pending,
                    held,
                    ticket,
                    terms.timeout,
                    kill,
                    outcome_format,
                    version,
                )
                .await
        });
        Admission::Hold(Hold { outcome, progress })
    }

    /// The wait flow after the ticket is open: the reviewer's decision, a timeout, or
    /// the session's end. Dropping this future (the client hung up) cancels the ticket.
    #[expect(
        clippy::too_many_arguments,
        reason = "the held request's parts, moved once"
    )]
    async fn await_decision<B>(
        &self,
        pending: Pending,
        held: HeldCall,
        ticket: Ticket,
        timeout: Duration,
        kill: Option<KillSignal>,
        format: ReplyFormat,
        version: ProtocolVersion,
    ) -> Admission<B> {
        let wait = self.approvals().wait(ticket.id, timeout);
        let waited = match &kill {
            Some(kill) => tokio::select! {
                waited = wait => waited,
                () = kill.wait() => {
                    return Admission::Reply(replies::text(
                        StatusCode::NOT_FOUND,
                        "Not Found: session terminated",
                    ));
                }
            },
            None => wait.await,
        };
        let text = match waited {
            Ok(Outcome::Approved(grant)) => {
                tracing::info!(target: "tollgate::approval", ticket = %grant.ticket, "held call approved");
                return self.forward_approved(pending).await;
            }
            Ok(Outcome::Denied { reason }) => format!("Denied by reviewer: {reason}"),
            Ok(Outcome::Expired) => format!(
                "Approval timed out: ticket {} was not decided within {} s",
                ticket.id,
                timeout.as_secs()
            ),
            Ok(Outcome::Cancelled) => format!("Approval cancelled: ticket {}", ticket.id),
            Err(error) => format!("Blocked: the approval service failed: {error}"),
        };
        let value = self.refusal(
            Some(&held.id),
            &text,
            &text,
            held.decision.rule.as_deref(),
            Action::Approve,
            version,
        );
        Admission::Reply(replies::jsonrpc(StatusCode::OK, format, &value))
    }

    async fn forward_approved<B>(&self, pending: Pending) -> Admission<B> {
        let Pending {
            mut parts,
            bytes,
            identity,
            plan,
        } = pending;
        match self.prepare_forward(&mut parts, &identity).await {
            Ok(()) => Admission::Forward {
                request: Request::from_parts(parts, ForwardBody::buffered(bytes)),
                plan,
            },
            Err(reply) => Admission::Reply(reply),
        }
    }
}
