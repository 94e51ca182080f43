//! Redaction: masking PII and secrets in what flows back to the model.
//!
//! A [`Redactor`] finds values with detectors that validate what they find (Luhn and a
//! brand table for cards, SSA rules for SSNs, mod-97 and a country table for IBANs,
//! octet and IPv6 parsing, decoded JWT headers, matching PEM BEGIN/END lines, GitHub
//! token checksums), masks them in one of three [`MaskStyle`]s, and reports
//! [`Findings`] — type, count and JSON pointer, never the value.
//!
//! ```
//! use serde_json::json;
//! use tollgate::Redactor;
//!
//! let redactor = Redactor::default();
//! let mut result = json!({
//!     "content": [{"type": "text", "text": "{\"ssn\":\"123-45-6789\",\"card\":\"4111 1111 1111 1111\"}"}],
//!     "structuredContent": {"ssn": "123-45-6789", "card": 4111111111111111u64}
//! });
//! let findings = redactor.redact_value(&mut result, "/result");
//! assert_eq!(result["structuredContent"]["card"], "[REDACTED:CREDIT_CARD]");
//! assert_eq!(result["content"][0]["text"], r#"{"card":"[REDACTED:CREDIT_CARD]","ssn":"[REDACTED:US_SSN]"}"#);
//! assert_eq!(findings.count_of("US_SSN"), 2);
//!
//! let (text, _) = redactor.redact_text("mail bob@example.com from 10.0.0.1");
//! assert_eq!(text, "mail [REDACTED:EMAIL] from [REDACTED:IP_ADDRESS]");
//! ```
//!
//! # Types
//!
//! The built-in [`Detector`]s, by their stable names: `CREDIT_CARD`, `US_SSN`, `EMAIL`,
//! `PHONE`, `IBAN`, `IP_ADDRESS`, `AWS_ACCESS_KEY`, `AWS_SECRET_KEY`, `GITHUB_TOKEN`,
//! `SLACK_TOKEN`, `JWT`, `PRIVATE_KEY`, `GENERIC_SECRET`; plus user patterns (their
//! name) and field rules (`FIELD`).
//!
//! Precision rules worth knowing: a bare 9-digit number is an SSN only under a key or
//! after words that say SSN; a bare 10-digit number is a phone only under a phone key
//! or word (so epoch timestamps and order numbers survive); dotted quads are never
//! phones, and are not IP addresses under a `version` key or after the word; documented
//! example keys (`AKIAIOSFODNN7EXAMPLE`) and placeholders (`xxx`, `<token>`, `${VAR}`,
//! `changeme`) are not secrets; certificates and public keys are not private keys.
//!
//! # Evasion
//!
//! Text is matched after decoding `\uXXXX` escapes, folding every Unicode decimal digit
//! to ASCII and dropping default-ignorable characters (zero-width joiners, soft hyphens,
//! bidi controls); masks cover the original characters. Strings whose content is JSON
//! are walked as JSON (3 levels deep). With [`RedactorBuilder::decode_base64`], base64
//! runs of 24+ characters are decoded and scanned, and masked whole when they hide
//! something. Everything given to [`Redactor::redact_value`] is walked — a result's
//! `structuredContent` and its text copy alike.
//!
//! # Fast path
//!
//! [`Redactor::may_match`] is one pass over raw bytes that proves nothing can match
//! (no long digit runs, no `@`, no key prefixes or key words, no escapes or non-ASCII);
//! [`Redactor::redact_json_bytes`] then returns without parsing.
//!
//! # Serialized JSON
//!
//! [`Redactor::redact_json_bytes`] (and the layer, for every JSON-RPC message that is
//! not a batch or a filtered `tools/list` answer) walks the serialized document itself:
//! masked values are spliced into the original bytes, and everything else — member
//! order, whitespace, escapes, number spellings, integers of any size — goes out as the
//! server wrote it. Documents with PII in a key, or a field rule over an object or
//! array, are re-serialized from a parsed value instead.
//!
//! Residual risks: values split across separate JSON fields or array items are not
//! joined; percent- and HTML-entity-encoded digits are not decoded; integers beyond
//! `u64` in a value rewritten by [`Redactor::redact_value`] are re-serialized as floats.

mod byte_masks;
#[cfg(target_arch = "x86_64")]
mod byte_masks_avx2;
mod byte_walk;
mod card;
mod detector;
mod email;
mod finding;
mod iban;
mod ip;
mod json_string;
mod key_context;
mod mask;
mod normalize;
mod pattern;
mod phone;
mod prefilter;
mod repeated_document;
mod scan;
mod secrets;
mod ssn;
mod text;
mod walk;

use std::borrow::Cow;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

pub use detector::{Detector, UnknownDetector};
pub use finding::{Findings, MAX_FINDING_ENTRIES, OVERFLOW_LOCATION, RedactionFinding};
pub use mask::MaskStyle;
pub use pattern::Validator;
pub(crate) use pattern::named_validator;

use detector::DetectorSet;
use key_context::KeyContext;
use mask::Masker;
use pattern::UserPattern;
use scan::{Keywords, Scanner};

/// Why a [`Redactor`] could not be built, or a document not redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedactError {
    /// The hash style needs a key ([`RedactorBuilder::hash_key`]).
    #[error("the hash mask style needs a key")]
    MissingHashKey,
    /// The hash key is empty.
    #[error("the hash key is empty")]
    EmptyHashKey,
    /// A field glob does not compile.
    #[error("invalid field glob `{glob}`: {message}")]
    Glob {
        /// The glob.
        glob: String,
        /// Why.
        message: String,
    },
    /// A user pattern's regex does not compile (or exceeds the size limit).
    #[error("pattern `{name}`: invalid regex: {message}")]
    Regex {
        /// The pattern's name.
        name: String,
        /// Why.
        message: String,
    },
    /// A user pattern's name is not 1–64 characters of `[A-Za-z0-9_.-]`.
    #[error("invalid pattern name `{0}` (use 1-64 characters of A-Z, a-z, 0-9, _ . -)")]
    PatternName(String),
    /// The document is not valid JSON (the caller must fail closed).
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// A redacted JSON document and what was masked in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    /// The redacted document, compact JSON.
    pub bytes: Vec<u8>,
    /// What was masked.
    pub findings: Findings,
}

/// Finds and masks PII and secrets in JSON and text. Immutable, `Send + Sync`; build it
/// once and share it (behind an `Arc`).
///
/// See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Redactor {
    scanner: Scanner,
    masker: Masker,
    fields: Option<GlobSet>,
    /// Some field glob has no literal the prefilter can look for.
    fields_unfilterable: bool,
}

impl Default for Redactor {
    /// Every built-in detector, full masks, no field rules or patterns.
    fn default() -> Redactor {
        Redactor {
            scanner: Scanner {
                detectors: DetectorSet::ALL,
                keywords: Keywords::new(&[]),
                patterns: Vec::new(),
                decode_base64: false,
            },
            masker: Masker {
                style: MaskStyle::Full,
                mac: None,
            },
            fields: None,
            fields_unfilterable: false,
        }
    }
}

impl Redactor {
    /// A builder, starting from every built-in detector and full masks.
    pub fn builder() -> RedactorBuilder {
        RedactorBuilder::default()
    }

    /// The mask style.
    pub fn style(&self) -> MaskStyle {
        self.masker.style
    }

    /// Whether `detector` is enabled.
    pub fn has_detector(&self, detector: Detector) -> bool {
        self.scanner.detectors.has(detector)
    }

    /// The prefilter alone: `false` proves nothing in `bytes` (raw JSON or text) can be
    /// masked, so callers can skip parsing.
    pub fn may_match(&self, bytes: &[u8]) -> bool {
        if self.fields_unfilterable && self.fields.is_some() {
            return true;
        }
        if prefilter::builtin_may_match(bytes, &self.scanner.keywords, self.scanner.decode_base64) {
            return true;
        }
        !self.scanner.patterns.is_empty()
            && (memchr::memchr(b'\\', bytes).is_some()
                || self
                    .scanner
                    .patterns
                    .iter()
                    .any(|p| p.bytes.is_match(bytes)))
    }

    /// Redacts a JSON value in place; `location_prefix` is prepended to every finding's
    /// JSON pointer (e.g. `/result`).
    pub fn redact_value(&self, value: &mut serde_json::Value, location_prefix: &str) -> Findings {
        self.redact_value_at(value, Some(location_prefix))
    }

    /// [`redact_value`](Self::redact_value); with `None`, findings are only counted by
    /// type (no JSON pointers are built).
    pub(crate) fn redact_value_at(
        &self,
        value: &mut serde_json::Value,
        location_prefix: Option<&str>,
    ) -> Findings {
        let mut walk = walk::Walk::new(self, location_prefix);
        walk.value(value, &KeyContext::default(), 0);
        walk.finish()
    }

    /// Redacts plain text (findings have an empty location). Text that is JSON is still
    /// treated as text here: use [`redact_value`](Self::redact_value) for key context
    /// and valid JSON output.
    pub fn redact_text<'t>(&self, text: &'t str) -> (Cow<'t, str>, Findings) {
        let mut findings = Findings::new();
        if !self.may_match(text.as_bytes()) {
            return (Cow::Borrowed(text), findings);
        }
        let (out, kinds) = self.mask_text(text, &KeyContext::default());
        for kind in kinds {
            findings.add(self.kind_name(kind), "", 1);
        }
        (out, findings)
    }

    /// Redacts a JSON document given as bytes. `Ok(None)` when nothing was masked —
    /// without parsing when the prefilter rules everything out. Invalid JSON is an
    /// error (fail closed).
    ///
    /// The output is the input with masked values spliced in: key order, whitespace,
    /// escapes and number spellings elsewhere are kept byte for byte. (A document
    /// whose keys hold PII, or whose field rules cover objects or arrays, is instead
    /// re-serialized from a parsed value, as [`redact_value`](Self::redact_value)
    /// leaves it.)
    pub fn redact_json_bytes(&self, bytes: &[u8]) -> Result<Option<Redacted>, RedactError> {
        self.redact_json_at(bytes, Some(""))
    }

    /// [`redact_json_bytes`](Self::redact_json_bytes) with findings counted by type
    /// only: every [`RedactionFinding`] has an empty location, and no JSON pointers are
    /// built on the way, which is measurably cheaper on PII-dense documents. This is
    /// what the layer runs, since the audit trail records counts by type.
    ///
    /// ```
    /// use tollgate::Redactor;
    ///
    /// let out = Redactor::default()
    ///     .redact_json_counts(br#"{"a":["x@example.com"],"b":{"c":"y@example.com"}}"#)?
    ///     .expect("masked");
    /// assert_eq!(out.findings.len(), 1);
    /// assert_eq!(out.findings.count_of("EMAIL"), 2);
    /// assert!(out.findings.iter().all(|f| f.location.is_empty()));
    /// # Ok::<(), tollgate::redact::RedactError>(())
    /// ```
    pub fn redact_json_counts(&self, bytes: &[u8]) -> Result<Option<Redacted>, RedactError> {
        self.redact_json_at(bytes, None)
    }

    /// [`redact_json_bytes`](Self::redact_json_bytes) with `location_prefix` prepended
    /// to every finding's JSON pointer; with `None`, findings are only counted by type
    /// (what the layer records), and no pointers are built.
    pub(crate) fn redact_json_at(
        &self,
        bytes: &[u8],
        location_prefix: Option<&str>,
    ) -> Result<Option<Redacted>, RedactError> {
        if !self.may_match(bytes) {
            return Ok(None);
        }
        let mut walk = walk::Walk::new(self, location_prefix);
        match byte_walk::document(&mut walk, bytes, &KeyContext::default()) {
            Ok(None) => Ok(None),
            Ok(Some(bytes)) => Ok(Some(Redacted {
                bytes,
                findings: walk.finish(),
            })),
            Err(_) => self.redact_json_by_value(bytes, location_prefix),
        }
    }

    /// [`redact_json_at`](Self::redact_json_at) through a parsed `Value`: for what the
    /// byte walk hands back, and the error of invalid JSON.
    fn redact_json_by_value(
        &self,
        bytes: &[u8],
        location_prefix: Option<&str>,
    ) -> Result<Option<Redacted>, RedactError> {
        let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
        let findings = self.redact_value_at(&mut value, location_prefix);
        if findings.is_empty() {
            return Ok(None);
        }
        Ok(Some(Redacted {
            bytes: serde_json::to_vec(&value)?,
            findings,
        }))
    }

    fn is_field(&self, key: &str) -> bool {
        self.fields.as_ref().is_some_and(|f| f.is_match(key))
    }
}

/// Builds a [`Redactor`]. Starts from every built-in detector, full masks, no field
/// rules, no user patterns, base64 decoding off.
#[derive(Clone, Default)]
pub struct RedactorBuilder {
    detectors: Option<Vec<Detector>>,
    without: Vec<Detector>,
    style: MaskStyle,
    hash_key: Option<Vec<u8>>,
    fields: Vec<String>,
    patterns: Vec<(String, String, Option<Validator>)>,
    decode_base64: bool,
}

impl std::fmt::Debug for RedactorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedactorBuilder")
            .field("detectors", &self.detectors)
            .field("without", &self.without)
            .field("style", &self.style)
            .field("hash_key", &self.hash_key.as_ref().map(|_| "<set>"))
            .field("fields", &self.fields)
            .field(
                "patterns",
                &self.patterns.iter().map(|p| &p.0).collect::<Vec<_>>(),
            )
            .field("decode_base64", &self.decode_base64)
            .finish()
    }
}

impl RedactorBuilder {
    /// Only these built-in detectors (instead of all).
    pub fn detectors(mut self, detectors: impl IntoIterator<Item = Detector>) -> Self {
        self.detectors = Some(detectors.into_iter().collect());
        self
    }

    /// Disables one built-in detector.
    pub fn without(mut self, detector: Detector) -> Self {
        self.without.push(detector);
        self
    }

    /// The mask style (default [`MaskStyle::Full`]).
    pub fn style(mut self, style: MaskStyle) -> Self {
        self.style = style;
        self
    }

    /// The HMAC key of [`MaskStyle::Hash`].
    pub fn hash_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.hash_key = Some(key.into());
        self
    }

    /// Masks the whole value of every object key matching `glob` (case-insensitive;
    /// `*` matches anything), whatever it holds.
    pub fn field(mut self, glob: impl Into<String>) -> Self {
        self.fields.push(glob.into());
        self
    }

    /// A user pattern: matches of `regex` (on normalized text) are masked as `name`.
    pub fn pattern(mut self, name: impl Into<String>, regex: impl Into<String>) -> Self {
        self.patterns.push((name.into(), regex.into(), None));
        self
    }

    /// A user pattern whose matches must also pass `validator`.
    pub fn pattern_validated(
        mut self,
        name: impl Into<String>,
        regex: impl Into<String>,
        validator: Validator,
    ) -> Self {
        self.patterns
            .push((name.into(), regex.into(), Some(validator)));
        self
    }

    /// Decodes base64 runs (24+ characters) and scans what they hide (default off).
    pub fn decode_base64(mut self, on: bool) -> Self {
        self.decode_base64 = on;
        self
    }

    /// Compiles the redactor.
    pub fn build(self) -> Result<Redactor, RedactError> {
        let mut set = match &self.detectors {
            Some(list) => list.iter().fold(DetectorSet::NONE, |s, d| s.with(*d)),
            None => DetectorSet::ALL,
        };
        for d in &self.without {
            set = set.without(*d);
        }
        let mac_key = match (self.style, &self.hash_key) {
            (MaskStyle::Hash, None) => return Err(RedactError::MissingHashKey),
            (_, Some(k)) if k.is_empty() => return Err(RedactError::EmptyHashKey),
            (_, k) => k.as_deref(),
        };
        let masker = Masker::new(self.style, mac_key).ok_or(RedactError::EmptyHashKey)?;
        let mut literals = Vec::new();
        let mut unfilterable = false;
        let fields = if self.fields.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for g in &self.fields {
                let glob = GlobBuilder::new(g)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .map_err(|e| RedactError::Glob {
                        glob: g.clone(),
                        message: e.kind().to_string(),
                    })?;
                b.add(glob);
                match longest_literal(g) {
                    Some(l) => literals.push(l),
                    None => unfilterable = true,
                }
            }
            Some(b.build().map_err(|e| RedactError::Glob {
                glob: self.fields.join(", "),
                message: e.kind().to_string(),
            })?)
        };
        let patterns = self
            .patterns
            .into_iter()
            .map(|(n, r, v)| UserPattern::compile(&n, &r, v))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Redactor {
            scanner: Scanner {
                detectors: set,
                keywords: Keywords::new(&literals),
                patterns,
                decode_base64: self.decode_base64,
            },
            masker,
            fields,
            fields_unfilterable: unfilterable,
        })
    }
}

/// The longest run of literal characters of a glob (3+ characters), for the prefilter.
fn longest_literal(glob: &str) -> Option<String> {
    glob.split(['*', '?', '[', ']', '{', '}', ',', '\\', '!'])
        .max_by_key(|s| s.len())
        .filter(|s| s.len() >= 3)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builder_errors() {
        assert!(matches!(
            Redactor::builder().style(MaskStyle::Hash).build(),
            Err(RedactError::MissingHashKey)
        ));
        assert!(matches!(
            Redactor::builder().pattern("X", "(").build(),
            Err(RedactError::Regex { .. })
        ));
        assert!(matches!(
            Redactor::builder().pattern("bad name", "x").build(),
            Err(RedactError::PatternName(_))
        ));
        assert!(matches!(
            Redactor::builder().field("[").build(),
            Err(RedactError::Glob { .. })
        ));
    }

    #[test]
    fn a_secret_next_to_a_user_pattern_hash_mask_is_not_masked_again() {
        let r = Redactor::builder()
            .style(MaskStyle::Hash)
            .hash_key(b"k".to_vec())
            .pattern("EMPLOYEE_ID", r"\bE-\d{6}\b")
            .build()
            .unwrap();
        // Too short for a secret the first time, the text after `secret:` ran into the
        // pattern's mask the second time and was masked as one.
        let (once, _) = r.redact_text("secret:a/E-123456");
        assert!(once.starts_with("secret:a/[EMPLOYEE_ID:"), "{once}");
        for text in [
            "secret:a/E-123456",
            "password=x.E-123456 ok",
            "token=E-123456",
        ] {
            let (once, _) = r.redact_text(text);
            let (twice, found) = r.redact_text(&once);
            assert_eq!(twice, once);
            assert!(found.is_empty(), "{found:?}");
        }
    }

    #[test]
    fn fields_and_patterns() {
        let r = Redactor::builder()
            .field("secret*")
            .pattern("EMPLOYEE_ID", r"\bE-\d{6}\b")
            .build()
            .unwrap();
        let mut v = json!({"Secret_Token": {"nested": 1}, "note": "id E-123456 ok"});
        let f = r.redact_value(&mut v, "");
        assert_eq!(
            v,
            json!({"Secret_Token": "[REDACTED:FIELD]", "note": "id [REDACTED:EMPLOYEE_ID] ok"})
        );
        assert_eq!(f.count_of("FIELD"), 1);
        assert_eq!(f.count_of("EMPLOYEE_ID"), 1);
    }

    #[test]
    fn keys_are_redacted_and_locations_never_hold_values() {
        let r = Redactor::default();
        let mut v = json!({"bob@example.com": {"ssn": "123-45-6789"}});
        let f = r.redact_value(&mut v, "/r");
        assert_eq!(v, json!({"[REDACTED:EMAIL]": {"ssn": "[REDACTED:US_SSN]"}}));
        let text = serde_json::to_string(&f).unwrap();
        assert!(!text.contains("bob@") && !text.contains("6789"), "{text}");
        assert!(text.contains("/r/[REDACTED:EMAIL]/ssn"), "{text}");
    }

    #[test]
    fn short_context_words_inside_other_words_do_not_count() {
        let r = Redactor::default();
        let mut v = json!({
            "server": "10.1.2.3",
            "driver_version": "10.1.2.4",
            "hotel_id": 4155550123u64,
            "tel": 4155550123u64
        });
        r.redact_value(&mut v, "");
        assert_eq!(
            v,
            json!({
                "server": "[REDACTED:IP_ADDRESS]",
                "driver_version": "10.1.2.4",
                "hotel_id": 4155550123u64,
                "tel": "[REDACTED:PHONE]"
            })
        );
    }

    #[test]
    fn json_bytes_fast_path_and_errors() {
        let r = Redactor::default();
        assert!(r.redact_json_bytes(br#"{"a":1}"#).unwrap().is_none());
        assert!(r.redact_json_bytes(br#"{"a":"x@y"#).is_err());
        let out = r
            .redact_json_bytes(br#"{"a":"x@example.com"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(out.bytes, br#"{"a":"[REDACTED:EMAIL]"}"#);
    }
}
