//! IP_ADDRESS: IPv4 dotted quads with octets ≤ 255, and IPv6 in every textual form
//! (full, compressed, IPv4-embedded, link-local with a zone).

use std::net::Ipv6Addr;

use super::text::{at, before, is_word, run_end, run_start};

/// Words that, in a key or just before the number, say a dotted quad is a version.
pub(crate) const VERSION_WORDS: &[&str] = &["version", "ver ", "ver:", "ver=", "release", "build"];

/// Whether four digit groups are a dotted quad: 1–3 digits each, no leading zeros,
/// each at most 255.
pub(crate) fn is_ipv4_groups(groups: &[&[u8]]) -> bool {
    groups.len() == 4
        && groups.iter().all(|g| {
            let ok_len = (1..=3).contains(&g.len()) && !(g.len() > 1 && g.first() == Some(&b'0'));
            ok_len && g.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')) <= 255
        })
}

fn is_v6_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// An IPv6 address around the colon at `colon`: the span and where to resume.
pub(crate) fn ipv6_at(text: &[u8], colon: usize) -> Option<(usize, usize)> {
    let start = run_start(text, colon, |b| b.is_ascii_hexdigit() || b == b':');
    let mut end = run_end(text, colon, is_v6_char);
    // A trailing dot is punctuation.
    while end > start && before(text, end) == Some(b'.') {
        end -= 1;
    }
    if before(text, start).is_some_and(|b| is_word(b) || b == b'.')
        || at(text, end).is_some_and(|b| is_word(b) && b != b'%')
    {
        return None;
    }
    let core = text.get(start..end)?;
    let colons = core.iter().filter(|&&b| b == b':').count();
    if colons < 2 || !core.iter().any(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(core).ok()?.parse::<Ipv6Addr>().ok()?;
    // Link-local zone: `%eth0`.
    if at(text, end) == Some(b'%') {
        let zone_end = run_end(text, end + 1, |b| {
            b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
        });
        if zone_end > end + 1 {
            end = zone_end;
        }
    }
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> Option<&str> {
        let colon = s.find(':')?;
        let (a, b) = ipv6_at(s.as_bytes(), colon)?;
        s.get(a..b)
    }

    #[test]
    fn quads() {
        let g = |s: &'static str| s.split('.').map(str::as_bytes).collect::<Vec<_>>();
        assert!(is_ipv4_groups(&g("192.168.0.1")));
        assert!(is_ipv4_groups(&g("255.255.255.255")));
        assert!(!is_ipv4_groups(&g("256.1.1.1")));
        assert!(!is_ipv4_groups(&g("01.2.3.4")));
        assert!(!is_ipv4_groups(&g("1.2.3")));
    }

    #[test]
    fn ipv6_forms() {
        assert_eq!(
            v6("addr 2001:0db8:85a3:0000:0000:8a2e:0370:7334 x"),
            Some("2001:0db8:85a3:0000:0000:8a2e:0370:7334")
        );
        assert_eq!(v6("2001:db8::1"), Some("2001:db8::1"));
        assert_eq!(v6("::1"), Some("::1"));
        assert_eq!(
            v6("fe80::1ff:fe23:4567:890a%eth0 up"),
            Some("fe80::1ff:fe23:4567:890a%eth0")
        );
        assert_eq!(v6("::ffff:192.0.2.128."), Some("::ffff:192.0.2.128"));
        assert_eq!(v6("at 12:30:45"), None);
        assert_eq!(v6("00:1a:2b:3c:4d:5e"), None);
        assert_eq!(v6("std::io"), None);
    }
}
