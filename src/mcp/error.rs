//! Why an MCP request body was refused, and how to say so on the wire.

use http::StatusCode;
use serde_json::{Value, json};

use super::codes;
use super::version::ProtocolVersion;

/// An MCP request that cannot be accepted. Each variant maps to the HTTP status and
/// JSON-RPC error code the MCP specification gives for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not JSON (`-32700`, HTTP 400).
    #[error("parse error: {0}")]
    Parse(String),
    /// The JSON is not an acceptable JSON-RPC message: bad envelope, duplicate or
    /// case-variant keys, or a batch where the revision forbids one (`-32600`, HTTP 400).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A mirrored header (`Mcp-Method`, `Mcp-Name`, `MCP-Protocol-Version`) disagrees
    /// with the body or is missing where required (`-32020`, HTTP 400).
    #[error("header mismatch: {0}")]
    HeaderMismatch(String),
    /// The request names a protocol revision tollgate does not know (`-32022`, HTTP 400).
    #[error("unsupported protocol version `{requested}`")]
    UnsupportedVersion {
        /// The revision the client asked for.
        requested: String,
    },
    /// The body is larger than the configured cap (HTTP 413).
    #[error("request body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The body could not be read from the connection (HTTP 400).
    #[error("could not read the request body: {0}")]
    Body(String),
}

impl DecodeError {
    /// The JSON-RPC error code of this refusal.
    pub fn code(&self) -> i64 {
        match self {
            DecodeError::Parse(_) | DecodeError::Body(_) => codes::PARSE_ERROR,
            DecodeError::InvalidRequest(_) | DecodeError::TooLarge { .. } => codes::INVALID_REQUEST,
            DecodeError::HeaderMismatch(_) => codes::HEADER_MISMATCH,
            DecodeError::UnsupportedVersion { .. } => codes::UNSUPPORTED_PROTOCOL_VERSION,
        }
    }

    /// The HTTP status of this refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            DecodeError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The `data` member of the JSON-RPC error, when the spec defines one.
    pub fn data(&self) -> Option<Value> {
        match self {
            DecodeError::UnsupportedVersion { requested } => Some(json!({
                "supported": ProtocolVersion::ALL.map(ProtocolVersion::as_str),
                "requested": requested,
            })),
            _ => None,
        }
    }
}
