//! [`Approvals`]: creating tickets, reviewing them, waiting for a decision and using
//! the grant — the logic over an [`ApprovalStore`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::sync::watch;

use super::binding::{BindingHash, canonical_json};
use super::clock::{Clock, SystemClock};
use super::error::ApprovalError;
use super::memory::MemoryApprovalStore;
use super::notifier::{LogNotifier, Notifier};
use super::store::{ApprovalStore, TicketFilter};
use super::ticket::{Review, Ticket, TicketId, TicketState};
use crate::identity::{Identity, IdentityKind};
use crate::policy::{ApprovalTerms, GrantScope};

/// How often a compare-and-swap is retried under contention before giving up.
const MAX_RETRIES: usize = 32;

/// What is asked for when a call matches an approve rule.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TicketRequest {
    /// Who made the call.
    pub requester: Identity,
    /// The tool called.
    pub tool: String,
    /// The call's arguments.
    pub arguments: Value,
    /// The tool's definition hash as last listed, when known.
    pub tool_definition_hash: Option<[u8; 32]>,
    /// The approve rule's name.
    pub rule: Option<String>,
    /// The rule's terms (from [`Decision::approval`](crate::policy::Decision::approval)).
    pub terms: ApprovalTerms,
    /// The session the call came in.
    pub session: Option<String>,
}

impl TicketRequest {
    /// A request by `requester` to call `tool` with `arguments` under `terms`.
    pub fn new(
        requester: Identity,
        tool: impl Into<String>,
        arguments: Value,
        terms: ApprovalTerms,
    ) -> TicketRequest {
        TicketRequest {
            requester,
            tool: tool.into(),
            arguments,
            tool_definition_hash: None,
            rule: None,
            terms,
            session: None,
        }
    }

    /// Sets the tool definition hash.
    pub fn with_tool_definition_hash(mut self, hash: [u8; 32]) -> Self {
        self.tool_definition_hash = Some(hash);
        self
    }

    /// Sets the rule name.
    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    /// Sets the session.
    pub fn with_session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }
}

/// Permission to execute one approved call, returned once per execution.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Grant {
    /// The approved ticket.
    pub ticket: TicketId,
    /// The rule that held the call.
    pub rule: Option<String>,
    /// The subjects of the reviewers who approved.
    pub approvers: Vec<String>,
    /// Which execution this is (1 for the first).
    pub use_number: u32,
    /// Once or a window.
    pub scope: GrantScope,
}

/// How a wait for a decision ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Approved; the grant has been used for this execution: forward the call.
    Approved(Grant),
    /// Refused, with a reason that may be shown to the caller.
    Denied {
        /// Who denied it and why, or why the approval no longer applies.
        reason: String,
    },
    /// Nobody decided in time.
    Expired,
    /// The ticket was cancelled.
    Cancelled,
}

/// Settings of [`Approvals`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApprovalSettings {
    /// Pending tickets one requester (subject + issuer) may have at once (default 20).
    pub max_pending_per_requester: usize,
    /// The largest canonical JSON of arguments a ticket holds (default 64 KiB).
    pub max_argument_bytes: usize,
    /// Reviewer groups for rules that name none; empty (the default) means such
    /// tickets can be approved by nobody.
    pub default_reviewers: Vec<String>,
    /// The base of review links: a ticket's link is `{review_url}/tickets/{id}`.
    pub review_url: Option<String>,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        ApprovalSettings {
            max_pending_per_requester: 20,
            max_argument_bytes: 64 * 1024,
            default_reviewers: Vec::new(),
            review_url: None,
        }
    }
}

/// Builds [`Approvals`].
pub struct ApprovalsBuilder {
    store: Arc<dyn ApprovalStore>,
    notifier: Arc<dyn Notifier>,
    clock: Arc<dyn Clock>,
    settings: ApprovalSettings,
}

impl ApprovalsBuilder {
    /// Sets the store (default: a [`MemoryApprovalStore`]).
    pub fn store(mut self, store: Arc<dyn ApprovalStore>) -> Self {
        self.store = store;
        self
    }

    /// Sets the notifier (default: [`LogNotifier`]).
    pub fn notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = notifier;
        self
    }

    /// Sets the clock (default: [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the settings.
    pub fn settings(mut self, settings: ApprovalSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets the base URL of review links.
    pub fn review_url(mut self, url: impl Into<String>) -> Self {
        self.settings.review_url = Some(url.into());
        self
    }

    /// Sets the reviewer groups of rules that name none.
    pub fn default_reviewers<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.settings.default_reviewers = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Builds the service.
    pub fn build(self) -> Result<Approvals, ApprovalError> {
        Ok(Approvals {
            inner: Arc::new(Inner {
                store: self.store,
                notifier: self.notifier,
                clock: self.clock,
                settings: self.settings,
                watchers: Mutex::new(HashMap::new()),
                opening: tokio::sync::Mutex::new(()),
            }),
        })
    }
}

/// The approval service: cheap to clone, shared by the layer, the admin API and any
/// other surface (a stdio proxy, a chat bot).
///
/// ```
/// # async fn demo() -> Result<(), tollgate::approval::ApprovalError> {
/// use serde_json::json;
/// use tollgate::approval::{Approvals, Outcome, TicketRequest};
/// use tollgate::identity::{Identity, IdentityKind};
/// use tollgate::policy::ApprovalTerms;
///
/// let approvals = Approvals::in_memory();
/// let agent = Identity::new("agent-7", IdentityKind::Agent);
/// let dba = Identity::new("dana", IdentityKind::User).with_groups(["dba"]);
/// let args = json!({"sql": "DELETE FROM carts"});
///
/// let ticket = approvals
///     .request(TicketRequest::new(agent.clone(), "db.query", args.clone(), ApprovalTerms::new(["dba"])))
///     .await?;
/// assert!(approvals.try_consume_grant(&agent, "db.query", &args, None).await?.is_none());
/// approvals.approve(ticket.id, &dba, Some("ok".into())).await?;
/// assert!(approvals.try_consume_grant(&agent, "db.query", &args, None).await?.is_some());
/// // `once`: the grant is used up.
/// assert!(approvals.try_consume_grant(&agent, "db.query", &args, None).await?.is_none());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Approvals {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ApprovalStore>,
    notifier: Arc<dyn Notifier>,
    clock: Arc<dyn Clock>,
    settings: ApprovalSettings,
    /// One channel per ticket someone waits on; removed when the ticket is final.
    watchers: Mutex<HashMap<TicketId, watch::Sender<()>>>,
    /// Held while a request looks for its pending ticket and opens one if none, so two
    /// identical calls arriving together share one ticket. (A store shared by several
    /// gateways should also refuse a second pending ticket for one binding.)
    opening: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Approvals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Approvals")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Approvals {
    /// A service over `store`, notifying `notifier`, with the system clock and default
    /// settings.
    pub fn new(store: Arc<dyn ApprovalStore>, notifier: Arc<dyn Notifier>) -> Approvals {
        Approvals {
            inner: Arc::new(Inner {
                store,
                notifier,
                clock: Arc::new(SystemClock),
                settings: ApprovalSettings::default(),
                watchers: Mutex::new(HashMap::new()),
                opening: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// A service over a default [`MemoryApprovalStore`] with a [`LogNotifier`].
    pub fn in_memory() -> Approvals {
        Approvals::new(
            Arc::new(MemoryApprovalStore::default()),
            Arc::new(LogNotifier),
        )
    }

    /// A builder starting from [`Approvals::in_memory`]'s parts.
    pub fn builder() -> ApprovalsBuilder {
        ApprovalsBuilder {
            store: Arc::new(MemoryApprovalStore::default()),
            notifier: Arc::new(LogNotifier),
            clock: Arc::new(SystemClock),
            settings: ApprovalSettings::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &ApprovalSettings {
        &self.inner.settings
    }

    /// The review link of ticket `id`, when a review URL is configured.
    pub fn review_url(&self, id: TicketId) -> Option<String> {
        self.inner
            .settings
            .review_url
            .as_deref()
            .map(|base| format!("{}/tickets/{id}", base.trim_end_matches('/')))
    }

    fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Opens a ticket for the call, or returns the pending ticket already open for
    /// exactly this call (same binding), so retries do not pile up tickets. Reviewers
    /// are notified of new tickets in the background.
    pub async fn request(&self, req: TicketRequest) -> Result<Ticket, ApprovalError> {
        let settings = &self.inner.settings;
        let canonical = canonical_json(&req.arguments)?;
        if canonical.len() > settings.max_argument_bytes {
            return Err(ApprovalError::ArgumentsTooLarge {
                limit: settings.max_argument_bytes,
            });
        }
        let binding = self.binding(
            &req.requester,
            &req.tool,
            &req.arguments,
            req.tool_definition_hash.as_ref(),
        )?;
        let _opening = self.inner.opening.lock().await;
        let now = self.now();
        let pending = self
            .inner
            .store
            .list(
                TicketFilter::all()
                    .with_requester(req.requester.subject.clone(), req.requester.issuer.clone())
                    .with_state(TicketState::Pending),
            )
            .await?;
        let mut live = 0;
        for ticket in pending {
            if ticket.expires_at <= now {
                self.refresh(ticket.id).await?;
                continue;
            }
            if ticket.binding == binding {
                return Ok(ticket);
            }
            live += 1;
        }
        if live >= settings.max_pending_per_requester {
            return Err(ApprovalError::TooManyPending {
                limit: settings.max_pending_per_requester,
            });
        }
        let mut terms = req.terms;
        if terms.reviewers.is_empty() {
            terms.reviewers = settings.default_reviewers.clone();
        }
        terms.min_approvals = terms.min_approvals.max(1);
        let ticket = Ticket {
            id: TicketId::random()?,
            state: TicketState::Pending,
            version: 0,
            binding,
            requester: req.requester,
            tool: req.tool,
            arguments: req.arguments,
            tool_definition_hash: req.tool_definition_hash,
            rule: req.rule,
            expires_at: now.checked_add(terms.ttl).unwrap_or(now),
            terms,
            session: req.session,
            created_at: now,
            approvals: Vec::new(),
            denial: None,
            decided_at: None,
            grant_expires_at: None,
            uses: 0,
        };
        self.inner.store.insert(ticket.clone()).await?;
        self.notify(&ticket);
        Ok(ticket)
    }

    fn binding(
        &self,
        requester: &Identity,
        tool: &str,
        arguments: &Value,
        definition: Option<&[u8; 32]>,
    ) -> Result<BindingHash, ApprovalError> {
        BindingHash::compute(
            &requester.subject,
            requester.issuer.as_deref(),
            tool,
            arguments,
            definition,
        )
    }

    fn notify(&self, ticket: &Ticket) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(ticket = %ticket.id, "no async runtime; reviewers not notified");
            return;
        };
        let notifier = Arc::clone(&self.inner.notifier);
        let url = self.review_url(ticket.id);
        let ticket = ticket.clone();
        runtime.spawn(async move {
            if let Err(e) = notifier.ticket_created(&ticket, url.as_deref()).await {
                tracing::warn!(ticket = %ticket.id, error = %e, "reviewers not notified");
            }
        });
    }

    /// For a retried call (deferred flow): uses the grant of an approved ticket bound
    /// to exactly this call, if there is one. A `once` grant is consumed atomically, so
    /// of concurrent identical retries exactly one gets it; a window grant allows every
    /// identical call until the window closes. Changed arguments or a changed tool
    /// definition find no grant.
    pub async fn try_consume_grant(
        &self,
        requester: &Identity,
        tool: &str,
        arguments: &Value,
        tool_definition_hash: Option<&[u8; 32]>,
    ) -> Result<Option<Grant>, ApprovalError> {
        let binding = self.binding(requester, tool, arguments, tool_definition_hash)?;
        let approved = self
            .inner
            .store
            .list(
                TicketFilter::all()
                    .with_binding(binding)
                    .with_state(TicketState::Approved),
            )
            .await?;
        for ticket in approved {
            match self.use_grant(ticket.id).await {
                Ok(grant) => return Ok(Some(grant)),
                Err(ApprovalError::NotPending(_) | ApprovalError::NotFound) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Uses the grant of approved ticket `id` for one execution.
    async fn use_grant(&self, id: TicketId) -> Result<Grant, ApprovalError> {
        let ticket = self
            .update(id, |t, _now| {
                if t.state != TicketState::Approved {
                    return Err(ApprovalError::NotPending(t.state));
                }
                t.uses = t.uses.saturating_add(1);
                if t.terms.grant == GrantScope::Once {
                    t.state = TicketState::Consumed;
                }
                Ok(true)
            })
            .await?;
        Ok(Grant {
            ticket: ticket.id,
            rule: ticket.rule.clone(),
            approvers: ticket
                .approvals
                .iter()
                .map(|r| r.reviewer.clone())
                .collect(),
            use_number: ticket.uses,
            scope: ticket.terms.grant,
        })
    }

    /// Holds until ticket `id` is decided, at most `timeout` (and never past the
    /// ticket's lifetime). Resolves as soon as a reviewer decides. On approval the
    /// grant is used for this execution ([`Outcome::Approved`]); on timeout the ticket
    /// expires ([`Outcome::Expired`]).
    ///
    /// Dropping the returned future before it completes (the client disconnected, the
    /// session was killed) cancels the ticket.
    pub async fn wait(&self, id: TicketId, timeout: Duration) -> Result<Outcome, ApprovalError> {
        let mut guard = CancelOnDrop {
            approvals: self.clone(),
            id,
            armed: true,
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.subscribe(id);
        let outcome = loop {
            let ticket = self.refresh(id).await?;
            match ticket.state {
                TicketState::Pending => {}
                TicketState::Approved => match self.use_grant(id).await {
                    Ok(grant) => break Outcome::Approved(grant),
                    Err(ApprovalError::NotPending(_)) => continue,
                    Err(e) => return Err(e),
                },
                TicketState::Denied => {
                    break Outcome::Denied {
                        reason: denial_reason(&ticket),
                    };
                }
                TicketState::Expired => break Outcome::Expired,
                TicketState::Cancelled => break Outcome::Cancelled,
                TicketState::Consumed => {
                    break Outcome::Denied {
                        reason: "the approval was already used".to_owned(),
                    };
                }
            }
            let now = tokio::time::Instant::now();
            let lifetime = ticket
                .expires_at
                .duration_since(self.now())
                .unwrap_or(Duration::ZERO);
            let wake = deadline.min(now + lifetime);
            tokio::select! {
                changed = changes.changed() => {
                    if changed.is_err() {
                        // The ticket went final and its channel was closed; read it.
                        changes = self.subscribe(id);
                    }
                }
                () = tokio::time::sleep_until(wake) => {
                    if tokio::time::Instant::now() >= deadline {
                        self.expire(id).await?;
                    }
                }
            }
        };
        guard.armed = false;
        Ok(outcome)
    }

    /// Expires pending ticket `id` now (a wait timed out). Not an error when it was
    /// decided meanwhile.
    async fn expire(&self, id: TicketId) -> Result<(), ApprovalError> {
        let result = self
            .update(id, |t, now| {
                if t.state != TicketState::Pending {
                    return Err(ApprovalError::NotPending(t.state));
                }
                t.state = TicketState::Expired;
                t.decided_at = Some(now);
                Ok(true)
            })
            .await;
        match result {
            Ok(_) | Err(ApprovalError::NotPending(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn subscribe(&self, id: TicketId) -> watch::Receiver<()> {
        let mut watchers = self
            .inner
            .watchers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        watchers
            .entry(id)
            .or_insert_with(|| watch::channel(()).0)
            .subscribe()
    }

    fn announce(&self, ticket: &Ticket) {
        let mut watchers = self
            .inner
            .watchers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = watchers.get(&ticket.id) {
            tx.send_replace(());
        }
        if ticket.state.is_final() {
            watchers.remove(&ticket.id);
        }
    }

    /// Records `reviewer`'s approval of pending ticket `id`. The ticket is approved
    /// once `min_approvals` distinct reviewers have approved; a reviewer approving
    /// again changes nothing.
    ///
    /// Refused with [`ApprovalError::SelfApproval`] for the requester (same subject
    /// and issuer), [`ApprovalError::NotAReviewer`] for anyone outside the ticket's
    /// reviewer groups and for agents, [`ApprovalError::NotPending`] once decided.
    pub async fn approve(
        &self,
        id: TicketId,
        reviewer: &Identity,
        comment: Option<String>,
    ) -> Result<Ticket, ApprovalError> {
        self.update(id, |t, now| {
            if t.state != TicketState::Pending {
                return Err(ApprovalError::NotPending(t.state));
            }
            if t.is_requester(reviewer) {
                return Err(ApprovalError::SelfApproval);
            }
            check_reviewer(t, reviewer)?;
            let already = t
                .approvals
                .iter()
                .any(|r| r.reviewer == reviewer.subject && r.issuer == reviewer.issuer);
            if already {
                return Ok(false);
            }
            t.approvals.push(review(reviewer, comment.clone(), now));
            if t.approvals.len() >= t.terms.min_approvals as usize {
                t.state = TicketState::Approved;
                t.decided_at = Some(now);
                if let GrantScope::Window(window) = t.terms.grant {
                    t.grant_expires_at = Some(now.checked_add(window).unwrap_or(now));
                }
            }
            Ok(true)
        })
        .await
    }

    /// Denies pending ticket `id`. Any reviewer of the ticket may deny it, as may the
    /// requester (withdrawing their own call).
    pub async fn deny(
        &self,
        id: TicketId,
        reviewer: &Identity,
        comment: Option<String>,
    ) -> Result<Ticket, ApprovalError> {
        self.update(id, |t, now| {
            if t.state != TicketState::Pending {
                return Err(ApprovalError::NotPending(t.state));
            }
            if !t.is_requester(reviewer) {
                check_reviewer(t, reviewer)?;
            }
            t.state = TicketState::Denied;
            t.decided_at = Some(now);
            t.denial = Some(review(reviewer, comment.clone(), now));
            Ok(true)
        })
        .await
    }

    /// Cancels pending ticket `id` (the requester went away).
    pub async fn cancel(&self, id: TicketId) -> Result<Ticket, ApprovalError> {
        self.update(id, |t, now| {
            if t.state != TicketState::Pending {
                return Err(ApprovalError::NotPending(t.state));
            }
            t.state = TicketState::Cancelled;
            t.decided_at = Some(now);
            Ok(true)
        })
        .await
    }

    /// Ticket `id` as it stands now (a pending ticket past its lifetime is expired).
    pub async fn get(&self, id: TicketId) -> Result<Option<Ticket>, ApprovalError> {
        match self.refresh(id).await {
            Ok(t) => Ok(Some(t)),
            Err(ApprovalError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The tickets in `state` (all when `None`), oldest first, as they stand now.
    pub async fn list(&self, state: Option<TicketState>) -> Result<Vec<Ticket>, ApprovalError> {
        let now = self.now();
        let stored = self.inner.store.list(TicketFilter::all()).await?;
        let mut out = Vec::new();
        for mut ticket in stored {
            if ticket.clone().age(now) {
                ticket = match self.refresh(ticket.id).await {
                    Ok(t) => t,
                    Err(ApprovalError::NotFound) => continue,
                    Err(e) => return Err(e),
                };
            }
            if state.is_none_or(|s| ticket.state == s) {
                out.push(ticket);
            }
        }
        Ok(out)
    }

    /// Expires every pending ticket past its lifetime and closes every window grant
    /// past its window; returns how many changed. Optional: the other operations age
    /// tickets as they read them. Also drops wait channels nobody listens to.
    pub async fn expire_due(&self) -> Result<usize, ApprovalError> {
        let before = self.inner.store.list(TicketFilter::all()).await?;
        let now = self.now();
        let mut changed = 0;
        for ticket in before {
            if ticket.clone().age(now) {
                self.refresh(ticket.id).await?;
                changed += 1;
            }
        }
        self.inner
            .watchers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, tx| tx.receiver_count() > 0);
        Ok(changed)
    }

    /// Reads ticket `id` and stores the state time has put it in.
    async fn refresh(&self, id: TicketId) -> Result<Ticket, ApprovalError> {
        self.update(id, |_, _| Ok(false)).await
    }

    /// Reads ticket `id`, ages it, applies `change` (which returns whether it changed
    /// the ticket, and must leave it untouched when it fails) and stores the result
    /// with compare-and-swap, retrying on conflict.
    async fn update<F>(&self, id: TicketId, change: F) -> Result<Ticket, ApprovalError>
    where
        F: Fn(&mut Ticket, SystemTime) -> Result<bool, ApprovalError>,
    {
        for _ in 0..MAX_RETRIES {
            let current = self
                .inner
                .store
                .get(id)
                .await?
                .ok_or(ApprovalError::NotFound)?;
            let now = self.now();
            let mut next = current.clone();
            let aged = next.age(now);
            let result = change(&mut next, now);
            let changed = match &result {
                Ok(changed) => aged || *changed,
                Err(_) => aged,
            };
            if !changed {
                return result.map(|_| next);
            }
            if self
                .inner
                .store
                .compare_and_swap(current.version, next.clone())
                .await?
            {
                next.version = current.version.wrapping_add(1);
                if next.state != current.state {
                    self.announce(&next);
                }
                return result.map(|_| next);
            }
        }
        Err(ApprovalError::Conflict)
    }
}

fn check_reviewer(ticket: &Ticket, reviewer: &Identity) -> Result<(), ApprovalError> {
    let in_group = ticket.terms.reviewers.iter().any(|g| reviewer.in_group(g));
    if !in_group || reviewer.kind == IdentityKind::Agent {
        return Err(ApprovalError::NotAReviewer);
    }
    Ok(())
}

fn review(reviewer: &Identity, comment: Option<String>, at: SystemTime) -> Review {
    Review {
        reviewer: reviewer.subject.clone(),
        issuer: reviewer.issuer.clone(),
        comment,
        at,
    }
}

fn denial_reason(ticket: &Ticket) -> String {
    match &ticket.denial {
        Some(Review {
            reviewer,
            comment: Some(c),
            ..
        }) => format!("denied by {reviewer}: {c}"),
        Some(r) => format!("denied by {}", r.reviewer),
        None => "denied".to_owned(),
    }
}

/// Cancels a held ticket when its wait is abandoned.
struct CancelOnDrop {
    approvals: Approvals,
    id: TicketId,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let approvals = self.approvals.clone();
            let id = self.id;
            runtime.spawn(async move {
                // Already decided is fine: only a pending ticket is cancelled.
                let _ = approvals.cancel(id).await;
            });
        }
    }
}
