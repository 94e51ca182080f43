//! Secret detectors: cloud keys, tokens with a recognisable format, private keys, and
//! generic secrets next to key words. Documented example values and placeholders are
//! never secrets.

pub(crate) mod aws;
pub(crate) mod generic;
pub(crate) mod github;
pub(crate) mod jwt;
pub(crate) mod private_key;
pub(crate) mod slack;

/// Whether `value` holds the start of a mask this crate writes: `[`, a built-in type
/// name, `FIELD` or `REDACTED`, then `:`; or a keyed-hash mask of any type, a user
/// pattern's too (`[EMPLOYEE_ID:1a2b3c4d]`). Only those, so a password such as
/// `Xy[Z9:qwerty` still counts.
fn holds_mask(value: &[u8]) -> bool {
    memchr::memchr_iter(b'[', value).any(|open| {
        let rest = value.get(open + 1..).unwrap_or(&[]);
        let named = |name: &str| {
            rest.strip_prefix(name.as_bytes())
                .is_some_and(|after| after.first() == Some(&b':'))
        };
        crate::redact::Detector::ALL.iter().any(|d| named(d.name()))
            || named(crate::redact::mask::FIELD_KIND)
            || named("REDACTED")
            || hash_mask(rest)
    })
}

/// Whether `rest` (after a `[`) is a keyed-hash mask: a type or pattern name, `:`, eight
/// lower-case hex digits, then `]` or the end of the value (a value read up to a
/// mask's `]` stops before it).
fn hash_mask(rest: &[u8]) -> bool {
    use crate::redact::pattern::{MAX_NAME, is_name_byte};
    let name = rest.iter().take_while(|&&b| is_name_byte(b)).count();
    let Some(after) = rest.get(name..).and_then(|r| r.strip_prefix(b":")) else {
        return false;
    };
    let digest = after.get(..8).unwrap_or(&[]);
    (1..=MAX_NAME).contains(&name)
        && digest.len() == 8
        && digest
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && matches!(after.get(8), None | Some(b']'))
}

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
    // A mask this crate wrote (`[TYPE:...]`), possibly cut at its `]`, or a value
    // that runs into one: what was left of it around an earlier mask is no secret on
    // a second pass if it was none on the first.
    if lower.first() == Some(&b'[') || holds_mask(value) {
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
            // What is left around an earlier mask (hash and partial styles too).
            ":1%[IP_ADDRESS:5b0f1054",
            "k9Qz2L[CREDIT_CARD:****1111]",
            // A user pattern's keyed-hash mask, whole or cut at its `]`.
            "a/[EMPLOYEE_ID:2e51f438]",
            "a/[emp.id-2:2e51f438",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in [
            "k9Qz2LmP4xR7",
            "Tr0ub4dor&3x",
            "k9[Qz2:LmP4xR7",
            "a[b_C:9xQ2LmP4",
            // Not the hash mask's shape: upper-case or too few hex digits, or more
            // after them.
            "q7[EMP:2E51F438]",
            "q7[EMP:2e51f43]",
            "q7[EMP:2e51f438x9",
        ] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }
}
