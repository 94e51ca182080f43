//! The fast path: one pass over the raw bytes that proves no detector can match, so
//! clean data passes without parsing or copying.
//!
//! It is conservative — anything it cannot rule out counts as a possible match:
//! * a run of digits and separators with 12+ digits (a card), 9+ digits and a separator
//!   (an SSN or phone), a `+` and 8+ digits (E.164), or three dots (a dotted quad);
//!   a bare 9–11 digit number is ruled out here unless an SSN/phone key word occurs
//!   (the keyword pass catches those);
//! * `@` between address characters; hex-and-colon runs with `::` or 7 colons (IPv6);
//! * two upper-case letters then two digits (an IBAN);
//! * any key prefix or key word (`AKIA`, `ghp_`, `xoxb-`, `eyJ`, `-----BEGIN `,
//!   `password`, `token`, `ssn`, `phone`, …) and the literal parts of field-rule globs;
//! * any `\u` escape and any non-ASCII byte (escaped or Unicode digits, zero-width
//!   characters);
//! * with base64 decoding on, a base64 run of 24+ characters;
//! * with user patterns, any backslash escape, or a pattern matching the raw bytes.

use super::scan::Keywords;

const DIGIT: u8 = 1;
const SEP: u8 = 2;
const PLUS: u8 = 4;
const OTHER_TRIGGER: u8 = 8;
const HEX_LETTER: u8 = 16;

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = b'0';
    while b <= b'9' {
        t[b as usize] = DIGIT;
        b += 1;
    }
    t[b' ' as usize] = SEP;
    t[b'-' as usize] = SEP;
    t[b'.' as usize] = SEP;
    t[b'(' as usize] = SEP;
    t[b')' as usize] = SEP;
    t[b'+' as usize] = PLUS;
    t[b'@' as usize] = OTHER_TRIGGER;
    t[b':' as usize] = OTHER_TRIGGER;
    t[b'\\' as usize] = OTHER_TRIGGER;
    let mut h = b'a';
    while h <= b'f' {
        t[h as usize] = HEX_LETTER;
        t[(h - 32) as usize] = HEX_LETTER;
        h += 1;
    }
    let mut hi = 0x80;
    while hi < 256 {
        t[hi] = OTHER_TRIGGER;
        hi += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(OTHER_TRIGGER)
}

/// Whether the built-in detectors could match anything in `bytes`.
pub(crate) fn builtin_may_match(bytes: &[u8], keywords: &Keywords, base64: bool) -> bool {
    structural(bytes) || keywords.any(bytes) || base64 && has_base64_run(bytes)
}

/// The byte-class pass: digit runs, `@`, IPv6, IBAN shapes, escapes, non-ASCII.
fn structural(bytes: &[u8]) -> bool {
    let mut digits = 0u32;
    let mut seps = 0u32;
    let mut dots = 0u32;
    let mut plus = false;
    // Digits glued to a word by `-` or `.` (UUIDs, versions like `v1.2`, ids) are
    // skipped by the scanner too.
    let mut tainted = false;
    // Digits in the current group, and whether a `.` came before it: a long group after
    // a dot is a decimal fraction, which the scanner skips.
    let mut group = 0u32;
    let mut after_dot = false;
    let mut last = 0u8;
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        let b = bytes.get(i).copied().unwrap_or(0);
        let c = class(b);
        if c & (DIGIT | SEP) == 0 {
            group = 0;
            after_dot = false;
        }
        if c == 0 {
            digits = 0;
            seps = 0;
            dots = 0;
            plus = false;
            last = b;
            i += 1;
            continue;
        }
        if c & DIGIT != 0 {
            if digits == 0 && i >= 2 && is_iban_start(bytes, i) {
                return true;
            }
            if digits == 0 && !last.is_ascii_digit() {
                let glued = last.is_ascii_alphabetic()
                    || last == b'_'
                    || matches!(last, b'-' | b'.')
                        && i >= 2
                        && bytes
                            .get(i - 2)
                            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
                tainted = glued || tainted && matches!(last, b'-' | b'.');
            }
            group += 1;
            if after_dot && group > MAX_DOTTED_GROUP {
                tainted = true;
                digits = 0;
                seps = 0;
                dots = 0;
            }
            if tainted {
                last = b;
                i += 1;
                continue;
            }
            digits += 1;
            if digits >= 12 || (digits >= 9 && seps > 0) || (plus && digits >= 8) || dots >= 3 {
                return true;
            }
        } else if c & SEP != 0 {
            if b == b' ' || b == b'(' || b == b')' {
                tainted = false;
            }
            if last.is_ascii_digit() {
                group = 0;
                after_dot = b == b'.';
            }
            if digits > 0 && last.is_ascii_digit() {
                seps += 1;
                if b == b'.' {
                    dots += 1;
                }
            }
        } else if c & PLUS != 0 {
            digits = 0;
            seps = 0;
            dots = 0;
            plus = true;
        } else if c & HEX_LETTER != 0 {
            digits = 0;
            seps = 0;
            dots = 0;
            plus = false;
        } else {
            match b {
                b'@' => {
                    let local = last.is_ascii_alphanumeric()
                        || matches!(last, b'.' | b'_' | b'%' | b'+' | b'-');
                    if local && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
                        return true;
                    }
                }
                b':' => {
                    if ipv6_like(bytes, i) {
                        return true;
                    }
                }
                b'\\' => {
                    if bytes.get(i + 1) == Some(&b'u') {
                        return true;
                    }
                }
                _ => return true,
            }
            digits = 0;
            seps = 0;
            dots = 0;
            plus = false;
        }
        last = b;
        i += 1;
    }
    false
}

/// The longest digit group after a `.` that can be part of a card, IP or phone.
pub(crate) const MAX_DOTTED_GROUP: u32 = 6;

fn is_iban_start(bytes: &[u8], i: usize) -> bool {
    let up = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_uppercase);
    up(i - 2) && up(i - 1) && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
}

/// A run of hex digits and colons around `i` with `::` or at least seven colons.
fn ipv6_like(bytes: &[u8], i: usize) -> bool {
    let hexish = |b: &u8| b.is_ascii_hexdigit() || *b == b':';
    if !(i > 0 && bytes.get(i - 1).is_some_and(hexish) || bytes.get(i + 1).is_some_and(hexish)) {
        return false;
    }
    let start = bytes.get(..i).map_or(i, |h| {
        h.iter().rposition(|b| !hexish(b)).map_or(0, |p| p + 1)
    });
    let end = bytes.get(i..).map_or(i, |t| {
        t.iter()
            .position(|b| !hexish(b))
            .map_or(bytes.len(), |p| i + p)
    });
    let run = bytes.get(start..end).unwrap_or(&[]);
    let colons = run.iter().filter(|&&b| b == b':').count();
    colons >= 7 || colons >= 2 && memchr::memmem::find(run, b"::").is_some()
}

fn has_base64_run(bytes: &[u8]) -> bool {
    let mut run = 0;
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_') {
            run += 1;
            if run >= 24 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(s: &str) -> bool {
        builtin_may_match(s.as_bytes(), &Keywords::new(&[]), false)
    }

    #[test]
    fn clean_json_is_ruled_out() {
        assert!(!may(
            r#"{"id":1234567,"created":1700000000,"ratio":1.25,"name":"widget","at":"2024-01-15T10:00:00Z","uuid":"550e8400-e29b-41d4-a716-446655440000"}"#
        ));
    }

    #[test]
    fn candidates_are_not() {
        for s in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "123-45-6789",
            "+4930123456",
            "10.0.0.1",
            "a@b.co",
            "fe80::1",
            "GB82WEST",
            "AKIA",
            "\\u0034",
            "４",
            "ssn 123456789",
            "password",
        ] {
            assert!(may(s), "{s}");
        }
    }
}
