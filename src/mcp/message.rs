//! The JSON-RPC 2.0 message model MCP uses: requests, notifications and responses, single
//! or batched.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::codes;
use super::error::DecodeError;
use super::strict_json;

/// A JSON-RPC request id: a string or an integer (MCP forbids `null`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(String),
}

impl RequestId {
    fn from_value(value: &Value) -> Result<Self, DecodeError> {
        match value {
            Value::String(s) => Ok(RequestId::String(s.clone())),
            Value::Number(n) => n
                .as_i64()
                .map(RequestId::Number)
                .ok_or_else(|| DecodeError::InvalidRequest(format!("id {n} is not an integer"))),
            Value::Null => Err(DecodeError::InvalidRequest("id must not be null".into())),
            _ => Err(DecodeError::InvalidRequest(
                "id must be a string or an integer".into(),
            )),
        }
    }

    /// The id as a JSON value.
    pub fn to_value(&self) -> Value {
        match self {
            RequestId::Number(n) => Value::from(*n),
            RequestId::String(s) => Value::from(s.as_str()),
        }
    }

    /// Whether `value` (an `id` member of a message) is this id.
    pub fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (RequestId::Number(n), Value::Number(v)) => v.as_i64() == Some(*n),
            (RequestId::String(s), Value::String(v)) => s == v,
            _ => false,
        }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// A JSON-RPC request: it has a `method` and an `id`, and expects a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The request id.
    pub id: RequestId,
    /// The method, e.g. `tools/call`.
    pub method: String,
    /// The params object, when present.
    pub params: Option<Map<String, Value>>,
}

/// A JSON-RPC notification: a `method` and no `id`; it gets no response.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The method, e.g. `notifications/initialized`.
    pub method: String,
    /// The params object, when present.
    pub params: Option<Map<String, Value>>,
}

/// A JSON-RPC response (a result or an error) to a request of the other side.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The id of the request this answers; `None` only for an error whose request id
    /// could not be read.
    pub id: Option<RequestId>,
    /// `Ok(result)` or `Err(error object)`.
    pub outcome: Result<Value, Value>,
}

/// One JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response or error.
    Response(Response),
}

const ENVELOPE_KEYS: [&str; 6] = ["jsonrpc", "id", "method", "params", "result", "error"];

impl Message {
    /// Reads one message from a JSON value, checking the JSON-RPC envelope strictly:
    /// `jsonrpc` is `"2.0"`, no members beyond the envelope's, no two member names that
    /// differ only by case in the envelope, in `params` or anywhere inside
    /// `params.arguments` (a case-insensitive upstream would read another field than the
    /// one the policy saw).
    pub fn from_value(value: Value) -> Result<Self, DecodeError> {
        let Value::Object(mut object) = value else {
            return Err(DecodeError::InvalidRequest(
                "a JSON-RPC message must be an object".into(),
            ));
        };
        reject_case_variants(&object, "message")?;
        if let Some(key) = object.keys().find(|k| !ENVELOPE_KEYS.contains(&k.as_str())) {
            return Err(DecodeError::InvalidRequest(format!(
                "unexpected member `{key}` in a JSON-RPC message"
            )));
        }
        if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(DecodeError::InvalidRequest(
                "`jsonrpc` must be \"2.0\"".into(),
            ));
        }
        let id = object.remove("id");
        let params = match object.remove("params") {
            None => None,
            Some(Value::Object(params)) => {
                reject_case_variants(&params, "params")?;
                if let Some(arguments) = params.get("arguments") {
                    reject_case_variants_deep(arguments, "params.arguments")?;
                }
                Some(params)
            }
            Some(_) => {
                return Err(DecodeError::InvalidRequest(
                    "`params` must be an object".into(),
                ));
            }
        };
        match object.remove("method") {
            Some(Value::String(method)) => {
                if object.contains_key("result") || object.contains_key("error") {
                    return Err(DecodeError::InvalidRequest(
                        "a message cannot have both `method` and `result`/`error`".into(),
                    ));
                }
                match id {
                    None => Ok(Message::Notification(Notification { method, params })),
                    Some(id) => Ok(Message::Request(Request {
                        id: RequestId::from_value(&id)?,
                        method,
                        params,
                    })),
                }
            }
            Some(_) => Err(DecodeError::InvalidRequest(
                "`method` must be a string".into(),
            )),
            None => {
                if params.is_some() {
                    return Err(DecodeError::InvalidRequest(
                        "a response cannot have `params`".into(),
                    ));
                }
                let outcome = match (object.remove("result"), object.remove("error")) {
                    (Some(result), None) => Ok(result),
                    (None, Some(error)) => Err(error),
                    _ => {
                        return Err(DecodeError::InvalidRequest(
                            "a message needs `method`, or exactly one of `result` and `error`"
                                .into(),
                        ));
                    }
                };
                let id = match id {
                    Some(Value::Null) if outcome.is_err() => None,
                    Some(id) => Some(RequestId::from_value(&id)?),
                    None => {
                        return Err(DecodeError::InvalidRequest(
                            "a response needs an `id`".into(),
                        ));
                    }
                };
                Ok(Message::Response(Response { id, outcome }))
            }
        }
    }

    /// The method of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request(r) => Some(&r.method),
            Message::Notification(n) => Some(&n.method),
            Message::Response(_) => None,
        }
    }

    /// The params of a request or notification.
    pub fn params(&self) -> Option<&Map<String, Value>> {
        match self {
            Message::Request(r) => r.params.as_ref(),
            Message::Notification(n) => n.params.as_ref(),
            Message::Response(_) => None,
        }
    }

    /// The `_meta` object of the params, when present.
    pub fn meta(&self) -> Option<&Map<String, Value>> {
        self.params()?.get("_meta")?.as_object()
    }

    /// The protocol revision the message itself declares in
    /// `_meta["io.modelcontextprotocol/protocolVersion"]` (2026-07-28 and later).
    pub fn declared_version(&self) -> Option<&str> {
        self.meta()?.get(codes::META_PROTOCOL_VERSION)?.as_str()
    }

    /// The value the `Mcp-Name` header must mirror: `params.name` for `tools/call` and
    /// `prompts/get`, `params.uri` for `resources/read`.
    pub fn mirrored_name(&self) -> Option<&Value> {
        let key = match self.method()? {
            "tools/call" | "prompts/get" => "name",
            "resources/read" => "uri",
            _ => return None,
        };
        self.params()?.get(key)
    }

    /// The message as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        object.insert("jsonrpc".into(), Value::from("2.0"));
        match self {
            Message::Request(r) => {
                object.insert("id".into(), r.id.to_value());
                object.insert("method".into(), Value::from(r.method.as_str()));
                if let Some(p) = &r.params {
                    object.insert("params".into(), Value::Object(p.clone()));
                }
            }
            Message::Notification(n) => {
                object.insert("method".into(), Value::from(n.method.as_str()));
                if let Some(p) = &n.params {
                    object.insert("params".into(), Value::Object(p.clone()));
                }
            }
            Message::Response(r) => {
                object.insert(
                    "id".into(),
                    r.id.as_ref().map_or(Value::Null, RequestId::to_value),
                );
                match &r.outcome {
                    Ok(result) => object.insert("result".into(), result.clone()),
                    Err(error) => object.insert("error".into(), error.clone()),
                };
            }
        }
        Value::Object(object)
    }
}

/// A decoded POST body: one message, or a batch (JSON array) of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A single message.
    Single(Message),
    /// A JSON-RPC batch; never empty.
    Batch(Vec<Message>),
}

impl Payload {
    /// Parses a body: strict JSON (no duplicate keys, bounded nesting), then the JSON-RPC
    /// envelope of every message. Whether a batch is *allowed* depends on the protocol
    /// revision and is checked by [`check_request`](super::check_request).
    ///
    /// ```
    /// use tollgate::mcp::{Message, Payload};
    ///
    /// let body = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#;
    /// let Payload::Single(Message::Request(req)) = Payload::parse(body)? else { panic!() };
    /// assert_eq!(req.method, "tools/call");
    /// assert!(Payload::parse(br#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#).is_err());
    /// # Ok::<(), tollgate::mcp::DecodeError>(())
    /// ```
    pub fn parse(body: &[u8]) -> Result<Self, DecodeError> {
        let value = strict_json::parse(body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                DecodeError::Parse(e.to_string())
            } else {
                DecodeError::InvalidRequest(e.to_string())
            }
        })?;
        match value {
            Value::Array(items) => {
                if items.is_empty() {
                    return Err(DecodeError::InvalidRequest("empty batch".into()));
                }
                let messages = items
                    .into_iter()
                    .map(Message::from_value)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Payload::Batch(messages))
            }
            other => Message::from_value(other).map(Payload::Single),
        }
    }

    /// The messages of the payload.
    pub fn messages(&self) -> &[Message] {
        match self {
            Payload::Single(m) => std::slice::from_ref(m),
            Payload::Batch(ms) => ms,
        }
    }

    /// Whether the payload is a batch.
    pub fn is_batch(&self) -> bool {
        matches!(self, Payload::Batch(_))
    }

    /// The payload serialized as compact JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = match self {
            Payload::Single(m) => m.to_value(),
            Payload::Batch(ms) => Value::Array(ms.iter().map(Message::to_value).collect()),
        };
        // Serializing a `Value` to a Vec cannot fail: every key is a string.
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

fn reject_case_variants(object: &Map<String, Value>, place: &str) -> Result<(), DecodeError> {
    if object.len() < 2 {
        return Ok(());
    }
    let mut lowered: Vec<String> = object.keys().map(|k| k.to_lowercase()).collect();
    lowered.sort_unstable();
    let clash = lowered.windows(2).find_map(|pair| match pair {
        [a, b] if a == b => Some(a),
        _ => None,
    });
    if let Some(name) = clash {
        return Err(DecodeError::InvalidRequest(format!(
            "{place} has two members whose names differ only by case (`{name}`)"
        )));
    }
    Ok(())
}

fn reject_case_variants_deep(value: &Value, place: &str) -> Result<(), DecodeError> {
    match value {
        Value::Object(object) => {
            reject_case_variants(object, place)?;
            object
                .values()
                .try_for_each(|v| reject_case_variants_deep(v, place))
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|v| reject_case_variants_deep(v, place)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(body: &str) -> Result<Message, DecodeError> {
        match Payload::parse(body.as_bytes())? {
            Payload::Single(m) => Ok(m),
            Payload::Batch(_) => panic!("unexpected batch"),
        }
    }

    #[test]
    fn tells_requests_notifications_and_responses_apart() {
        let m = one(r#"{"jsonrpc":"2.0","id":"a","method":"tools/list"}"#).unwrap();
        assert!(
            matches!(m, Message::Request(Request { id: RequestId::String(ref s), .. }) if s == "a")
        );
        let m = one(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert!(matches!(m, Message::Notification(_)));
        let m = one(r#"{"jsonrpc":"2.0","id":0,"result":{"roots":[]}}"#).unwrap();
        assert!(matches!(
            m,
            Message::Response(Response { outcome: Ok(_), .. })
        ));
        let m =
            one(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#).unwrap();
        assert!(matches!(
            m,
            Message::Response(Response {
                id: None,
                outcome: Err(_)
            })
        ));
    }

    #[test]
    fn rejects_bad_envelopes_with_invalid_request() {
        for body in [
            r#"{"id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","extra":1}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
            r#"{"jsonrpc":"2.0","id":1,"result":{},"error":{}}"#,
            r#"{"jsonrpc":"2.0","result":{}}"#,
            r#""just a string""#,
            r#"[]"#,
        ] {
            let err = Payload::parse(body.as_bytes()).unwrap_err();
            assert_eq!(err.code(), codes::INVALID_REQUEST, "{body}: {err}");
        }
    }

    #[test]
    fn malformed_json_is_a_parse_error() {
        for body in [r#"{"jsonrpc":"2.0","#, "", "nope", "{\"a\":1}}"] {
            let err = Payload::parse(body.as_bytes()).unwrap_err();
            assert_eq!(err.code(), codes::PARSE_ERROR, "{body:?}: {err}");
        }
    }

    #[test]
    fn rejects_duplicate_and_case_variant_keys_that_drive_decisions() {
        for body in [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ls","name":"rm"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","Method":"x","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ls","Name":"rm"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sh","arguments":{"command":"ls","Command":"rm -rf /"}}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sh","arguments":{"opts":[{"mode":"a","MODE":"b"}]}}}"#,
        ] {
            let err = Payload::parse(body.as_bytes()).unwrap_err();
            assert_eq!(err.code(), codes::INVALID_REQUEST, "{body}: {err}");
        }
    }

    #[test]
    fn batches_parse_every_element() {
        let p = Payload::parse(
            br#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","method":"notifications/x"}]"#,
        )
        .unwrap();
        assert!(p.is_batch());
        assert_eq!(p.messages().len(), 2);
        assert!(Payload::parse(br#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"bad":1}]"#).is_err());
    }

    #[test]
    fn serialization_round_trips() {
        let body = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},"_meta":{"progressToken":"p"}}}"#;
        let p = Payload::parse(body).unwrap();
        assert_eq!(Payload::parse(&p.to_bytes()).unwrap(), p);
    }

    #[test]
    fn numbers_survive_a_round_trip() {
        // Found by fuzzing: without serde_json's float_roundtrip, large integers that
        // fall back to f64 lose their last digit when parsed again.
        let body = br#"{"jsonrpc":"2.0","method":"","params":{"":1840000000000000200001}}"#;
        let p = Payload::parse(body).unwrap();
        assert_eq!(Payload::parse(&p.to_bytes()).unwrap(), p);
    }

    #[test]
    fn reads_declared_version_and_mirrored_name() {
        let m = one(r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#).unwrap();
        assert_eq!(m.declared_version(), Some("2026-07-28"));
        assert_eq!(m.mirrored_name(), Some(&Value::from("echo")));
        let m = one(
            r#"{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"file:///a"}}"#,
        )
        .unwrap();
        assert_eq!(m.mirrored_name(), Some(&Value::from("file:///a")));
    }
}
