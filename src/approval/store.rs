//! [`ApprovalStore`]: where tickets live. Object safe, async, with compare-and-swap
//! updates so several gateway instances can share one store (a SQL row with a version
//! column, `UPDATE … WHERE id = $1 AND version = $2`).

use super::binding::BindingHash;
use super::error::StoreError;
use super::ticket::{Ticket, TicketId, TicketState};
use crate::identity::BoxFuture;

/// Which tickets [`ApprovalStore::list`] returns. Every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TicketFilter {
    /// Only tickets in this state.
    pub state: Option<TicketState>,
    /// Only tickets with this binding.
    pub binding: Option<BindingHash>,
    /// Only tickets requested by this subject and issuer.
    pub requester: Option<(String, Option<String>)>,
    /// At most this many (oldest first); `None` for the store's own cap.
    pub limit: Option<usize>,
}

impl TicketFilter {
    /// Every ticket.
    pub fn all() -> TicketFilter {
        TicketFilter::default()
    }

    /// Only tickets in `state`.
    pub fn with_state(mut self, state: TicketState) -> Self {
        self.state = Some(state);
        self
    }

    /// Only tickets bound to `binding`.
    pub fn with_binding(mut self, binding: BindingHash) -> Self {
        self.binding = Some(binding);
        self
    }

    /// Only tickets of `subject` from `issuer`.
    pub fn with_requester(mut self, subject: impl Into<String>, issuer: Option<String>) -> Self {
        self.requester = Some((subject.into(), issuer));
        self
    }

    /// At most `limit` tickets.
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Whether `ticket` passes the filter (the limit aside).
    pub fn matches(&self, ticket: &Ticket) -> bool {
        self.state.is_none_or(|s| ticket.state == s)
            && self.binding.is_none_or(|b| ticket.binding == b)
            && self.requester.as_ref().is_none_or(|(sub, iss)| {
                ticket.requester.subject == *sub && ticket.requester.issuer == *iss
            })
    }
}

/// Storage of approval tickets. Used as `Arc<dyn ApprovalStore>`.
///
/// Implementations must make [`compare_and_swap`](ApprovalStore::compare_and_swap)
/// atomic: it is what makes every ticket end in exactly one final state and every
/// `once` grant execute at most once, even with concurrent reviewers and retries.
pub trait ApprovalStore: Send + Sync + 'static {
    /// Stores a new ticket. Fails with [`StoreError::Duplicate`] if its id exists and
    /// with [`StoreError::Full`] when no room can be made (a store may drop tickets in
    /// a final state to make room, never live ones).
    fn insert(&self, ticket: Ticket) -> BoxFuture<'_, Result<(), StoreError>>;

    /// The ticket with `id`, if stored.
    fn get(&self, id: TicketId) -> BoxFuture<'_, Result<Option<Ticket>, StoreError>>;

    /// The tickets matching `filter`, oldest first.
    fn list(&self, filter: TicketFilter) -> BoxFuture<'_, Result<Vec<Ticket>, StoreError>>;

    /// Replaces the stored ticket with `ticket.id` by `ticket` if, and only if, the
    /// stored one's version is `expected_version`; the stored copy then gets version
    /// `expected_version + 1`. Returns `false` (changing nothing) when the versions
    /// differ or the ticket is gone.
    fn compare_and_swap(
        &self,
        expected_version: u64,
        ticket: Ticket,
    ) -> BoxFuture<'_, Result<bool, StoreError>>;
}
