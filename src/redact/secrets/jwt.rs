//! JWT: three base64url parts whose header and payload decode to JSON objects, the
//! header naming an `alg`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::super::text::{at, before};

/// Longest header and payload decoded (longer tokens are not JWTs we check).
const MAX_PART: usize = 16 * 1024;

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// A JWT at `start` (its `eyJ`): its end.
pub(crate) fn token(text: &[u8], start: usize) -> Option<usize> {
    if before(text, start).is_some_and(|b| is_b64url(b) || b == b'.') {
        return None;
    }
    let part = |from: usize| {
        let mut end = from;
        while at(text, end).is_some_and(is_b64url) && end - from <= MAX_PART {
            end += 1;
        }
        end
    };
    let header_end = part(start);
    if at(text, header_end) != Some(b'.') {
        return None;
    }
    let payload_end = part(header_end + 1);
    if at(text, payload_end) != Some(b'.') {
        return None;
    }
    let sig_end = part(payload_end + 1);
    if at(text, sig_end).is_some_and(|b| b == b'.' || b == b'=') {
        return None;
    }
    let header = decode_object(text.get(start..header_end)?)?;
    header.get("alg")?;
    decode_object(text.get(header_end + 1..payload_end)?)?;
    Some(sig_end)
}

fn decode_object(part: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    if part.len() > MAX_PART {
        return None;
    }
    let trimmed = part
        .strip_suffix(b"==")
        .or_else(|| part.strip_suffix(b"="))
        .unwrap_or(part);
    let bytes = URL_SAFE_NO_PAD.decode(trimmed).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn decodes_header_and_payload() {
        let t = format!(
            "{}.{}.c2lnbmF0dXJl",
            enc(r#"{"alg":"HS256","typ":"JWT"}"#),
            enc(r#"{"sub":"1"}"#)
        );
        assert_eq!(token(t.as_bytes(), 0), Some(t.len()));
        let none = format!("{}.{}.", enc(r#"{"alg":"none"}"#), enc(r#"{"sub":"1"}"#));
        assert_eq!(token(none.as_bytes(), 0), Some(none.len()));
        let no_alg = format!("{}.{}.sig", enc(r#"{"typ":"JWT"}"#), enc(r#"{"sub":"1"}"#));
        assert_eq!(token(no_alg.as_bytes(), 0), None);
        assert_eq!(token(b"eyJhbGciOi.notjson.x", 0), None);
    }
}
