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
        match self.style {
            MaskStyle::Full => full(kind),
            MaskStyle::Partial => partial(kind, detector, value).unwrap_or_else(|| full(kind)),
            MaskStyle::Hash => match &self.mac {
                Some(mac) => {
                    let mut mac = mac.clone();
                    mac.update(canonical(detector, value).as_bytes());
                    let digest = mac.finalize().into_bytes();
                    let mut out = format!("[{kind}:");
                    for b in digest.iter().take(4) {
                        let _ = write!(out, "{b:02x}");
                    }
                    out.push(']');
                    out
                }
                None => full(kind),
            },
        }
    }
}

fn full(kind: &str) -> String {
    format!("[REDACTED:{kind}]")
}

fn partial(kind: &str, detector: Option<Detector>, value: &str) -> Option<String> {
    match detector? {
        Detector::CreditCard | Detector::UsSsn | Detector::Iban | Detector::Phone => {
            let c = canonical(detector, value);
            let last4 = c.get(c.len().checked_sub(4)?..)?;
            Some(format!("[{kind}:****{last4}]"))
        }
        Detector::Email => {
            let domain = value.rsplit_once('@')?.1.to_ascii_lowercase();
            Some(format!("[{kind}:****@{domain}]"))
        }
        _ => None,
    }
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
