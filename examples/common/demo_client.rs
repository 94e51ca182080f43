//! The client side of the demo: connecting rmcp's real client and reading tool results.
//! Shared by the quickstart example and the integration tests (included with `#[path]`).
#![allow(dead_code)]

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    JsonObject, ProtocolVersion,
};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceError, ServiceExt};

/// A connected rmcp client (what [`connect`] returns).
pub type McpClient = RunningService<RoleClient, ClientConfig>;

/// Connects the rmcp Streamable-HTTP client to `url`.
///
/// `modern == false`: the legacy `initialize` handshake asking for 2025-11-25 (a session when
/// the server is stateful). `modern == true`: `server/discover` with 2026-07-28 and
/// self-contained per-request metadata (no session). With `bearer`, every request carries
/// `Authorization: Bearer <bearer>`.
pub async fn connect(url: &str, bearer: Option<&str>, modern: bool) -> anyhow::Result<McpClient> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
    if let Some(token) = bearer {
        config = config.auth_header(token);
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("tollgate-itest", "0.0.1"),
    );
    let client = if modern {
        info.serve_with_lifecycle(
            transport,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await?
    } else {
        info.with_protocol_version(ProtocolVersion::V_2025_11_25)
            .serve(transport)
            .await?
    };
    Ok(client)
}

/// Turns a JSON object literal into tool arguments. Panics on anything but an object.
pub fn args(value: serde_json::Value) -> JsonObject {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("tool arguments must be a JSON object, got {other}"),
    }
}

/// Calls tool `name` with `arguments` (a JSON object, or `null` for none).
pub async fn call(
    client: &McpClient,
    name: &str,
    arguments: serde_json::Value,
) -> Result<CallToolResult, ServiceError> {
    let mut params = CallToolRequestParams::new(name.to_owned());
    if !arguments.is_null() {
        params = params.with_arguments(args(arguments));
    }
    client.call_tool(params).await
}

/// The names of the tools the server lists, sorted.
pub async fn tool_names(client: &McpClient) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = client
        .list_all_tools()
        .await?
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    Ok(names)
}

/// The text of every text content block of a tool result.
pub fn texts(result: &CallToolResult) -> Vec<String> {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

/// The text of the first text content block. Panics when there is none.
pub fn first_text(result: &CallToolResult) -> String {
    texts(result)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no text content in {result:?}"))
}
