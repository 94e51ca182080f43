//! CREDIT_CARD: Luhn plus a brand prefix × length table.

/// A brand: an inclusive prefix range over the first `digits` digits, and the lengths
/// its numbers have.
struct Brand {
    digits: u32,
    low: u32,
    high: u32,
    lengths: &'static [usize],
}

const fn brand(digits: u32, low: u32, high: u32, lengths: &'static [usize]) -> Brand {
    Brand {
        digits,
        low,
        high,
        lengths,
    }
}

/// Visa, Mastercard (51–55, 2221–2720), Amex, Discover, JCB, Diners, UnionPay, Maestro.
const BRANDS: &[Brand] = &[
    brand(1, 4, 4, &[13, 16, 19]),                           // Visa
    brand(2, 51, 55, &[16]),                                 // Mastercard
    brand(4, 2221, 2720, &[16]),                             // Mastercard 2-series
    brand(2, 34, 34, &[15]),                                 // Amex
    brand(2, 37, 37, &[15]),                                 // Amex
    brand(4, 6011, 6011, &[16, 17, 18, 19]),                 // Discover
    brand(3, 644, 649, &[16, 17, 18, 19]),                   // Discover
    brand(2, 65, 65, &[16, 17, 18, 19]),                     // Discover
    brand(4, 3528, 3589, &[16, 17, 18, 19]),                 // JCB
    brand(3, 300, 305, &[14, 15, 16, 17, 18, 19]),           // Diners Club
    brand(2, 36, 36, &[14, 15, 16, 17, 18, 19]),             // Diners Club
    brand(2, 38, 39, &[14, 15, 16, 17, 18, 19]),             // Diners Club
    brand(2, 62, 62, &[16, 17, 18, 19]),                     // UnionPay
    brand(2, 50, 50, &[12, 13, 14, 15, 16, 17, 18, 19]),     // Maestro
    brand(2, 56, 58, &[12, 13, 14, 15, 16, 17, 18, 19]),     // Maestro
    brand(4, 6304, 6304, &[12, 13, 14, 15, 16, 17, 18, 19]), // Maestro
    brand(4, 6759, 6759, &[12, 13, 14, 15, 16, 17, 18, 19]), // Maestro
    brand(4, 6761, 6763, &[12, 13, 14, 15, 16, 17, 18, 19]), // Maestro
    brand(2, 67, 67, &[12, 13, 14, 15, 16, 17, 18, 19]),     // Maestro
];

/// Whether `digits` (ASCII digits only) is a card number: a known brand prefix with one
/// of its lengths, and a valid Luhn check digit.
pub(crate) fn is_card(digits: &[u8]) -> bool {
    let len = digits.len();
    if !(12..=19).contains(&len) || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    // The first four digits, read once; shorter prefixes are divided out of them.
    let first4 = digits
        .iter()
        .take(4)
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    let prefix = |n: u32| first4 / 10u32.pow(4u32.saturating_sub(n));
    let branded = BRANDS
        .iter()
        .any(|b| (b.low..=b.high).contains(&prefix(b.digits)) && b.lengths.contains(&len));
    branded && luhn(digits)
}

/// The Luhn (mod 10) check over ASCII digits.
pub(crate) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        if !d.is_ascii_digit() {
            return false;
        }
        let mut v = u32::from(d - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_and_luhn() {
        for n in [
            "4111111111111111",
            "4012888888881881",
            "5555555555554444",
            "2223003122003222",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "30569309025904",
            "6200000000000005",
            "6759649826438453",
        ] {
            assert!(is_card(n.as_bytes()), "{n}");
        }
        // Luhn fails / no brand / wrong length.
        for n in [
            "4111111111111112",
            "1234567812345670",
            "411111111111",
            "9111111111111111",
        ] {
            assert!(!is_card(n.as_bytes()), "{n}");
        }
    }
}
