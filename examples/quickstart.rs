//! tollgate in one run: an rmcp server behind `GuardLayer` on 127.0.0.1, a TOML policy,
//! and rmcp's own client calling as two identities. Prints what happened to every call
//! and exits 0 when each outcome is what the policy says (1 otherwise).
//!
//! Run it with `cargo run --example quickstart`.
//!
//! With `--audit PATH` (`cargo run --example quickstart -- --audit audit.jsonl`) the
//! guard also records every session to a hash-chained JSON Lines trail at PATH
//! (appending, and continuing its chain, when PATH already holds a trail). Its
//! checkpoints are HMAC-signed with the fixed demo key [`DEMO_AUDIT_KEY`] — a real
//! deployment keeps its own secret key away from the log. At the end the recorder is
//! shut down, which seals the trail with a checkpoint; the quickstart checks that the
//! trail verifies under the key and holds what the policy decided, then prints its
//! replay. Look at it again with the CLI:
//!
//! ```text
//! printf %s quickstart-demo-audit-key > demo.key
//! cargo run -- verify audit.jsonl --key demo.key --sealed
//! cargo run -- replay audit.jsonl
//! cargo run -- report audit.jsonl --format html > report.html
//! ```

#[path = "common/demo_client.rs"]
mod demo_client;
#[path = "common/demo_server.rs"]
mod demo_server;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use demo_client::{McpClient, call, connect, first_text, tool_names};
use rmcp::ServiceError;
use rmcp::model::CallToolResult;
use serde_json::json;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::policy::Action;
use tollgate::record::reader::Events;
use tollgate::record::replay::{ReplayOptions, render_replay};
use tollgate::record::verify::verify_files_with;
use tollgate::record::{EventBody, JsonlSink, Recorder, SinkPolicy, VerifyOptions};
use tollgate::{Event, Guard, GuardLayer, Identity, Policy};

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

/// The HMAC key that signs the demo trail's checkpoints. Fixed so that the printed
/// `tollgate verify --key` command works; never reuse it for a real trail.
const DEMO_AUDIT_KEY: &str = "quickstart-demo-audit-key";

/// The tools whose calls the policy allows in this run: each must leave a result in the
/// trail.
const ALLOWED_TOOLS: [&str; 3] = ["crm.find_customer", "whoami", "db.query"];

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
    let audit = audit_path()?;
    let recorder = match &audit {
        Some(path) => {
            let sink = JsonlSink::builder(path)
                .hmac_key(DEMO_AUDIT_KEY.as_bytes())
                .build()?;
            Some(
                Recorder::builder()
                    .sink(Arc::new(sink), SinkPolicy::Required)
                    .build()?,
            )
        }
        None => None,
    };
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
    let mut builder = Guard::builder()
        .policy(Policy::from_toml_str(POLICY)?)
        .authenticator(keys);
    if let Some(recorder) = &recorder {
        builder = builder.recorder(recorder.clone());
    }
    let guard = builder.build()?;

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

    if let (Some(path), Some(recorder)) = (&audit, recorder) {
        surprises += check_trail(path, recorder).await?;
    }

    if surprises > 0 {
        println!("\n{surprises} outcome(s) differ from the policy");
        std::process::exit(1);
    }
    println!("\nevery outcome matches the policy");
    Ok(())
}

/// `--audit PATH`, when given (`--help` prints the usage and exits).
fn audit_path() -> anyhow::Result<Option<PathBuf>> {
    const USAGE: &str = "usage: quickstart [--audit PATH]";
    let mut args = std::env::args().skip(1);
    let mut path = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--audit" => match args.next() {
                Some(p) => path = Some(PathBuf::from(p)),
                None => anyhow::bail!("--audit needs a PATH\n{USAGE}"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => match other.strip_prefix("--audit=") {
                Some(p) if !p.is_empty() => path = Some(PathBuf::from(p)),
                _ => anyhow::bail!("unexpected argument `{other}`\n{USAGE}"),
            },
        }
    }
    Ok(path)
}

/// Waits for the results recorded off the request path, seals the trail by shutting
/// the recorder down, checks it, and prints its replay. Returns the number of things
/// that are not as they should be.
async fn check_trail(path: &Path, recorder: Recorder) -> anyhow::Result<u32> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        recorder.flush().await?;
        let events = read_trail(path)?;
        let all_results = ALLOWED_TOOLS
            .iter()
            .all(|tool| events.iter().any(|e| result_tool(e) == Some(tool)));
        if all_results || tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    recorder.shutdown().await?;

    let mut surprises = 0;
    let options = VerifyOptions::new()
        .key(DEMO_AUDIT_KEY.as_bytes())
        .require_sealed(true);
    let verified = verify_files_with(&[path], &options)?;
    if verified.is_intact() {
        println!(
            "\naudit trail {}: intact, {} events, {} signed checkpoint(s)",
            path.display(),
            verified.events,
            verified.signed_checkpoints
        );
    } else {
        println!("\naudit trail {}: NOT intact", path.display());
        for finding in &verified.findings {
            println!("  {finding}");
        }
        surprises += 1;
    }

    let events = read_trail(path)?;
    for tool in ALLOWED_TOOLS {
        if !events.iter().any(|e| result_tool(e) == Some(tool)) {
            println!("  the trail holds no result of {tool}");
            surprises += 1;
        }
    }
    let drop_denied = events.iter().any(|e| match &e.body {
        EventBody::Call(c) => {
            c.tool.as_deref() == Some("db.drop_table")
                && c.decision.action == Action::Deny
                && c.decision.rule.as_deref() == Some("no-drops")
        }
        _ => false,
    });
    if !drop_denied {
        println!("  the trail does not show db.drop_table denied by no-drops");
        surprises += 1;
    }
    let card_redacted = events.iter().any(|e| match &e.body {
        EventBody::Result(r) => {
            r.tool.as_deref() == Some("crm.find_customer")
                && r.redactions.contains_key("CREDIT_CARD")
        }
        _ => false,
    });
    if !card_redacted {
        println!("  the trail does not show the customer's card number redacted");
        surprises += 1;
    }
    if std::fs::read_to_string(path)?.contains(demo_server::DEMO_CARD_NUMBER) {
        println!("  the trail holds the raw card number");
        surprises += 1;
    }

    println!("\n--- replay of {} ---\n", path.display());
    let mut out = std::io::stdout().lock();
    render_replay(&events, &ReplayOptions::new(), &mut out)?;
    Ok(surprises)
}

/// Every event of the trail at `path`, in order.
fn read_trail(path: &Path) -> anyhow::Result<Vec<Event>> {
    let mut events = Vec::new();
    for item in Events::open(path)? {
        events.push(item?.1);
    }
    Ok(events)
}

/// The tool of a recorded result.
fn result_tool(event: &Event) -> Option<&str> {
    match &event.body {
        EventBody::Result(r) => r.tool.as_deref(),
        _ => None,
    }
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
