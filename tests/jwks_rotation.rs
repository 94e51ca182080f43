//! Remote keys against a local HTTP server: rotation picked up on an unknown `kid`,
//! refetches rate-limited by the cooldown and single-flight, OIDC discovery, and
//! fail-closed behaviour when the key source is down past the cache's max-age. The
//! clock is injected, so no test sleeps.

mod jwt_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use jwt_support::*;
use tollgate::identity::jwt::{Issuer, JwtAuthenticator, JwtError};
use tollgate::identity::{AuthError, Authenticator};

const MAX_AGE: Duration = Duration::from_secs(600);
const COOLDOWN: Duration = Duration::from_secs(30);

fn rsa2_token() -> String {
    mint(
        &rs256_header("rsa2"),
        &good_claims(),
        &rsa_key("rsa2"),
        Algorithm::RS256,
    )
}

fn token_with_kid(kid: &str) -> String {
    mint(
        &rs256_header(kid),
        &good_claims(),
        &rsa_key("rsa1"),
        Algorithm::RS256,
    )
}

async fn setup() -> (KeyServer, TestClock, JwtAuthenticator) {
    let server = KeyServer::start().await;
    server.set("/jwks", 200, jwks(&["rsa1"]));
    let clock = TestClock::default();
    let auth = JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .clock(Arc::new(clock.clone()))
        .fetcher(Arc::new(PlainHttpFetcher::default()))
        .issuer(
            Issuer::new(ISSUER)
                .jwks_url(server.url("/jwks"))
                .allow_http(true)
                .max_key_age(MAX_AGE)
                .refetch_cooldown(COOLDOWN),
        )
        .build()
        .unwrap();
    (server, clock, auth)
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_on_its_unknown_kid() {
    let (server, clock, auth) = setup().await;
    assert!(auth.verify(&rs256_token(&good_claims())).await.is_ok());
    assert_eq!(server.hits_on("/jwks"), 1);
    // The IdP rotates: rsa2 is published. Past the cooldown, its kid triggers one refetch.
    server.set("/jwks", 200, jwks(&["rsa1", "rsa2"]));
    clock.advance(COOLDOWN);
    assert!(auth.verify(&rsa2_token()).await.is_ok());
    assert_eq!(server.hits_on("/jwks"), 2);
    // Known kids are served from the cache.
    assert!(auth.verify(&rsa2_token()).await.is_ok());
    assert!(
        auth.verify(&rs256_token(&claims_with(r#","jti":"x""#)))
            .await
            .is_ok()
    );
    assert_eq!(server.hits_on("/jwks"), 2);
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_cooldown() {
    let (server, clock, auth) = setup().await;
    assert!(auth.verify(&rs256_token(&good_claims())).await.is_ok());
    clock.advance(COOLDOWN);
    for i in 0..50 {
        assert_eq!(
            auth.verify(&token_with_kid(&format!("random-{i}"))).await,
            Err(JwtError::UnknownKey)
        );
    }
    assert_eq!(server.hits_on("/jwks"), 2, "one initial fetch, one refetch");
    // A new key published inside the cooldown is not fetched yet…
    server.set("/jwks", 200, jwks(&["rsa1", "rsa2"]));
    assert_eq!(auth.verify(&rsa2_token()).await, Err(JwtError::UnknownKey));
    assert_eq!(server.hits_on("/jwks"), 2);
    // …but is after it.
    clock.advance(COOLDOWN);
    assert!(auth.verify(&rsa2_token()).await.is_ok());
    assert_eq!(server.hits_on("/jwks"), 3);
}

#[tokio::test]
async fn concurrent_unknown_kids_share_one_refetch() {
    let (server, clock, auth) = setup().await;
    assert!(auth.verify(&rs256_token(&good_claims())).await.is_ok());
    clock.advance(COOLDOWN);
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let auth = auth.clone();
            tokio::spawn(async move { auth.verify(&token_with_kid(&format!("flood-{i}"))).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Err(JwtError::UnknownKey));
    }
    assert_eq!(server.hits_on("/jwks"), 2);
}

#[tokio::test]
async fn an_outage_is_ridden_out_until_max_age_then_fails_closed() {
    let (server, clock, auth) = setup().await;
    // Distinct long-lived tokens, so neither the verified-token cache nor expiry answers.
    let token = |n: u32| {
        let claims = format!(
            r#"{{"iss":"{ISSUER}","sub":"a","aud":"{AUDIENCE}","exp":{},"jti":"{n}"}}"#,
            NOW + 100_000
        );
        rs256_token(&claims)
    };
    assert!(auth.verify(&token(0)).await.is_ok());
    server.set("/jwks", 500, "down");
    clock.advance(MAX_AGE / 2 + COOLDOWN);
    assert!(
        auth.verify(&token(1)).await.is_ok(),
        "cached keys still serve"
    );
    clock.advance(MAX_AGE);
    assert!(matches!(
        auth.verify(&token(2)).await,
        Err(JwtError::Unavailable(_))
    ));
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        format!("Bearer {}", token(3)).parse().unwrap(),
    );
    assert!(matches!(
        auth.authenticate(&headers).await,
        Err(AuthError::Unavailable(_))
    ));
    // The endpoint is not hammered while down: refetches stay one per cooldown.
    let during_outage = server.hits_on("/jwks");
    for n in 4..20 {
        assert!(auth.verify(&token(n)).await.is_err());
    }
    assert_eq!(server.hits_on("/jwks"), during_outage);
    // Recovery.
    server.set("/jwks", 200, jwks(&["rsa1"]));
    clock.advance(COOLDOWN);
    assert!(auth.verify(&token(30)).await.is_ok());
}

#[tokio::test]
async fn a_removed_key_stops_verifying_after_max_age_even_from_the_token_cache() {
    let (server, clock, auth) = setup().await;
    let token = rs256_token(&claims_with(r#","jti":"cached""#));
    assert!(auth.verify(&token).await.is_ok());
    // rsa1 is revoked: the JWKS now only has rsa2.
    server.set("/jwks", 200, jwks(&["rsa2"]));
    clock.advance(MAX_AGE);
    assert_eq!(auth.verify(&token).await, Err(JwtError::UnknownKey));
}

#[tokio::test]
async fn oidc_discovery_finds_the_jwks_uri_and_checks_the_issuer() {
    let server = KeyServer::start().await;
    let issuer = server.base.clone();
    server.set(
        "/.well-known/openid-configuration",
        200,
        format!(
            r#"{{"issuer":"{issuer}","jwks_uri":"{}"}}"#,
            server.url("/keys")
        ),
    );
    server.set("/keys", 200, jwks(&["rsa1"]));
    let build = |iss: &str| {
        JwtAuthenticator::builder()
            .audience(AUDIENCE)
            .clock(Arc::new(TestClock::default()))
            .fetcher(Arc::new(PlainHttpFetcher::default()))
            .issuer(Issuer::new(iss).discovery().allow_http(true))
            .build()
            .unwrap()
    };
    let auth = build(&issuer);
    let token = rs256_token(&good_claims().replace(ISSUER, &issuer));
    assert!(auth.verify(&token).await.is_ok());
    assert_eq!(server.hits_on("/.well-known/openid-configuration"), 1);
    assert_eq!(server.hits_on("/keys"), 1);

    // A discovery document naming another issuer is not used.
    let other = KeyServer::start().await;
    other.set(
        "/.well-known/openid-configuration",
        200,
        format!(
            r#"{{"issuer":"https://elsewhere.example","jwks_uri":"{}"}}"#,
            other.url("/keys")
        ),
    );
    other.set("/keys", 200, jwks(&["rsa1"]));
    let auth = build(&other.base);
    let token = rs256_token(&good_claims().replace(ISSUER, &other.base));
    assert!(matches!(
        auth.verify(&token).await,
        Err(JwtError::Unavailable(_))
    ));
    assert_eq!(other.hits_on("/keys"), 0);
}

#[tokio::test]
async fn refresh_keys_fetches_up_front() {
    let (server, _clock, auth) = setup().await;
    auth.refresh_keys().await.unwrap();
    assert_eq!(server.hits_on("/jwks"), 1);
    server.set("/jwks", 503, "");
    assert!(matches!(
        auth.refresh_keys().await,
        Err(JwtError::Unavailable(_))
    ));
}

#[cfg(feature = "http-client")]
#[tokio::test]
async fn the_default_http_fetcher_fetches_and_caps() {
    use tollgate::identity::jwt::{HttpKeyFetcher, KeyFetcher, MAX_DOCUMENT_LEN};
    let server = KeyServer::start().await;
    server.set("/jwks", 200, jwks(&["rsa1"]));
    server.set("/huge", 200, "x".repeat(MAX_DOCUMENT_LEN + 1));
    server.set("/missing", 404, "");
    let fetcher = HttpKeyFetcher::new().unwrap();
    let url = |p: &str| url::Url::parse(&server.url(p)).unwrap();
    assert_eq!(
        fetcher.fetch(&url("/jwks")).await.unwrap(),
        jwks(&["rsa1"]).into_bytes()
    );
    assert!(fetcher.fetch(&url("/huge")).await.is_err());
    assert!(fetcher.fetch(&url("/missing")).await.is_err());

    let auth = JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .clock(Arc::new(TestClock::default()))
        .issuer(
            Issuer::new(ISSUER)
                .jwks_url(server.url("/jwks"))
                .allow_http(true),
        )
        .build()
        .unwrap();
    assert!(auth.verify(&rs256_token(&good_claims())).await.is_ok());
}

#[test]
fn remote_keys_need_https_unless_allowed() {
    let built = JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .fetcher(Arc::new(PlainHttpFetcher::default()))
        .issuer(Issuer::new(ISSUER).jwks_url("http://idp.example/jwks"))
        .build();
    assert!(built.is_err());
    let fetcher = PlainHttpFetcher::default();
    assert_eq!(fetcher.fetches.load(Ordering::SeqCst), 0);
}
