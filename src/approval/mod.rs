//! Just-in-time approvals: a call that matches an `[[approve]]` rule is held as a
//! [`Ticket`] until reviewers decide.
//!
//! * A ticket is **bound** to exactly one call: a SHA-256 over the requester (subject
//!   and issuer), the tool, the canonical JSON of the arguments and the tool's
//!   definition hash ([`BindingHash`]). An approval never applies to changed arguments
//!   or a changed tool definition.
//! * **Reviewers** are members of the rule's `reviewers` groups; the requester can
//!   never approve their own ticket, agents never approve, each reviewer counts once,
//!   and `min_approvals` distinct reviewers are needed.
//! * **States**: pending → approved / denied / expired (after the rule's `ttl`, or a
//!   wait's timeout) / cancelled (the client went away); approved → consumed when a
//!   `once` grant is used or a `grant_window` closes. Every transition is a
//!   compare-and-swap on the [`ApprovalStore`], so each ticket ends in exactly one
//!   final state and a `once` grant executes at most once.
//! * **Flows**: `wait` holds the request ([`Approvals::wait`]); `deferred` answers at
//!   once with the ticket and lets the identical retry through
//!   ([`Approvals::try_consume_grant`]).
//!
//! The pipeline for a call whose decision is approve:
//!
//! ```
//! # async fn demo(approvals: tollgate::approval::Approvals, identity: tollgate::Identity,
//! #   decision: tollgate::Decision, tool: &str, args: serde_json::Value)
//! #   -> Result<(), tollgate::approval::ApprovalError> {
//! use tollgate::approval::{Outcome, TicketRequest};
//! use tollgate::policy::ApprovalFlow;
//!
//! let Some(terms) = decision.approval.clone() else { return Ok(()) };
//! if let Some(grant) = approvals.try_consume_grant(&identity, tool, &args, None).await? {
//!     // forward the call (grant.ticket names the approval in the audit record)
//! } else {
//!     let flow = terms.flow;
//!     let timeout = terms.timeout;
//!     let ticket = approvals.request(TicketRequest::new(identity, tool, args, terms)).await?;
//!     match flow {
//!         ApprovalFlow::Wait => match approvals.wait(ticket.id, timeout).await? {
//!             Outcome::Approved(_grant) => { /* forward */ }
//!             _ => { /* isError result with the reason */ }
//!         },
//!         _ => { /* isError result naming ticket.id and approvals.review_url(ticket.id) */ }
//!     }
//! }
//! # Ok(()) }
//! ```

mod binding;
mod clock;
mod error;
mod memory;
mod notifier;
mod service;
mod store;
mod ticket;

pub use binding::{BindingHash, canonical_json};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ApprovalError, StoreError};
pub use memory::MemoryApprovalStore;
#[cfg(feature = "http-client")]
pub use notifier::WebhookNotifier;
pub use notifier::{LogNotifier, NoopNotifier, Notifier, NotifyError, webhook_payload};
pub use service::{ApprovalSettings, Approvals, ApprovalsBuilder, Grant, Outcome, TicketRequest};
pub use store::{ApprovalStore, TicketFilter};
pub use ticket::{
    ParseTicketIdError, ParseTicketStateError, Review, Ticket, TicketId, TicketState,
};
