//! Replies tollgate writes itself: JSON-RPC errors, `isError` tool results, and their
//! encoding as a JSON body or a one-event SSE stream.

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::message::RequestId;
use super::version::ProtocolVersion;

/// The body format of a synthesized reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyFormat {
    /// `application/json`.
    Json,
    /// `text/event-stream`, one event.
    Sse,
}

impl ReplyFormat {
    /// The format a client with this `Accept` header takes: JSON unless the client
    /// accepts only event streams. (MCP clients must accept both; JSON is the simpler.)
    pub fn for_accept(accept: Option<&str>) -> Self {
        let Some(accept) = accept else {
            return ReplyFormat::Json;
        };
        let mut json = false;
        let mut sse = false;
        for item in accept.split(',') {
            let media = item.split(';').next().unwrap_or("").trim();
            if media.eq_ignore_ascii_case("application/json")
                || media == "*/*"
                || media.eq_ignore_ascii_case("application/*")
            {
                json = true;
            } else if media.eq_ignore_ascii_case("text/event-stream") {
                sse = true;
            }
        }
        if sse && !json {
            ReplyFormat::Sse
        } else {
            ReplyFormat::Json
        }
    }

    /// The `Content-Type` of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            ReplyFormat::Json => "application/json",
            ReplyFormat::Sse => "text/event-stream",
        }
    }

    /// Encodes one JSON value (a message or a batch of them) in this format.
    pub fn encode(self, value: &Value) -> Bytes {
        // Serializing a `Value` cannot fail.
        let json = serde_json::to_vec(value).unwrap_or_default();
        match self {
            ReplyFormat::Json => Bytes::from(json),
            ReplyFormat::Sse => {
                let mut out = Vec::with_capacity(json.len() + 8);
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(&json);
                out.extend_from_slice(b"\n\n");
                Bytes::from(out)
            }
        }
    }
}

/// The media type of a message's `Content-Type` header, lowercased, without parameters
/// (`application/json; charset=utf-8` is `application/json`); empty when absent.
pub fn media_type(headers: &http::HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// A JSON-RPC error response. `id` is `None` when the request's id could not be read.
pub fn error_response(
    id: Option<&RequestId>,
    code: i64,
    message: &str,
    data: Option<Value>,
) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), Value::from(code));
    error.insert("message".into(), Value::from(message));
    if let Some(data) = data {
        error.insert("data".into(), data);
    }
    json!({
        "jsonrpc": "2.0",
        "id": id.map_or(Value::Null, RequestId::to_value),
        "error": Value::Object(error),
    })
}

/// A successful JSON-RPC response whose result is a `CallToolResult` with
/// `isError: true` and `text` as its only content: how a tool execution error is
/// reported, so the model sees the reason and can adapt. 2026-07-28 results carry
/// `resultType: "complete"`.
pub fn tool_error_response(id: &RequestId, text: &str, version: ProtocolVersion) -> Value {
    let mut result = json!({
        "content": [{ "type": "text", "text": text }],
        "isError": true,
    });
    if version.is_stateless()
        && let Value::Object(r) = &mut result
    {
        r.insert("resultType".into(), Value::from("complete"));
    }
    json!({ "jsonrpc": "2.0", "id": id.to_value(), "result": result })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_prefers_json() {
        assert_eq!(ReplyFormat::for_accept(None), ReplyFormat::Json);
        assert_eq!(
            ReplyFormat::for_accept(Some("application/json, text/event-stream")),
            ReplyFormat::Json
        );
        assert_eq!(
            ReplyFormat::for_accept(Some("text/event-stream")),
            ReplyFormat::Sse
        );
        assert_eq!(
            ReplyFormat::for_accept(Some("text/event-stream;q=1, */*;q=0.1")),
            ReplyFormat::Json
        );
    }

    #[test]
    fn tool_errors_carry_result_type_only_in_2026() {
        let id = RequestId::Number(5);
        let old = tool_error_response(&id, "Blocked by policy: no", ProtocolVersion::V2025_11_25);
        assert_eq!(old["result"]["isError"], true);
        assert!(old["result"].get("resultType").is_none());
        let new = tool_error_response(&id, "x", ProtocolVersion::V2026_07_28);
        assert_eq!(new["result"]["resultType"], "complete");
        assert_eq!(new["id"], 5);
    }

    #[test]
    fn sse_encoding_is_one_event() {
        let bytes = ReplyFormat::Sse.encode(&json!({"a":1}));
        assert_eq!(&bytes[..], b"data: {\"a\":1}\n\n");
    }

    #[test]
    fn errors_without_an_id_say_null() {
        let e = error_response(None, -32700, "parse error", None);
        assert_eq!(e["id"], Value::Null);
        assert_eq!(e["error"]["code"], -32700);
    }
}
