//! The MCP wire model: JSON-RPC messages for every protocol revision, strict decoding,
//! request checks against the mirrored headers, synthesized replies, and the incremental
//! SSE parser and writer.
//!
//! Everything here is pure (no I/O): the layer feeds it bytes and headers.

mod check;
pub mod codes;
mod error;
mod message;
mod reply;
pub mod sse;
pub(crate) mod strict_json;
mod version;

pub use check::{check_request, header_version};
pub use error::DecodeError;
pub use message::{Message, Notification, Payload, Request, RequestId, Response};
pub use reply::{ReplyFormat, error_response, media_type, tool_error_response};
pub use version::ProtocolVersion;
