//! What a JSON key says about the value under it: one case-insensitive Aho-Corasick pass
//! over the key finds every context word (SSN, phone, version, AWS secret, password and
//! secret words) at once, without allocating.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::secrets::aws;
use super::secrets::generic::{self, KeyStrength};
use super::{ip, phone, ssn};

/// What the JSON key of a string says about its content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KeyContext {
    pub(crate) ssn: bool,
    pub(crate) phone: bool,
    pub(crate) version: bool,
    pub(crate) aws_secret: bool,
    pub(crate) secret: Option<KeyStrength>,
}

/// What one context word says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Says {
    Ssn,
    Phone,
    Version,
    AwsSecret,
    Aws,
    Secret,
    Password,
    SecretWord,
}

/// Words so short that they hide inside unrelated words (`server`, `hotel`): they count
/// only as a token of their own (camelCase, `_`, `-`, digits or the ends delimit).
const TOKEN_ONLY: &[&str] = &["ver", "tel"];

struct ContextWords {
    ac: AhoCorasick,
    says: Vec<(Says, bool)>,
}

static WORDS: LazyLock<Option<ContextWords>> = LazyLock::new(|| {
    let mut words: Vec<(&str, Says)> = Vec::new();
    words.extend(ssn::CONTEXT_WORDS.iter().map(|w| (w.trim(), Says::Ssn)));
    words.extend(phone::CONTEXT_WORDS.iter().map(|w| (w.trim(), Says::Phone)));
    words.extend(
        ip::VERSION_WORDS
            .iter()
            .map(|w| (w.trim_end_matches([' ', ':', '=']), Says::Version)),
    );
    words.extend(aws::SECRET_WORDS.iter().map(|w| (*w, Says::AwsSecret)));
    words.push(("aws", Says::Aws));
    words.push(("secret", Says::Secret));
    words.extend(generic::PASSWORD_WORDS.iter().map(|w| (*w, Says::Password)));
    words.extend(generic::SECRET_WORDS.iter().map(|w| (*w, Says::SecretWord)));
    let ac = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(words.iter().map(|(w, _)| w))
        .ok()?;
    let says = words
        .iter()
        .map(|(w, s)| (*s, TOKEN_ONLY.contains(w)))
        .collect();
    Some(ContextWords { ac, says })
});

impl KeyContext {
    /// The context of a value under `key`. If the word automaton could not be built,
    /// every context is assumed (more masking, never less).
    pub(crate) fn of(key: &str) -> KeyContext {
        let Some(words) = WORDS.as_ref() else {
            return KeyContext {
                ssn: true,
                phone: true,
                version: false,
                aws_secret: true,
                secret: Some(KeyStrength::Secret),
            };
        };
        let k = key.as_bytes();
        let mut ctx = KeyContext::default();
        let (mut aws, mut secret, mut password, mut secret_word) = (false, false, false, false);
        for m in words.ac.find_overlapping_iter(k) {
            let Some(&(says, token_only)) = words.says.get(m.pattern().as_usize()) else {
                continue;
            };
            if token_only && !is_token(k, m.start(), m.end()) {
                continue;
            }
            match says {
                Says::Ssn => ctx.ssn = true,
                Says::Phone => ctx.phone = true,
                Says::Version => ctx.version = true,
                Says::AwsSecret => ctx.aws_secret = true,
                Says::Aws => aws = true,
                Says::Secret => secret = true,
                Says::Password => password = true,
                Says::SecretWord => secret_word = true,
            }
        }
        ctx.aws_secret |= aws && secret;
        if (password || secret_word) && !generic::is_descriptive(k) {
            ctx.secret = Some(if password {
                KeyStrength::Password
            } else {
                KeyStrength::Secret
            });
        }
        ctx
    }
}

/// Whether `k[start..end]` stands as a token: not glued to letters of the same word on
/// either side (a lower-case letter before an upper-case one starts a new word).
fn is_token(k: &[u8], start: usize, end: usize) -> bool {
    let first = k.get(start).copied().unwrap_or(b' ');
    let last = k.get(end.wrapping_sub(1)).copied().unwrap_or(b' ');
    let left = start
        .checked_sub(1)
        .and_then(|i| k.get(i))
        .is_none_or(|&b| {
            !b.is_ascii_alphabetic() || b.is_ascii_lowercase() && first.is_ascii_uppercase()
        });
    let right = k.get(end).is_none_or(|&b| {
        !b.is_ascii_alphabetic() || last.is_ascii_lowercase() && b.is_ascii_uppercase()
    });
    left && right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_anywhere_in_the_key() {
        let c = KeyContext::of("customer_SSN");
        assert!(c.ssn && !c.phone && !c.version && c.secret.is_none());
        assert!(KeyContext::of("MobileNumber").phone);
        assert!(KeyContext::of("driver_version").version);
        assert!(KeyContext::of("AWS_Secret_Access_Key").aws_secret);
        assert!(KeyContext::of("awsSecret").aws_secret);
        assert_eq!(
            KeyContext::of("db_password").secret,
            Some(KeyStrength::Password)
        );
        assert_eq!(
            KeyContext::of("client_secret").secret,
            Some(KeyStrength::Secret)
        );
        assert_eq!(KeyContext::of("token_type").secret, None);
        assert_eq!(KeyContext::of("max_tokens").secret, None);
    }

    #[test]
    fn short_words_only_as_tokens() {
        for key in ["server", "driver", "overall", "hotel_id", "intel"] {
            let c = KeyContext::of(key);
            assert!(!c.version && !c.phone, "{key}: {c:?}");
        }
        for key in ["ver", "app_ver", "verNo", "tel", "tel_no", "homeTel", "TEL"] {
            let c = KeyContext::of(key);
            assert!(c.version || c.phone, "{key}: {c:?}");
        }
    }
}
