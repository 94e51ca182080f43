//! Secret detectors: cloud keys, tokens with a recognisable format, private keys, and
//! generic secrets next to key words. Documented example values and placeholders are
//! never secrets.

pub(crate) mod aws;
pub(crate) mod generic;
pub(crate) mod github;
pub(crate) mod jwt;
pub(crate) mod private_key;
pub(crate) mod slack;

/// Whether `value` is a placeholder or an example rather than a real secret: `xxx`,
/// `<token>`, `${VAR}`, `changeme`, `your_api_key`, values with `EXAMPLE`, one repeated
/// character, and tollgate's own masks.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    let lower: Vec<u8> = value.iter().map(u8::to_ascii_lowercase).collect();
    let has = |needle: &str| memchr::memmem::find(&lower, needle.as_bytes()).is_some();
    const MARKERS: &[&str] = &[
        "xxxx",
        "***",
        "...",
        "<",
        ">",
        "${",
        "{{",
        "%(",
        "$(",
        "changeme",
        "change_me",
        "change-me",
        "placeholder",
        "example",
        "your_",
        "your-",
        "yourtoken",
        "yourpassword",
        "redacted",
        "dummy",
        "sample",
        "insert",
        "replace",
        "todo",
        "fixme",
        "secret_here",
        "token_here",
        "key_here",
        "password_here",
        "not_a_real",
        "notreal",
        "fake",
    ];
    if MARKERS.iter().any(|m| has(m)) {
        return true;
    }
    if lower.first() == Some(&b'$') || lower.first() == Some(&b'%') {
        return true;
    }
    // A mask this crate wrote (`[TYPE:...]`), possibly cut at its `]`.
    if lower.first() == Some(&b'[') {
        return true;
    }
    const WORDS: &[&str] = &[
        "password",
        "secret",
        "token",
        "null",
        "none",
        "undefined",
        "true",
        "false",
        "empty",
        "n/a",
        "hidden",
        "masked",
        "unset",
        "default",
        "test",
        "admin",
        "1234567890",
    ];
    if WORDS.iter().any(|w| lower == w.as_bytes()) {
        return true;
    }
    let first = lower.first().copied();
    lower.iter().all(|&b| Some(b) == first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "xxxxxxxx",
            "<token>",
            "${DB_PASSWORD}",
            "changeme",
            "your_api_key_here",
            "AKIAIOSFODNN7EXAMPLE",
            "********",
            "[REDACTED:JWT]",
            "$SECRET",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in ["k9Qz2LmP4xR7", "Tr0ub4dor&3x"] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }
}
