//! US_SSN: the SSA's rules for numbers that can be issued, and known fake numbers.

/// Numbers that circulated publicly and are not anyone's SSN (the 1938 Woolworth wallet
/// card, an SSA advertisement, a 1940s promotional card).
const KNOWN_FAKES: &[&[u8]] = &[b"078051120", b"219099999", b"457555462"];

/// Whether nine ASCII digits can be an SSN: area not 000, 666 or 900–999; group not 00;
/// serial not 0000; not a known fake.
pub(crate) fn is_ssn(digits: &[u8]) -> bool {
    let [a1, a2, a3, g1, g2, s1, s2, s3, s4] = digits else {
        return false;
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let area = [a1, a2, a3];
    if area == [&b'0'; 3] || area == [&b'6'; 3] || *a1 == b'9' {
        return false;
    }
    if [g1, g2] == [&b'0'; 2] || [s1, s2, s3, s4] == [&b'0'; 4] {
        return false;
    }
    !KNOWN_FAKES.contains(&digits)
}

/// Words that, in a JSON key or just before a bare 9-digit number, say it is an SSN.
pub(crate) const CONTEXT_WORDS: &[&str] = &[
    "ssn",
    "social security",
    "social_security",
    "socialsecurity",
    "tax id",
    "taxpayer",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssa_rules() {
        assert!(is_ssn(b"123456789"));
        assert!(is_ssn(b"536221234"));
        for bad in [
            "000123456",
            "666123456",
            "900123456",
            "123006789",
            "123450000",
            "078051120",
            "12345678",
        ] {
            assert!(!is_ssn(bad.as_bytes()), "{bad}");
        }
    }
}
