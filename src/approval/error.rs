//! [`ApprovalError`] and [`StoreError`].

use http::StatusCode;

use super::ticket::TicketState;

/// Why an approval store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store holds as many live tickets as it may.
    #[error("the approval store is full")]
    Full,
    /// A ticket with this id already exists.
    #[error("a ticket with this id already exists")]
    Duplicate,
    /// The store could not be reached or failed.
    #[error("the approval store is unavailable: {0}")]
    Unavailable(String),
}

/// Why an approval operation failed. Every error refuses the held call (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    /// No ticket has this id.
    #[error("no such ticket")]
    NotFound,
    /// The reviewer is not in any of the ticket's reviewer groups (or is an agent).
    #[error("not a reviewer of this ticket")]
    NotAReviewer,
    /// The reviewer is the requester: nobody approves their own call.
    #[error("the requester cannot approve their own ticket")]
    SelfApproval,
    /// The ticket is no longer pending (approved, denied, expired, cancelled, consumed).
    #[error("the ticket is {0}, not pending")]
    NotPending(TicketState),
    /// The requester already has as many pending tickets as allowed.
    #[error("too many pending approval requests (at most {limit})")]
    TooManyPending {
        /// The per-requester cap.
        limit: usize,
    },
    /// The call's arguments are larger than a ticket may hold.
    #[error("the arguments are too large to hold for approval (at most {limit} bytes)")]
    ArgumentsTooLarge {
        /// The cap in bytes of canonical JSON.
        limit: usize,
    },
    /// The arguments cannot be bound (nested too deeply).
    #[error("the arguments cannot be bound: {0}")]
    InvalidArguments(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Concurrent updates kept conflicting; the operation was not applied.
    #[error("the ticket changed concurrently; try again")]
    Conflict,
    /// The operating system's random source failed, so no ticket id could be made.
    #[error("no random source for ticket ids")]
    Random,
}

impl ApprovalError {
    /// The HTTP status an admin API answers this error with: 404, 403, 409, 429, 413,
    /// or 503 for store and random-source failures.
    ///
    /// ```
    /// use tollgate::approval::ApprovalError;
    /// assert_eq!(ApprovalError::SelfApproval.status(), http::StatusCode::FORBIDDEN);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            ApprovalError::NotFound => StatusCode::NOT_FOUND,
            ApprovalError::NotAReviewer | ApprovalError::SelfApproval => StatusCode::FORBIDDEN,
            ApprovalError::NotPending(_) | ApprovalError::Conflict => StatusCode::CONFLICT,
            ApprovalError::TooManyPending { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApprovalError::ArgumentsTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApprovalError::InvalidArguments(_) => StatusCode::BAD_REQUEST,
            ApprovalError::Store(_) | ApprovalError::Random => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}
