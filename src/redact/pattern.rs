//! User patterns: a name, a regex, and an optional validator.

use std::fmt;
use std::sync::Arc;

use regex::{Regex, RegexBuilder};

use super::RedactError;

/// A validator a user pattern's match must pass (for example a checksum).
pub type Validator = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Compiled regex size limits for user patterns.
const SIZE_LIMIT: usize = 1 << 20;

/// A compiled user pattern.
#[derive(Clone)]
pub(crate) struct UserPattern {
    pub(crate) name: Arc<str>,
    pub(crate) regex: Regex,
    /// The same regex over bytes, for the prefilter (it runs on the raw input).
    pub(crate) bytes: regex::bytes::Regex,
    pub(crate) validator: Option<Validator>,
}

impl fmt::Debug for UserPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserPattern")
            .field("name", &self.name)
            .field("regex", &self.regex.as_str())
            .field("validated", &self.validator.is_some())
            .finish()
    }
}

impl UserPattern {
    pub(crate) fn compile(
        name: &str,
        regex: &str,
        validator: Option<Validator>,
    ) -> Result<UserPattern, RedactError> {
        let name_ok = (1..=MAX_NAME).contains(&name.len()) && name.bytes().all(is_name_byte);
        if !name_ok {
            return Err(RedactError::PatternName(name.to_owned()));
        }
        let bad = |e: regex::Error| RedactError::Regex {
            name: name.to_owned(),
            message: e.to_string(),
        };
        let compiled = RegexBuilder::new(regex)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(bad)?;
        let bytes = regex::bytes::RegexBuilder::new(regex)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(bad)?;
        Ok(UserPattern {
            name: Arc::from(name),
            regex: compiled,
            bytes,
            validator,
        })
    }

    pub(crate) fn accepts(&self, matched: &str) -> bool {
        !matched.is_empty() && self.validator.as_ref().is_none_or(|v| v(matched))
    }
}

/// The longest pattern name.
pub(crate) const MAX_NAME: usize = 64;

/// Whether `b` may appear in a pattern name: ASCII letters and digits, `_`, `-`, `.`.
pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Built-in validators a policy file can name for its patterns.
pub(crate) fn named_validator(name: &str) -> Option<Validator> {
    match name {
        "luhn" => Some(Arc::new(|s: &str| {
            let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
            super::card::luhn(&digits)
        })),
        "mod97" => Some(Arc::new(|s: &str| {
            let chars: Vec<u8> = s.bytes().filter(u8::is_ascii_alphanumeric).collect();
            super::iban::mod97(&chars)
        })),
        _ => None,
    }
}
