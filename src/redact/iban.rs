//! IBAN: mod-97 plus the per-country length and BBAN shape table.

use super::text::{at, is_word};

/// Country code, IBAN length, and the BBAN shape as (count, class) pairs where the class
/// is `n` digits, `a` upper-case letters, `c` letters or digits.
const COUNTRIES: &[(&[u8; 2], usize, &str)] = &[
    (b"AD", 24, "8n12c"),
    (b"AE", 23, "19n"),
    (b"AL", 28, "8n16c"),
    (b"AT", 20, "16n"),
    (b"AZ", 28, "4a20c"),
    (b"BA", 20, "16n"),
    (b"BE", 16, "12n"),
    (b"BG", 22, "4a6n8c"),
    (b"BH", 22, "4a14c"),
    (b"BR", 29, "23n1a1c"),
    (b"BY", 28, "4c4n16c"),
    (b"CH", 21, "5n12c"),
    (b"CR", 22, "18n"),
    (b"CY", 28, "8n16c"),
    (b"CZ", 24, "20n"),
    (b"DE", 22, "18n"),
    (b"DK", 18, "14n"),
    (b"DO", 28, "4c20n"),
    (b"EE", 20, "16n"),
    (b"EG", 29, "25n"),
    (b"ES", 24, "20n"),
    (b"FI", 18, "14n"),
    (b"FO", 18, "14n"),
    (b"FR", 27, "10n11c2n"),
    (b"GB", 22, "4a14n"),
    (b"GE", 22, "2a16n"),
    (b"GI", 23, "4a15c"),
    (b"GL", 18, "14n"),
    (b"GR", 27, "7n16c"),
    (b"GT", 28, "24c"),
    (b"HR", 21, "17n"),
    (b"HU", 28, "24n"),
    (b"IE", 22, "4a14n"),
    (b"IL", 23, "19n"),
    (b"IQ", 23, "4a15n"),
    (b"IS", 26, "22n"),
    (b"IT", 27, "1a10n12c"),
    (b"JO", 30, "4a4n18c"),
    (b"KW", 30, "4a22c"),
    (b"KZ", 20, "3n13c"),
    (b"LB", 28, "4n20c"),
    (b"LC", 32, "4a24c"),
    (b"LI", 21, "5n12c"),
    (b"LT", 20, "16n"),
    (b"LU", 20, "3n13c"),
    (b"LV", 21, "4a13c"),
    (b"LY", 25, "21n"),
    (b"MC", 27, "10n11c2n"),
    (b"MD", 24, "20c"),
    (b"ME", 22, "18n"),
    (b"MK", 19, "3n10c2n"),
    (b"MR", 27, "23n"),
    (b"MT", 31, "4a5n18c"),
    (b"MU", 30, "4a19n3a"),
    (b"NL", 18, "4a10n"),
    (b"NO", 15, "11n"),
    (b"PK", 24, "4a16c"),
    (b"PL", 28, "24n"),
    (b"PS", 29, "4a21c"),
    (b"PT", 25, "21n"),
    (b"QA", 29, "4a21c"),
    (b"RO", 24, "4a16c"),
    (b"RS", 22, "18n"),
    (b"SA", 24, "2n18c"),
    (b"SC", 31, "4a20n3a"),
    (b"SD", 18, "14n"),
    (b"SE", 24, "20n"),
    (b"SI", 19, "15n"),
    (b"SK", 24, "20n"),
    (b"SM", 27, "1a10n12c"),
    (b"ST", 25, "21n"),
    (b"SV", 28, "4a20n"),
    (b"TL", 23, "19n"),
    (b"TN", 24, "20n"),
    (b"TR", 26, "6n16c"),
    (b"UA", 29, "6n19c"),
    (b"VA", 22, "18n"),
    (b"VG", 24, "4a16n"),
    (b"XK", 20, "16n"),
];

/// An IBAN starting at `start` (its country code), compact or in groups of four
/// separated by single spaces: its end. The IBAN must end exactly at its country's
/// length, never running into a following word.
pub(crate) fn find(text: &[u8], start: usize) -> Option<usize> {
    let cc = [at(text, start)?, at(text, start + 1)?];
    let &(_, len, shape) = COUNTRIES.iter().find(|(c, ..)| **c == cc)?;
    let mut chars = [0u8; 34];
    let mut n = 0;
    let mut i = start;
    let mut spaced = false;
    while n < len {
        let b = at(text, i)?;
        if b == b' ' && n % 4 == 0 && n > 0 && (spaced || n == 4) {
            spaced = true;
            i += 1;
            continue;
        }
        if !b.is_ascii_alphanumeric() {
            return None;
        }
        if spaced && n % 4 == 0 && at(text, i.wrapping_sub(1)) != Some(b' ') {
            return None;
        }
        *chars.get_mut(n)? = b.to_ascii_uppercase();
        n += 1;
        i += 1;
    }
    if at(text, i).is_some_and(is_word) {
        return None;
    }
    let chars = chars.get(..len)?;
    let check_ok = chars.get(2..4)?.iter().all(u8::is_ascii_digit);
    (check_ok && shape_ok(chars.get(4..)?, shape) && mod97(chars)).then_some(i)
}

fn shape_ok(bban: &[u8], shape: &str) -> bool {
    let mut pos = 0;
    let mut count = 0usize;
    for c in shape.bytes() {
        if c.is_ascii_digit() {
            count = count * 10 + usize::from(c - b'0');
            continue;
        }
        let Some(part) = bban.get(pos..pos + count) else {
            return false;
        };
        let ok = match c {
            b'n' => part.iter().all(u8::is_ascii_digit),
            b'a' => part.iter().all(u8::is_ascii_uppercase),
            _ => part.iter().all(u8::is_ascii_alphanumeric),
        };
        if !ok {
            return false;
        }
        pos += count;
        count = 0;
    }
    pos == bban.len()
}

/// The ISO 13616 check: move the first four characters to the end, letters to 10–35,
/// and the number mod 97 must be 1.
pub(crate) fn mod97(chars: &[u8]) -> bool {
    let rotated = chars.iter().skip(4).chain(chars.iter().take(4));
    let mut rem = 0u32;
    for &b in rotated {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    chars.len() >= 5 && rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iban(s: &str) -> bool {
        find(s.as_bytes(), 0) == Some(s.len())
    }

    #[test]
    fn countries() {
        for s in [
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "NO9386011117947",
            "CH9300762011623852957",
            "IT60X0542811101000000123456",
            "ES9121000418450200051332",
            "BE68539007547034",
        ] {
            assert!(iban(s), "{s}");
        }
        for s in [
            "GB82WEST12345698765433",
            "GB82WEST1234569876543",
            "XX82WEST12345698765432",
            "GB82WEST123456987654321",
        ] {
            assert!(!iban(s), "{s}");
        }
        // No run-on into the next word.
        assert_eq!(find(b"GB82WEST12345698765432Thanks", 0), None);
        assert_eq!(find(b"GB82WEST12345698765432 Thanks", 0), Some(22));
    }
}
