//! Step 4 of the pipeline: which live session a request belongs to, and whether it may
//! use it. A session is bound to the identity that opened it; a killed session and a
//! revoked identity are refused. A legacy `initialize` has no session id yet: its
//! session is opened when the server's answer names one (see [`SessionOpener`]).

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, Response};
use serde_json::{Map, Value};

use super::{Guard, replies};
use crate::identity::Identity;
use crate::mcp::{Message, Payload};
use crate::record::Event;
use crate::session::{ClientInfo, SessionError, SessionHandle, SessionKey};

/// The `_meta` key carrying client info on every 2026-07-28 request.
const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// The session a request runs in: open, or to be opened by the response.
pub(crate) enum SessionStep {
    Open(SessionHandle),
    OnResponse(Box<SessionOpener>),
}

impl SessionStep {
    /// The open session, if it is open already.
    pub(crate) fn handle(&self) -> Option<&SessionHandle> {
        match self {
            SessionStep::Open(handle) => Some(handle),
            SessionStep::OnResponse(_) => None,
        }
    }
}

/// Opens the session of an `initialize` once the server has answered it: under the
/// `Mcp-Session-Id` the server assigned, or as stateless traffic when it assigned none.
pub(crate) struct SessionOpener {
    guard: Guard,
    identity: Identity,
    client: Option<ClientInfo>,
    protocol: Option<String>,
    /// The request's own events, recorded under the session once it has an id.
    deferred: Vec<Event>,
}

impl SessionOpener {
    /// Records `event` once the session is open, under its id.
    pub(crate) fn defer(&mut self, event: Event) {
        self.deferred.push(event);
    }

    /// Opens the session named in the response headers; returns it for the response's
    /// own stream.
    pub(crate) fn open(self, headers: &HeaderMap) -> Option<SessionHandle> {
        let key = match headers.get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            Some(id) => SessionKey::legacy(id),
            None => SessionKey::stateless(
                &self.identity,
                self.client.as_ref().map(|c| c.name.as_str()),
            ),
        };
        let opened = key.and_then(|key| {
            self.guard.sessions().open_or_touch(
                &key,
                &self.identity,
                self.client,
                self.protocol.as_deref(),
            )
        });
        match opened {
            Ok(handle) => {
                if handle.is_new() {
                    self.guard.record_session_started(&handle, &self.identity);
                }
                for mut event in self.deferred {
                    event.session = Some(handle.id().to_owned());
                    self.guard.record_detached(event);
                }
                Some(handle)
            }
            Err(error) => {
                tracing::warn!(target: "tollgate::session", %error, "session not opened");
                None
            }
        }
    }
}

impl Guard {
    /// Step 4 for one request.
    pub(crate) fn session_step(
        &self,
        parts: &Parts,
        identity: &Identity,
        payload: Option<&Payload>,
    ) -> Result<SessionStep, Box<Response<Bytes>>> {
        let registry = self.sessions();
        let header = parts
            .headers
            .get("mcp-session-id")
            .map(|v| v.to_str().unwrap_or(""));
        let client = payload.and_then(client_info);
        let protocol = payload
            .and_then(requested_protocol)
            .or_else(|| header_protocol(&parts.headers));
        let key = match header {
            Some(id) => SessionKey::legacy(id),
            None if payload.is_some_and(is_initialize) => {
                if let Some(until) =
                    registry.revoked_until(&identity.subject, identity.issuer.as_deref())
                {
                    return Err(refusal(&SessionError::Revoked { until }));
                }
                return Ok(SessionStep::OnResponse(Box::new(SessionOpener {
                    guard: self.clone(),
                    identity: identity.clone(),
                    client,
                    protocol,
                    deferred: Vec::new(),
                })));
            }
            None => SessionKey::stateless(identity, client.as_ref().map(|c| c.name.as_str())),
        };
        let handle = key
            .and_then(|key| registry.open_or_touch(&key, identity, client, protocol.as_deref()))
            .map_err(|error| {
                if error == SessionError::IdentityMismatch {
                    tracing::warn!(
                        target: "tollgate::session",
                        subject = %identity.subject,
                        "session id presented by an identity that does not own it"
                    );
                    self.record_session_mismatch(identity, parts);
                }
                refusal(&error)
            })?;
        if parts.method == Method::DELETE && header.is_some() {
            // The client ends its session; the request still goes to the server.
            if let Some(info) = registry.end(handle.key()) {
                self.record_session_ended(&info, crate::record::EndReason::Delete);
            }
        }
        Ok(SessionStep::Open(handle))
    }
}

fn refusal(error: &SessionError) -> Box<Response<Bytes>> {
    Box::new(replies::text(
        error.status(),
        &format!("{}: {error}", error.status()),
    ))
}

fn is_initialize(payload: &Payload) -> bool {
    payload
        .messages()
        .iter()
        .any(|m| m.method() == Some("initialize"))
}

/// The client's name and version: from `initialize`, or from the `_meta` every
/// 2026-07-28 request carries.
fn client_info(payload: &Payload) -> Option<ClientInfo> {
    payload.messages().iter().find_map(|message| {
        let params = message.params()?;
        let info = match message {
            Message::Request(r) if r.method == "initialize" => params.get("clientInfo"),
            _ => params
                .get("_meta")
                .and_then(Value::as_object)
                .and_then(|meta: &Map<String, Value>| meta.get(META_CLIENT_INFO)),
        }?;
        let name = info.get("name").and_then(Value::as_str)?;
        Some(ClientInfo::new(
            name,
            info.get("version").and_then(Value::as_str),
        ))
    })
}

fn requested_protocol(payload: &Payload) -> Option<String> {
    payload.messages().iter().find_map(|message| {
        let params = message.params()?;
        let version = params.get("protocolVersion").or_else(|| {
            params
                .get("_meta")?
                .get("io.modelcontextprotocol/protocolVersion")
        })?;
        version.as_str().map(str::to_owned)
    })
}

fn header_protocol(headers: &HeaderMap) -> Option<String> {
    headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}
