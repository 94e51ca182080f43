//! tollgate in one run: an rmcp server behind `GuardLayer` on 127.0.0.1, a TOML policy,
//! and rmcp's own client calling as two identities. Prints what happened to every call
//! and exits 0 when each outcome is what the policy says (1 otherwise).
//!
//! Run it with `cargo run --example quickstart`.

#[path = "common/demo_client.rs"]
mod demo_client;
#[path = "common/demo_server.rs"]
mod demo_server;

use demo_client::{McpClient, call, connect, first_text, tool_names};
use rmcp::ServiceError;
use rmcp::model::CallToolResult;
use serde_json::json;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};

/// The demo policy: support staff read customers; analysts (AI agents here) query the
/// database, writes need a DBA's approval, and nobody drops tables through the gateway.
const POLICY: &str = r#"
version = 1
default = "deny"

[[label]]
name = "sql-writes"
tools = ["db.query"]
args = [{ pointer = "/sql", regex = "(?i)\\b(insert|update|delete|drop|alter|truncate)\\b" }]
labels = ["sql.write"]
risk = "high"

[[allow]]
name = "support-reads-customers"
groups = ["support"]
tools = ["crm.*", "echo", "whoami"]

[[allow]]
name = "analysts-use-the-database"
groups = ["analysts"]
tools = ["db.*", "echo", "whoami"]

[[approve]]
name = "writes-need-a-dba"
groups = ["analysts"]
tools = ["db.query"]
labels = ["sql.write"]
reviewers = ["dba"]
reason = "SQL writes need a DBA's approval"

[[deny]]
name = "no-drops"
tools = ["db.drop_*"]
reason = "dropping tables is never allowed through the gateway"
"#;

const ALICE_KEY: &str = "k_alice_support_7d3f9a2c51e8";
const BOT_KEY: &str = "k_report_bot_0b6e4d1a9c37";

/// What the policy promises for a call.
enum Expect {
    Allowed,
    Blocked,
    NeedsApproval,
    Hidden,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            ALICE_KEY,
            Identity::new("alice@example.com", IdentityKind::User).with_groups(["support"]),
        )
        .key(
            BOT_KEY,
            Identity::new("report-bot", IdentityKind::Agent).with_groups(["analysts"]),
        )
        .build()?;
    let guard = Guard::builder()
        .policy(Policy::from_toml_str(POLICY)?)
        .authenticator(keys)
        .build()?;

    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard))
        .service(demo_server::mcp_service(false, false));
    let app = axum::Router::new().nest_service("/mcp", guarded);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/mcp", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("MCP server behind tollgate at {url}\n");

    let mut surprises = 0;

    let alice = connect(&url, Some(ALICE_KEY), false).await?;
    println!(
        "alice@example.com (user, group support) sees {:?}",
        tool_names(&alice).await?
    );
    surprises += run(
        &alice,
        "crm.find_customer",
        json!({"name": "Jane Doe"}),
        Expect::Allowed,
    )
    .await;
    surprises += run(&alice, "whoami", json!({}), Expect::Allowed).await;
    surprises += run(
        &alice,
        "db.query",
        json!({"sql": "SELECT * FROM customers"}),
        Expect::Hidden,
    )
    .await;
    alice.cancel().await?;

    let bot = connect(&url, Some(BOT_KEY), true).await?;
    println!(
        "\nreport-bot (agent, group analysts; stateless 2026-07-28 client) sees {:?}",
        tool_names(&bot).await?
    );
    surprises += run(
        &bot,
        "db.query",
        json!({"sql": "SELECT name FROM customers LIMIT 5"}),
        Expect::Allowed,
    )
    .await;
    surprises += run(
        &bot,
        "db.query",
        json!({"sql": "DELETE FROM customers"}),
        Expect::NeedsApproval,
    )
    .await;
    surprises += run(
        &bot,
        "db.drop_table",
        json!({"table": "customers"}),
        Expect::Blocked,
    )
    .await;
    surprises += run(
        &bot,
        "crm.find_customer",
        json!({"name": "Jane Doe"}),
        Expect::Hidden,
    )
    .await;
    bot.cancel().await?;

    match connect(&url, Some("k_not_a_real_key_000000"), false).await {
        Ok(_) => {
            println!("\nunknown key: connected (unexpected)");
            surprises += 1;
        }
        Err(e) => println!("\nunknown key: refused ({e})"),
    }

    if surprises > 0 {
        println!("\n{surprises} outcome(s) differ from the policy");
        std::process::exit(1);
    }
    println!("\nevery outcome matches the policy");
    Ok(())
}

/// Calls `tool`, prints the outcome, and returns 1 when it is not the expected one.
async fn run(client: &McpClient, tool: &str, arguments: serde_json::Value, expect: Expect) -> u32 {
    let outcome = call(client, tool, arguments).await;
    let (line, as_expected) = describe(&outcome, &expect);
    println!("  {tool:<18} {line}");
    u32::from(!as_expected)
}

fn describe(outcome: &Result<CallToolResult, ServiceError>, expect: &Expect) -> (String, bool) {
    match outcome {
        Ok(result) if result.is_error != Some(true) => {
            let text = first_text(result);
            let short: String = text
                .replace(char::is_whitespace, " ")
                .chars()
                .take(70)
                .collect();
            (
                format!("allowed -> {short}"),
                matches!(expect, Expect::Allowed),
            )
        }
        Ok(result) => {
            let text = first_text(result);
            let ok = match expect {
                Expect::Blocked => text.starts_with("Blocked by policy"),
                Expect::NeedsApproval => text.starts_with("Approval required"),
                _ => false,
            };
            (format!("refused -> {text}"), ok)
        }
        Err(ServiceError::McpError(e)) => (
            format!("error {} -> {}", e.code.0, e.message),
            matches!(expect, Expect::Hidden) && e.code.0 == -32602,
        ),
        Err(e) => (format!("failed -> {e}"), false),
    }
}
