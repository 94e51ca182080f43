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

/// 401 (or 503 when authentication itself is unavailable) with a Bearer challenge.
pub(crate) fn unauthorized(error: &AuthError) -> Response<Bytes> {
    let (status, challenge, reason) = match error {
        AuthError::NotRecognized => (
            StatusCode::UNAUTHORIZED,
            "Bearer",
            "Unauthorized: missing or unrecognised credentials",
        ),
        AuthError::Invalid(_) => (
            StatusCode::UNAUTHORIZED,
            "Bearer error=\"invalid_token\"",
            "Unauthorized: invalid credentials",
        ),
        AuthError::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Bearer",
            "Service Unavailable: authentication is unavailable",
        ),
    };
    let mut response = text(status, reason);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
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
