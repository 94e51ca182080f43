//! PRIVATE_KEY: a PEM block whose label names a private key, from `-----BEGIN` to the
//! matching `-----END` line — with real newlines or `\n` escapes. Certificates and
//! public keys are not masked.

use memchr::memmem;

use super::super::text::at;

/// Longest block searched for its END line.
const MAX_BLOCK: usize = 64 * 1024;

/// A private key block at `start` (its `-----BEGIN `): its end. Without a matching END
/// line the block runs to the end of its base64 body (a truncated key is still a key).
pub(crate) fn block(text: &[u8], start: usize) -> Option<usize> {
    let after_begin = start + "-----BEGIN ".len();
    let rest = text.get(after_begin..)?;
    let label_len = memmem::find(rest.get(..rest.len().min(64))?, b"-----")?;
    let label = rest.get(..label_len)?;
    if !label.ends_with(b"PRIVATE KEY") && !label.ends_with(b"PRIVATE KEY BLOCK") {
        return None;
    }
    let body_start = after_begin + label_len + 5;
    let mut end_line = b"-----END ".to_vec();
    end_line.extend_from_slice(label);
    end_line.extend_from_slice(b"-----");
    let window_end = text.len().min(body_start + MAX_BLOCK);
    let window = text.get(body_start..window_end)?;
    if let Some(pos) = memmem::find(window, &end_line) {
        return Some(body_start + pos + end_line.len());
    }
    // Truncated: the body's base64, whitespace, `\n` escapes and header lines.
    let mut end = body_start;
    while let Some(b) = at(text, end) {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'+' | b'/' | b'=' | b'\n' | b'\r' | b' ' | b'\\' | b':' | b',' | b'-'
            )
        {
            end += 1;
        } else {
            break;
        }
    }
    Some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        let k = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        assert_eq!(block(format!("{k} tail").as_bytes(), 0), Some(k.len()));
        let esc = "-----BEGIN PRIVATE KEY-----\\nMIIEv\\n-----END PRIVATE KEY-----";
        assert_eq!(block(esc.as_bytes(), 0), Some(esc.len()));
        assert_eq!(
            block(
                b"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----",
                0
            ),
            None
        );
        assert_eq!(
            block(
                b"-----BEGIN PUBLIC KEY-----\nMII\n-----END PUBLIC KEY-----",
                0
            ),
            None
        );
        assert_eq!(
            block(b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQ\"", 0),
            Some(37)
        );
    }
}
