//! End to end with JWTs: rmcp's real client talks to rmcp's real server over HTTP on
//! 127.0.0.1 through `GuardLayer`, with a `JwtAuthenticator` on the guard. The layer is an
//! OAuth 2.1 resource server as the MCP authorization spec asks: 401 challenges that point
//! at the protected-resource metadata, 403 `insufficient_scope` for step-up, the token's
//! groups drive listing and decisions, and the upstream server never sees the token.

mod common;
#[path = "../examples/common/demo_server.rs"]
mod demo_server;
mod jwt_support;

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use common::*;
use http::{StatusCode, header};
use jsonwebtoken::Algorithm;
use jwt_support::{ISSUER, jwks, mint, rs256_header, rsa_key};
use rmcp::ServiceError;
use serde_json::json;
use tollgate::identity::jwt::Issuer;
use tollgate::identity::{JwtAuthenticator, ProtectedResourceMetadata};
use tollgate::{Guard, GuardLayer, Policy};

const POLICY: &str = r#"
version = 1

[[allow]]
name = "support"
groups = ["support"]
tools = ["crm.*", "echo", "whoami"]

[[allow]]
name = "analysts"
groups = ["analysts"]
tools = ["db.query", "echo", "whoami"]

[[allow]]
name = "writers"
tools = ["db.drop_table"]
scopes = ["files:write"]
"#;

/// A gateway on a loopback port: the guarded demo server at `/mcp` and its RFC 9728
/// metadata document next to it.
struct Gateway {
    addr: SocketAddr,
    /// The canonical resource URI, which tokens name as their audience.
    resource: String,
    /// The absolute URL of the metadata document, as challenges carry it.
    metadata_url: String,
    /// The path the metadata document is served at.
    well_known_path: String,
}

impl Gateway {
    fn mcp_url(&self) -> String {
        url(self.addr, "/mcp")
    }

    /// A token signed by the trusted issuer for this gateway, valid now.
    fn token(&self, subject: &str, groups: &[&str], scope: &str) -> String {
        self.token_with(subject, groups, scope, unix_now() + 600, &rsa_key("rsa1"))
    }

    /// A token for this gateway expiring at `exp` (issued 610 s before), signed with `key`
    /// under the trusted key's `kid`.
    fn token_with(
        &self,
        subject: &str,
        groups: &[&str],
        scope: &str,
        exp: u64,
        key: &jsonwebtoken::EncodingKey,
    ) -> String {
        let claims = json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": self.resource,
            "exp": exp,
            "iat": exp - 610,
            "groups": groups,
            "scope": scope,
        });
        mint(
            &rs256_header("rsa1"),
            &claims.to_string(),
            key,
            Algorithm::RS256,
        )
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Binds first (the challenge and the tokens' audience name the port), then builds the
/// guard and serves. `stateless`/`json_response` pick the demo server's mode.
async fn start(stateless: bool, json_response: bool) -> Gateway {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let resource = url(addr, "/mcp");

    let metadata = ProtectedResourceMetadata::builder(resource.clone())
        .authorization_server(ISSUER)
        .scopes(["mcp:tools", "files:write"])
        .build()
        .unwrap();
    let metadata_url = url(addr, "/.well-known/oauth-protected-resource/mcp");
    assert_eq!(metadata.metadata_url(), metadata_url);

    let jwt = JwtAuthenticator::builder()
        .audience(resource.clone())
        .issuer(Issuer::new(ISSUER).jwks_json(jwks(&["rsa1"])))
        .build()
        .unwrap();
    let guard = Guard::builder()
        .policy(Policy::from_toml_str(POLICY).unwrap())
        .authenticator(jwt)
        .resource_metadata_url(metadata_url.clone())
        .challenge_scope("mcp:tools")
        .build()
        .unwrap();
    let guarded = tower::ServiceBuilder::new()
        .layer(GuardLayer::new(guard))
        .service(demo_server::mcp_service(stateless, json_response));
    let well_known_path = metadata.well_known_path();
    let app = axum::Router::new()
        .nest_service("/mcp", guarded)
        .route_service(&well_known_path, metadata.service());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Gateway {
        addr,
        resource,
        metadata_url,
        well_known_path,
    }
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#;

/// A raw MCP POST to `/mcp` with the usual headers, an optional bearer token, and
/// `extra` headers.
async fn post(
    gw: &Gateway,
    bearer: Option<&str>,
    extra: &[(&str, &str)],
    body: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let authorization = bearer.map(|t| format!("Bearer {t}"));
    let mut headers = MCP_POST_HEADERS.to_vec();
    if let Some(value) = &authorization {
        headers.push(("authorization", value));
    }
    headers.extend_from_slice(extra);
    post_raw(gw.addr, "/mcp", &headers, body).await
}

fn challenge(headers: &http::HeaderMap) -> &str {
    let mut values = headers.get_all(header::WWW_AUTHENTICATE).iter();
    let value = values.next().expect("a WWW-Authenticate header");
    assert!(values.next().is_none(), "exactly one challenge");
    value.to_str().unwrap()
}

#[tokio::test]
async fn no_token_is_a_401_pointing_at_the_resource_metadata() {
    let gw = start(false, false).await;
    let (status, headers, _) = post(&gw, None, &[], INITIALIZE).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&headers),
        format!(
            r#"Bearer resource_metadata="{}", scope="mcp:tools""#,
            gw.metadata_url
        )
    );
    // rmcp's client cannot get in either.
    assert!(connect(&gw.mcp_url(), None, false).await.is_err());
    assert!(connect(&gw.mcp_url(), None, true).await.is_err());
}

#[tokio::test]
async fn a_token_with_a_bad_signature_is_an_invalid_token() {
    let gw = start(false, false).await;
    let forged = gw.token_with(
        "alice",
        &["support"],
        "mcp:tools",
        unix_now() + 600,
        &rsa_key("attacker"),
    );
    let (status, headers, _) = post(&gw, Some(&forged), &[], INITIALIZE).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&headers),
        format!(
            r#"Bearer resource_metadata="{}", scope="mcp:tools", error="invalid_token""#,
            gw.metadata_url
        )
    );
    assert!(connect(&gw.mcp_url(), Some(&forged), false).await.is_err());
}

#[tokio::test]
async fn an_expired_token_is_an_invalid_token() {
    let gw = start(false, false).await;
    let expired = gw.token_with(
        "alice",
        &["support"],
        "mcp:tools",
        unix_now() - 3600,
        &rsa_key("rsa1"),
    );
    let (status, headers, _) = post(&gw, Some(&expired), &[], INITIALIZE).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let value = challenge(&headers);
    assert!(value.contains(r#"error="invalid_token""#), "{value}");
    assert!(
        value.contains(&format!(r#"resource_metadata="{}""#, gw.metadata_url)),
        "{value}"
    );
    assert!(connect(&gw.mcp_url(), Some(&expired), true).await.is_err());
}

#[tokio::test]
async fn a_token_lacking_a_rules_scope_is_a_403_insufficient_scope() {
    let gw = start(true, true).await;
    let bot = gw.token("report-bot", &["analysts"], "mcp:tools");
    let drop_call = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"db.drop_table","arguments":{"table":"customers"}}}"#;
    let (status, headers, _) = post(
        &gw,
        Some(&bot),
        &[("mcp-protocol-version", "2025-11-25")],
        drop_call,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        challenge(&headers),
        format!(
            r#"Bearer error="insufficient_scope", scope="files:write", resource_metadata="{}", error_description="Additional scopes are required for this tool""#,
            gw.metadata_url
        )
    );

    // The rmcp client with that token is refused the call too ...
    let client = connect(&gw.mcp_url(), Some(&bot), true).await.unwrap();
    assert!(
        call(&client, "db.drop_table", json!({"table": "customers"}))
            .await
            .is_err()
    );
    // ... and once the token carries the scope, the same call goes through.
    let stepped_up = gw.token("report-bot", &["analysts"], "mcp:tools files:write");
    let client = connect(&gw.mcp_url(), Some(&stepped_up), true)
        .await
        .unwrap();
    let dropped = call(&client, "db.drop_table", json!({"table": "customers"}))
        .await
        .unwrap();
    assert_ne!(dropped.is_error, Some(true));
    assert_eq!(first_text(&dropped), "dropped customers");
}

/// (stateless server, JSON responses, modern client)
const MODES: [(bool, bool, bool); 2] = [
    (false, false, false), // sessions, SSE, 2025-11-25
    (true, true, true),    // stateless, JSON, 2026-07-28
];

#[tokio::test]
async fn the_tokens_groups_drive_listing_and_decisions() {
    for (stateless, json_response, modern) in MODES {
        let gw = start(stateless, json_response).await;
        let alice = gw.token("alice", &["support"], "mcp:tools");
        let bot = gw.token("report-bot", &["analysts"], "mcp:tools");
        let writer = gw.token("report-bot", &["analysts"], "mcp:tools files:write");
        let alice = connect(&gw.mcp_url(), Some(&alice), modern).await.unwrap();
        let bot = connect(&gw.mcp_url(), Some(&bot), modern).await.unwrap();
        let writer = connect(&gw.mcp_url(), Some(&writer), modern).await.unwrap();

        assert_eq!(
            tool_names(&alice).await.unwrap(),
            ["crm.find_customer", "echo", "whoami"]
        );
        assert_eq!(
            tool_names(&bot).await.unwrap(),
            ["db.query", "echo", "whoami"]
        );
        assert_eq!(
            tool_names(&writer).await.unwrap(),
            ["db.drop_table", "db.query", "echo", "whoami"]
        );

        let sql = json!({"sql": "SELECT name FROM customers"});
        let ran = call(&bot, "db.query", sql.clone()).await.unwrap();
        assert_ne!(ran.is_error, Some(true));
        assert!(first_text(&ran).starts_with("ran: SELECT name FROM customers"));
        match call(&alice, "db.query", sql).await {
            Err(ServiceError::McpError(e)) => {
                assert_eq!(e.code.0, -32602);
                assert_eq!(e.message, "Unknown tool: db.query");
            }
            other => panic!("mode {stateless}/{json_response}/{modern}: {other:?}"),
        }

        let found = call(&alice, "crm.find_customer", json!({"name": "Jane Doe"}))
            .await
            .unwrap();
        assert_ne!(found.is_error, Some(true));
        match call(&bot, "crm.find_customer", json!({"name": "Jane Doe"})).await {
            Err(ServiceError::McpError(e)) => {
                assert_eq!(e.message, "Unknown tool: crm.find_customer");
            }
            other => panic!("mode {stateless}/{json_response}/{modern}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_upstream_handler_sees_the_identity_never_the_token() {
    for (stateless, json_response, modern) in MODES {
        let gw = start(stateless, json_response).await;
        let token = gw.token("alice", &["support"], "mcp:tools");
        let alice = connect(&gw.mcp_url(), Some(&token), modern).await.unwrap();
        let who = text_json(&call(&alice, "whoami", json!({})).await.unwrap());
        assert_eq!(who["subject"], "alice");
        assert_eq!(who["authorization_header_present"], false);
    }
}

#[tokio::test]
async fn the_protected_resource_metadata_is_served_next_to_the_guarded_route() {
    let gw = start(true, true).await;
    assert_eq!(
        gw.well_known_path,
        "/.well-known/oauth-protected-resource/mcp"
    );
    // Reachable without a token: clients read it to learn where to get one.
    let (status, headers, body) = request_raw("GET", gw.addr, &gw.well_known_path, &[], "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc,
        json!({
            "resource": gw.resource,
            "authorization_servers": [ISSUER],
            "scopes_supported": ["mcp:tools", "files:write"],
            "bearer_methods_supported": ["header"],
        })
    );
}
