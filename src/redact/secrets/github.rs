//! GITHUB_TOKEN: `gh[pousr]_` tokens (30 random base62 characters and a 6-character
//! base62 CRC-32 of them) and fine-grained `github_pat_` tokens.

use super::super::text::{at, before, is_word};
use super::is_placeholder;

/// Token prefixes.
pub(crate) const PREFIXES: &[&str] = &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"];

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A token at `start` (its prefix): its end.
pub(crate) fn token(text: &[u8], start: usize) -> Option<usize> {
    if before(text, start).is_some_and(is_word) {
        return None;
    }
    let rest = text.get(start..)?;
    if rest.starts_with(b"github_pat_") {
        let body_start = start + 11;
        let mut end = body_start;
        while at(text, end).is_some_and(is_word) {
            end += 1;
        }
        let body = text.get(body_start..end)?;
        let ok = (40..=255).contains(&body.len()) && body.contains(&b'_') && !is_placeholder(body);
        return ok.then_some(end);
    }
    let end = start + 40;
    let body = text.get(start + 4..end)?;
    if at(text, end).is_some_and(is_word) || !body.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let (random, check) = body.split_at_checked(30)?;
    (base62_crc32(random) == *check).then_some(end)
}

/// The CRC-32 (IEEE) of `data`, in base62, left-padded with zeros to 6 characters.
pub(crate) fn base62_crc32(data: &[u8]) -> [u8; 6] {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut n = !crc;
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62.get((n % 62) as usize).copied().unwrap_or(b'0');
        n /= 62;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_ieee() {
        // CRC-32 of "123456789" is 0xCBF43926.
        let mut n: u32 = 0xCBF4_3926;
        let mut want = [b'0'; 6];
        for slot in want.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        assert_eq!(base62_crc32(b"123456789"), want);
    }

    #[test]
    fn checksummed_tokens_only() {
        let random = b"aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1";
        let mut tok = b"ghp_".to_vec();
        tok.extend_from_slice(random);
        tok.extend_from_slice(&base62_crc32(random));
        assert_eq!(token(&tok, 0), Some(40));
        // The documentation's example token has no valid checksum.
        assert_eq!(token(b"gho_16C7e42F292c6912E7710c838347Ae178B4a", 0), None);
        let pat = b"github_pat_11ABCDEFG0123456789abc_DefGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQrStUvWx";
        assert_eq!(token(pat, 0), Some(pat.len()));
    }
}
