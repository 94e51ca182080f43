//! Classification end to end: rmcp's client calls `db.query` through the layer, the SQL
//! inspector parses the statement, and the policy decides on the labels it found.

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;

use common::*;
use serde_json::json;
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};

const POLICY: &str = r#"
version = 1

[classify]
sensitive_tables = ["customers"]

[[inspect]]
tools = ["db.query"]
pointer = "/sql"
kind = "sql"
dialect = "postgres"

[[allow]]
name = "analysts"
groups = ["analysts"]
tools = ["db.query"]

[[deny]]
name = "no-ddl"
labels = ["sql.ddl"]
reason = "schema changes are not allowed"

[[deny]]
name = "no-secrets"
tables = ["secret*"]
reason = "the secrets tables are off limits"

[[deny]]
name = "unreadable"
labels = ["sql.unparsed", "unicode.suspicious"]
reason = "the statement could not be read"

[[approve]]
name = "bulk-reads-need-approval"
groups = ["analysts"]
labels = ["sql.bulk_read"]
reason = "bulk reads of customer data need approval"
"#;

const KEY: &str = "k_bot_analysts_0123456789";

async fn client() -> McpClient {
    let keys = ApiKeyAuthenticator::builder()
        .key(
            KEY,
            Identity::new("report-bot", IdentityKind::Agent).with_groups(["analysts"]),
        )
        .build()
        .unwrap();
    let guard = Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(keys)
        .build()
        .unwrap();
    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard))
        .service(demo_server::mcp_service(true, true));
    let addr = serve(axum::Router::new().nest_service("/mcp", guarded)).await;
    connect(&url(addr, "/mcp"), Some(KEY), true).await.unwrap()
}

async fn outcome(client: &McpClient, sql: &str) -> String {
    let result = call(client, "db.query", json!({ "sql": sql }))
        .await
        .unwrap();
    first_text(&result)
}

#[tokio::test]
async fn ddl_is_blocked_however_it_is_spelled() {
    let client = client().await;
    for sql in [
        "DROP/**/TABLE users",
        "dRoP table users",
        "SELECT 1; DROP TABLE users",
        "SELECT 1 -- harmless\n; DROP TABLE users",
        "WITH x AS (SELECT 1) SELECT * FROM x LIMIT 1; ALTER TABLE users ADD COLUMN pwned int",
    ] {
        assert_eq!(
            outcome(&client, sql).await,
            "Blocked by policy: schema changes are not allowed",
            "{sql}"
        );
    }
}

#[tokio::test]
async fn bulk_reads_of_sensitive_tables_are_held_for_approval() {
    let client = client().await;
    let held = outcome(&client, "SELECT * FROM customers").await;
    assert!(
        held.starts_with(
            "Approval required by rule `bulk-reads-need-approval`: bulk reads of customer data need approval. Ticket "
        ),
        "{held}"
    );
    assert!(
        outcome(&client, "SELECT name FROM customers LIMIT 5")
            .await
            .starts_with("ran: SELECT name FROM customers LIMIT 5")
    );
}

#[tokio::test]
async fn rules_can_match_the_tables_a_statement_touches() {
    let client = client().await;
    assert_eq!(
        outcome(&client, "SELECT v FROM public.secret_keys LIMIT 1").await,
        "Blocked by policy: the secrets tables are off limits"
    );
    assert_eq!(
        outcome(
            &client,
            "SELECT 1 FROM orders o JOIN (SELECT * FROM secrets) s ON true LIMIT 1"
        )
        .await,
        "Blocked by policy: the secrets tables are off limits"
    );
}

#[tokio::test]
async fn unparseable_sql_is_never_allowed_silently() {
    let client = client().await;
    // A Cyrillic О in DROP cannot be parsed: labelled sql.unparsed and denied.
    assert_eq!(
        outcome(&client, "DR\u{41e}P TABLE users").await,
        "Blocked by policy: the statement could not be read"
    );
    // A zero-width space inside the keyword is removed before parsing, so the DROP is
    // seen for what it is.
    assert_eq!(
        outcome(&client, "DR\u{200b}OP TABLE users").await,
        "Blocked by policy: schema changes are not allowed"
    );
}
