//! AWS_ACCESS_KEY and AWS_SECRET_KEY.

use super::super::text::{at, before, entropy};
use super::is_placeholder;

/// Prefixes of access key ids: long-term user keys, temporary (STS) keys, and the two
/// other documented kinds.
pub(crate) const KEY_ID_PREFIXES: &[&str] = &["AKIA", "ASIA", "ABIA", "ACCA"];

/// Words next to which a 40-character value is an AWS secret key.
pub(crate) const SECRET_WORDS: &[&str] = &[
    "aws_secret",
    "secret_access_key",
    "secretaccesskey",
    "secret-access-key",
    "aws secret",
];

/// An access key id at `start` (its prefix): 20 upper-case letters and digits, bounded
/// on both sides, not the documented example.
pub(crate) fn key_id(text: &[u8], start: usize) -> Option<usize> {
    let end = start + 20;
    let id = text.get(start..end)?;
    let bounded = !before(text, start).is_some_and(|b| b.is_ascii_alphanumeric())
        && !at(text, end).is_some_and(|b| b.is_ascii_alphanumeric());
    let shaped = id
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    (bounded
        && shaped
        && KEY_ID_PREFIXES.iter().any(|p| id.starts_with(p.as_bytes()))
        && !is_placeholder(id))
    .then_some(end)
}

fn is_secret_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'/' || b == b'+'
}

/// Whether `value` looks like a secret access key: 40 base64 characters with upper and
/// lower case letters and digits, high entropy, not a placeholder.
pub(crate) fn is_secret_key(value: &[u8]) -> bool {
    value.len() == 40
        && value.iter().all(|&b| is_secret_char(b))
        && value.iter().any(u8::is_ascii_uppercase)
        && value.iter().any(u8::is_ascii_lowercase)
        && value.iter().any(u8::is_ascii_digit)
        && entropy(value) >= 4.0
        && !is_placeholder(value)
}

/// Every 40-character secret-key-shaped token in `text`.
pub(crate) fn secret_keys(text: &[u8], mut each: impl FnMut(usize, usize)) {
    let mut i = 0;
    while i < text.len() {
        if !at(text, i).is_some_and(is_secret_char) {
            i += 1;
            continue;
        }
        let start = i;
        while at(text, i).is_some_and(is_secret_char) {
            i += 1;
        }
        let tok = text.get(start..i).unwrap_or(&[]);
        let bounded = at(text, i) != Some(b'=');
        if bounded && is_secret_key(tok) {
            each(start, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_secrets() {
        assert_eq!(key_id(b"AKIA2OGYBAH6TPCEEXYZ", 0), Some(20));
        assert_eq!(key_id(b"AKIAIOSFODNN7EXAMPLE", 0), None);
        assert_eq!(key_id(b"AKIA2OGYBAH6TPCEEXYZ1", 0), None);
        assert!(is_secret_key(b"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"));
        assert!(!is_secret_key(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(!is_secret_key(b"da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    }
}
