//! The recorded event, schema version 1.
//!
//! One [`Event`] is one line of a JSONL trail. Every event has the same envelope —
//! `v`, `seq`, `ts`, `session`, `identity`, `kind`, `prev`, `hash` — and the fields of its
//! kind next to them (the kind's payload is flattened into the object):
//!
//! ```json
//! {"v":1,"seq":7,"ts":"2025-06-01T12:00:00.123456Z","session":"3f2a…",
//!  "identity":{"subject":"alice","kind":"user","groups":["support"]},
//!  "kind":"call","id":4,"method":"tools/call","tool":"db.query",
//!  "arguments":{"sql":"select 1"},"classification":{"risk":"low","labels":["sql.read"]},
//!  "decision":{"action":"allow","rule":"analysts"},
//!  "prev":"9c1d…","hash":"e0b4…"}
//! ```
//!
//! Who fills what: the caller (the guard) builds the event with a constructor such as
//! [`Event::call`]; [`Recorder::record`](super::Recorder::record) sets `ts` (when the
//! caller left it empty) and caps the content excerpts; the recorder's worker assigns
//! `seq` in queue order; a chained sink ([`JsonlSink`](super::JsonlSink),
//! [`SqliteSink`](super::SqliteSink)) sets `prev` and `hash` as it writes. The schema is
//! in `schema/event-v1.schema.json`, and every field is described on the types below.
//!
//! Reading tolerates unknown fields (a newer writer may add some); `v` must be
//! [`SCHEMA_VERSION`] ([`Event::check_version`]).

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Identity;
use crate::classify::{Classification, Finding, Risk};
use crate::identity::IdentityKind;
use crate::policy::{Action, Decision};

/// The schema version this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// One recorded event. See the [module documentation](self) for the layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Event {
    /// Schema version, [`SCHEMA_VERSION`].
    pub v: u32,
    /// Position in the recorder's stream, from 1, strictly increasing across sessions
    /// and rotated files. Assigned by the recorder (0 until then). A `checkpoint`
    /// carries the `seq` of the event it covers; a `gap` the `seq` of the last lost event.
    pub seq: u64,
    /// When the event happened: RFC 3339, UTC, microseconds
    /// (`2025-06-01T12:00:00.123456Z`). Set by the recorder when empty.
    pub ts: String,
    /// The MCP session key (the `Mcp-Session-Id`, or the key the guard derived for a
    /// stateless request). Absent on `checkpoint` and `gap` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Who acted. Absent on `checkpoint` and `gap` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentitySummary>,
    /// The kind (`kind` field) and its fields.
    #[serde(flatten)]
    pub body: EventBody,
    /// The `hash` of the previous event of the same chain (a sink's file or table), or
    /// 64 zeros ([`GENESIS`](super::GENESIS)) for the first. Set by chained sinks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// Lowercase hex SHA-256 of the event's canonical form without `hash` (with `prev`);
    /// see [`canonical`](super::canonical). Set by chained sinks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// The identity an event acted as: the fields an access review needs, never secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdentitySummary {
    /// Stable subject identifier (`sub`, or the API key owner).
    pub subject: String,
    /// Token issuer, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Group memberships at the time of the event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `user`, `service` or `agent`.
    pub kind: IdentityKind,
    /// The OAuth client the credential was issued to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The credential's id (`jti`, API key id), when known. Never the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    /// When the credential expires, RFC 3339, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expiry: Option<String>,
}

impl From<&Identity> for IdentitySummary {
    fn from(identity: &Identity) -> Self {
        IdentitySummary {
            subject: identity.subject.clone(),
            issuer: identity.issuer.clone(),
            groups: identity.groups.clone(),
            kind: identity.kind,
            client_id: identity.client_id.clone(),
            token_id: identity.token_id.clone(),
            token_expiry: identity.expires_at.map(super::time::format_rfc3339),
        }
    }
}

/// An event's kind and the fields that belong to it, serialized as `"kind": "<name>"`
/// plus the fields, flattened into the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventBody {
    /// A session began: an `initialize`, or the first request of a stateless client.
    SessionStarted(SessionStartedRecord),
    /// A client request and what the guard decided about it.
    Call(CallRecord),
    /// A call was held for approval.
    ApprovalRequested(ApprovalRequestedRecord),
    /// A held call was approved, refused, or expired.
    ApprovalDecided(ApprovalDecidedRecord),
    /// The response to a call, as the client saw it (redacted).
    Result(ResultRecord),
    /// A server notification, or a server-to-client request.
    Notification(NotificationRecord),
    /// An operator or the guard killed the session.
    SessionKilled(SessionKilledRecord),
    /// The session ended.
    SessionEnded(SessionEndedRecord),
    /// A chained sink's checkpoint over its chain head (written by the sink).
    Checkpoint(CheckpointRecord),
    /// A best-effort sink lost events and recovered (written by the recorder, to that
    /// sink only).
    Gap(GapRecord),
}

impl EventBody {
    /// The `kind` name, as written.
    pub fn name(&self) -> &'static str {
        match self {
            EventBody::SessionStarted(_) => "session_started",
            EventBody::Call(_) => "call",
            EventBody::ApprovalRequested(_) => "approval_requested",
            EventBody::ApprovalDecided(_) => "approval_decided",
            EventBody::Result(_) => "result",
            EventBody::Notification(_) => "notification",
            EventBody::SessionKilled(_) => "session_killed",
            EventBody::SessionEnded(_) => "session_ended",
            EventBody::Checkpoint(_) => "checkpoint",
            EventBody::Gap(_) => "gap",
        }
    }
}

/// `session_started`: who the client says it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionStartedRecord {
    /// `clientInfo.name` of `initialize`, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// `clientInfo.version` of `initialize`, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_version: Option<String>,
    /// The negotiated (or requested) MCP protocol version, e.g. `2025-06-18`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
}

impl SessionStartedRecord {
    /// A record with the client's name and version and the protocol version, any of
    /// which may be unknown.
    pub fn new(
        client_name: Option<String>,
        client_version: Option<String>,
        protocol_version: Option<String>,
    ) -> Self {
        SessionStartedRecord {
            client_name,
            client_version,
            protocol_version,
        }
    }
}

/// `call`: a client request, its classification and the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallRecord {
    /// The JSON-RPC `id` (number or string), absent for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The JSON-RPC method (`tools/call`, `resources/read`, …).
    pub method: String,
    /// The tool name, for `tools/call`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The call's arguments after redaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
    /// What the classifiers found, when the call was classified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<ClassificationRecord>,
    /// The decision.
    pub decision: DecisionRecord,
}

impl CallRecord {
    /// A call of `method` with `decision`; set the other fields directly or with the
    /// `with_*` methods.
    pub fn new(method: impl Into<String>, decision: DecisionRecord) -> Self {
        CallRecord {
            id: None,
            method: method.into(),
            tool: None,
            arguments: None,
            classification: None,
            decision,
        }
    }

    /// Sets the JSON-RPC id.
    pub fn with_id(mut self, id: Value) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets the tool name.
    pub fn with_tool(mut self, tool: impl Into<String>) -> Self {
        self.tool = Some(tool.into());
        self
    }

    /// Sets the (already redacted) arguments.
    pub fn with_arguments(mut self, arguments: Value) -> Self {
        self.arguments = Some(arguments);
        self
    }

    /// Sets the classification.
    pub fn with_classification(mut self, classification: impl Into<ClassificationRecord>) -> Self {
        self.classification = Some(classification.into());
        self
    }
}

/// The classification of a call, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClassificationRecord {
    /// The highest risk assigned: `none`, `low`, `medium`, `high`, `critical`.
    pub risk: Risk,
    /// Every label, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Why each label was assigned (`label`, `what`, `pointer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

impl From<&Classification> for ClassificationRecord {
    fn from(classification: &Classification) -> Self {
        ClassificationRecord {
            risk: classification.risk,
            labels: classification.labels.iter().cloned().collect(),
            findings: classification.findings.clone(),
        }
    }
}

/// A decision, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecisionRecord {
    /// `allow`, `deny` or `approve` (held for approval).
    pub action: Action,
    /// The deciding rule's name; absent for a default or fail-closed decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Why, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DecisionRecord {
    /// A decision made outside a policy rule (e.g. a fail-closed denial).
    pub fn new(action: Action, rule: Option<String>, reason: Option<String>) -> Self {
        DecisionRecord {
            action,
            rule,
            reason,
        }
    }
}

impl From<&Decision> for DecisionRecord {
    fn from(decision: &Decision) -> Self {
        DecisionRecord {
            action: decision.action,
            rule: decision.rule.clone(),
            reason: decision.reason.clone(),
        }
    }
}

/// `approval_requested`: a call was held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApprovalRequestedRecord {
    /// The approval ticket's id.
    pub ticket: String,
    /// The JSON-RPC id of the held call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The held call's tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The rule that required approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The groups whose members may decide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<String>,
}

impl ApprovalRequestedRecord {
    /// A request for `ticket`; set the other fields directly.
    pub fn new(ticket: impl Into<String>) -> Self {
        ApprovalRequestedRecord {
            ticket: ticket.into(),
            id: None,
            tool: None,
            rule: None,
            reviewers: Vec::new(),
        }
    }
}

/// How an approval ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ApprovalOutcome {
    /// A reviewer approved; the call was forwarded.
    Approved,
    /// A reviewer refused.
    Denied,
    /// Nobody decided in time (the call was denied).
    Expired,
    /// The session ended or the client went away first.
    Cancelled,
}

impl ApprovalOutcome {
    /// The lowercase name, as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalOutcome::Approved => "approved",
            ApprovalOutcome::Denied => "denied",
            ApprovalOutcome::Expired => "expired",
            ApprovalOutcome::Cancelled => "cancelled",
        }
    }
}

/// `approval_decided`: the end of a hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApprovalDecidedRecord {
    /// The ticket of the matching `approval_requested`.
    pub ticket: String,
    /// Approved, denied, expired or cancelled.
    pub outcome: ApprovalOutcome,
    /// Who decided (absent for expired or cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    /// The reviewer's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl ApprovalDecidedRecord {
    /// The outcome of `ticket`; set `reviewer` and `comment` directly.
    pub fn new(ticket: impl Into<String>, outcome: ApprovalOutcome) -> Self {
        ApprovalDecidedRecord {
            ticket: ticket.into(),
            outcome,
            reviewer: None,
            comment: None,
        }
    }
}

/// `result`: a response, after redaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultRecord {
    /// The JSON-RPC id it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The tool that was called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// `isError` of a tool result, or true for a JSON-RPC error.
    pub is_error: bool,
    /// Time from forwarding the call to the end of the response, in microseconds.
    pub duration_us: u64,
    /// Redactions applied, by finding type (`email`, `aws_key`, …) and count.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redactions: BTreeMap<String, u64>,
    /// The start of the redacted content (text of the result), at most the recorder's
    /// excerpt size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// True when `content` was cut to the excerpt size.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl ResultRecord {
    /// A result that took `duration_us`; set the other fields directly.
    pub fn new(is_error: bool, duration_us: u64) -> Self {
        ResultRecord {
            is_error,
            duration_us,
            ..ResultRecord::default()
        }
    }
}

/// `notification`: a message from the server the client did not ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationRecord {
    /// The JSON-RPC method (`notifications/progress`, `sampling/createMessage`, …).
    pub method: String,
    /// For a server-to-client request, its JSON-RPC id; absent for notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The start of the redacted `params`, as JSON text, at most the excerpt size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<String>,
    /// True when `params` was cut to the excerpt size.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl NotificationRecord {
    /// A notification of `method`; set the other fields directly.
    pub fn new(method: impl Into<String>) -> Self {
        NotificationRecord {
            method: method.into(),
            id: None,
            params: None,
            truncated: false,
        }
    }
}

/// `session_killed`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionKilledRecord {
    /// Who killed it (an operator's subject, or `tollgate` for the guard itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndReason {
    /// The client sent `DELETE`.
    Delete,
    /// It was idle too long.
    Idle,
    /// It was killed (see the `session_killed` event before).
    Kill,
    /// The gateway shut down.
    Shutdown,
}

impl EndReason {
    /// The lowercase name, as written.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Delete => "delete",
            EndReason::Idle => "idle",
            EndReason::Kill => "kill",
            EndReason::Shutdown => "shutdown",
        }
    }
}

/// `session_ended`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SessionEndedRecord {
    /// Why it ended.
    pub reason: EndReason,
}

/// `checkpoint`: a sink's statement about its chain head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckpointRecord {
    /// The `hash` of the event this checkpoint covers (the one just before it).
    pub head: String,
    /// Lowercase hex HMAC-SHA256 with the sink's key over
    /// `tollgate-checkpoint-v1\n{seq}\n{head}` (`seq` is this
    /// checkpoint's, which is the covered event's); absent without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac: Option<String>,
}

/// `gap`: events a best-effort sink lost while it was failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GapRecord {
    /// The sink's name.
    pub sink: String,
    /// The first lost `seq`.
    pub first_seq: u64,
    /// The last lost `seq` (also this event's `seq`).
    pub last_seq: u64,
    /// How many events were lost.
    pub count: u64,
}

impl Event {
    /// An event of `body` in `session` by `identity`; `seq`, `ts`, `prev` and `hash`
    /// are filled in later (see the [module documentation](self)).
    pub fn new(
        session: impl Into<String>,
        identity: Option<IdentitySummary>,
        body: EventBody,
    ) -> Self {
        Event {
            v: SCHEMA_VERSION,
            seq: 0,
            ts: String::new(),
            session: Some(session.into()),
            identity,
            body,
            prev: None,
            hash: None,
        }
    }

    /// An event outside any session (checkpoints and gaps).
    pub(crate) fn unattached(body: EventBody, seq: u64) -> Self {
        Event {
            v: SCHEMA_VERSION,
            seq,
            ts: super::time::format_rfc3339(SystemTime::now()),
            session: None,
            identity: None,
            body,
            prev: None,
            hash: None,
        }
    }

    /// `session_started`.
    pub fn session_started(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        record: SessionStartedRecord,
    ) -> Self {
        Self::new(
            session,
            Some(identity.into()),
            EventBody::SessionStarted(record),
        )
    }

    /// `call`.
    pub fn call(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        record: CallRecord,
    ) -> Self {
        Self::new(session, Some(identity.into()), EventBody::Call(record))
    }

    /// `approval_requested`.
    pub fn approval_requested(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        record: ApprovalRequestedRecord,
    ) -> Self {
        Self::new(
            session,
            Some(identity.into()),
            EventBody::ApprovalRequested(record),
        )
    }

    /// `approval_decided`.
    pub fn approval_decided(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        record: ApprovalDecidedRecord,
    ) -> Self {
        Self::new(
            session,
            Some(identity.into()),
            EventBody::ApprovalDecided(record),
        )
    }

    /// `result`.
    pub fn result(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        record: ResultRecord,
    ) -> Self {
        Self::new(session, Some(identity.into()), EventBody::Result(record))
    }

    /// `notification`.
    pub fn notification(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        record: NotificationRecord,
    ) -> Self {
        Self::new(
            session,
            Some(identity.into()),
            EventBody::Notification(record),
        )
    }

    /// `session_killed`.
    pub fn session_killed(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        record: SessionKilledRecord,
    ) -> Self {
        Self::new(
            session,
            Some(identity.into()),
            EventBody::SessionKilled(record),
        )
    }

    /// `session_ended`.
    pub fn session_ended(
        session: impl Into<String>,
        identity: impl Into<IdentitySummary>,
        reason: EndReason,
    ) -> Self {
        Self::new(
            session,
            Some(identity.into()),
            EventBody::SessionEnded(SessionEndedRecord { reason }),
        )
    }

    /// Sets `ts` (RFC 3339); the recorder keeps a non-empty `ts`.
    pub fn with_ts(mut self, ts: impl Into<String>) -> Self {
        self.ts = ts.into();
        self
    }

    /// The `kind` name.
    pub fn kind(&self) -> &'static str {
        self.body.name()
    }

    /// The acting subject, when there is one.
    pub fn subject(&self) -> Option<&str> {
        self.identity.as_ref().map(|i| i.subject.as_str())
    }

    /// The tool the event is about, when there is one.
    pub fn tool(&self) -> Option<&str> {
        match &self.body {
            EventBody::Call(c) => c.tool.as_deref(),
            EventBody::Result(r) => r.tool.as_deref(),
            EventBody::ApprovalRequested(a) => a.tool.as_deref(),
            _ => None,
        }
    }

    /// Whether `v` is a version this crate reads.
    pub fn check_version(&self) -> Result<(), super::RecordError> {
        if self.v == SCHEMA_VERSION {
            Ok(())
        } else {
            Err(super::RecordError::UnsupportedVersion(self.v))
        }
    }

    /// Cuts the content excerpts (`result.content`, `notification.params`) to at most
    /// `max_bytes` bytes, on a character boundary, setting `truncated` when cut.
    pub fn cap_excerpts(&mut self, max_bytes: usize) {
        match &mut self.body {
            EventBody::Result(r) => {
                if let Some(content) = &mut r.content {
                    r.truncated |= cut(content, max_bytes);
                }
            }
            EventBody::Notification(n) => {
                if let Some(params) = &mut n.params {
                    n.truncated |= cut(params, max_bytes);
                }
            }
            _ => {}
        }
    }
}

impl From<Identity> for IdentitySummary {
    fn from(identity: Identity) -> Self {
        IdentitySummary::from(&identity)
    }
}

impl IdentitySummary {
    /// A summary with only a subject and kind.
    pub fn new(subject: impl Into<String>, kind: IdentityKind) -> Self {
        IdentitySummary {
            subject: subject.into(),
            issuer: None,
            groups: Vec::new(),
            kind,
            client_id: None,
            token_id: None,
            token_expiry: None,
        }
    }
}

/// Cuts `text` to at most `max_bytes` on a character boundary; true when it cut.
fn cut(text: &mut String, max_bytes: usize) -> bool {
    if text.len() <= max_bytes {
        return false;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alice() -> IdentitySummary {
        IdentitySummary::new("alice", IdentityKind::User)
    }

    #[test]
    fn a_call_serializes_flat_with_its_kind() {
        let decision = DecisionRecord::new(Action::Deny, Some("no-drops".into()), None);
        let event = Event::call(
            "s1",
            alice(),
            CallRecord::new("tools/call", decision)
                .with_id(json!(4))
                .with_tool("db.drop_table"),
        );
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(value["kind"], "call");
        assert_eq!(value["tool"], "db.drop_table");
        assert_eq!(value["decision"]["action"], "deny");
        assert_eq!(value["identity"]["subject"], "alice");
        assert!(value.get("hash").is_none());
        let back: Event = serde_json::from_value(value).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn reading_ignores_unknown_fields_but_checks_the_version() {
        let text = r#"{"v":1,"seq":3,"ts":"2025-01-01T00:00:00.000000Z","session":"s",
            "identity":{"subject":"bob","kind":"agent","future":1},
            "kind":"session_ended","reason":"idle","added_later":true}"#;
        let event: Event = serde_json::from_str(text).unwrap();
        assert!(event.check_version().is_ok());
        assert_eq!(event.kind(), "session_ended");
        let newer: Event = serde_json::from_str(&text.replace("\"v\":1", "\"v\":2")).unwrap();
        assert!(newer.check_version().is_err());
    }

    #[test]
    fn excerpts_are_cut_on_character_boundaries() {
        let mut record = ResultRecord::new(false, 10);
        record.content = Some("ééé".into());
        let mut event = Event::result("s", alice(), record);
        event.cap_excerpts(3);
        let EventBody::Result(r) = &event.body else {
            panic!("kind changed")
        };
        assert_eq!(r.content.as_deref(), Some("é"));
        assert!(r.truncated);
    }
}
