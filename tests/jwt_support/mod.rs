//! Shared helpers of the JWT tests: fixed keys, a token minter that writes raw header
//! and claims JSON, a fixed or steppable clock, and a local HTTP server that serves key
//! sets and counts the requests it receives.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use tollgate::identity::BoxFuture;
use tollgate::identity::jwt::{Clock, FetchError, KeyFetcher};

pub const NOW: u64 = 1_700_000_000;
pub const ISSUER: &str = "https://idp.example";
pub const AUDIENCE: &str = "https://gw.example/mcp";
pub const HMAC_SECRET: &[u8; 32] = b"tollgate-test-hmac-secret-32byte";

pub fn data(name: &str) -> String {
    let path = format!("{}/tests/data/jwt/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JWKS document of the named `*.jwk.json` files.
pub fn jwks(names: &[&str]) -> String {
    let keys: Vec<String> = names
        .iter()
        .map(|n| data(&format!("{n}.jwk.json")))
        .collect();
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

pub fn rsa_key(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(data(&format!("{name}.pem")).as_bytes()).unwrap()
}

pub fn ec_key(name: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(data(&format!("{name}.pem")).as_bytes()).unwrap()
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `b64(header).b64(claims).signature`, signed with `key` as `alg`, from raw JSON.
pub fn mint(header: &str, claims: &str, key: &EncodingKey, alg: Algorithm) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let signature = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{signature}")
}

/// Claims valid at [`NOW`] for [`ISSUER`] and [`AUDIENCE`], with `extra` members
/// appended (raw JSON, leading comma included by the caller).
pub fn claims_with(extra: &str) -> String {
    format!(
        r#"{{"iss":"{ISSUER}","sub":"alice","aud":"{AUDIENCE}","exp":{},"iat":{}{extra}}}"#,
        NOW + 600,
        NOW - 10
    )
}

pub fn good_claims() -> String {
    claims_with("")
}

pub fn rs256_header(kid: &str) -> String {
    format!(r#"{{"alg":"RS256","typ":"at+jwt","kid":"{kid}"}}"#)
}

/// A valid RS256 token signed with `rsa1`.
pub fn rs256_token(claims: &str) -> String {
    mint(
        &rs256_header("rsa1"),
        claims,
        &rsa_key("rsa1"),
        Algorithm::RS256,
    )
}

/// A clock at [`NOW`] that tests can move.
#[derive(Clone, Default)]
pub struct TestClock {
    offset: Arc<AtomicU64>,
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        self.offset.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW + self.offset.load(Ordering::SeqCst))
    }
}

/// A local HTTP server answering configured paths and counting every request.
#[derive(Clone)]
pub struct KeyServer {
    pub base: String,
    hits: Arc<Mutex<Vec<String>>>,
    docs: Arc<Mutex<HashMap<String, (u16, String)>>>,
}

impl KeyServer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = KeyServer {
            base,
            hits: Arc::default(),
            docs: Arc::default(),
        };
        let state = server.clone();
        let app = axum::Router::new().fallback(move |uri: http::Uri| {
            let state = state.clone();
            async move {
                let path = uri.path().to_owned();
                state.hits.lock().unwrap().push(path.clone());
                let (status, body) = state
                    .docs
                    .lock()
                    .unwrap()
                    .get(&path)
                    .cloned()
                    .unwrap_or((404, String::new()));
                (http::StatusCode::from_u16(status).unwrap(), body)
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn set(&self, path: &str, status: u16, body: impl Into<String>) {
        self.docs
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, body.into()));
    }

    pub fn hits(&self) -> usize {
        self.hits.lock().unwrap().len()
    }

    pub fn hits_on(&self, path: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}

/// A plain-HTTP [`KeyFetcher`] on the reqwest dev-dependency, counting its fetches.
#[derive(Default)]
pub struct PlainHttpFetcher {
    pub fetches: AtomicUsize,
    client: reqwest::Client,
}

impl KeyFetcher for PlainHttpFetcher {
    fn fetch<'a>(&'a self, url: &'a url::Url) -> BoxFuture<'a, Result<Vec<u8>, FetchError>> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let response = self
                .client
                .get(url.as_str())
                .send()
                .await
                .map_err(|e| FetchError::new(e.to_string()))?;
            if !response.status().is_success() {
                return Err(FetchError::new(format!("status {}", response.status())));
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| FetchError::new(e.to_string()))?;
            Ok(body.to_vec())
        })
    }
}
