//! SLACK_TOKEN: `xox[abposre]-` tokens and `xapp-` app-level tokens.

use super::super::text::{at, before, is_word};
use super::is_placeholder;

/// Token prefixes.
pub(crate) const PREFIXES: &[&str] = &[
    "xoxb-", "xoxp-", "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xapp-",
];

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// A token at `start` (its prefix): its end. It needs a numeric segment of at least
/// six digits (the team or user id) and a final segment of at least eight characters.
pub(crate) fn token(text: &[u8], start: usize) -> Option<usize> {
    if before(text, start).is_some_and(is_word) {
        return None;
    }
    let mut end = start + 5;
    while at(text, end).is_some_and(is_token_char) && end - start < 256 {
        end += 1;
    }
    if at(text, end).is_some_and(is_word) {
        return None;
    }
    let body = text.get(start + 5..end)?;
    let segments: Vec<&[u8]> = body.split(|&b| b == b'-').collect();
    let numeric = segments
        .iter()
        .any(|s| s.len() >= 6 && s.iter().all(u8::is_ascii_digit));
    let last_ok = segments.last().is_some_and(|s| s.len() >= 8);
    (segments.len() >= 2 && numeric && last_ok && !is_placeholder(body)).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let t = b"xoxb-2345678901-3456789012345-Qm4Zr8Kp2Lx6Vn9Tb1Wc5Yd7";
        assert_eq!(token(t, 0), Some(t.len()));
        assert_eq!(token(b"xoxb-your-token-here", 0), None);
        assert_eq!(token(b"xoxb-xxxxxxxxxxxx-xxxxxxxxxxxx", 0), None);
    }
}
