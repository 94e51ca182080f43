//! EMAIL: a local part and a dotted domain around `@`. The span stops at `=`, quotes,
//! backslashes and anything else outside the usual address characters, so
//! `mailto=a@b.co` and `"a@b.co\"` mask only the address.

use super::text::{at, run_end, run_start};

fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
}

/// The address around the `@` at `at_sign`, if one is there.
pub(crate) fn around(text: &[u8], at_sign: usize) -> Option<(usize, usize)> {
    let mut start = run_start(text, at_sign, is_local);
    while at(text, start) == Some(b'.') {
        start += 1;
    }
    let local = at_sign.checked_sub(start)?;
    if !(1..=64).contains(&local) || at(text, at_sign - 1) == Some(b'.') {
        return None;
    }
    let mut end = run_end(text, at_sign + 1, is_domain);
    while end > at_sign + 1 && matches!(at(text, end - 1), Some(b'.' | b'-')) {
        end -= 1;
    }
    let domain = text.get(at_sign + 1..end)?;
    if domain.len() > 253 {
        return None;
    }
    let labels: Vec<&[u8]> = domain.split(|&b| b == b'.').collect();
    let tld = labels.last()?;
    let ok = labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len()) && l.first() != Some(&b'-') && l.last() != Some(&b'-')
        })
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic);
    ok.then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Option<&str> {
        let a = s.find('@')?;
        let (x, y) = around(s.as_bytes(), a)?;
        s.get(x..y)
    }

    #[test]
    fn spans() {
        assert_eq!(
            email("mail alice.smith+tag@example.co.uk."),
            Some("alice.smith+tag@example.co.uk")
        );
        assert_eq!(email("mailto=bob@example.com&x=1"), Some("bob@example.com"));
        assert_eq!(email("\"bob@example.com\\\""), Some("bob@example.com"));
        assert_eq!(email("user@exa"), None);
        assert_eq!(email("@example.com"), None);
        assert_eq!(email("a@b.c1"), None);
        assert_eq!(email("****@example.com"), None);
    }
}
