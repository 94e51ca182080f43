//! JWTs and API keys in one `AuthenticatorChain`: the first authenticator that
//! recognises the credential decides, and nothing falls through to anonymous.

mod jwt_support;

use std::sync::Arc;

use http::HeaderMap;
use jwt_support::*;
use tollgate::Identity;
use tollgate::identity::jwt::{Issuer, JwtAuthenticator};
use tollgate::identity::{
    ApiKeyAuthenticator, AuthError, Authenticator, AuthenticatorChain, IdentityKind,
};

const API_KEY: &str = "k_ci_8c1f0d2e7a6b5c4d";

fn chain() -> AuthenticatorChain {
    let jwt = JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .clock(Arc::new(TestClock::default()))
        .issuer(Issuer::new(ISSUER).jwks_json(jwks(&["rsa1"])))
        .build()
        .unwrap();
    let keys = ApiKeyAuthenticator::builder()
        .header("x-api-key")
        .key(API_KEY, Identity::new("ci", IdentityKind::Service))
        .build()
        .unwrap();
    AuthenticatorChain::new()
        .with(Arc::new(jwt))
        .with(Arc::new(keys))
}

fn bearer(value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        http::header::AUTHORIZATION,
        format!("Bearer {value}").parse().unwrap(),
    );
    h
}

#[tokio::test]
async fn jwts_go_to_the_verifier_and_api_keys_fall_through_to_the_key_table() {
    let chain = chain();
    let user = chain
        .authenticate(&bearer(&rs256_token(&good_claims())))
        .await
        .unwrap();
    assert_eq!(
        (user.subject.as_str(), user.kind),
        ("alice", IdentityKind::User)
    );
    let ci = chain.authenticate(&bearer(API_KEY)).await.unwrap();
    assert_eq!(
        (ci.subject.as_str(), ci.kind),
        ("ci", IdentityKind::Service)
    );
}

#[tokio::test]
async fn an_invalid_jwt_is_decided_by_the_verifier_not_passed_on() {
    let expired = rs256_token(&good_claims().replace(&(NOW + 600).to_string(), "1"));
    assert_eq!(
        chain().authenticate(&bearer(&expired)).await,
        Err(AuthError::Invalid("token expired".into()))
    );
}

#[tokio::test]
async fn unknown_credentials_are_not_recognised_never_anonymous() {
    let chain = chain();
    assert_eq!(
        chain.authenticate(&HeaderMap::new()).await,
        Err(AuthError::NotRecognized)
    );
    assert_eq!(
        chain.authenticate(&bearer("k_unknown_0000000000000")).await,
        Err(AuthError::NotRecognized)
    );
    let headers = chain.credential_headers();
    assert!(headers.contains(&http::header::AUTHORIZATION));
    assert!(headers.iter().any(|h| h == "x-api-key"));
}
