//! The admin API's handlers and its JSON error answers.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{AdminAction, AdminState};
use crate::approval::{ApprovalError, Ticket, TicketId, TicketState};
use crate::identity::{AuthError, Identity};

/// The longest comment or reason kept, in characters.
const MAX_TEXT: usize = 2_000;

/// An error answer: a status and `{"error": message}`.
pub(super) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }

    fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("no such {what}"))
    }
}

impl From<ApprovalError> for ApiError {
    fn from(e: ApprovalError) -> ApiError {
        ApiError::new(e.status(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "error": self.message }))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

async fn authenticate(state: &AdminState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    match state.authenticator.authenticate(headers).await {
        Ok(identity) => Ok(identity),
        Err(AuthError::Unavailable(_)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "authentication unavailable",
        )),
        Err(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")),
    }
}

async fn admin(
    state: &AdminState,
    headers: &HeaderMap,
    operation: &'static str,
    target: &str,
) -> Result<Identity, ApiError> {
    let identity = authenticate(state, headers).await?;
    if state.is_admin(&identity) {
        return Ok(identity);
    }
    refuse(state, identity, operation, target, ApiError::forbidden())
}

fn refuse<T>(
    state: &AdminState,
    by: Identity,
    operation: &'static str,
    target: &str,
    error: ApiError,
) -> Result<T, ApiError> {
    state.record(AdminAction::Refused {
        by,
        operation,
        target: cut(target),
        reason: error.message.clone(),
    });
    Err(error)
}

/// Parses an optional JSON object body (empty means `{}`).
fn body<T: DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_TEXT).collect()
}

fn to_json<T: serde::Serialize>(value: &T) -> ApiResult {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

pub(super) async fn list_sessions(
    State(state): State<AdminState>,
    headers: HeaderMap,
) -> ApiResult {
    admin(&state, &headers, "list_sessions", "").await?;
    to_json(&json!({ "sessions": state.sessions.list() }))
}

pub(super) async fn get_session(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    admin(&state, &headers, "get_session", &id).await?;
    let info = state
        .sessions
        .get_by_id(&id)
        .ok_or_else(|| ApiError::not_found("session"))?;
    to_json(&info)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KillBody {
    reason: Option<String>,
}

pub(super) async fn kill_session(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let by = admin(&state, &headers, "kill", &id).await?;
    let KillBody { reason } = body(&bytes)?;
    let reason = cut(reason.as_deref().unwrap_or("killed by an admin"));
    let key = state
        .sessions
        .key_of(&id)
        .ok_or_else(|| ApiError::not_found("session"))?;
    let info = state
        .sessions
        .kill_info(&key, &by.subject, &reason)
        .ok_or_else(|| ApiError::not_found("session"))?;
    let answer = to_json(&json!({ "killed": info }));
    state.record(AdminAction::SessionKilled {
        by,
        session: Box::new(info),
        reason,
    });
    answer
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    subject: String,
    issuer: Option<String>,
    /// Unix seconds.
    until: u64,
}

pub(super) async fn revoke(
    State(state): State<AdminState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    let parsed: Result<RevokeBody, ApiError> = body(&bytes);
    let target = parsed
        .as_ref()
        .map(|b| b.subject.clone())
        .unwrap_or_default();
    let by = admin(&state, &headers, "revoke", &target).await?;
    let RevokeBody {
        subject,
        issuer,
        until,
    } = parsed?;
    if subject.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "`subject` is empty"));
    }
    let until_time = UNIX_EPOCH
        .checked_add(Duration::from_secs(until))
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "`until` is out of range"))?;
    let killed = state
        .sessions
        .revoke(&subject, issuer.as_deref(), until_time, &by.subject)
        .map_err(|e| ApiError::new(e.status(), e.to_string()))?;
    let answer = to_json(&json!({
        "subject": subject,
        "issuer": issuer,
        "until": until,
        "killed": killed,
    }));
    state.record(AdminAction::SubjectRevoked {
        by,
        subject,
        issuer,
        until: until_time,
        sessions: killed,
    });
    answer
}

fn may_see(state: &AdminState, identity: &Identity, ticket: &Ticket) -> bool {
    state.is_admin(identity)
        || ticket.is_requester(identity)
        || ticket.terms.reviewers.iter().any(|g| identity.in_group(g))
}

pub(super) async fn list_tickets(
    State(state): State<AdminState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult {
    let identity = authenticate(&state, &headers).await?;
    let filter = query
        .get("state")
        .map(|s| s.parse::<TicketState>())
        .transpose()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
    let tickets: Vec<Ticket> = state
        .approvals
        .list(filter)
        .await?
        .into_iter()
        .filter(|t| may_see(&state, &identity, t))
        .collect();
    to_json(&json!({ "tickets": tickets }))
}

fn ticket_id(id: &str) -> Result<TicketId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found("ticket"))
}

pub(super) async fn get_ticket(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let identity = authenticate(&state, &headers).await?;
    let ticket = state
        .approvals
        .get(ticket_id(&id)?)
        .await?
        .filter(|t| may_see(&state, &identity, t))
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    to_json(&ticket)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewBody {
    comment: Option<String>,
}

pub(super) async fn approve(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    review(state, id, headers, bytes, true).await
}

pub(super) async fn deny(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> ApiResult {
    review(state, id, headers, bytes, false).await
}

async fn review(
    state: AdminState,
    id: String,
    headers: HeaderMap,
    bytes: Bytes,
    approve: bool,
) -> ApiResult {
    let by = authenticate(&state, &headers).await?;
    let ReviewBody { comment } = body(&bytes)?;
    let comment = comment.as_deref().map(cut);
    let operation = if approve { "approve" } else { "deny" };
    let id = ticket_id(&id)?;
    let result = if approve {
        state.approvals.approve(id, &by, comment).await
    } else {
        state.approvals.deny(id, &by, comment).await
    };
    let ticket = match result {
        Ok(t) => t,
        Err(e) => return refuse(&state, by, operation, &id.to_string(), e.into()),
    };
    let answer = to_json(&ticket);
    let ticket = Box::new(ticket);
    state.record(if approve {
        AdminAction::TicketApproved { by, ticket }
    } else {
        AdminAction::TicketDenied { by, ticket }
    });
    answer
}
