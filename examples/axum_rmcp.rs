//! The minimal integration: an rmcp Streamable-HTTP server mounted in axum behind
//! `GuardLayer`, with the policy read from a file and API keys from the environment.
//!
//! ```text
//! TOLLGATE_POLICY=policy.toml TOLLGATE_KEY_ALICE=<a long random key> cargo run --example axum_rmcp
//! ```

#[path = "common/demo_server.rs"]
mod demo_server;

use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let policy =
        Policy::load(std::env::var("TOLLGATE_POLICY").unwrap_or_else(|_| "policy.toml".into()))?;
    let alice_key = std::env::var("TOLLGATE_KEY_ALICE")?;
    let keys = ApiKeyAuthenticator::builder()
        .key(
            alice_key,
            Identity::new("alice", IdentityKind::User).with_groups(["support"]),
        )
        .build()?;
    let guard = Guard::builder()
        .policy(policy)
        .authenticator(keys)
        .build()?;

    // Your rmcp server: any `StreamableHttpService`.
    let mcp = demo_server::mcp_service(false, false);
    let app = axum::Router::new().nest_service(
        "/mcp",
        tower::ServiceBuilder::new()
            .layer(GuardLayer::new(guard))
            .service(mcp),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
