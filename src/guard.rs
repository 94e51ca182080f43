//! [`Guard`]: the one place where tollgate's pipeline is written.
//!
//! For every request: (1) transport checks, (2) identity, (3) decode and check the MCP
//! body, (4) the session: alive, not revoked, owned by this identity, (5) classify each
//! tool call, (6) decide, (7) act — answer a refusal ourselves, hold the call for
//! approval, or forward with the caller's credentials stripped and its [`Identity`] in
//! the request extensions — (8) plan how the response must be rewritten (tools/list
//! filtered, answers and server messages redacted) and (9) record it all. Every step
//! returns a value; every step that guards fails closed. The layer
//! ([`crate::GuardLayer`]) is only transport glue around the guard's admission.

mod approval_step;
mod audit;
mod builder;
mod catalog;
mod control;
mod plan;
mod replies;
mod session_step;
mod transport;
mod upstream;

pub use builder::{
    DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_SSE_EVENT_BYTES,
    DEFAULT_PROGRESS_INTERVAL, GuardBuilder,
};
pub(crate) use plan::{ResponseLimits, ResponsePlan, RewriteError};
pub use upstream::UpstreamCredentials;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwap;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderName, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Value, json};

use crate::approval::Approvals;
use crate::classify::{Classification, Classifier, ToolCall};
use crate::error::BoxError;
use crate::identity::{AuthError, Authenticator, AuthenticatorChain, BoxFuture, Identity};
use crate::layer::ForwardBody;
use crate::mcp::{
    self, DecodeError, Message, Payload, ProtocolVersion, ReplyFormat, RequestId, codes,
    error_response, tool_error_response,
};
use crate::policy::{Action, Decision, Policy};
use crate::record::{CallRecord, DecisionRecord, Event};
use crate::session::SessionRegistry;
use session_step::SessionStep;
use transport::{RequestKind, TransportRules};

/// How a denied tool call is reported to the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DenialStyle {
    /// A `CallToolResult` with `isError: true` and the reason as text, so the model sees
    /// why and can choose another path (the MCP spec's "tool execution error").
    #[default]
    ToolError,
    /// A JSON-RPC error with code [`codes::POLICY_DENIED`] (`-31001`) and
    /// `data: {reason, rule}`, for deployments where the model must not see the reason.
    JsonRpcError,
}

/// The outcome of classifying and deciding one tool call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Verdict {
    /// Whether the caller may see the tool at all. A hidden tool is answered
    /// `-32602 Unknown tool`, whatever the decision.
    pub visible: bool,
    /// What the classifiers found.
    pub classification: Classification,
    /// What the policy decided.
    pub decision: Decision,
}

/// The policy-enforcement pipeline, shared by every clone (an `Arc` inside).
///
/// Build one with [`Guard::builder`], wrap services with [`crate::GuardLayer`], or call
/// its steps directly: [`Guard::authenticate`], [`Guard::decide`].
#[derive(Clone)]
pub struct Guard {
    inner: Arc<Inner>,
}

struct Inner {
    policy: ArcSwap<Policy>,
    settings: Settings,
    /// Unix seconds of the last sweep of idle sessions and overdue tickets.
    last_sweep: std::sync::atomic::AtomicU64,
}

/// Everything a guard is configured with, besides its policy.
pub(crate) struct Settings {
    pub authenticator: AuthenticatorChain,
    pub credential_headers: Vec<HeaderName>,
    pub anonymous: Option<Identity>,
    pub classifiers: Vec<Arc<dyn Classifier>>,
    pub upstream: Option<Arc<dyn UpstreamCredentials>>,
    pub transport: TransportRules,
    pub max_request_bytes: usize,
    pub max_response_bytes: usize,
    pub max_sse_event_bytes: usize,
    pub denial_style: DenialStyle,
    pub sessions: SessionRegistry,
    pub approvals: Approvals,
    pub progress_interval: std::time::Duration,
    pub tool_catalog: catalog::ToolCatalog,
    #[cfg_attr(
        not(feature = "admin"),
        expect(dead_code, reason = "read by the admin API")
    )]
    pub admin_groups: Vec<String>,
    pub recorder: Option<crate::record::Recorder>,
    pub resource_metadata: Option<String>,
    pub challenge_scope: Option<String>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("rules", &self.inner.policy.load().rule_count())
            .finish_non_exhaustive()
    }
}

/// What the guard does with a request: forward it (with a plan for its response), or
/// answer it itself.
#[expect(
    clippy::large_enum_variant,
    reason = "made once per request and moved once; boxing would only add an allocation"
)]
pub(crate) enum Admission<B> {
    Forward {
        request: Request<ForwardBody<B>>,
        plan: ResponsePlan,
    },
    Reply(Response<Bytes>),
    /// The request waits for a reviewer; `outcome` resolves to `Forward` or `Reply` once
    /// the ticket is decided (dropping it cancels the ticket).
    Hold(Hold<B>),
}

/// A request held for approval.
pub(crate) struct Hold<B> {
    /// The admission after the reviewer's decision (never another `Hold`).
    pub outcome: BoxFuture<'static, Admission<B>>,
    /// When the client accepts SSE and sent a progress token: answer at once with an
    /// event stream that reports progress while the call waits.
    pub progress: Option<HoldProgress>,
}

/// The progress notifications a held call's event stream carries.
#[derive(Debug, Clone)]
pub(crate) struct HoldProgress {
    /// The request being held (its eventual answer carries this id).
    pub id: RequestId,
    /// The client's `_meta.progressToken`.
    pub token: Value,
    /// What each notification says (ticket id, where to review).
    pub message: String,
    /// How often a notification is repeated while the call waits.
    pub interval: std::time::Duration,
    /// The largest reply body relayed into the stream.
    pub max_reply_bytes: usize,
}

/// How one message of a request body is handled.
enum Judgement {
    Forward,
    FilterToolsList(RequestId),
    Refuse(Value),
    /// An approve rule matched: the call waits for (or needs) a reviewer's approval.
    Approve(Box<approval_step::HeldCall>),
    /// No rule allows the call, but one would if the token carried these scopes:
    /// `403 insufficient_scope`, so the client can step up.
    InsufficientScope(Vec<String>),
}

impl Guard {
    /// Starts a builder.
    pub fn builder() -> GuardBuilder {
        GuardBuilder::default()
    }

    pub(crate) fn from_parts(policy: Policy, settings: Settings) -> Self {
        Guard {
            inner: Arc::new(Inner {
                policy: ArcSwap::from_pointee(policy),
                settings,
                last_sweep: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// The live sessions: list them, kill one, revoke an identity (see
    /// [`SessionRegistry`]). Killing a session here ends its open response streams and
    /// cancels its held calls at once.
    pub fn sessions(&self) -> &SessionRegistry {
        &self.inner.settings.sessions
    }

    /// The approval tickets of `approve` rules: list, approve, deny (see [`Approvals`]).
    pub fn approvals(&self) -> &Approvals {
        &self.inner.settings.approvals
    }

    /// The admin API's view of this guard (see `tollgate::admin::router`).
    #[cfg(feature = "admin")]
    pub(crate) fn admin_state(&self) -> crate::admin::AdminState {
        let guard = self.clone();
        crate::admin::AdminState::new(
            self.sessions().clone(),
            self.approvals().clone(),
            Arc::new(self.inner.settings.authenticator.clone()),
        )
        .with_admin_groups(self.inner.settings.admin_groups.iter().cloned())
        .with_on_action(move |action| guard.record_admin_action(&action))
    }

    /// `403 insufficient_scope` naming `scopes`.
    fn insufficient_scope(&self, scopes: &[String]) -> Response<Bytes> {
        replies::insufficient_scope(scopes, self.inner.settings.resource_metadata.as_deref())
    }

    pub(crate) fn catalog(&self) -> &catalog::ToolCatalog {
        &self.inner.settings.tool_catalog
    }

    /// The policy in force now.
    pub fn policy(&self) -> Arc<Policy> {
        self.inner.policy.load_full()
    }

    /// Replaces the policy atomically. Requests already being decided finish under the
    /// policy they started with; every later request sees the new one.
    pub fn set_policy(&self, policy: Policy) {
        self.inner.policy.store(Arc::new(policy));
        tracing::info!(target: "tollgate::policy", "policy replaced");
    }

    /// Step 2: establishes who is calling. Fails closed: an expired identity, an
    /// unrecognised credential, or an unavailable authenticator is an error. The
    /// anonymous identity, when configured, applies only to requests that carry no
    /// credential header at all.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, AuthError> {
        let settings = &self.inner.settings;
        let identity = match settings.authenticator.authenticate(headers).await {
            Err(AuthError::NotRecognized) => match &settings.anonymous {
                Some(anonymous)
                    if !settings
                        .credential_headers
                        .iter()
                        .any(|h| headers.contains_key(h)) =>
                {
                    anonymous.clone()
                }
                _ => return Err(AuthError::NotRecognized),
            },
            other => other?,
        };
        if identity.expires_at.is_some_and(|t| t <= SystemTime::now()) {
            return Err(AuthError::Invalid("credential expired".into()));
        }
        Ok(identity)
    }

    /// Steps 5 and 6 for one tool call under the policy in force: classify, then decide.
    /// Fails closed: a classifier error or a panic anywhere in classification or policy
    /// evaluation is a denial.
    pub fn decide(&self, identity: &Identity, call: &ToolCall) -> Verdict {
        self.decide_with(&self.inner.policy.load(), identity, call)
    }

    fn decide_with(&self, policy: &Policy, identity: &Identity, call: &ToolCall) -> Verdict {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let visible = policy.is_visible(identity, &call.name);
            let classification = self.classify_with(policy, call);
            (visible, classification)
        }));
        let (visible, classification) = match outcome {
            Ok(parts) => parts,
            Err(_) => {
                return Verdict {
                    visible: false,
                    classification: Classification::new(),
                    decision: Decision::deny_internal("internal error while classifying"),
                };
            }
        };
        let (classification, decision) = match classification {
            Err(error) => (
                Classification::new(),
                Decision::deny_internal(error.to_string()),
            ),
            Ok(classification) => {
                let decision = catch_unwind(AssertUnwindSafe(|| {
                    policy.evaluate(identity, call, &classification)
                }))
                .unwrap_or_else(|_| Decision::deny_internal("internal error while deciding"));
                (classification, decision)
            }
        };
        tracing::info!(
            target: "tollgate::decision",
            subject = %identity.subject,
            tool = %call.name,
            action = ?decision.action,
            rule = decision.rule.as_deref().unwrap_or("-"),
            risk = %classification.risk,
            "tool call decided"
        );
        Verdict {
            visible,
            classification,
            decision,
        }
    }

    fn classify_with(
        &self,
        policy: &Policy,
        call: &ToolCall,
    ) -> Result<Classification, crate::classify::ClassifyError> {
        let mut classification = policy.classifier().classify(call)?;
        for classifier in &self.inner.settings.classifiers {
            classification.merge(classifier.classify(call)?);
        }
        Ok(classification)
    }

    /// The whole pipeline for one HTTP request.
    pub(crate) async fn admit<B>(&self, request: Request<B>) -> Admission<B>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let settings = &self.inner.settings;
        let (mut parts, body) = request.into_parts();
        self.sweep_if_due().await;

        // 1. Transport.
        let kind = match settings.transport.admit(&parts) {
            Ok(kind) => kind,
            Err(refusal) => return Admission::Reply(replies::text(refusal.status, refusal.reason)),
        };

        // 2. Identity.
        let identity = match self.authenticate(&parts.headers).await {
            Ok(identity) => identity,
            Err(error) => {
                tracing::info!(target: "tollgate::identity", %error, "request refused");
                return Admission::Reply(if is_grpc(&parts) {
                    replies::grpc(16, "unauthenticated")
                } else {
                    replies::unauthorized(
                        &error,
                        settings.resource_metadata.as_deref(),
                        settings.challenge_scope.as_deref(),
                    )
                });
            }
        };

        if kind == RequestKind::Passthrough {
            let mut plan = ResponsePlan::passthrough(self.response_limits());
            // Server messages on GET streams are redacted and recorded like answers.
            plan.redact_with(self.inner.policy.load().redactor_for(&identity, None));
            plan.audit_as(self, &identity);
            // 4. Session: streams and DELETEs of a session are bound to its identity.
            if parts.headers.contains_key("mcp-session-id") {
                match self.session_step(&parts, &identity, None) {
                    Ok(session) => plan.in_session(session),
                    Err(reply) => return Admission::Reply(*reply),
                }
            }
            return match self.prepare_forward(&mut parts, &identity).await {
                Ok(()) => Admission::Forward {
                    request: Request::from_parts(parts, ForwardBody::streaming(body)),
                    plan,
                },
                Err(reply) => Admission::Reply(reply),
            };
        }

        // 3. Decode.
        let bytes = match read_body(body, &parts.headers, settings.max_request_bytes).await {
            Ok(bytes) => bytes,
            Err(error) => return Admission::Reply(replies::undecodable(&error, None)),
        };
        let payload = match Payload::parse(&bytes) {
            Ok(payload) => payload,
            Err(error) => return Admission::Reply(replies::undecodable(&error, None)),
        };
        let version = match mcp::check_request(&parts.headers, &payload) {
            Ok(version) => version,
            Err(error) => {
                return Admission::Reply(replies::undecodable(&error, single_request_id(&payload)));
            }
        };

        // 4. Session: known, alive, and bound to this identity.
        let mut session = match self.session_step(&parts, &identity, Some(&payload)) {
            Ok(session) => session,
            Err(reply) => return Admission::Reply(*reply),
        };

        if let Some(handle) = session.handle()
            && handle.is_new()
        {
            self.record_session_started(handle, &identity);
        }
        let session_name = session
            .handle()
            .map(|h| h.id().to_owned())
            .unwrap_or_default();

        // 5, 6. Classify and decide every message, under one snapshot of the policy.
        let policy = self.inner.policy.load_full();
        let mut plan = ResponsePlan::passthrough(self.response_limits());
        plan.redact_with(policy.redactor_for(&identity, None));
        plan.audit_as(self, &identity);
        let audit_failure = self.audit_ready().err();
        let mut judgements = Vec::with_capacity(payload.messages().len());
        let mut calls = Vec::new();
        for message in payload.messages() {
            let mut record = None;
            let mut judgement = self.judge(message, &identity, &policy, version, &mut record);
            let is_call = message.method() == Some("tools/call");
            if let (true, Some(failure), Message::Request(request)) =
                (is_call, &audit_failure, message)
                && !matches!(judgement, Judgement::Refuse(_))
            {
                // A required audit sink is failing: no call goes on unrecorded.
                let text = format!("Blocked: the audit trail is unavailable ({failure})");
                if let Some(record) = &mut record {
                    record.decision = DecisionRecord::new(Action::Deny, None, Some(text.clone()));
                }
                judgement = Judgement::Refuse(self.refusal(
                    Some(&request.id),
                    &text,
                    "audit trail unavailable",
                    None,
                    Action::Deny,
                    version,
                ));
            }
            match (&judgement, message) {
                (Judgement::FilterToolsList(id), _) => {
                    plan.filter_tools_list(id.clone(), &identity, &policy, self);
                    plan.expect_answer(id.clone(), "tools/list", None, None);
                }
                (Judgement::Forward | Judgement::Approve(_), Message::Request(request)) => {
                    let tool = record.as_ref().and_then(|r| r.tool.clone());
                    let redactor = policy.redactor_for(&identity, tool.as_deref());
                    plan.expect_answer(request.id.clone(), &request.method, tool, redactor);
                }
                _ => {}
            }
            if let Some(handle) = session.handle()
                && is_call
            {
                handle.record_call();
                if matches!(
                    judgement,
                    Judgement::Refuse(_) | Judgement::InsufficientScope(_)
                ) {
                    handle.record_denied();
                }
            }
            if let Some(record) = record {
                let event = Event::call(session_name.clone(), &identity, record);
                match &mut session {
                    // An `initialize`: recorded under the session the server opens.
                    SessionStep::OnResponse(opener) => opener.defer(event),
                    SessionStep::Open(_) => calls.push(event),
                }
            }
            judgements.push(judgement);
        }

        // 9 (for requests). Every request is recorded before it goes on; with a sync
        // recorder this waits until the events are durable. A call that cannot be
        // recorded does not go on.
        let mut unrecorded = None;
        for event in calls {
            if let Err(error) = self.record(event).await {
                unrecorded = Some(error);
            }
        }
        if let Some(error) = unrecorded
            && payload
                .messages()
                .iter()
                .any(|m| m.method() == Some("tools/call"))
        {
            tracing::warn!(target: "tollgate::audit", %error, "call refused: not recorded");
            let text = format!("Blocked: the audit trail is unavailable ({error})");
            for (message, judgement) in payload.messages().iter().zip(judgements.iter_mut()) {
                if let Message::Request(request) = message
                    && message.method() == Some("tools/call")
                {
                    *judgement = Judgement::Refuse(self.refusal(
                        Some(&request.id),
                        &text,
                        "audit trail unavailable",
                        None,
                        Action::Deny,
                        version,
                    ));
                }
            }
        }

        // 7. Act.
        if let Some(scopes) = judgements.iter().find_map(|j| match j {
            Judgement::InsufficientScope(scopes) => Some(scopes),
            _ => None,
        }) {
            return Admission::Reply(self.insufficient_scope(scopes));
        }
        let format = ReplyFormat::for_accept(
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok()),
        );
        if !payload.is_batch()
            && let Some(Judgement::Approve(_)) = judgements.first()
            && let Some(Judgement::Approve(held)) = judgements.pop()
        {
            plan.in_session(session);
            return self
                .hold_for_approval(parts, bytes, identity, *held, version, plan, format)
                .await;
        }
        // A batch is forwarded whole or not at all, so a call in it cannot be held.
        for judgement in &mut judgements {
            if let Judgement::Approve(held) = judgement {
                *judgement =
                    Judgement::Refuse(self.denial(Some(&held.id), &held.decision, version));
            }
        }
        if judgements.iter().any(|j| matches!(j, Judgement::Refuse(_))) {
            return Admission::Reply(refusal_reply(&payload, judgements, format));
        }
        plan.in_session(session);
        match self.prepare_forward(&mut parts, &identity).await {
            Ok(()) => Admission::Forward {
                request: Request::from_parts(parts, ForwardBody::buffered(bytes)),
                plan,
            },
            Err(reply) => Admission::Reply(reply),
        }
    }

    /// Steps 5 and 6 for one message; `record` receives the message's `call` event
    /// (client requests only), with its arguments redacted.
    fn judge(
        &self,
        message: &Message,
        identity: &Identity,
        policy: &Policy,
        version: ProtocolVersion,
        record: &mut Option<CallRecord>,
    ) -> Judgement {
        let Message::Request(request) = message else {
            return Judgement::Forward;
        };
        let id = &request.id;
        let allowed = || DecisionRecord::new(Action::Allow, None, None);
        let mut call_record = CallRecord::new(request.method.clone(), allowed())
            .with_id(serde_json::to_value(id).unwrap_or(Value::Null));
        let judgement = match request.method.as_str() {
            "tools/list" => Judgement::FilterToolsList(id.clone()),
            "tools/call" => match tool_call(message) {
                Err(reason) => {
                    call_record.decision =
                        DecisionRecord::new(Action::Deny, None, Some(reason.clone()));
                    Judgement::Refuse(error_response(
                        Some(id),
                        codes::INVALID_PARAMS,
                        &reason,
                        None,
                    ))
                }
                Ok(call) => {
                    let verdict = self.decide_with(policy, identity, &call);
                    let mut arguments = call.arguments.clone();
                    if let Some(redactor) = policy.redactor_for(identity, Some(&call.name)) {
                        redactor.redact_value(&mut arguments, "/arguments");
                    }
                    call_record = call_record
                        .with_tool(call.name.clone())
                        .with_arguments(arguments)
                        .with_classification(&verdict.classification);
                    call_record.decision = DecisionRecord::from(&verdict.decision);
                    self.tools_call_judgement(
                        message,
                        id,
                        call,
                        verdict,
                        identity,
                        policy,
                        version,
                        &mut call_record,
                    )
                }
            },
            _ => Judgement::Forward,
        };
        *record = Some(call_record);
        judgement
    }

    #[expect(clippy::too_many_arguments, reason = "one call's whole context")]
    fn tools_call_judgement(
        &self,
        message: &Message,
        id: &RequestId,
        call: ToolCall,
        verdict: Verdict,
        identity: &Identity,
        policy: &Policy,
        version: ProtocolVersion,
        record: &mut CallRecord,
    ) -> Judgement {
        if verdict.decision.action != Action::Allow
            && let Some(scopes) = policy.missing_scopes(identity, &call, &verdict.classification)
        {
            record.decision = DecisionRecord::new(
                Action::Deny,
                None,
                Some(format!("insufficient scope: needs {}", scopes.join(" "))),
            );
            return Judgement::InsufficientScope(scopes);
        }
        if !verdict.visible {
            let text = format!("Unknown tool: {}", call.name);
            record.decision = DecisionRecord::new(Action::Deny, None, Some(text.clone()));
            return Judgement::Refuse(error_response(Some(id), codes::INVALID_PARAMS, &text, None));
        }
        match verdict.decision.action {
            Action::Allow => Judgement::Forward,
            Action::Approve => Judgement::Approve(Box::new(approval_step::HeldCall {
                id: id.clone(),
                progress_token: progress_token(message),
                call,
                decision: verdict.decision,
            })),
            _ => Judgement::Refuse(self.denial(Some(id), &verdict.decision, version)),
        }
    }

    pub(crate) fn denial(
        &self,
        id: Option<&RequestId>,
        decision: &Decision,
        version: ProtocolVersion,
    ) -> Value {
        let rule = decision.rule.as_deref();
        let reason = match (&decision.reason, rule) {
            (Some(reason), _) => reason.clone(),
            (None, Some(rule)) => format!("rule `{rule}` forbids this call"),
            (None, None) => "no rule allows this call".to_owned(),
        };
        let text = match decision.action {
            Action::Approve => format!(
                "Approval required by rule `{}`: {reason}",
                rule.unwrap_or("default")
            ),
            _ => format!("Blocked by policy: {reason}"),
        };
        self.refusal(id, &text, &reason, rule, decision.action, version)
    }

    /// A refused call's answer in the configured [`DenialStyle`]: an `isError` result
    /// saying `text`, or a `-31001` error with `{reason, rule, action}` as data.
    pub(crate) fn refusal(
        &self,
        id: Option<&RequestId>,
        text: &str,
        reason: &str,
        rule: Option<&str>,
        action: Action,
        version: ProtocolVersion,
    ) -> Value {
        match (self.inner.settings.denial_style, id) {
            (DenialStyle::ToolError, Some(id)) => tool_error_response(id, text, version),
            _ => error_response(
                id,
                codes::POLICY_DENIED,
                text,
                Some(json!({ "reason": reason, "rule": rule, "action": action })),
            ),
        }
    }

    /// Step 7 for a request that goes on: strip the caller's credentials, add the
    /// gateway's own, and hand the identity to the inner service.
    pub(crate) async fn prepare_forward(
        &self,
        parts: &mut Parts,
        identity: &Identity,
    ) -> Result<(), Response<Bytes>> {
        let settings = &self.inner.settings;
        for name in &settings.credential_headers {
            parts.headers.remove(name);
        }
        if let Some(upstream) = &settings.upstream
            && let Err(error) = upstream.apply(identity, &mut parts.headers).await
        {
            tracing::warn!(target: "tollgate::upstream", %error, "upstream credentials failed");
            return Err(replies::text(
                StatusCode::BAD_GATEWAY,
                "Bad Gateway: upstream credentials are unavailable",
            ));
        }
        parts.extensions.insert(identity.clone());
        Ok(())
    }

    pub(crate) fn response_limits(&self) -> ResponseLimits {
        ResponseLimits {
            max_json_bytes: self.inner.settings.max_response_bytes,
            max_sse_event_bytes: self.inner.settings.max_sse_event_bytes,
        }
    }
}

/// The call a `tools/call` message makes; an error text when it names no tool.
fn tool_call(message: &Message) -> Result<ToolCall, String> {
    let params = message
        .params()
        .ok_or_else(|| "Invalid params: tools/call needs params".to_owned())?;
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| "Invalid params: tools/call needs a string `name`".to_owned())?;
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Value::Null,
        Some(arguments @ Value::Object(_)) => arguments.clone(),
        Some(_) => return Err("Invalid params: `arguments` must be an object".to_owned()),
    };
    Ok(ToolCall::new(name, arguments))
}

/// The reply to a body with at least one refused message. A single request gets its
/// refusal; in a batch every request gets an answer (its refusal, or "not executed"),
/// since a batch is forwarded whole or not at all. A refused notification cannot be
/// answered in JSON-RPC, so it gets HTTP 403.
fn refusal_reply(
    payload: &Payload,
    judgements: Vec<Judgement>,
    format: ReplyFormat,
) -> Response<Bytes> {
    let mut answers = Vec::new();
    for (message, judgement) in payload.messages().iter().zip(judgements) {
        let Message::Request(request) = message else {
            if let Judgement::Refuse(value) = judgement
                && !payload.is_batch()
            {
                return replies::jsonrpc(StatusCode::FORBIDDEN, ReplyFormat::Json, &value);
            }
            continue;
        };
        answers.push(match judgement {
            Judgement::Refuse(value) => value,
            _ => error_response(
                Some(&request.id),
                codes::BATCH_REFUSED,
                "Not executed: another request in this batch was refused",
                None,
            ),
        });
    }
    let value = match (payload.is_batch(), answers.pop()) {
        (false, Some(single)) => single,
        (true, Some(last)) => {
            answers.push(last);
            Value::Array(answers)
        }
        (_, None) => error_response(None, codes::POLICY_DENIED, "Blocked by policy", None),
    };
    replies::jsonrpc(StatusCode::OK, format, &value)
}

/// The client's `_meta.progressToken`, if it sent one.
fn progress_token(message: &Message) -> Option<Value> {
    message
        .params()?
        .get("_meta")?
        .get("progressToken")
        .filter(|t| t.is_string() || t.is_number())
        .cloned()
}

fn single_request_id(payload: &Payload) -> Option<&RequestId> {
    match payload {
        Payload::Single(Message::Request(request)) => Some(&request.id),
        _ => None,
    }
}

fn is_grpc(parts: &Parts) -> bool {
    mcp::media_type(&parts.headers).starts_with("application/grpc")
}

/// Reads a request body, refusing it (before reading, when `Content-Length` says so)
/// once it exceeds `limit`.
async fn read_body<B>(body: B, headers: &HeaderMap, limit: usize) -> Result<Bytes, DecodeError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(DecodeError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(DecodeError::TooLarge { limit }),
        Err(error) => Err(DecodeError::Body(error.to_string())),
    }
}
