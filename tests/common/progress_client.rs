//! An rmcp client that keeps every progress notification it receives, for tests of calls
//! held for approval (the guard reports "awaiting approval" through the client's own
//! progress token).

use std::sync::{Arc, Mutex};

use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, ProgressNotificationParam, ProtocolVersion,
};
use rmcp::service::{NotificationContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, RoleClient, ServiceExt};

/// The progress messages received so far, in order.
#[derive(Clone, Default)]
pub struct ProgressLog(Arc<Mutex<Vec<String>>>);

impl ProgressLog {
    /// Every message received so far.
    pub fn messages(&self) -> Vec<String> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// The client handler: default behaviour, plus the progress log.
#[derive(Clone, Default)]
pub struct ProgressClient {
    log: ProgressLog,
}

impl ClientHandler for ProgressClient {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("tollgate-itest-progress", "0.0.1"),
        )
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        if let Ok(mut log) = self.log.0.lock() {
            log.push(params.message.unwrap_or_default());
        }
    }
}

/// A connected progress-logging client.
pub type ProgressMcpClient = RunningService<RoleClient, ProgressClient>;

/// Connects with the legacy handshake (2025-11-25), bearer `bearer`; returns the client and
/// its progress log.
pub async fn connect_logging_progress(
    url: &str,
    bearer: &str,
) -> anyhow::Result<(ProgressMcpClient, ProgressLog)> {
    let config = StreamableHttpClientTransportConfig::with_uri(url).auth_header(bearer);
    let transport = StreamableHttpClientTransport::from_config(config);
    let handler = ProgressClient::default();
    let log = handler.log.clone();
    let client = handler.serve(transport).await?;
    Ok((client, log))
}
