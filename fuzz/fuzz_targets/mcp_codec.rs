//! Fuzz target: the MCP codec (`Payload::parse`, `Payload::to_bytes`, `check_request`).
//!
//! Input: one HTTP request body, as is.
//!
//! Oracles:
//! * `Payload::parse` never panics, whatever the bytes;
//! * a body that parses serializes to bytes that parse again to an equal payload
//!   (`parse(to_bytes(p)) == p`), and that canonical form is a fixed point;
//! * `check_request` never panics, with no headers and with headers mirroring the body,
//!   and decides the same for the payload and its round-tripped copy.

#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use tollgate::mcp::{Payload, check_request};

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = Payload::parse(data) else {
        return;
    };

    let bytes = payload.to_bytes();
    let again = match Payload::parse(&bytes) {
        Ok(again) => again,
        Err(error) => panic!(
            "the serialized payload does not parse again: {error}\npayload: {payload:?}\nbytes: {}",
            String::from_utf8_lossy(&bytes)
        ),
    };
    assert_eq!(
        again,
        payload,
        "parse(to_bytes(p)) != p\nbytes: {}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(again.to_bytes(), bytes, "to_bytes is not a fixed point");

    let no_headers = HeaderMap::new();
    let decision = check_request(&no_headers, &payload);
    assert_eq!(
        check_request(&no_headers, &again),
        decision,
        "check_request differs for equal payloads"
    );

    // Headers that mirror the body, as a well-behaved client sends them: exercises the
    // comparison paths (the result may be Ok or Err, it must just not panic).
    let _ = check_request(&mirrored_headers(&payload), &payload);
});

/// `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` taken from the first message,
/// where they are valid header values.
fn mirrored_headers(payload: &Payload) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let Some(first) = payload.messages().first() else {
        return headers;
    };
    let mut put = |name: &'static str, value: Option<&str>| {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    };
    put("mcp-protocol-version", first.declared_version());
    put("mcp-method", first.method());
    put("mcp-name", first.mirrored_name().and_then(|v| v.as_str()));
    headers
}
