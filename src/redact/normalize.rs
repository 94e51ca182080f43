//! Normalization before matching, with an offset map back to the original text.
//!
//! What a detector sees is the text with:
//! * `\uXXXX` escapes (and surrogate pairs) decoded — a string that still carries JSON
//!   escapes (double-encoded JSON, plain text from a JSON source) cannot hide digits;
//! * every Unicode decimal digit (`Nd`: fullwidth, Arabic-Indic, Devanagari, …) folded to
//!   its ASCII digit, so `４１１１…` is a card number;
//! * fullwidth ASCII forms folded (`＠` is `@`), Unicode spaces folded to a space and
//!   dashes to `-`;
//! * default-ignorable code points (zero-width space and joiners, soft hyphen, bidi
//!   controls, variation selectors, tags) dropped.
//!
//! Each normalized byte maps to the original byte offset it came from, so a match is
//! masked in the original text, including any characters that were dropped inside it.

use std::borrow::Cow;

/// Normalized text and its map to the original.
#[derive(Debug)]
pub(crate) struct Normalized<'a> {
    text: Cow<'a, str>,
    /// `map[i]` is the original offset of normalized byte `i`; `map[len]` is the
    /// original length. `None` when the text is unchanged.
    map: Option<Vec<usize>>,
    original_len: usize,
}

impl<'a> Normalized<'a> {
    /// The normalized text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The original byte offset of normalized offset `i`.
    pub(crate) fn original(&self, i: usize) -> usize {
        match &self.map {
            None => i.min(self.original_len),
            Some(map) => map.get(i).copied().unwrap_or(self.original_len),
        }
    }
}

/// Normalizes `text` (see the module docs). Pure ASCII without a backslash is returned
/// as is, without copying.
pub(crate) fn normalize(text: &str) -> Normalized<'_> {
    let bytes = text.as_bytes();
    let plain = if bytes.len() <= 64 {
        // One read of a short text costs less than two calls.
        bytes
            .iter()
            .fold(0u8, |odd, &b| odd | (b & 0x80) | u8::from(b == b'\\'))
            == 0
    } else {
        bytes.is_ascii() && memchr::memchr(b'\\', bytes).is_none()
    };
    if plain {
        return Normalized {
            text: Cow::Borrowed(text),
            map: None,
            original_len: text.len(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    let mut rest = text;
    let mut offset = 0;
    while let Some(c) = rest.chars().next() {
        let (decoded, used) = if c == '\\' {
            decode_escape(rest).unwrap_or((c, 1))
        } else {
            (c, c.len_utf8())
        };
        if let Some(folded) = fold(decoded) {
            let before = out.len();
            out.push(folded);
            map.extend(std::iter::repeat_n(offset, out.len() - before));
        }
        offset += used;
        rest = rest.get(used..).unwrap_or("");
    }
    map.push(text.len());
    Normalized {
        text: Cow::Owned(out),
        map: Some(map),
        original_len: text.len(),
    }
}

/// Decodes a `\uXXXX` escape (or a `\uD8xx\uDCxx` pair) at the start of `s`.
fn decode_escape(s: &str) -> Option<(char, usize)> {
    let hi = hex4(s.get(2..6)?)?;
    if s.as_bytes().get(1) != Some(&b'u') {
        return None;
    }
    if (0xD800..0xDC00).contains(&hi) {
        let tail = s.get(6..)?;
        if !tail.starts_with("\\u") {
            return None;
        }
        let lo = hex4(tail.get(2..6)?)?;
        if !(0xDC00..0xE000).contains(&lo) {
            return None;
        }
        let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
        return Some((c, 12));
    }
    Some((char::from_u32(hi)?, 6))
}

fn hex4(s: &str) -> Option<u32> {
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// What `c` becomes for matching: itself, a folded ASCII form, or nothing.
fn fold(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c);
    }
    if is_default_ignorable(c) {
        return None;
    }
    if let Some(d) = unicode_digit(c) {
        return Some(d);
    }
    let u = c as u32;
    Some(match u {
        // Fullwidth ASCII variants.
        0xFF01..=0xFF5E => char::from_u32(u - 0xFF01 + 0x21).unwrap_or(c),
        0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => ' ',
        0x2010..=0x2015 | 0x2212 | 0xFE58 | 0xFE63 => '-',
        _ => c,
    })
}

/// The first code point (digit zero) of each run of ten `Nd` digits outside ASCII.
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE, 0x1D7D8,
    0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

/// The ASCII digit of a non-ASCII decimal digit.
fn unicode_digit(c: char) -> Option<char> {
    let u = c as u32;
    let i = DIGIT_ZEROS.partition_point(|&z| z <= u);
    let zero = *DIGIT_ZEROS.get(i.checked_sub(1)?)?;
    let value = u - zero;
    (value < 10).then(|| char::from(b'0' + value as u8))
}

/// Default_Ignorable_Code_Point (Unicode DerivedCoreProperties), which renders as
/// nothing and so can hide inside a value.
fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_borrowed() {
        let n = normalize("4111 1111");
        assert!(matches!(n.text, Cow::Borrowed(_)));
        assert_eq!(n.original(3), 3);
    }

    #[test]
    fn every_unicode_decimal_digit_folds() {
        let nd = regex::Regex::new(r"^\d$").unwrap();
        let mut missing = Vec::new();
        for c in (0x80..0x110000).filter_map(char::from_u32) {
            if nd.is_match(c.encode_utf8(&mut [0; 4])) && unicode_digit(c).is_none() {
                missing.push(format!("{:X}", c as u32));
            }
        }
        assert!(missing.is_empty(), "unfolded digits: {missing:?}");
        assert_eq!(unicode_digit('٤'), Some('4'));
        assert_eq!(unicode_digit('४'), Some('4'));
        assert_eq!(unicode_digit('a'), None);
        assert_eq!(unicode_digit('\u{0670}'), None);
    }

    #[test]
    fn escapes_digits_and_ignorables_with_offsets() {
        let src = "a\\u0034１\u{200B}2";
        let n = normalize(src);
        assert_eq!(n.text(), "a412");
        assert_eq!(n.original(1), 1);
        assert_eq!(n.original(2), 7);
        // `2` comes after the zero-width space.
        assert_eq!(n.original(3), 7 + 3 + 3);
        assert_eq!(n.original(4), src.len());
    }

    #[test]
    fn surrogate_pairs_and_bad_escapes() {
        assert_eq!(normalize("\\ud83d\\ude00x").text(), "\u{1F600}x");
        assert_eq!(normalize("\\uzzzz").text(), "\\uzzzz");
        assert_eq!(normalize("\\ud83d").text(), "\\ud83d");
        assert_eq!(normalize("x\\n").text(), "x\\n");
    }
}
