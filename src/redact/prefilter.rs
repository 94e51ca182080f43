//! The fast path: one pass over the raw bytes that proves no detector can match, so
//! clean data passes without parsing or copying.
//!
//! It is conservative — anything it cannot rule out counts as a possible match:
//! * digits: a run of digits and phone punctuation (a cluster) without the 9 digits of
//!   an SSN (8 after a `+` for a phone number, 4 with three dots for an IPv4 address)
//!   cannot hold a match and is passed over whole; in the others every digit group is
//!   cut into the regions the scanner sees (same word boundaries, separators and
//!   decimal-fraction rule) and the validators run on them as if every context allowed
//!   them (a bare 9-digit SSN, a bare 10-digit phone), so no key or context word can
//!   turn a ruled-out number into a match; a region right after a JSON escape letter
//!   (`\n`, `\t`, …), which raw and decoded text see differently, counts when its run
//!   holds 4+ digits;
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
//! The digit, IBAN and colon passes read bitmasks of byte classes, 64 bytes at a time
//! ([`super::byte_masks`]): a few shifts and ands find the clusters at least seven
//! bytes long, the colons that may start an IPv6 address and the IBAN-shaped letters
//! and digits, and only those are read as bytes. The keyword pass is one packed (SIMD)
//! search over ASCII-lower-cased chunks. So clean JSON costs a few instructions per
//! byte.

use super::byte_masks::{ByteMasks, Neighbourhood, WIDTH, bit_range, wide_mask};
use super::scan::{Keywords, cards};
use super::text::{at, before, is_word, run_end};
use super::{ip, phone, ssn};

/// Whether the built-in detectors could match anything in `bytes`.
pub(crate) fn builtin_may_match(bytes: &[u8], keywords: &Keywords, base64: bool) -> bool {
    !bytes.is_ascii()
        || unicode_escape(bytes)
        || windows_may_match(bytes)
        || at_signs(bytes)
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

/// The run of digits and phone punctuation (` -.()+`) from a digit on. Every match the
/// digit pass looks for lies inside one: an IPv4 address (four digit groups, three
/// dots), an SSN (9 digits), a card (12 or more) or a phone number (10 or more, or 8
/// after a `+`; see [`phone::parse`]). JSON escapes do not change it: no escape stands
/// for one of its bytes, and `\u` escapes are ruled out before it is looked at.
struct Cluster {
    end: usize,
    /// It may hold a match, so its regions are to be cut and validated: it has the
    /// digits (and, for an address, the dots) of one, and does not lie wholly inside
    /// a word.
    worth_cutting: bool,
}

impl Cluster {
    /// The cluster starting at the digit `j`, read byte by byte.
    fn at(t: &[u8], j: usize) -> Self {
        let end = run_end(t, j, is_cluster_byte);
        let cluster = t.get(j..end).unwrap_or(&[]);
        let digits = cluster.iter().filter(|b| b.is_ascii_digit()).count();
        let separators = (j..end).filter(|&k| !at(t, k).is_some_and(|b| b.is_ascii_digit()));
        Self::judge(t, j, end, digits, separators)
    }

    /// The cluster starting at the digit `j`, from the masks of the window at `i` and
    /// the next one; `None` when it does not start in the first or may run on past the
    /// second. Only its separators are read as bytes.
    fn in_windows(t: &[u8], n: &Neighbourhood, i: usize, j: usize) -> Option<Self> {
        let q = j.checked_sub(i).filter(|&q| q < WIDTH)?;
        let run = wide_mask(n.cur.cluster, n.next.cluster) >> q;
        let len = (!run).trailing_zeros() as usize;
        if q + len >= 2 * WIDTH {
            return None;
        }
        let within = (1u128 << len) - 1;
        let digits = wide_mask(n.cur.digit, n.next.digit) >> q & within;
        let mut left = !digits & within;
        let separators = std::iter::from_fn(move || {
            let k = left.trailing_zeros() as usize;
            left &= left.wrapping_sub(1);
            (k < 128).then_some(j + k)
        });
        // Counted one by one: a cluster has few separators, and `count_ones` is a long
        // bit-twiddling sequence on processors without a population-count instruction.
        let digit_count = len - separators.clone().count();
        Some(Self::judge(t, j, j + len, digit_count, separators))
    }

    /// Judges the cluster `j..end` from its digit count and the positions of its other
    /// bytes (its separators).
    fn judge(
        t: &[u8],
        j: usize,
        end: usize,
        digits: usize,
        separators: impl Iterator<Item = usize> + Clone,
    ) -> Self {
        let byte = |k: usize| at(t, k).unwrap_or(0);
        let enough_digits = digits >= 9
            || digits >= 8
                && (before(t, j) == Some(b'+') || separators.clone().any(|k| byte(k) == b'+'))
            || digits >= 4
                && separators
                    .clone()
                    .filter(|&k| byte(k) == b'.')
                    .nth(2)
                    .is_some();
        // Digit groups joined by single dashes or dots and nothing else: then, when the
        // first group is inside a word, so is every other (a UUID's or a SKU's tail).
        let joined = || {
            separators.clone().all(|k| {
                matches!(byte(k), b'-' | b'.') && before(t, k).is_some_and(|b| b.is_ascii_digit())
            })
        };
        // A decimal number with a long fraction (`32.989999999999995`, a float price):
        // the scanner's groups stop at the point and the fraction lies inside a word, so
        // only the integer part could match, and fewer than eight digits cannot.
        let short_decimal = || {
            let mut seps = separators.clone();
            match (seps.next(), seps.next()) {
                (Some(k), None) => {
                    byte(k) == b'.' && k - j < 8 && end - (k + 1) > MAX_DOTTED_GROUP as usize
                }
                _ => false,
            }
        };
        let plain = !after_escape(t, j);
        Cluster {
            end,
            worth_cutting: enough_digits
                && !(plain && inside_word(t, j) && joined())
                && !(plain && short_decimal()),
        }
    }
}

/// Digits and phone punctuation: the bytes of a cluster.
fn is_cluster_byte(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'+')
}

/// Digits in the run of digits and phone punctuation starting at `j`.
fn cluster_digits(t: &[u8], j: usize) -> usize {
    t.get(j..)
        .unwrap_or(&[])
        .iter()
        .take_while(|&&b| is_cluster_byte(b))
        .filter(|b| b.is_ascii_digit())
        .count()
}

/// Whether the digits at `j` follow a JSON escape letter (`\n5`, `\n-5`).
fn after_escape(t: &[u8], j: usize) -> bool {
    j >= 1 && (escape_letter(t, j - 1) || j >= 2 && escape_letter(t, j - 2))
}

/// Whether the digits at `j` continue a word: after a letter or `_`, or after a `-` or
/// `.` that follows a word character.
fn inside_word(t: &[u8], j: usize) -> bool {
    let prev = before(t, j);
    prev.is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        || matches!(prev, Some(b'-' | b'.')) && before(t, j - 1).is_some_and(is_word)
}

/// The digit, IBAN and colon passes, over the byte masks of 64-byte windows. Only
/// three kinds of place get a closer look, each found for a whole window at once:
/// digits from which a run of digits and phone punctuation long enough for a match
/// goes on ([`Neighbourhood::long_clusters`]), colons that may start an IPv6 address,
/// and two upper-case letters before two digits (an IBAN). In clean JSON the many
/// short numbers (ids, prices, times, parts of UUIDs) are passed over without being
/// visited.
///
/// With AVX2 (checked at run time, once per text) the masks are computed 32 bytes at a
/// time from nibble tables ([`super::byte_masks_avx2`]), and the whole loop is compiled
/// for that processor; the answer is the same.
fn windows_may_match(t: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if super::byte_masks_avx2::available() {
        // SAFETY: `windows_may_match_avx2` needs AVX2, and the processor has it: checked
        // just above. It is otherwise safe code.
        #[allow(unsafe_code)]
        return unsafe { windows_may_match_avx2(t) };
    }
    windows_may_match_with(t, ByteMasks::at)
}

/// [`windows_may_match`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn windows_may_match_avx2(t: &[u8]) -> bool {
    windows_may_match_with(t, |t, i| super::byte_masks_avx2::masks_at(t, i))
}

/// [`windows_may_match`] with `masks_at` computing the masks of the window at an
/// offset ([`ByteMasks::at`] or its AVX2 twin).
#[inline(always)]
fn windows_may_match_with(t: &[u8], masks_at: impl Fn(&[u8], usize) -> ByteMasks) -> bool {
    let mut n = Neighbourhood {
        prev: ByteMasks::default(),
        cur: masks_at(t, 0),
        next: ByteMasks::default(),
    };
    // Where the run of cluster bytes that is open at the window's start began.
    let mut run_start = 0;
    // Clusters and colon runs before these were looked at already.
    let (mut clusters_done, mut colons_done) = (0usize, 0usize);
    let mut i = 0;
    while i < t.len() {
        n.next = masks_at(t, i + WIDTH);
        if n.iban_starts() != 0 {
            return true;
        }
        // A cluster's digits after the first are passed over with it.
        let mut long = n.long_clusters() & !bit_range(0, clusters_done.saturating_sub(i));
        while long != 0 {
            let p = long.trailing_zeros() as usize;
            let j = first_digit_of_run(t, &n.cur, i, p, run_start);
            let cluster = Cluster::in_windows(t, &n, i, j).unwrap_or_else(|| Cluster::at(t, j));
            if cluster.worth_cutting && regions_may_match(t, j, cluster.end) {
                return true;
            }
            clusters_done = cluster.end;
            long &= !bit_range(0, cluster.end - i);
        }
        let mut colons = n.ipv6_starts() & !bit_range(0, colons_done.saturating_sub(i));
        while colons != 0 {
            let p = colons.trailing_zeros() as usize;
            match ipv6_like(t, i + p) {
                Ok(()) => return true,
                Err(end) => colons_done = end,
            }
            colons &= !bit_range(0, colons_done.saturating_sub(i));
        }
        let outside = !n.cur.cluster;
        if n.cur.cluster >> 63 == 0 {
            run_start = i + WIDTH;
        } else if outside != 0 {
            run_start = i + WIDTH - outside.leading_zeros() as usize;
        }
        n.prev = n.cur;
        n.cur = n.next;
        i += WIDTH;
    }
    false
}

/// The first digit of the run of cluster bytes holding the digit at bit `p` of the
/// window at `i`; `run_start` is where the run open at the window's start began.
fn first_digit_of_run(t: &[u8], cur: &ByteMasks, i: usize, p: usize, run_start: usize) -> usize {
    let outside = !cur.cluster & bit_range(0, p);
    let start = if outside == 0 {
        run_start
    } else {
        i + WIDTH - outside.leading_zeros() as usize
    };
    if start >= i {
        let digits = cur.digit & !bit_range(0, start - i);
        return i + digits.trailing_zeros() as usize;
    }
    next_digit(t, start).unwrap_or(i + p)
}

/// The digit regions of the scanner's digit pass between `from` and `to`, each run
/// through the validators with every context allowed.
fn regions_may_match(t: &[u8], from: usize, to: usize) -> bool {
    let mut i = from;
    let within = t.get(..to).unwrap_or(t);
    while let Some(j) = next_digit(within, i) {
        if after_escape(t, j) {
            if cluster_digits(t, j) >= 4 {
                return true;
            }
            i = run_end(t, j, |b| b.is_ascii_digit());
            continue;
        }
        let prev = before(t, j);
        if inside_word(t, j) {
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
            "1:2:3:4:5:6:7:8",
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

    #[test]
    fn a_decimal_with_a_long_fraction_is_passed_over_unless_its_integer_part_could_match() {
        let r = crate::Redactor::default();
        let ctx = crate::redact::key_context::KeyContext::default();
        for clean in [
            "{\"price\":32.989999999999995}",
            "x 1.2345678 y",
            "4111111.1111111",
        ] {
            assert!(!r.may_match(clean.as_bytes()), "{clean}");
        }
        // A card as the integer part is found, and passes.
        let card = "4111111111111111.1234567";
        assert!(!r.mask_text(card, &ctx).1.is_empty());
        assert!(r.may_match(card.as_bytes()));
        // The cluster from the first digit on is still cut and validated with an
        // eight-digit integer part, a short fraction (its groups go on), more groups, or
        // after a JSON escape (read differently once decoded).
        let cut = |t: &str| {
            let j = t.bytes().position(|b| b.is_ascii_digit()).unwrap();
            Cluster::at(t.as_bytes(), j).worth_cutting
        };
        assert!(!cut("4111111.1111111"));
        for text in [
            "41111111.1111111",
            "4111111.411111",
            "4111111.1111111-1111-1111",
            "\\n4111111.1111111",
        ] {
            assert!(cut(text), "{text}");
        }
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
            Just("fe80::".to_owned()),
            Just("db8:".to_owned()),
            Just("0:".to_owned()),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    /// Cluster verdicts from the window masks, where they can be had, against those
    /// read byte by byte, for every digit of `t`.
    fn clusters_agree(t: &[u8]) -> Result<(), proptest::test_runner::TestCaseError> {
        for i in (0..t.len()).step_by(WIDTH) {
            let n = Neighbourhood {
                prev: ByteMasks::default(),
                cur: ByteMasks::at(t, i),
                next: ByteMasks::at(t, i + WIDTH),
            };
            for j in (i..i + WIDTH).filter(|&j| at(t, j).is_some_and(|b| b.is_ascii_digit())) {
                let bytes = Cluster::at(t, j);
                if let Some(masks) = Cluster::in_windows(t, &n, i, j) {
                    proptest::prop_assert_eq!(
                        (masks.end, masks.worth_cutting),
                        (bytes.end, bytes.worth_cutting),
                        "{:?} at {}",
                        String::from_utf8_lossy(t),
                        j
                    );
                }
            }
        }
        Ok(())
    }

    #[test]
    fn clusters_crossing_windows_are_found() {
        let r = crate::Redactor::default();
        for pad in 50..80 {
            for value in [
                "4111 1111 1111 1111",
                "536-22-1234",
                "1.2.3.4",
                "+49 30 1234567",
                "fe80::1",
            ] {
                let text = format!("{}{value}~", "~".repeat(pad));
                assert!(r.may_match(text.as_bytes()), "{value} after {pad}");
            }
        }
        // A cluster longer than two windows is read byte by byte.
        let long = format!("{}4111111111111111", "1 ".repeat(80));
        assert!(r.may_match(long.as_bytes()));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn masks_and_bytes_judge_clusters_alike(s in text(), pad in 0usize..140) {
            let t = format!("{}{s}", "~".repeat(pad));
            clusters_agree(t.as_bytes())?;
        }

        /// The same text after `pad` filler bytes: its clusters and colons sit across
        /// window edges.
        #[test]
        fn whatever_is_found_passes_the_prefilter_at_any_offset(s in text(), pad in 0usize..140) {
            let r = crate::Redactor::default();
            let t = format!("{}{s}", "~".repeat(pad));
            let (_, counts) = r.mask_text(&t, &crate::redact::key_context::KeyContext::default());
            if !counts.is_empty() {
                proptest::prop_assert!(r.may_match(t.as_bytes()), "text {t:?}");
            }
        }

        /// The loop over portable masks says what the one the processor gets says (on
        /// a processor with AVX2, the AVX2 masks).
        #[test]
        fn portable_and_dispatched_windows_agree(s in text(), pad in 0usize..140) {
            let t = format!("{}{s}", "~".repeat(pad));
            proptest::prop_assert_eq!(
                windows_may_match_with(t.as_bytes(), ByteMasks::at),
                windows_may_match(t.as_bytes()),
                "text {:?}", t
            );
        }

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
