//! Step 8 of the pipeline, decided at request time: how the response to a forwarded
//! request must be rewritten. Today that is filtering `tools/list` results down to the
//! tools the caller may see; the layer's body applies the plan to a JSON body as a whole
//! and to an SSE stream event by event.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::Guard;
use super::session_step::{SessionOpener, SessionStep};
use crate::identity::{BoxFuture, Identity};
use crate::mcp::RequestId;
use crate::mcp::sse::SseEvent;
use crate::policy::Policy;
use crate::record::{Event, NotificationRecord, ResultRecord};
use crate::redact::{Findings, Redactor};
use crate::session::{KillSignal, OpenStream, SessionHandle};

/// Size caps that bound the memory a rewritten response may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ResponseLimits {
    /// The largest JSON response body buffered for rewriting.
    pub max_json_bytes: usize,
    /// The largest single SSE event.
    pub max_sse_event_bytes: usize,
}

/// What to do with the response of one forwarded request.
pub(crate) struct ResponsePlan {
    tools_list: Option<ToolsListFilter>,
    limits: ResponseLimits,
    /// The session the request runs in.
    session: Option<SessionHandle>,
    /// The session's open stream: the response ends when the session is killed.
    stream: Option<OpenStream>,
    /// Opens the session of an `initialize` from the response's headers.
    opener: Option<Box<SessionOpener>>,
    /// The requests this response answers: what each was, to redact and record its
    /// answer.
    answers: Vec<Answer>,
    /// The redaction of server messages that answer no tracked request (notifications,
    /// server-to-client requests); `None` when redaction is off for the caller.
    redactor: Option<Arc<Redactor>>,
    /// Records results and server messages, as the caller.
    audit: Option<(Guard, Identity)>,
}

/// A forwarded request awaiting its answer.
struct Answer {
    id: RequestId,
    method: String,
    tool: Option<String>,
    started: Instant,
    redactor: Option<Arc<Redactor>>,
}

/// Methods whose answers are protocol data, not content: never redacted.
const PROTOCOL_METHODS: [&str; 5] = [
    "initialize",
    "server/discover",
    "ping",
    "tools/list",
    "notifications/initialized",
];

impl std::fmt::Debug for ResponsePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponsePlan")
            .field("tools_list", &self.tools_list.as_ref().map(|t| &t.ids))
            .field("limits", &self.limits)
            .field("stream", &self.stream.is_some())
            .field("opener", &self.opener.is_some())
            .finish()
    }
}

struct ToolsListFilter {
    ids: Vec<RequestId>,
    identity: Identity,
    policy: Arc<Policy>,
    /// Where the definitions the server listed are remembered (for approval binding).
    guard: Guard,
}

/// A response that must be rewritten but cannot be.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RewriteError {
    #[error("response body is not JSON and cannot be filtered: {0}")]
    NotJson(serde_json::Error),
}

impl ResponsePlan {
    /// A plan that leaves the response untouched.
    pub(crate) fn passthrough(limits: ResponseLimits) -> Self {
        ResponsePlan {
            tools_list: None,
            limits,
            session: None,
            stream: None,
            opener: None,
            answers: Vec::new(),
            redactor: None,
            audit: None,
        }
    }

    /// Redacts server messages with `redactor` (and records them as `identity`, when
    /// the guard records).
    pub(crate) fn redact_with(&mut self, redactor: Option<Arc<Redactor>>) {
        self.redactor = redactor;
    }

    /// Records results and server messages as `identity`.
    pub(crate) fn audit_as(&mut self, guard: &Guard, identity: &Identity) {
        if guard.records() {
            self.audit = Some((guard.clone(), identity.clone()));
        }
    }

    /// Tracks a forwarded request, so its answer is redacted with `redactor` and (for
    /// `tools/call`) recorded as a result.
    pub(crate) fn expect_answer(
        &mut self,
        id: RequestId,
        method: &str,
        tool: Option<String>,
        redactor: Option<Arc<Redactor>>,
    ) {
        self.answers.push(Answer {
            id,
            method: method.to_owned(),
            tool,
            started: Instant::now(),
            redactor,
        });
    }

    /// Binds the response to its session: it ends when the session is killed, and an
    /// `initialize` opens its session from the response headers.
    pub(crate) fn in_session(&mut self, session: SessionStep) {
        match session {
            SessionStep::Open(handle) => {
                self.stream = Some(handle.open_stream());
                self.session = Some(handle);
            }
            SessionStep::OnResponse(opener) => self.opener = Some(opener),
        }
    }

    /// The registry id of the request's session, when it has one yet.
    pub(crate) fn session_id(&self) -> Option<String> {
        self.session.as_ref().map(|s| s.id().to_owned())
    }

    /// Counts a call held for approval in the session.
    pub(crate) fn record_held(&self) {
        if let Some(session) = &self.session {
            session.record_held();
        }
    }

    /// The session's kill signal, when the request has a session.
    pub(crate) fn kill_signal(&self) -> Option<KillSignal> {
        self.session.as_ref().map(SessionHandle::kill_signal)
    }

    /// Called with the response headers before the body is read: opens a pending
    /// session, and returns the future that ends the body when the session is killed.
    pub(crate) fn on_response_headers(
        &mut self,
        status: http::StatusCode,
        headers: &http::HeaderMap,
    ) -> Option<BoxFuture<'static, ()>> {
        if let Some(opener) = self.opener.take()
            && status.is_success()
            && let Some(handle) = opener.open(headers)
        {
            self.stream = Some(handle.open_stream());
            self.session = Some(handle);
        }
        let stream = self.stream.take()?;
        Some(Box::pin(async move { stream.signal().wait().await }))
    }

    /// Filters the `tools/list` result answering request `id` to what `identity` may see
    /// under `policy`.
    pub(crate) fn filter_tools_list(
        &mut self,
        id: RequestId,
        identity: &Identity,
        policy: &Arc<Policy>,
        guard: &Guard,
    ) {
        match &mut self.tools_list {
            Some(filter) => filter.ids.push(id),
            None => {
                self.tools_list = Some(ToolsListFilter {
                    ids: vec![id],
                    identity: identity.clone(),
                    policy: Arc::clone(policy),
                    guard: guard.clone(),
                })
            }
        }
    }

    /// Whether the response can be forwarded without looking at it.
    pub(crate) fn is_passthrough(&self) -> bool {
        self.tools_list.is_none()
            && self.audit.is_none()
            && self.redactor.is_none()
            && self.answers.iter().all(|a| a.redactor.is_none())
    }

    /// Whether `bytes` (a body or an event's data) can be left alone without parsing:
    /// nothing to filter or record, and no redactor's prefilter sees a candidate.
    fn can_skip(&self, bytes: &[u8]) -> bool {
        self.tools_list.is_none()
            && self.audit.is_none()
            && self.redactor.as_ref().is_none_or(|r| !r.may_match(bytes))
            && self
                .answers
                .iter()
                .all(|a| a.redactor.as_ref().is_none_or(|r| !r.may_match(bytes)))
    }

    /// The caps for this response.
    pub(crate) fn limits(&self) -> ResponseLimits {
        self.limits
    }

    /// Rewrites one JSON-RPC message (or a batch of them) in place; returns whether
    /// anything changed.
    pub(crate) fn rewrite_value(&self, value: &mut Value) -> bool {
        match value {
            Value::Array(items) => {
                // Every element is rewritten: no short-circuit.
                let mut changed = false;
                for item in items {
                    changed |= self.rewrite_message(item);
                }
                changed
            }
            message => self.rewrite_message(message),
        }
    }

    fn rewrite_message(&self, message: &mut Value) -> bool {
        let Some(object) = message.as_object_mut() else {
            return false;
        };
        let mut changed = self.apply_tools_list_filter(object);
        if let Some(method) = object.get("method").and_then(Value::as_str) {
            // A notification or a server-to-client request.
            let method = method.to_owned();
            let findings = redact_member(object, "params", self.redactor.as_deref());
            changed |= !findings.is_empty();
            self.record_server_message(
                &method,
                object.get("id").cloned(),
                object.get("params").map(Value::to_string),
                &findings,
            );
            return changed;
        }
        let (answer, redactor, protocol) = self.answer_for(object.get("id"));
        if protocol {
            return changed;
        }
        let mut findings = redact_member(object, "result", redactor);
        findings.merge(redact_member(object, "error", redactor));
        changed |= !findings.is_empty();
        if let Some(answer) = answer.filter(|a| a.method == "tools/call") {
            let is_error = object.contains_key("error")
                || object
                    .get("result")
                    .and_then(|r| r.get("isError"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            let content = object
                .get("result")
                .or_else(|| object.get("error"))
                .map(Value::to_string);
            self.record_result(answer, is_error, content, &findings);
        } else if let Some(session) = &self.session {
            session.record_redactions(findings.total());
        }
        changed
    }

    /// [`rewrite_message`](Self::rewrite_message) on the serialized message, without
    /// parsing it into a `Value`: the members it redacts are rewritten in place and
    /// every other byte is kept. `None` when the message needs the `Value` path (a
    /// batch, a `tools/list` filter, a member it cannot read).
    fn rewrite_bytes(&self, bytes: &[u8]) -> Option<Option<Vec<u8>>> {
        let is_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if self.tools_list.is_some() || !is_object {
            return None;
        }
        let message: RawMessage<'_> = serde_json::from_slice(bytes).ok()?;
        let audit = self.audit.is_some();
        let id: Option<Value> = match message.id {
            Some(raw) => Some(serde_json::from_str(raw.get()).ok()?),
            None => None,
        };
        let mut edits = Vec::new();
        if let Some(method) = &message.method {
            let params = redact_raw(bytes, message.params, self.redactor.as_deref(), audit)?;
            self.record_server_message(method, id, params.text, &params.findings);
            edits.extend(params.edit);
            return Some(splice(bytes, edits));
        }
        let (answer, redactor, protocol) = self.answer_for(id.as_ref());
        if protocol {
            return Some(None);
        }
        let result = redact_raw(bytes, message.result, redactor, audit)?;
        let error = redact_raw(bytes, message.error, redactor, audit)?;
        let mut findings = result.findings;
        findings.merge(error.findings);
        if let Some(answer) = answer.filter(|a| a.method == "tools/call") {
            let is_error = message.error.is_some()
                || audit
                    && message
                        .result
                        .and_then(|r| serde_json::from_str::<ResultFlags>(r.get()).ok())
                        .and_then(|flags| flags.is_error)
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
            self.record_result(answer, is_error, result.text.or(error.text), &findings);
        } else if let Some(session) = &self.session {
            session.record_redactions(findings.total());
        }
        edits.extend(result.edit);
        edits.extend(error.edit);
        Some(splice(bytes, edits))
    }

    /// Filters a `tools/list` result to what the caller may see; records the listed
    /// definitions for approval binding.
    fn apply_tools_list_filter(&self, object: &mut Map<String, Value>) -> bool {
        let Some(filter) = &self.tools_list else {
            return false;
        };
        let answers_list = object
            .get("id")
            .is_some_and(|id| filter.ids.iter().any(|want| want.matches(id)));
        if !answers_list {
            return false;
        }
        let Some(result) = object.get_mut("result").and_then(Value::as_object_mut) else {
            return false;
        };
        let mut changed = false;
        if let Some(Value::Array(tools)) = result.get_mut("tools") {
            filter.guard.catalog().record(tools);
            let before = tools.len();
            tools.retain(|tool| {
                tool.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| filter.policy.is_visible(&filter.identity, name))
            });
            changed = tools.len() != before;
        }
        // A list filtered for one caller must not be cached for others (2026-07-28).
        if let Some(scope) = result.get_mut("cacheScope")
            && scope.as_str() != Some("private")
        {
            *scope = Value::from("private");
            changed = true;
        }
        changed
    }

    fn record_result(
        &self,
        answer: &Answer,
        is_error: bool,
        content: Option<String>,
        findings: &Findings,
    ) {
        if let Some(session) = &self.session {
            session.record_redactions(findings.total());
        }
        let Some((guard, identity)) = &self.audit else {
            return;
        };
        let elapsed = answer.started.elapsed();
        let mut record = ResultRecord::new(
            is_error,
            u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        );
        record.id = serde_json::to_value(&answer.id).ok();
        record.tool = answer.tool.clone();
        record.redactions = by_kind(findings);
        record.content = content;
        let session = self.session.as_ref().map(|s| s.id()).unwrap_or_default();
        guard.record_detached(Event::result(session, identity, record));
    }

    fn record_server_message(
        &self,
        method: &str,
        id: Option<Value>,
        params: Option<String>,
        findings: &Findings,
    ) {
        if let Some(session) = &self.session {
            session.record_redactions(findings.total());
        }
        let Some((guard, identity)) = &self.audit else {
            return;
        };
        let mut record = NotificationRecord::new(method);
        record.id = id;
        record.params = params;
        let session = self.session.as_ref().map(|s| s.id()).unwrap_or_default();
        guard.record_detached(Event::notification(session, identity, record));
    }

    /// The answer the plan expects under `id`, and the redactor for it (`None` for a
    /// protocol answer, which is left alone).
    fn answer_for(&self, id: Option<&Value>) -> (Option<&Answer>, Option<&Redactor>, bool) {
        let answer = id.and_then(|id| self.answers.iter().find(|a| a.id.matches(id)));
        let protocol = answer.is_some_and(|a| PROTOCOL_METHODS.contains(&a.method.as_str()));
        let redactor = match answer {
            Some(answer) => answer.redactor.as_deref(),
            None => self.redactor.as_deref(),
        };
        (answer, redactor, protocol)
    }

    /// Rewrites a whole JSON body; `Ok(None)` when nothing changed (the original bytes
    /// go out unchanged).
    pub(crate) fn rewrite_json(&self, body: &[u8]) -> Result<Option<Bytes>, RewriteError> {
        if self.can_skip(body) {
            return Ok(None);
        }
        if let Some(done) = self.rewrite_bytes(body) {
            return Ok(done.map(Bytes::from));
        }
        let mut value: Value = serde_json::from_slice(body).map_err(RewriteError::NotJson)?;
        if !self.rewrite_value(&mut value) {
            return Ok(None);
        }
        // Serializing a `Value` cannot fail.
        Ok(Some(Bytes::from(
            serde_json::to_vec(&value).unwrap_or_default(),
        )))
    }

    /// Rewrites one SSE event; events that carry no JSON pass through byte for byte.
    pub(crate) fn rewrite_event(&self, event: &SseEvent) -> Bytes {
        let Some(data) = event.data.as_deref().filter(|d| !d.is_empty()) else {
            return event.raw().clone();
        };
        if self.can_skip(data.as_bytes()) {
            return event.raw().clone();
        }
        match self.rewrite_bytes(data.as_bytes()) {
            Some(None) => return event.raw().clone(),
            Some(Some(new)) => {
                let data = match String::from_utf8(new) {
                    Ok(data) => data,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                };
                return event.with_data(data).encode();
            }
            None => {}
        }
        let Ok(mut value) = serde_json::from_str::<Value>(data) else {
            // Not a JSON-RPC message (a non-conforming server): its text is still
            // redacted, never passed on unexamined.
            return self.redact_event_text(event, data);
        };
        if !self.rewrite_value(&mut value) {
            return event.raw().clone();
        }
        // Serializing a `Value` cannot fail.
        let data = serde_json::to_string(&value).unwrap_or_default();
        event.with_data(data).encode()
    }
}

impl ResponsePlan {
    /// Redacts the data of an event that is not JSON as plain text, with the
    /// strictest redactor the response has.
    fn redact_event_text(&self, event: &SseEvent, data: &str) -> Bytes {
        let redactor = self
            .redactor
            .as_deref()
            .or_else(|| self.answers.iter().find_map(|a| a.redactor.as_deref()));
        let Some(redactor) = redactor else {
            return event.raw().clone();
        };
        let (text, findings) = redactor.redact_text(data);
        if findings.is_empty() {
            return event.raw().clone();
        }
        if let Some(session) = &self.session {
            session.record_redactions(findings.total());
        }
        event.with_data(text.into_owned()).encode()
    }
}

/// Redacts `object[member]` in place, locating findings under `/member`.
fn redact_member(
    object: &mut Map<String, Value>,
    member: &str,
    redactor: Option<&Redactor>,
) -> Findings {
    match (redactor, object.get_mut(member)) {
        (Some(redactor), Some(value)) => redactor.redact_value(value, &format!("/{member}")),
        _ => Findings::new(),
    }
}

/// The members of one JSON-RPC message that the plan reads or rewrites, as raw JSON.
#[derive(serde::Deserialize)]
struct RawMessage<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    #[serde(borrow)]
    error: Option<&'a RawValue>,
}

/// The one member of a result the audit record reads.
#[derive(serde::Deserialize)]
struct ResultFlags {
    #[serde(rename = "isError")]
    is_error: Option<Value>,
}

/// One member redacted in its serialized form.
#[derive(Default)]
struct RawRedaction {
    /// Where the member is in the message, and what replaces it.
    edit: Option<(std::ops::Range<usize>, Vec<u8>)>,
    /// The member as it goes out (for the audit record).
    text: Option<String>,
    findings: Findings,
}

/// Redacts the member `raw` (a slice of `message`), keeping its outgoing text when
/// `keep_text`; `None` when it cannot be located or read, so the `Value` path takes the
/// message.
fn redact_raw(
    message: &[u8],
    raw: Option<&RawValue>,
    redactor: Option<&Redactor>,
    keep_text: bool,
) -> Option<RawRedaction> {
    let Some(raw) = raw else {
        return Some(RawRedaction::default());
    };
    let text = raw.get();
    let start = (text.as_ptr() as usize).checked_sub(message.as_ptr() as usize)?;
    let span = start..start + text.len();
    if message.get(span.clone())? != text.as_bytes() {
        return None;
    }
    let redacted = match redactor {
        // The plan reads counts by type only: no pointers are built.
        Some(redactor) => redactor.redact_json_counts(text.as_bytes()).ok()?,
        None => None,
    };
    Some(match redacted {
        None => RawRedaction {
            text: keep_text.then(|| text.to_owned()),
            ..RawRedaction::default()
        },
        Some(redacted) => RawRedaction {
            text: match keep_text {
                true => Some(String::from_utf8(redacted.bytes.clone()).ok()?),
                false => None,
            },
            edit: Some((span, redacted.bytes)),
            findings: redacted.findings,
        },
    })
}

/// `bytes` with the edits (in any order, not overlapping) applied; `None` when there
/// are none.
fn splice(bytes: &[u8], mut edits: Vec<(std::ops::Range<usize>, Vec<u8>)>) -> Option<Vec<u8>> {
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(span, _)| span.start);
    let mut out = Vec::with_capacity(bytes.len() + 64);
    let mut copied = 0;
    for (span, new) in edits {
        out.extend_from_slice(bytes.get(copied..span.start).unwrap_or(&[]));
        out.extend_from_slice(&new);
        copied = span.end;
    }
    out.extend_from_slice(bytes.get(copied..).unwrap_or(&[]));
    Some(out)
}

/// Redaction counts by type, as the audit trail records them.
fn by_kind(findings: &Findings) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for finding in findings.iter() {
        *counts.entry(finding.kind.to_string()).or_insert(0) += finding.count;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKind;
    use serde_json::json;

    const POLICY: &str = r#"
version = 1
[[allow]]
groups = ["support"]
tools = ["crm.*", "echo"]
"#;

    fn plan() -> ResponsePlan {
        let policy = Arc::new(Policy::from_toml_str(POLICY).unwrap());
        let alice = Identity::new("alice", IdentityKind::User).with_groups(["support"]);
        let mut plan = ResponsePlan::passthrough(ResponseLimits {
            max_json_bytes: 1 << 20,
            max_sse_event_bytes: 1 << 20,
        });
        let guard = Guard::builder()
            .policy(Policy::from_toml_str(POLICY).unwrap())
            .anonymous(alice.clone())
            .build()
            .unwrap();
        plan.filter_tools_list(RequestId::Number(2), &alice, &policy, &guard);
        plan
    }

    #[test]
    fn filters_only_the_answer_to_the_list_request() {
        let plan = plan();
        let mut answer = json!({"jsonrpc":"2.0","id":2,"result":{"tools":[
            {"name":"crm.find_customer"},{"name":"db.drop_table"},{"name":"echo"},{"noname":true}
        ],"nextCursor":"c2","cacheScope":"public"}});
        assert!(plan.rewrite_value(&mut answer));
        let names: Vec<_> = answer["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].clone())
            .collect();
        assert_eq!(names, vec![json!("crm.find_customer"), json!("echo")]);
        assert_eq!(answer["result"]["nextCursor"], "c2");
        assert_eq!(answer["result"]["cacheScope"], "private");

        let mut other =
            json!({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"db.drop_table"}]}});
        assert!(!plan.rewrite_value(&mut other));
        assert_eq!(other["result"]["tools"][0]["name"], "db.drop_table");
    }

    #[test]
    fn unchanged_json_keeps_its_bytes_and_broken_json_fails_closed() {
        let plan = plan();
        assert!(
            plan.rewrite_json(br#"{"jsonrpc":"2.0","id":2,"result":{"tools":[{"name":"echo"}]}}"#)
                .unwrap()
                .is_none()
        );
        assert!(plan.rewrite_json(b"not json").is_err());
    }
}
