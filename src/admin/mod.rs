//! The admin API (feature `admin`): JSON over HTTP for a reviewer console or a
//! chat-ops bot — live sessions, kill, revoke, and approval tickets.
//!
//! | method and path | who | does |
//! |---|---|---|
//! | `GET /sessions` | admin | every live session ([`SessionInfo`]) |
//! | `GET /sessions/{id}` | admin | one session, by its registry id |
//! | `POST /sessions/{id}/kill` `{reason?}` | admin | kills it: its streams end |
//! | `POST /revoke` `{subject, issuer?, until}` | admin | kills the subject's sessions and refuses new ones until `until` (unix seconds); no `issuer` means every issuer |
//! | `GET /tickets?state=pending` | admin, or reviewers (their tickets) | tickets, oldest first |
//! | `GET /tickets/{id}` | admin, a reviewer of it, or its requester | one ticket |
//! | `POST /tickets/{id}/approve` `{comment?}` | a reviewer of the ticket, not its requester | approves |
//! | `POST /tickets/{id}/deny` `{comment?}` | a reviewer of the ticket | denies |
//!
//! Every request authenticates with the configured [`Authenticator`] (401 when it
//! does not, 503 when authentication is unavailable). Admins are members of
//! [`AdminState::admin_groups`]; others get 403. Approving one's own ticket, or a
//! ticket one is not a reviewer of, is 403; a ticket no longer pending is 409; an
//! unknown id is 404. Errors are `{"error": "…"}`. Every action, and every refused
//! one, is passed to [`AdminState::on_action`] so it can be recorded.
//!
//! ```no_run
//! # async fn demo(keys: tollgate::identity::ApiKeyAuthenticator) -> std::io::Result<()> {
//! use std::sync::Arc;
//! use tollgate::admin::{AdminState, router_from};
//! use tollgate::approval::Approvals;
//! use tollgate::session::SessionRegistry;
//!
//! let state = AdminState::new(SessionRegistry::new(), Approvals::in_memory(), Arc::new(keys))
//!     .with_admin_groups(["secops"]);
//! let app = axum::Router::new().nest("/admin", router_from(state));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9090").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

mod handlers;

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::routing::{get, post};

use crate::approval::{Approvals, Ticket};
use crate::identity::{Authenticator, Identity};
use crate::session::{SessionInfo, SessionRegistry};

/// Records an admin action.
pub type ActionHook = Arc<dyn Fn(AdminAction) + Send + Sync>;

/// What the admin API serves.
#[derive(Clone)]
#[non_exhaustive]
pub struct AdminState {
    /// The live sessions.
    pub sessions: SessionRegistry,
    /// The approval service.
    pub approvals: Approvals,
    /// Authenticates admins and reviewers.
    pub authenticator: Arc<dyn Authenticator>,
    /// Members of these groups may list, kill and revoke sessions and see every ticket.
    pub admin_groups: Vec<String>,
    /// Called with every action taken or refused.
    pub on_action: Option<ActionHook>,
}

impl AdminState {
    /// State with no admin groups (so session operations are refused) and no hook.
    pub fn new(
        sessions: SessionRegistry,
        approvals: Approvals,
        authenticator: Arc<dyn Authenticator>,
    ) -> AdminState {
        AdminState {
            sessions,
            approvals,
            authenticator,
            admin_groups: Vec::new(),
            on_action: None,
        }
    }

    /// Sets the admin groups.
    pub fn with_admin_groups<I, S>(mut self, groups: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.admin_groups = groups.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the action hook.
    pub fn with_on_action(mut self, hook: impl Fn(AdminAction) + Send + Sync + 'static) -> Self {
        self.on_action = Some(Arc::new(hook));
        self
    }

    fn is_admin(&self, identity: &Identity) -> bool {
        self.admin_groups.iter().any(|g| identity.in_group(g))
    }

    fn record(&self, action: AdminAction) {
        if let Some(hook) = &self.on_action {
            hook(action);
        }
    }
}

impl std::fmt::Debug for AdminState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminState")
            .field("sessions", &self.sessions)
            .field("approvals", &self.approvals)
            .field("admin_groups", &self.admin_groups)
            .finish_non_exhaustive()
    }
}

/// An action taken (or refused) through the admin API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AdminAction {
    /// A session was killed.
    SessionKilled {
        /// Who killed it.
        by: Identity,
        /// The session's last snapshot.
        session: Box<SessionInfo>,
        /// Why.
        reason: String,
    },
    /// A subject was revoked.
    SubjectRevoked {
        /// Who revoked it.
        by: Identity,
        /// The subject.
        subject: String,
        /// The issuer, or `None` for every issuer.
        issuer: Option<String>,
        /// Until when.
        until: SystemTime,
        /// The sessions killed.
        sessions: Vec<SessionInfo>,
    },
    /// A reviewer approved a ticket (it may need more approvals).
    TicketApproved {
        /// The reviewer.
        by: Identity,
        /// The ticket after the approval.
        ticket: Box<Ticket>,
    },
    /// A reviewer denied a ticket.
    TicketDenied {
        /// The reviewer.
        by: Identity,
        /// The ticket after the denial.
        ticket: Box<Ticket>,
    },
    /// An authenticated caller was refused an operation.
    Refused {
        /// Who.
        by: Identity,
        /// The operation, e.g. `approve` or `kill`.
        operation: &'static str,
        /// The ticket or session id, or the subject.
        target: String,
        /// Why (the error message answered).
        reason: String,
    },
}

/// The admin API of `guard`: reviewers and admins authenticate with the guard's own
/// authenticators, admins are the members of the guard's
/// [`admin_groups`](crate::GuardBuilder::admin_groups), and every action taken or
/// refused is recorded by the guard. Nest it under a path of your choice, on a listener
/// only operators reach.
///
/// ```no_run
/// # async fn demo(guard: tollgate::Guard) -> std::io::Result<()> {
/// let admin = axum::Router::new().nest("/admin", tollgate::admin::router(&guard));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9090").await?;
/// axum::serve(listener, admin).await
/// # }
/// ```
pub fn router(guard: &crate::Guard) -> Router {
    router_from(guard.admin_state())
}

/// The admin API router over explicit state. Nest it under a path of your choice.
pub fn router_from(state: AdminState) -> Router {
    Router::new()
        .route("/sessions", get(handlers::list_sessions))
        .route("/sessions/{id}", get(handlers::get_session))
        .route("/sessions/{id}/kill", post(handlers::kill_session))
        .route("/revoke", post(handlers::revoke))
        .route("/tickets", get(handlers::list_tickets))
        .route("/tickets/{id}", get(handlers::get_ticket))
        .route("/tickets/{id}/approve", post(handlers::approve))
        .route("/tickets/{id}/deny", post(handlers::deny))
        .with_state(state)
}
