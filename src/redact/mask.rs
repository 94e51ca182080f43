//! Mask styles: full, partial (keep the last four), keyed hash.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::detector::Detector;

/// How a found value is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MaskStyle {
    /// `[REDACTED:CREDIT_CARD]`.
    #[default]
    Full,
    /// Keep the last four characters where that makes sense — cards, SSNs, IBANs,
    /// phones (`[CREDIT_CARD:****1111]`) — and the domain of e-mail addresses
    /// (`[EMAIL:****@example.com]`); every other type is masked in full.
    Partial,
    /// `[CREDIT_CARD:1a2b3c4d]`: the first 8 hex digits of HMAC-SHA256 under the
    /// redactor's key, over the value's canonical form (digits of a card, lower-cased
    /// e-mail), so the same value always masks the same way under one key and reviewers
    /// can correlate without seeing it. Needs a key.
    Hash,
}

/// The name used in masks and findings for field rules.
pub(crate) const FIELD_KIND: &str = "FIELD";

/// Masks values in one style.
#[derive(Clone)]
pub(crate) struct Masker {
    pub(crate) style: MaskStyle,
    pub(crate) mac: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("style", &self.style)
            .field("keyed", &self.mac.is_some())
            .finish()
    }
}

impl Masker {
    pub(crate) fn new(style: MaskStyle, key: Option<&[u8]>) -> Option<Masker> {
        let mac = match key {
            Some(k) => Some(<Hmac<Sha256> as Mac>::new_from_slice(k).ok()?),
            None => None,
        };
        Some(Masker { style, mac })
    }

    /// The mask of `value` (normalized text) found as `kind`.
    pub(crate) fn mask(&self, kind: &str, detector: Option<Detector>, value: &str) -> String {
        let mut out = String::new();
        self.mask_into(kind, detector, value, &mut out);
        out
    }

    /// Writes the mask of `value` (normalized text) found as `kind` to `out`. Full
    /// masks, the most common, are written without allocating.
    pub(crate) fn mask_into(
        &self,
        kind: &str,
        detector: Option<Detector>,
        value: &str,
        out: &mut impl MaskOut,
    ) {
        match self.style {
            MaskStyle::Full => full(kind, out),
            MaskStyle::Partial => {
                if !partial(kind, detector, value, out) {
                    full(kind, out);
                }
            }
            MaskStyle::Hash => match &self.mac {
                Some(mac) => {
                    let mut mac = mac.clone();
                    mac.update(canonical(detector, value).as_bytes());
                    let digest = mac.finalize().into_bytes();
                    let mut hex = String::with_capacity(8);
                    for b in digest.iter().take(4) {
                        let _ = write!(hex, "{b:02x}");
                    }
                    out.push_str("[");
                    out.push_str(kind);
                    out.push_str(":");
                    out.push_str(&hex);
                    out.push_str("]");
                }
                None => full(kind, out),
            },
        }
    }
}

/// Where masks are written: a `String`, or the content of a JSON string being written
/// (which escapes what needs it).
pub(crate) trait MaskOut {
    /// Appends `s`.
    fn push_str(&mut self, s: &str);
}

impl MaskOut for String {
    fn push_str(&mut self, s: &str) {
        String::push_str(self, s);
    }
}

fn full(kind: &str, out: &mut impl MaskOut) {
    out.push_str("[REDACTED:");
    out.push_str(kind);
    out.push_str("]");
}

/// Writes the partial mask of `value`; `false` (nothing written) when its type has none.
fn partial(kind: &str, detector: Option<Detector>, value: &str, out: &mut impl MaskOut) -> bool {
    let shown = match detector {
        Some(Detector::CreditCard | Detector::UsSsn | Detector::Iban | Detector::Phone) => {
            let c = canonical(detector, value);
            match c.len().checked_sub(4).and_then(|from| c.get(from..)) {
                Some(last4) => last4.to_owned(),
                None => return false,
            }
        }
        Some(Detector::Email) => match value.rsplit_once('@') {
            Some((_, domain)) => format!("@{}", domain.to_ascii_lowercase()),
            None => return false,
        },
        _ => return false,
    };
    out.push_str("[");
    out.push_str(kind);
    out.push_str(":****");
    out.push_str(&shown);
    out.push_str("]");
    true
}

/// The form a value is hashed in, so formatting differences do not change the hash.
fn canonical(detector: Option<Detector>, value: &str) -> String {
    match detector {
        Some(Detector::CreditCard | Detector::UsSsn | Detector::Phone) => {
            value.chars().filter(char::is_ascii_digit).collect()
        }
        Some(Detector::Iban) => value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect(),
        Some(Detector::Email) => value.to_ascii_lowercase(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles() {
        let full = Masker::new(MaskStyle::Full, None).unwrap();
        assert_eq!(
            full.mask(
                "CREDIT_CARD",
                Some(Detector::CreditCard),
                "4111 1111 1111 1111"
            ),
            "[REDACTED:CREDIT_CARD]"
        );
        let part = Masker::new(MaskStyle::Partial, None).unwrap();
        assert_eq!(
            part.mask(
                "CREDIT_CARD",
                Some(Detector::CreditCard),
                "4111-1111-1111-1234"
            ),
            "[CREDIT_CARD:****1234]"
        );
        assert_eq!(
            part.mask("EMAIL", Some(Detector::Email), "Bob@Example.com"),
            "[EMAIL:****@example.com]"
        );
        assert_eq!(
            part.mask("JWT", Some(Detector::Jwt), "eyJ..."),
            "[REDACTED:JWT]"
        );
        let hash = Masker::new(MaskStyle::Hash, Some(b"k1")).unwrap();
        let a = hash.mask(
            "CREDIT_CARD",
            Some(Detector::CreditCard),
            "4111 1111 1111 1111",
        );
        let b = hash.mask(
            "CREDIT_CARD",
            Some(Detector::CreditCard),
            "4111111111111111",
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), "[CREDIT_CARD:]".len() + 8);
        let other = Masker::new(MaskStyle::Hash, Some(b"k2")).unwrap();
        assert_ne!(
            a,
            other.mask(
                "CREDIT_CARD",
                Some(Detector::CreditCard),
                "4111111111111111"
            )
        );
    }
}
