//! JSON string content in its serialized form: where a string ends, what its escapes
//! stand for, and how text is escaped into one (as serde_json escapes it, once per
//! string it sits in).

use super::byte_walk::Bail;
use super::prefilter::{HI, LO};
use super::walk::MAX_NESTED_JSON;

/// Where the string whose content reaches `from` ends (its closing quote), stepping
/// over escapes; `None` if it does not end well.
pub(crate) fn raw_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = special(bytes, from)?;
        match bytes.get(i)? {
            b'"' => return Some(i),
            b'\\' => from = i + 2,
            _ => return None,
        }
    }
}

/// The character of the escape sequence at `i` (its backslash) and the bytes it uses.
pub(crate) fn escape_at(bytes: &[u8], i: usize) -> Result<(char, usize), Bail> {
    let c = match bytes.get(i + 1).copied().ok_or(Bail::Invalid)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let (c, used) = unicode_escape(bytes.get(i + 2..).unwrap_or(&[]))?;
            return Ok((c, 2 + used));
        }
        _ => return Err(Bail::Invalid),
    };
    Ok((c, 2))
}

/// The first byte at or after `from` that a string's content cannot hold as it is: a
/// quote, a backslash or a control character. Eight bytes at a time: the lowest byte a
/// has-zero test flags is always a true match, so the first match is exact.
pub(crate) fn special(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(x) = word_at(bytes, from) {
        let found = specials_in(x);
        if found != 0 {
            return Some(from + (found.trailing_zeros() / 8) as usize);
        }
        from += 8;
    }
    bytes
        .get(from..)?
        .iter()
        .position(|&b| is_special(b))
        .map(|p| from + p)
}

/// How many low bytes of a word come before the lowest byte flagged in `flags` (any
/// bit of a byte flags it): 8 when none is.
fn plain_bytes(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// Whether a string's content cannot hold `b` as it is.
fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The eight bytes at `from`, little-endian, if there are eight.
fn word_at(bytes: &[u8], from: usize) -> Option<u64> {
    bytes
        .get(from..)?
        .first_chunk::<8>()
        .map(|w| u64::from_le_bytes(*w))
}

/// The high bit of each byte of `x` that [`is_special`], and perhaps of bytes above the
/// lowest such one (a has-zero test's borrow): zero exactly when none is.
fn specials_in(x: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    zero(x ^ (LO * u64::from(b'"')))
        | zero(x ^ (LO * u64::from(b'\\')))
        | x.wrapping_sub(LO * 0x20) & !x & HI
}

/// The four hex digits of a `\u` escape (after the `u`), and a low surrogate's escape
/// after a high one; the character and the bytes used. Lone surrogates are serde_json's
/// to judge.
fn unicode_escape(rest: &[u8]) -> Result<(char, usize), Bail> {
    let hex = |at: usize| -> Result<u32, Bail> {
        let digits = rest.get(at..at + 4).ok_or(Bail::Invalid)?;
        let text = std::str::from_utf8(digits).map_err(|_| Bail::Invalid)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(Bail::Invalid);
        }
        u32::from_str_radix(text, 16).map_err(|_| Bail::Invalid)
    };
    let first = hex(0)?;
    match first {
        0xD800..=0xDBFF => {
            if rest.get(4..6) != Some(b"\\u") {
                return Err(Bail::Unsupported);
            }
            let second = hex(6)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return Err(Bail::Unsupported);
            }
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            Ok((char::from_u32(c).ok_or(Bail::Invalid)?, 10))
        }
        0xDC00..=0xDFFF => Err(Bail::Unsupported),
        c => Ok((char::from_u32(c).ok_or(Bail::Invalid)?, 4)),
    }
}

/// Appends `bytes` escaped as serde_json escapes string content, `levels` times over
/// (once per string the text sits in).
pub(crate) fn push_escaped(out: &mut Vec<u8>, bytes: &[u8], levels: u8) {
    let Some(inner) = levels.checked_sub(1) else {
        out.extend_from_slice(bytes);
        return;
    };
    out.reserve(bytes.len());
    let mut from = 0;
    loop {
        // A word at a time up to the next byte that needs an escape: the whole word is
        // stored and what lies past that byte dropped, since a copy of a fixed size is a
        // store where one of a length known only at run time is a call.
        if let Some(x) = word_at(bytes, from) {
            let plain = plain_bytes(specials_in(x));
            let len = out.len();
            out.extend_from_slice(&x.to_le_bytes());
            out.truncate(len + plain);
            from += plain;
            if plain == 8 {
                continue;
            }
        }
        let Some(&b) = bytes.get(from) else {
            return;
        };
        if is_special(b) {
            let (escape, len) = escaped(b);
            push_escaped(out, escape.get(..len).unwrap_or(&[]), inner);
        } else {
            out.push(b);
        }
        from += 1;
    }
}

/// How serde_json escapes `b`, a byte [`special`] stops at: the bytes, and how many.
fn escaped(b: u8) -> ([u8; 6], usize) {
    let short = |c: u8| ([b'\\', c, 0, 0, 0, 0], 2);
    match b {
        b'"' => short(b'"'),
        b'\\' => short(b'\\'),
        b'\n' => short(b'n'),
        b'\r' => short(b'r'),
        b'\t' => short(b't'),
        0x08 => short(b'b'),
        0x0c => short(b'f'),
        _ => {
            let hex = |n: u8| {
                b"0123456789abcdef"
                    .get(usize::from(n))
                    .copied()
                    .unwrap_or(b'0')
            };
            ([b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b & 0xf)], 6)
        }
    }
}

/// Whether the raw content of a string (`raw`, from after its opening quote on) is
/// exactly `plain` escaped as [`push_escaped`] escapes it, up to the string's closing
/// quote: if so, how many bytes of `plain` that is and where the quote is in `raw`.
/// Segments between the bytes that need escaping are compared whole.
pub(crate) fn escaped_copy(raw: &[u8], plain: &[u8]) -> Option<(usize, usize)> {
    let (mut r, mut p) = (0usize, 0usize);
    loop {
        // A word at a time up to the first byte that differs or needs an escape.
        if let (Some(x), Some(y)) = (word_at(raw, r), word_at(plain, p)) {
            let same = plain_bytes(specials_in(y) | (x ^ y));
            r += same;
            p += same;
            if same == 8 {
                continue;
            }
        }
        let c = *raw.get(r)?;
        if c == b'"' {
            return Some((p, r));
        }
        let b = *plain.get(p)?;
        if is_special(b) {
            let (escape, len) = escaped(b);
            let same = raw
                .get(r..r + len)?
                .iter()
                .zip(escape)
                .all(|(x, y)| *x == y);
            if !same {
                return None;
            }
            r += len;
        } else if c == b {
            r += 1;
        } else {
            return None;
        }
        p += 1;
    }
}

/// The first `want` bytes (or fewer, if the string closes first) of the content of the
/// string whose raw content starts at `from`, decoded.
pub(crate) fn decoded_prefix(bytes: &[u8], mut from: usize, want: usize) -> Result<Vec<u8>, Bail> {
    let mut out = Vec::with_capacity(want + 4);
    while out.len() < want {
        match bytes.get(from).copied().ok_or(Bail::Invalid)? {
            b'"' => break,
            b'\\' => {
                let (c, used) = escape_at(bytes, from)?;
                out.extend_from_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes());
                from += used;
            }
            b => {
                out.push(b);
                from += 1;
            }
        }
    }
    Ok(out)
}

/// A quote as it is written `levels` strings deep (documents nest at most
/// [`MAX_NESTED_JSON`] strings deep).
const _: () = assert!(MAX_NESTED_JSON <= 3);
pub(crate) fn quote(levels: u8) -> &'static [u8] {
    match levels {
        0 => b"\"",
        1 => b"\\\"",
        2 => b"\\\\\\\"",
        _ => b"\\\\\\\\\\\\\\\"",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_ends_are_found_eight_bytes_at_a_time_and_after() {
        let text = b"abcdefgh\\ijklmnopqrstu\"\x01";
        assert_eq!(super::special(text, 0), Some(8));
        assert_eq!(super::special(text, 9), Some(22));
        assert_eq!(super::special(text, 23), Some(23));
        assert_eq!(super::special(text, 24), None);
        assert_eq!(super::special(b"\xc3\xa9abcdefghijk", 0), None);
        assert_eq!(super::special(b"", 0), None);
    }

    /// `plain` escaped as the walk escapes it, closed with a quote and followed by more.
    fn raw_of(plain: &[u8]) -> Vec<u8> {
        let mut raw = Vec::new();
        push_escaped(&mut raw, plain, 1);
        raw.extend_from_slice(b"\",\"next\":1}");
        raw
    }

    #[test]
    fn a_copy_is_recognized_up_to_its_closing_quote() {
        let plain = b"{\"a\":\"x\\y\n\x01\"}, more";
        let raw = raw_of(b"{\"a\":\"x\\y\n\x01\"}");
        let end = raw.iter().position(|&b| b == b',').unwrap() - 1;
        assert_eq!(escaped_copy(&raw, plain), Some((plain.len() - 6, end)));
        // A copy shorter than the value, ending inside a segment.
        assert_eq!(escaped_copy(b"{\\\"ab\"", b"{\"abc"), Some((4, 5)));
        // Valid escapes the walk does not write, and differing bytes.
        assert_eq!(escaped_copy(b"a\\/b\"", b"a/b\""), None);
        assert_eq!(escaped_copy(b"\\u0041\"", b"A\""), None);
        assert_eq!(escaped_copy(b"abd\"", b"abc\""), None);
        // The value ends before the copy does.
        assert_eq!(escaped_copy(b"abcd\"", b"abc"), None);
    }

    #[test]
    fn a_prefix_is_decoded_until_the_string_closes() {
        assert_eq!(
            decoded_prefix(b"\"x\\\"y\\u00e9z\"", 1, 3),
            Ok(b"x\"y".to_vec())
        );
        assert_eq!(
            decoded_prefix(b"\"x\\\"y\\u00e9z\"", 1, 32),
            Ok("x\"y\u{e9}z".as_bytes().to_vec())
        );
        assert_eq!(decoded_prefix(b"\"abc", 1, 32), Err(Bail::Invalid));
        assert_eq!(raw_end(b"ab\\\"c\"d", 0), Some(5));
        assert_eq!(raw_end(b"ab\\", 0), None);
    }

    proptest::proptest! {
        #[test]
        fn whatever_the_walk_escapes_is_recognized_as_a_copy(
            plain in proptest::collection::vec(proptest::sample::select(b"ab\"\\\n\t\x01\x1f/{}\xc3\xa9".to_vec()), 0..64),
            cut in 0usize..64,
        ) {
            let raw = raw_of(&plain);
            let raw_len = raw.len() - b"\",\"next\":1}".len();
            let mut longer = plain.clone();
            longer.extend_from_slice(b"\"tail");
            proptest::prop_assert_eq!(escaped_copy(&raw, &longer), Some((plain.len(), raw_len)));
            // Any other byte at `cut` breaks it.
            let at = cut % plain.len().max(1);
            if let Some(b) = longer.get_mut(at).filter(|_| !plain.is_empty()) {
                *b ^= b'z';
                proptest::prop_assert_ne!(escaped_copy(&raw, &longer), Some((plain.len(), raw_len)));
            }
        }
    }
}
