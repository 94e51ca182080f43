//! Fuzz target: arbitrary `Authorization` header values into the JWT authenticator
//! (alone, and chained before an API-key authenticator).
//!
//! Input: the bytes of one header value. When they are not a valid header value, the
//! bytes are also tried as a bare token with `verify`.
//!
//! Oracles:
//! * nothing panics, whatever the input;
//! * nothing authenticates: the only trusted key is an HMAC secret the fuzzer does not
//!   know, and no API key is configured that the input could equal by chance;
//! * the future completes on its first poll (static keys: no I/O, no waiting).

#![no_main]

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use tollgate::identity::jwt::{Issuer, JwtAuthenticator, SigningAlgorithm};
use tollgate::identity::{Authenticator, AuthenticatorChain};

const NOW: u64 = 1_700_000_000;

fn authenticator() -> &'static (JwtAuthenticator, AuthenticatorChain) {
    static AUTH: OnceLock<(JwtAuthenticator, AuthenticatorChain)> = OnceLock::new();
    AUTH.get_or_init(|| {
        let jwt = JwtAuthenticator::builder()
            .audience("https://gw.example/mcp")
            .clock(Arc::new(|| UNIX_EPOCH + Duration::from_secs(NOW)))
            .issuer(
                Issuer::new("https://idp.example")
                    .hmac_secret(Some("k1"), SigningAlgorithm::HS256, [0x5au8; 32])
                    .accept_untyped(true),
            )
            .build()
            .expect("fuzz authenticator");
        let chain = AuthenticatorChain::new().with(Arc::new(jwt.clone()));
        (jwt, chain)
    })
}

fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("authentication with static keys did not complete"),
    }
}

fuzz_target!(|data: &[u8]| {
    let (jwt, chain) = authenticator();
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, value);
        let alone = poll_once(jwt.authenticate(&headers));
        assert!(alone.is_err(), "authenticated: {alone:?}");
        let chained = poll_once(chain.authenticate(&headers));
        assert_eq!(alone, chained);
    }
    let token = String::from_utf8_lossy(data);
    let verified = poll_once(jwt.verify(&token));
    assert!(verified.is_err(), "verified: {verified:?}");
});
