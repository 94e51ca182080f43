//! The HTTP responses the guard writes itself.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use serde_json::Value;

use crate::identity::AuthError;
use crate::mcp::{DecodeError, ReplyFormat, RequestId, error_response};

fn build(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A plain-text refusal (transport problems, where no JSON-RPC message was read).
pub(crate) fn text(status: StatusCode, reason: &str) -> Response<Bytes> {
    build(
        status,
        "text/plain; charset=utf-8",
        Bytes::copy_from_slice(reason.as_bytes()),
    )
}

/// A JSON-RPC reply (a message or a batch) in the client's format.
pub(crate) fn jsonrpc(status: StatusCode, format: ReplyFormat, value: &Value) -> Response<Bytes> {
    let mut response = build(status, format.content_type(), format.encode(value));
    if format == ReplyFormat::Sse {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// The refusal of a body that could not be accepted, with the spec's status and code.
pub(crate) fn undecodable(error: &DecodeError, id: Option<&RequestId>) -> Response<Bytes> {
    let value = error_response(id, error.code(), &error.to_string(), error.data());
    jsonrpc(error.status(), ReplyFormat::Json, &value)
}

/// A quoted-string of an HTTP auth parameter (RFC 9110 §11.2), with `"` and `\\`
/// escaped and control characters dropped.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The `WWW-Authenticate` value: `Bearer` and the parameters that are set.
pub(crate) fn bearer_challenge(params: &[(&str, Option<&str>)]) -> Option<HeaderValue> {
    let params: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={}", quoted(v))))
        .collect();
    let value = if params.is_empty() {
        "Bearer".to_owned()
    } else {
        format!("Bearer {}", params.join(", "))
    };
    HeaderValue::from_str(&value).ok()
}

/// 403 `insufficient_scope` naming the scopes the call needs (MCP step-up
/// authorization).
pub(crate) fn insufficient_scope(
    scopes: &[String],
    resource_metadata: Option<&str>,
) -> Response<Bytes> {
    let scope = scopes.join(" ");
    let mut response = text(
        StatusCode::FORBIDDEN,
        "Forbidden: the token lacks the scopes this call needs",
    );
    let challenge = bearer_challenge(&[
        ("error", Some("insufficient_scope")),
        ("scope", Some(&scope)),
        ("resource_metadata", resource_metadata),
        (
            "error_description",
            Some("Additional scopes are required for this tool"),
        ),
    ]);
    if let Some(challenge) = challenge {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// 401 (or 503 when authentication itself is unavailable) with a Bearer challenge
/// pointing at the protected-resource metadata, when configured.
pub(crate) fn unauthorized(
    error: &AuthError,
    resource_metadata: Option<&str>,
    scope: Option<&str>,
) -> Response<Bytes> {
    let (status, error_code, reason) = match error {
        AuthError::NotRecognized => (
            StatusCode::UNAUTHORIZED,
            None,
            "Unauthorized: missing or unrecognised credentials",
        ),
        AuthError::Invalid(_) => (
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "Unauthorized: invalid credentials",
        ),
        AuthError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "Service Unavailable: authentication is unavailable",
        ),
    };
    let mut response = text(status, reason);
    let challenge = bearer_challenge(&[
        ("resource_metadata", resource_metadata),
        ("scope", scope),
        ("error", error_code),
    ]);
    if let Some(challenge) = challenge {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

/// A gRPC refusal: HTTP 200 with the status in the headers (a trailers-only response).
pub(crate) fn grpc(code: u8, message: &'static str) -> Response<Bytes> {
    let mut response = build(StatusCode::OK, "application/grpc", Bytes::new());
    let headers = response.headers_mut();
    headers.insert("grpc-status", HeaderValue::from(u16::from(code)));
    headers.insert("grpc-message", HeaderValue::from_static(message));
    response
}
