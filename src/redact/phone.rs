//! PHONE: NANP numbers and E.164 international numbers.
//!
//! A phone number needs a shape: a leading `+`, parentheses around the area code, or
//! separators between the groups. Bare runs of digits are phones only under a phone key
//! or after a phone word, so epoch timestamps, order numbers, dotted quads and versions
//! are never phones.

use super::text::{at, is_word};

/// Words that, in a key or just before a bare number, say it is a phone number.
pub(crate) const CONTEXT_WORDS: &[&str] = &["phone", "mobile", "tel", "fax", "cell"];

/// Two-digit country calling codes (one-digit: 1 and 7; the rest are three digits).
const TWO_DIGIT_CODES: &[u8] = &[
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56,
    57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
];

/// The end of a phone number starting at `start` (a `+`, `(` or digit), if one does.
/// `bare_ok` allows a bare 10-digit NANP number (phone context).
pub(crate) fn parse(text: &[u8], start: usize, bare_ok: bool) -> Option<usize> {
    if at(text, start) == Some(b'+') {
        return international(text, start + 1);
    }
    nanp(text, start, bare_ok)
}

/// `+` then 8–15 digits, groups separated by single spaces, dashes or dots (parentheses
/// around one group allowed).
fn international(text: &[u8], mut i: usize) -> Option<usize> {
    let mut digits = [0u8; 15];
    let mut n = 0;
    let mut end = i;
    let mut sep: Option<u8> = None;
    loop {
        match at(text, i) {
            Some(d) if d.is_ascii_digit() => {
                *digits.get_mut(n)? = d;
                n += 1;
                i += 1;
                end = i;
            }
            Some(s @ (b' ' | b'-' | b'.'))
                if n > 0 && at(text, i + 1).is_some_and(|b| b.is_ascii_digit() || b == b'(') =>
            {
                if sep.is_some_and(|p| p != s) {
                    break;
                }
                sep = Some(s);
                i += 1;
            }
            Some(b'(') if n > 0 && at(text, i + 1).is_some_and(|b| b.is_ascii_digit()) => i += 1,
            Some(b')')
                if n > 0 && at(text, i.wrapping_sub(1)).is_some_and(|b| b.is_ascii_digit()) =>
            {
                i += 1
            }
            _ => break,
        }
    }
    let digits = digits.get(..n)?;
    if !(8..=15).contains(&n) || !ends_cleanly(text, end) {
        return None;
    }
    let national = match digits {
        [b'1', rest @ ..] => return (rest.len() == 10 && nanp_digits(rest)).then_some(end),
        [b'7', rest @ ..] => rest,
        [a, b, rest @ ..] if TWO_DIGIT_CODES.contains(&((a - b'0') * 10 + (b - b'0'))) => rest,
        [b'0', ..] => return None,
        [_, _, _, rest @ ..] => rest,
        _ => return None,
    };
    (national.len() >= 6 && national.first() != Some(&b'0') || national.len() >= 7).then_some(end)
}

/// `[1 ]` `(NXX) NXX-XXXX`, `NXX-NXX-XXXX`, `NXX.NXX.XXXX`, `NXX NXX XXXX`, or bare
/// `NXXNXXXXXX` when allowed.
fn nanp(text: &[u8], start: usize, bare_ok: bool) -> Option<usize> {
    let mut i = start;
    let mut digits = [0u8; 10];
    // Optional trunk prefix `1` and a separator.
    if at(text, i) == Some(b'1') && matches!(at(text, i + 1), Some(b' ' | b'-' | b'.')) {
        i += 2;
    }
    let sep;
    if at(text, i) == Some(b'(') {
        take(text, i + 1, digits.get_mut(..3)?)?;
        if at(text, i + 4) != Some(b')') {
            return None;
        }
        i += 5;
        if matches!(at(text, i), Some(b' ')) {
            i += 1;
        }
        take(text, i, digits.get_mut(3..6)?)?;
        i += 3;
        sep = at(text, i).filter(|s| matches!(s, b'-' | b'.' | b' '))?;
        i += 1;
    } else {
        take(text, i, digits.get_mut(..3)?)?;
        i += 3;
        match at(text, i) {
            Some(s @ (b'-' | b'.' | b' ')) => {
                sep = s;
                i += 1;
                take(text, i, digits.get_mut(3..6)?)?;
                i += 3;
                if at(text, i) != Some(sep) {
                    return None;
                }
                i += 1;
            }
            Some(d) if d.is_ascii_digit() && bare_ok && i == start + 3 => {
                take(text, i, digits.get_mut(3..10)?)?;
                i += 7;
                return (ends_cleanly(text, i) && nanp_digits(&digits)).then_some(i);
            }
            _ => return None,
        }
    }
    let _ = sep;
    take(text, i, digits.get_mut(6..10)?)?;
    i += 4;
    (ends_cleanly(text, i) && nanp_digits(&digits)).then_some(i)
}

/// Copies `out.len()` digits at `i` into `out`.
fn take(text: &[u8], i: usize, out: &mut [u8]) -> Option<()> {
    for (k, slot) in out.iter_mut().enumerate() {
        *slot = at(text, i + k).filter(u8::is_ascii_digit)?;
    }
    Some(())
}

/// Area code and exchange start with 2–9; the area code is not N11 or 555-style 37X/96X
/// reserved.
fn nanp_digits(d: &[u8]) -> bool {
    let [a, b, c, e, ..] = d else { return false };
    d.len() == 10
        && (b'2'..=b'9').contains(a)
        && (b'2'..=b'9').contains(e)
        && !(*b == b'1' && *c == b'1')
}

/// A number ends where no digit, word character or further digit group follows.
fn ends_cleanly(text: &[u8], end: usize) -> bool {
    match at(text, end) {
        None => true,
        Some(b) if is_word(b) => false,
        Some(b'-' | b'.') => !at(text, end + 1).is_some_and(|b| b.is_ascii_digit()),
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(s: &str, bare: bool) -> bool {
        parse(s.as_bytes(), 0, bare) == Some(s.len())
    }

    #[test]
    fn nanp_and_e164() {
        for p in [
            "(415) 555-2671",
            "415-555-2671",
            "415.555.2671",
            "1-415-555-2671",
            "+1 415 555 2671",
            "+14155552671",
            "+44 20 7946 0958",
            "+49 30 12345678",
            "+33 1 23 45 67 89",
            "(415)555-2671",
        ] {
            assert!(phone(p, false), "{p}");
        }
        assert!(phone("4155552671", true));
        for p in [
            "4155552671",
            "1700000000",
            "115-555-2671",
            "415-155-2671",
            "+0 123 456 789",
            "+1234",
            "415-555-2671-12",
        ] {
            assert!(!phone(p, false), "{p}");
        }
    }
}
