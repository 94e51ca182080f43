//! GENERIC_SECRET: a value next to a key word (`password`, `secret`, `token`, `api_key`,
//! …) that is not a placeholder and has enough entropy.

use super::super::text::{at, entropy, is_word};
use super::is_placeholder;

/// Key words for passwords: any non-placeholder value of 6+ characters is a secret.
pub(crate) const PASSWORD_WORDS: &[&str] = &["password", "passwd", "passphrase", "pwd"];

/// Other key words: the value needs 12+ characters and entropy.
pub(crate) const SECRET_WORDS: &[&str] = &[
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "accesskey",
    "private_key",
    "auth_key",
    "credential",
    "client_secret",
    "bearer",
];

/// Key suffixes that describe a secret rather than hold one (`token_type`, `secret_name`).
const DESCRIPTIVE: &[&str] = &[
    "type",
    "count",
    "name",
    "url",
    "uri",
    "endpoint",
    "length",
    "limit",
    "expires_in",
    "expiry",
    "expires",
    "expires_at",
    "ttl",
    "id_hint",
    "path",
    "file",
    "policy",
    "usage",
];

/// How strongly a JSON key says its value is a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyStrength {
    /// Not a secret key.
    None,
    /// `password`-like.
    Password,
    /// `secret`/`token`-like.
    Secret,
}

/// What a (lower-cased) key says about its value.
pub(crate) fn key_strength(key: &str) -> KeyStrength {
    if is_descriptive(key.as_bytes()) {
        return KeyStrength::None;
    }
    if PASSWORD_WORDS.iter().any(|w| key.contains(w)) {
        KeyStrength::Password
    } else if SECRET_WORDS.iter().any(|w| key.contains(w)) {
        KeyStrength::Secret
    } else {
        KeyStrength::None
    }
}

/// Whether a key describes a secret rather than holds one: a descriptive suffix
/// (`token_type`) or a plural (`max_tokens`), in any case.
pub(crate) fn is_descriptive(key: &[u8]) -> bool {
    let ends_with = |suffix: &[u8]| {
        key.len() >= suffix.len()
            && key
                .get(key.len() - suffix.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(suffix))
    };
    DESCRIPTIVE.iter().any(|d| ends_with(d.as_bytes())) || ends_with(b"s") && !ends_with(b"ss")
}

/// Whether `value` is a secret under a key of `strength`.
pub(crate) fn is_secret_value(value: &[u8], strength: KeyStrength) -> bool {
    let (min_len, min_entropy) = match strength {
        KeyStrength::None => return false,
        KeyStrength::Password => (6, 2.0),
        KeyStrength::Secret => (12, 3.0),
    };
    (min_len..=512).contains(&value.len())
        && !value.iter().any(|b| b.is_ascii_whitespace())
        && !is_placeholder(value)
        && entropy(value) >= min_entropy
}

/// In text: a key word at `kw_start..kw_end`, then an optional word suffix, optional
/// quote, `:` or `=`, optional quote — the value's span when it is a secret.
pub(crate) fn assignment(text: &[u8], kw_start: usize, kw_end: usize) -> Option<(usize, usize)> {
    let mut i = kw_end;
    while at(text, i).is_some_and(|b| is_word(b) || b == b'-') && i - kw_end < 24 {
        i += 1;
    }
    let key = std::str::from_utf8(text.get(kw_start..i)?)
        .ok()?
        .to_ascii_lowercase();
    let strength = key_strength(&key);
    while matches!(at(text, i), Some(b'"' | b'\'' | b'\\')) {
        i += 1;
    }
    while at(text, i) == Some(b' ') {
        i += 1;
    }
    if !matches!(at(text, i), Some(b':' | b'=')) {
        return None;
    }
    i += 1;
    while matches!(at(text, i), Some(b' ' | b'"' | b'\'' | b'\\')) {
        i += 1;
    }
    let start = i;
    while at(text, i).is_some_and(|b| {
        !b.is_ascii_whitespace()
            && !matches!(b, b'"' | b'\'' | b',' | b';' | b'}' | b']' | b'&' | b'\\')
    }) && i - start < 512
    {
        i += 1;
    }
    is_secret_value(text.get(start..i)?, strength).then_some((start, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values() {
        assert_eq!(key_strength("db_password"), KeyStrength::Password);
        assert_eq!(key_strength("client_secret"), KeyStrength::Secret);
        assert_eq!(key_strength("token_type"), KeyStrength::None);
        assert_eq!(key_strength("max_tokens"), KeyStrength::None);
        assert!(is_secret_value(b"Tr0ub4dor&3", KeyStrength::Password));
        assert!(!is_secret_value(b"changeme", KeyStrength::Password));
        assert!(!is_secret_value(b"${DB_PASSWORD}", KeyStrength::Password));
        assert!(is_secret_value(
            b"sk_live_9aZ3kQ7mX2pL8vN4",
            KeyStrength::Secret
        ));
        assert!(!is_secret_value(b"Bearer", KeyStrength::Secret));
    }

    #[test]
    fn text_assignments() {
        let t = b"password=Tr0ub4dor&3 next";
        assert_eq!(assignment(t, 0, 8), Some((9, 18)));
        let t = b"\"api_key\": \"k9Qz2LmP4xR7wT5v\"";
        assert_eq!(assignment(t, 1, 8), Some((12, 28)));
        assert_eq!(assignment(b"password: changeme", 0, 8), None);
    }
}
