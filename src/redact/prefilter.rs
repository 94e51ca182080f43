//! The fast path: one pass over the raw bytes that proves no detector can match, so
//! clean data passes without parsing or copying.
//!
//! It is conservative — anything it cannot rule out counts as a possible match:
//! * digits: every digit group is cut into the regions the scanner sees (same word
//!   boundaries, separators and decimal-fraction rule) and the validators run on them
//!   as if every context allowed them (a bare 9-digit SSN, a bare 10-digit phone), so no
//!   key or context word can turn a ruled-out number into a match; a region right after
//!   a JSON escape letter (`\n`, `\t`, …), which raw and decoded text see differently,
//!   counts when its cluster holds 4+ digits;
//! * two upper-case letters then two digits (an IBAN);
//! * `@` between address characters; hex-and-colon runs with `::` or 7 colons (IPv6);
//! * key prefixes, case-sensitive as their detectors want them (`AKIA`, `ghp_`,
//!   `xoxb-`, `eyJ`, `-----BEGIN `), and key words in any case (`password`, `token`,
//!   …) plus the literal parts of field-rule globs ([`Keywords::prefilter_hit`]);
//! * any `\u` escape and any non-ASCII byte (escaped or Unicode digits, zero-width
//!   characters);
//! * with base64 decoding on, a base64 run of 24+ characters;
//! * with user patterns, any backslash escape, or a pattern matching the raw bytes.
//!
//! The digit pass jumps from digit to digit eight bytes at a time, and the keyword pass
//! is one packed (SIMD) search over ASCII-lower-cased chunks, so clean JSON costs a few
//! instructions per byte.

use super::scan::{Keywords, cards};
use super::text::{at, before, is_word, run_end};
use super::{ip, phone, ssn};

/// Whether the built-in detectors could match anything in `bytes`.
pub(crate) fn builtin_may_match(bytes: &[u8], keywords: &Keywords, base64: bool) -> bool {
    !bytes.is_ascii()
        || unicode_escape(bytes)
        || digits_may_match(bytes)
        || at_signs(bytes)
        || colons(bytes)
        || keywords.prefilter_hit(bytes)
        || base64 && has_base64_run(bytes)
}

/// A `\u` escape. Short texts (most JSON strings) are searched for backslashes: a
/// substring search builds a searcher per call, which costs more than they take to scan.
fn unicode_escape(bytes: &[u8]) -> bool {
    if bytes.len() <= 256 {
        return memchr::memchr_iter(b'\\', bytes).any(|i| at(bytes, i + 1) == Some(b'u'));
    }
    memchr::memmem::find(bytes, b"\\u").is_some()
}

/// `@` between address characters.
fn at_signs(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'@', bytes).any(|i| {
        let local = before(bytes, i).is_some_and(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
        });
        local && at(bytes, i + 1).is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

/// IPv6-looking runs around colons. An address has `::` or seven colons; without `::`
/// at least five of the seven have a hex digit on both sides. So only colons between
/// hex digits, and each `::`, are looked at: the colon after every JSON key (`":`) is
/// passed over at the cost of two byte loads.
fn colons(bytes: &[u8]) -> bool {
    let hex = |i: Option<usize>| {
        i.and_then(|i| at(bytes, i))
            .is_some_and(|b| b.is_ascii_hexdigit())
    };
    let mut next = 0;
    for i in memchr::memchr_iter(b':', bytes) {
        if i < next {
            continue;
        }
        let double = at(bytes, i + 1) == Some(b':');
        let between_hex = hex(i.checked_sub(1)) && hex(Some(i + 1));
        if !(double || between_hex) {
            continue;
        }
        match ipv6_like(bytes, i) {
            Ok(()) => return true,
            Err(end) => next = end,
        }
    }
    false
}

/// The longest digit group after a `.` that can be part of a card, IP or phone.
pub(crate) const MAX_DOTTED_GROUP: u32 = 6;

/// Every byte 0x01, and every byte's high bit: the constants of the eight-byte (SWAR)
/// tests here and in the byte walk.
pub(crate) const LO: u64 = 0x0101_0101_0101_0101;
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;

/// The first ASCII digit at or after `i`, eight bytes at a time.
pub(crate) fn next_digit(t: &[u8], mut i: usize) -> Option<usize> {
    while let Some(word) = t.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ (LO * 0x30);
        // High bit set in a byte iff it is 0..=9 after the xor, i.e. a digit.
        let m = !((x & !HI).wrapping_add(LO * (0x80 - 10)) | x) & HI;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    t.get(i..)?
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| i + p)
}

/// A letter right after a backslash: a JSON escape (`\n`) in raw text, which decodes to
/// a character that is not part of a word.
fn escape_letter(t: &[u8], k: usize) -> bool {
    at(t, k).is_some_and(|b| b.is_ascii_alphabetic()) && before(t, k) == Some(b'\\')
}

/// Digits in the run of digits and phone punctuation starting at `j`.
fn cluster_digits(t: &[u8], j: usize) -> usize {
    t.get(j..)
        .unwrap_or(&[])
        .iter()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'+'))
        .filter(|b| b.is_ascii_digit())
        .count()
}

/// The digit regions of the scanner's digit pass, each run through the validators with
/// every context allowed.
fn digits_may_match(t: &[u8]) -> bool {
    let mut i = 0;
    while let Some(j) = next_digit(t, i) {
        let up = |k: usize| at(t, k).is_some_and(|b| b.is_ascii_uppercase());
        if j >= 2 && up(j - 2) && up(j - 1) && at(t, j + 1).is_some_and(|b| b.is_ascii_digit()) {
            return true;
        }
        if j >= 1 && (escape_letter(t, j - 1) || j >= 2 && escape_letter(t, j - 2)) {
            if cluster_digits(t, j) >= 4 {
                return true;
            }
            i = run_end(t, j, |b| b.is_ascii_digit());
            continue;
        }
        let prev = before(t, j);
        let inside_word = prev.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            || matches!(prev, Some(b'-' | b'.')) && before(t, j - 1).is_some_and(is_word);
        if inside_word {
            i = run_end(t, j, is_word);
            continue;
        }
        let start = match prev {
            Some(b'(' | b'+') if !before(t, j - 1).is_some_and(is_word) => j - 1,
            _ => j,
        };
        let mut groups = [(0usize, 0usize); 12];
        let mut count = 0;
        let mut sep = None;
        let mut k = j;
        loop {
            let e = run_end(t, k, |b| b.is_ascii_digit());
            let Some(slot) = groups.get_mut(count) else {
                break;
            };
            *slot = (k, e);
            count += 1;
            match at(t, e) {
                Some(s @ (b' ' | b'-' | b'.'))
                    if at(t, e + 1).is_some_and(|b| b.is_ascii_digit())
                        && sep.is_none_or(|p| p == s)
                        && !(s == b'.' && decimal_fraction(t, e + 1)) =>
                {
                    sep = Some(s);
                    k = e + 1;
                }
                _ => break,
            }
        }
        let groups = groups.get(..count).unwrap_or(&[]);
        let region_end = groups.last().map_or(j, |g| g.1);
        i = region_end.max(j + 1);
        if at(t, region_end).is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
            i = run_end(t, region_end, is_word);
            continue;
        }
        if region_may_match(t, groups, sep, start, prev) {
            return true;
        }
    }
    false
}

/// Whether one digit region holds an IP address, SSN, card or phone number under the
/// most permissive context.
fn region_may_match(
    t: &[u8],
    groups: &[(usize, usize)],
    sep: Option<u8>,
    start: usize,
    prev: Option<u8>,
) -> bool {
    let mut slices: [&[u8]; 12] = [&[]; 12];
    for (s, &(a, b)) in slices.iter_mut().zip(groups) {
        *s = t.get(a..b).unwrap_or(&[]);
    }
    let slices = slices.get(..groups.len()).unwrap_or(&[]);
    let digits: usize = slices.iter().map(|s| s.len()).sum();
    if sep == Some(b'.') && slices.iter().all(|g| g.len() <= 3) {
        return ip::is_ipv4_groups(slices);
    }
    let ssn_shaped = match slices {
        [a, b, c] => {
            a.len() == 3 && b.len() == 2 && c.len() == 4 && matches!(sep, Some(b'-' | b' '))
        }
        [one] => one.len() == 9,
        _ => false,
    };
    if ssn_shaped {
        let mut d = [0u8; 9];
        for (slot, b) in d.iter_mut().zip(slices.iter().flat_map(|s| s.iter())) {
            *slot = *b;
        }
        if ssn::is_ssn(&d) {
            return true;
        }
    }
    if digits >= 12 && prev != Some(b'+') {
        let mut found = Vec::new();
        cards(groups, slices, &mut found);
        if !found.is_empty() {
            return true;
        }
    }
    phone::parse(t, start, true).is_some()
}

/// Whether the digit group at `i` (after a `.`) is too long to be part of a dotted card,
/// IP or phone: a decimal fraction.
pub(crate) fn decimal_fraction(t: &[u8], i: usize) -> bool {
    run_end(t, i, |b| b.is_ascii_digit()) - i > MAX_DOTTED_GROUP as usize
}

/// A run of hex digits and colons around `i` with `::` or at least seven colons; else
/// the end of the run, where the next colon worth a look can start.
fn ipv6_like(bytes: &[u8], i: usize) -> Result<(), usize> {
    let hexish = |b: &u8| b.is_ascii_hexdigit() || *b == b':';
    if !(i > 0 && bytes.get(i - 1).is_some_and(hexish) || bytes.get(i + 1).is_some_and(hexish)) {
        return Err(i + 1);
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
    if colons >= 7 || colons >= 2 && memchr::memmem::find(run, b"::").is_some() {
        Ok(())
    } else {
        Err(end)
    }
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

    #[test]
    fn json_escapes_before_digits_do_not_hide_them() {
        let r = crate::Redactor::default();
        for doc in [
            r#"{"a":"x\n4111111111111111"}"#,
            r#"["a1","-4111111111111111"]"#,
            r#"{"a":"note:\n(415) 555-1234"}"#,
            r#"{"a":"x\t-536-22-1234"}"#,
        ] {
            let out = r.redact_json_bytes(doc.as_bytes()).unwrap();
            assert!(out.is_some(), "{doc}");
        }
    }

    #[test]
    fn case_matters_only_for_key_prefixes() {
        assert!(!may("Asia/Tokyo"));
        assert!(may("ASIA"));
        assert!(may("PassWord"));
        assert!(may("X-Api-Key"));
        assert!(!may("GHP_"));
    }

    /// Text built from the pieces detectors look for.
    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            "[0-9]{1,5}",
            Just("4111".to_owned()),
            Just("1111".to_owned()),
            Just("536".to_owned()),
            Just("22".to_owned()),
            Just("1234".to_owned()),
            Just("415".to_owned()),
            Just("555".to_owned()),
            "[ .()+\\_:@-]",
            "[a-zA-Z]{1,3}",
            Just("\\n".to_owned()),
            Just("\\".to_owned()),
            Just("\"".to_owned()),
            Just("ssn ".to_owned()),
            Just("phone ".to_owned()),
            Just("GB82".to_owned()),
            Just("WEST".to_owned()),
            Just("10.".to_owned()),
            Just("ex.com".to_owned()),
            Just("password=".to_owned()),
            Just("Tr0ub4dor&3".to_owned()),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn whatever_is_found_passes_the_prefilter(s in text()) {
            let r = crate::Redactor::default();
            let (_, counts) = r.mask_text(&s, &crate::redact::key_context::KeyContext::default());
            if !counts.is_empty() {
                proptest::prop_assert!(r.may_match(s.as_bytes()), "text {s:?}");
            }
            for key in ["ssn", "phone", "password", "note"] {
                let mut v = serde_json::json!({ key: s.clone(), "n": [s.clone()] });
                let raw = serde_json::to_vec(&v).unwrap();
                let found = r.redact_value(&mut v, "");
                if !found.is_empty() {
                    proptest::prop_assert!(r.may_match(&raw), "json {}", String::from_utf8_lossy(&raw));
                }
            }
            // Numbers under context keys.
            if let Ok(n) = s.parse::<u64>() {
                for key in ["ssn", "phone", "card"] {
                    let mut v = serde_json::json!({ key: n });
                    let raw = serde_json::to_vec(&v).unwrap();
                    if !r.redact_value(&mut v, "").is_empty() {
                        proptest::prop_assert!(r.may_match(&raw), "{}", String::from_utf8_lossy(&raw));
                    }
                }
            }
        }
    }
}
