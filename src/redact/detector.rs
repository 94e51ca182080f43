//! The built-in detector types and the span a detector reports.

use std::fmt;
use std::str::FromStr;

/// A built-in detector. Its [`name`](Detector::name) is the stable type name that
/// appears in masks (`[REDACTED:CREDIT_CARD]`), findings and the policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Detector {
    /// Payment card numbers: Luhn plus a brand prefix × length table.
    CreditCard,
    /// US social security numbers: SSA rules; bare 9 digits only with SSN context.
    UsSsn,
    /// E-mail addresses.
    Email,
    /// Phone numbers: NANP and E.164 international.
    Phone,
    /// International bank account numbers: mod-97 plus the per-country table.
    Iban,
    /// IPv4 and IPv6 addresses.
    IpAddress,
    /// AWS access key ids (`AKIA…`, `ASIA…`, `ABIA…`, `ACCA…`).
    AwsAccessKey,
    /// AWS secret access keys (40 characters next to a key id or key word).
    AwsSecretKey,
    /// GitHub tokens (`gh[pousr]_` with a valid checksum, `github_pat_`).
    GithubToken,
    /// Slack tokens (`xox[abposr]-`, `xapp-`).
    SlackToken,
    /// JSON Web Tokens whose header and payload decode to JSON objects.
    Jwt,
    /// PEM private keys (not certificates or public keys).
    PrivateKey,
    /// High-entropy values next to key words such as `password`, `secret`, `token`.
    GenericSecret,
}

impl Detector {
    /// Every built-in detector.
    pub const ALL: [Detector; 13] = [
        Detector::CreditCard,
        Detector::UsSsn,
        Detector::Email,
        Detector::Phone,
        Detector::Iban,
        Detector::IpAddress,
        Detector::AwsAccessKey,
        Detector::AwsSecretKey,
        Detector::GithubToken,
        Detector::SlackToken,
        Detector::Jwt,
        Detector::PrivateKey,
        Detector::GenericSecret,
    ];

    /// The stable type name, e.g. `CREDIT_CARD`.
    pub const fn name(self) -> &'static str {
        match self {
            Detector::CreditCard => "CREDIT_CARD",
            Detector::UsSsn => "US_SSN",
            Detector::Email => "EMAIL",
            Detector::Phone => "PHONE",
            Detector::Iban => "IBAN",
            Detector::IpAddress => "IP_ADDRESS",
            Detector::AwsAccessKey => "AWS_ACCESS_KEY",
            Detector::AwsSecretKey => "AWS_SECRET_KEY",
            Detector::GithubToken => "GITHUB_TOKEN",
            Detector::SlackToken => "SLACK_TOKEN",
            Detector::Jwt => "JWT",
            Detector::PrivateKey => "PRIVATE_KEY",
            Detector::GenericSecret => "GENERIC_SECRET",
        }
    }

    /// Bit of this detector in a [`DetectorSet`].
    pub(crate) const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A type name that is not a built-in detector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown detector `{0}` (expected one of CREDIT_CARD, US_SSN, EMAIL, PHONE, IBAN, IP_ADDRESS, AWS_ACCESS_KEY, AWS_SECRET_KEY, GITHUB_TOKEN, SLACK_TOKEN, JWT, PRIVATE_KEY, GENERIC_SECRET)"
)]
pub struct UnknownDetector(pub String);

impl FromStr for Detector {
    type Err = UnknownDetector;

    /// Parses a type name, case-insensitively (`credit_card` is `CREDIT_CARD`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Detector::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownDetector(s.to_owned()))
    }
}

/// A set of built-in detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DetectorSet(u16);

impl DetectorSet {
    pub(crate) const ALL: DetectorSet = {
        let mut bits = 0;
        let mut i = 0;
        while i < Detector::ALL.len() {
            bits |= Detector::ALL[i].bit();
            i += 1;
        }
        DetectorSet(bits)
    };
    pub(crate) const NONE: DetectorSet = DetectorSet(0);

    pub(crate) fn has(self, d: Detector) -> bool {
        self.0 & d.bit() != 0
    }

    pub(crate) fn with(self, d: Detector) -> DetectorSet {
        DetectorSet(self.0 | d.bit())
    }

    pub(crate) fn without(self, d: Detector) -> DetectorSet {
        DetectorSet(self.0 & !d.bit())
    }
}

/// What a span was found as: a built-in type, or a user pattern (by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpanKind {
    Builtin(Detector),
    Pattern(usize),
}

/// A match in normalized text: `start..end` are byte offsets of the normalized text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: SpanKind,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize, d: Detector) -> Span {
        Span {
            start,
            end,
            kind: SpanKind::Builtin(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_insensitive() {
        for d in Detector::ALL {
            assert_eq!(d.name().parse::<Detector>(), Ok(d));
            assert_eq!(d.name().to_lowercase().parse::<Detector>(), Ok(d));
        }
        assert!("CARD".parse::<Detector>().is_err());
    }

    #[test]
    fn sets_add_and_remove() {
        let s = DetectorSet::ALL.without(Detector::Phone);
        assert!(!s.has(Detector::Phone) && s.has(Detector::Email));
        assert!(DetectorSet::NONE.with(Detector::Jwt).has(Detector::Jwt));
    }
}
