//! JWT verification: a verified-token cache hit, and full RS256 / ES256 verification
//! (cache disabled). Targets: hit ≤ 1 µs, RS256 miss ≤ 60 µs.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey};
use tollgate::identity::jwt::{Issuer, JwtAuthenticator};

const NOW: u64 = 1_700_000_000;
const ISSUER: &str = "https://idp.example";
const AUDIENCE: &str = "https://gw.example/mcp";

fn data(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/jwt/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("test key")
}

fn mint(kid: &str, alg: Algorithm, key: &EncodingKey) -> String {
    let header = format!(r#"{{"alg":"{alg:?}","typ":"at+jwt","kid":"{kid}"}}"#);
    let claims = format!(
        r#"{{"iss":"{ISSUER}","sub":"alice","aud":"{AUDIENCE}","exp":{},"iat":{},"groups":["support","ops"],"scope":"files:read files:write","jti":"b-1"}}"#,
        NOW + 600,
        NOW - 10
    );
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).expect("sign");
    format!("{input}.{sig}")
}

fn authenticator(cache: usize) -> JwtAuthenticator {
    let jwks = format!(
        r#"{{"keys":[{},{}]}}"#,
        data("rsa1.jwk.json"),
        data("ec1.jwk.json")
    );
    JwtAuthenticator::builder()
        .audience(AUDIENCE)
        .clock(Arc::new(|| UNIX_EPOCH + Duration::from_secs(NOW)))
        .cache_capacity(cache)
        .issuer(Issuer::new(ISSUER).jwks_json(jwks))
        .build()
        .expect("authenticator")
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let rsa = mint(
        "rsa1",
        Algorithm::RS256,
        &EncodingKey::from_rsa_pem(data("rsa1.pem").as_bytes()).expect("rsa"),
    );
    let ec = mint(
        "ec1",
        Algorithm::ES256,
        &EncodingKey::from_ec_pem(data("ec1.pem").as_bytes()).expect("ec"),
    );
    let cached = authenticator(1024);
    let uncached = authenticator(0);
    rt.block_on(async {
        cached.verify(&rsa).await.expect("valid");
        uncached.verify(&ec).await.expect("valid");
    });
    let mut group = c.benchmark_group("jwt_verify");
    group.bench_function("cache_hit", |b| {
        b.iter(|| rt.block_on(cached.verify(std::hint::black_box(&rsa))))
    });
    group.bench_function("rs256_miss", |b| {
        b.iter(|| rt.block_on(uncached.verify(std::hint::black_box(&rsa))))
    });
    group.bench_function("es256_miss", |b| {
        b.iter(|| rt.block_on(uncached.verify(std::hint::black_box(&ec))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
