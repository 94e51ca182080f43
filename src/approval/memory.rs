//! [`MemoryApprovalStore`]: tickets in a bounded in-process map.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::error::StoreError;
use super::store::{ApprovalStore, TicketFilter};
use super::ticket::{Ticket, TicketId};
use crate::identity::BoxFuture;

/// An in-memory [`ApprovalStore`] holding at most `capacity` tickets.
///
/// When full, inserting drops the longest-decided ticket in a final state; when every
/// stored ticket is live (pending or approved) the insert fails with
/// [`StoreError::Full`], which refuses the call (fail closed). Lists scan the map, so
/// keep the capacity in the thousands.
#[derive(Debug)]
pub struct MemoryApprovalStore {
    tickets: Mutex<HashMap<TicketId, Ticket>>,
    capacity: usize,
}

impl MemoryApprovalStore {
    /// The default capacity.
    pub const DEFAULT_CAPACITY: usize = 10_000;
    /// The most tickets one [`list`](ApprovalStore::list) returns.
    pub const MAX_LIST: usize = 1_000;

    /// A store with room for `capacity` tickets (at least 1).
    pub fn new(capacity: usize) -> MemoryApprovalStore {
        MemoryApprovalStore {
            tickets: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// How many tickets are stored.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no ticket is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TicketId, Ticket>> {
        self.tickets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for MemoryApprovalStore {
    fn default() -> Self {
        MemoryApprovalStore::new(Self::DEFAULT_CAPACITY)
    }
}

impl ApprovalStore for MemoryApprovalStore {
    fn insert(&self, ticket: Ticket) -> BoxFuture<'_, Result<(), StoreError>> {
        let result = (|| {
            let mut map = self.lock();
            if map.contains_key(&ticket.id) {
                return Err(StoreError::Duplicate);
            }
            if map.len() >= self.capacity {
                let oldest_final = map
                    .values()
                    .filter(|t| t.state.is_final())
                    .min_by_key(|t| t.decided_at.unwrap_or(t.created_at))
                    .map(|t| t.id);
                match oldest_final {
                    Some(id) => {
                        map.remove(&id);
                    }
                    None => return Err(StoreError::Full),
                }
            }
            map.insert(ticket.id, ticket);
            Ok(())
        })();
        Box::pin(std::future::ready(result))
    }

    fn get(&self, id: TicketId) -> BoxFuture<'_, Result<Option<Ticket>, StoreError>> {
        let found = self.lock().get(&id).cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn list(&self, filter: TicketFilter) -> BoxFuture<'_, Result<Vec<Ticket>, StoreError>> {
        let mut found: Vec<Ticket> = self
            .lock()
            .values()
            .filter(|t| filter.matches(t))
            .cloned()
            .collect();
        found.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        found.truncate(filter.limit.unwrap_or(Self::MAX_LIST).min(Self::MAX_LIST));
        Box::pin(std::future::ready(Ok(found)))
    }

    fn compare_and_swap(
        &self,
        expected_version: u64,
        mut ticket: Ticket,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        let swapped = {
            let mut map = self.lock();
            match map.get_mut(&ticket.id) {
                Some(stored) if stored.version == expected_version => {
                    ticket.version = expected_version.wrapping_add(1);
                    *stored = ticket;
                    true
                }
                _ => false,
            }
        };
        Box::pin(std::future::ready(Ok(swapped)))
    }
}
