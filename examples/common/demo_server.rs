//! A small MCP server used by the quickstart example and the integration tests.
//!
//! Include it with `#[path = "common/demo_server.rs"] mod demo_server;` (from an example) or
//! `#[path = "../examples/common/demo_server.rs"] mod demo_server;` (from a test).
//!
//! Tools:
//! * `crm.find_customer` `{name}`: a fake customer record as JSON text (email, phone and a
//!   test card number: redaction targets);
//! * `db.query` `{sql}`: `ran: <sql>` plus two fake rows;
//! * `db.drop_table` `{table}`: `dropped <table>` (a typical thing to block);
//! * `echo` `{text}`: the text;
//! * `whoami` `{}`: `{"subject": ..., "authorization_header_present": ...}`, from the HTTP
//!   request parts rmcp passes to handlers (the [`tollgate::Identity`] the layer inserted, and
//!   whether an `Authorization` header reached the server);
//! * `slow` `{}`: two `notifications/progress` (when the request has a progress token),
//!   then `done`, so the response is a multi-event SSE stream.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ProgressNotificationParam, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router,
};
use serde::Deserialize;

/// The fake card number `crm.find_customer` returns (a well-known test number).
pub const DEMO_CARD_NUMBER: &str = "4111 1111 1111 1111";

/// The names of all the demo tools, sorted.
pub const DEMO_TOOLS: [&str; 6] = [
    "crm.find_customer",
    "db.drop_table",
    "db.query",
    "echo",
    "slow",
    "whoami",
];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct FindCustomerArgs {
    /// The customer's name.
    pub name: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct QueryArgs {
    /// The SQL to run.
    pub sql: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DropTableArgs {
    /// The table to drop.
    pub table: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct EchoArgs {
    /// The text to send back.
    pub text: String,
}

/// The demo MCP server. Stateless: a fresh value serves each session (or each request).
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoServer;

fn text_result(text: impl Into<String>) -> Result<CallToolResult, McpError> {
    Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
}

fn json_text(value: &serde_json::Value) -> Result<CallToolResult, McpError> {
    text_result(value.to_string())
}

/// A deterministic fake customer id derived from the name.
fn customer_id(name: &str) -> String {
    let n = name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("cus_{:08x}", n)
}

#[tool_router]
impl DemoServer {
    #[tool(
        name = "crm.find_customer",
        description = "Look up a customer record by name"
    )]
    async fn find_customer(
        &self,
        Parameters(FindCustomerArgs { name }): Parameters<FindCustomerArgs>,
    ) -> Result<CallToolResult, McpError> {
        let local = name
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(".");
        let local = if local.is_empty() {
            "customer".to_owned()
        } else {
            local
        };
        json_text(&serde_json::json!({
            "id": customer_id(&name),
            "name": name,
            "email": format!("{local}@example.com"),
            "phone": "+1 415 555 0134",
            "card_number": DEMO_CARD_NUMBER,
            "tier": "gold",
        }))
    }

    #[tool(name = "db.query", description = "Run a read-only SQL query")]
    async fn db_query(
        &self,
        Parameters(QueryArgs { sql }): Parameters<QueryArgs>,
    ) -> Result<CallToolResult, McpError> {
        let rows = serde_json::json!([
            {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com"},
            {"id": 2, "name": "Alan Turing", "email": "alan@example.com"},
        ]);
        text_result(format!("ran: {sql}\n{rows}"))
    }

    #[tool(name = "db.drop_table", description = "Drop a database table")]
    async fn db_drop_table(
        &self,
        Parameters(DropTableArgs { table }): Parameters<DropTableArgs>,
    ) -> Result<CallToolResult, McpError> {
        text_result(format!("dropped {table}"))
    }

    #[tool(description = "Send the text back")]
    async fn echo(
        &self,
        Parameters(EchoArgs { text }): Parameters<EchoArgs>,
    ) -> Result<CallToolResult, McpError> {
        text_result(text)
    }

    #[tool(description = "Report who the server thinks is calling")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> Result<CallToolResult, McpError> {
        let parts = ctx.extensions.get::<http::request::Parts>();
        let subject = parts
            .and_then(|p| p.extensions.get::<tollgate::Identity>())
            .map(|id| id.subject.clone());
        let authorization_header_present =
            parts.is_some_and(|p| p.headers.contains_key(http::header::AUTHORIZATION));
        json_text(&serde_json::json!({
            "subject": subject,
            "authorization_header_present": authorization_header_present,
        }))
    }

    #[tool(description = "Report progress twice, then finish")]
    async fn slow(&self, ctx: RequestContext<RoleServer>) -> Result<CallToolResult, McpError> {
        if let Some(token) = ctx.meta.get_progress_token() {
            for step in 1..=2u32 {
                let param = ProgressNotificationParam::new(token.clone(), f64::from(step))
                    .with_total(2.0)
                    .with_message(format!("step {step}"));
                ctx.peer
                    .notify_progress(param)
                    .await
                    .map_err(|e| McpError::internal_error(e.to_string(), None))?;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        text_result("done")
    }
}

#[tool_handler]
impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("tollgate-demo", "0.1.0"))
    }
}

/// The demo server as an rmcp Streamable-HTTP service.
///
/// `stateless == false`: legacy session mode (an `initialize` creates a session, responses are
/// SSE). `stateless == true`: every request is served on its own; `json_response` then picks
/// `application/json` replies over SSE when the handler sends nothing before its result.
/// SSE keep-alives are off. rmcp's default allowed hosts (localhost, 127.0.0.1, ::1) apply.
pub fn mcp_service(
    stateless: bool,
    json_response: bool,
) -> StreamableHttpService<DemoServer, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(!stateless)
        .with_json_response(json_response)
        .with_sse_keep_alive(None);
    StreamableHttpService::new(
        || Ok(DemoServer),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}
