//! JSON-RPC error codes and MCP constants tollgate emits or reads.

/// Invalid JSON was received (`-32700`).
pub const PARSE_ERROR: i64 = -32700;
/// The JSON is not a valid request object (`-32600`).
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist (`-32601`).
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters; also MCP's "Unknown tool" (`-32602`).
pub const INVALID_PARAMS: i64 = -32602;
/// Internal JSON-RPC error (`-32603`).
pub const INTERNAL_ERROR: i64 = -32603;
/// MCP 2026-07-28: a mirrored header disagrees with the body (`-32020`).
pub const HEADER_MISMATCH: i64 = -32020;
/// MCP 2026-07-28: the requested protocol revision is not supported (`-32022`).
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// tollgate's own code for a call denied by policy, used when the deployment chooses
/// JSON-RPC errors over `isError` results. It lies outside the range JSON-RPC reserves
/// (`-32768..=-32000`), as the MCP error-code policy asks.
pub const POLICY_DENIED: i64 = -31001;
/// tollgate's own code for a batch element that was not executed because another
/// element of the same batch was refused.
pub const BATCH_REFUSED: i64 = -31002;

/// `_meta` key of the protocol revision (2026-07-28).
pub const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

/// The `MCP-Protocol-Version` request header.
pub const HEADER_PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// The `Mcp-Session-Id` header.
pub const HEADER_SESSION_ID: &str = "mcp-session-id";
/// The `Mcp-Method` request header (2026-07-28).
pub const HEADER_METHOD: &str = "mcp-method";
/// The `Mcp-Name` request header (2026-07-28).
pub const HEADER_NAME: &str = "mcp-name";
