//! The compact JWS form: shape, header checks and signature verification.
//!
//! Everything here runs on the token's own bytes before any key is chosen, except
//! [`verify_signature`]. The header is parsed by tollgate (not by `jsonwebtoken`), so
//! `alg`, `crit`, `typ` and `kid` are checked exactly and duplicate members refused;
//! `jku`, `x5u`, `jwk` and `x5c` are never read.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::algorithm::SigningAlgorithm;
use super::error::JwtError;
use super::json::{JsonError, parse_strict};
use super::keys::VerifyingKey;

/// The longest `kid` looked up.
const MAX_KID_LEN: usize = 256;

/// The three segments of a compact JWS.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segments<'a> {
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
    /// `header.payload`, the signed bytes.
    pub(crate) signing_input: &'a str,
}

fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Splits a token of JWT shape: three dot-separated base64url segments, the first two
/// non-empty. `None` for anything else (an API key, a garbled value).
pub(crate) fn split(token: &str) -> Option<Segments<'_>> {
    let (signing_input, signature) = token.rsplit_once('.')?;
    let (header, payload) = signing_input.split_once('.')?;
    let shaped = !header.is_empty()
        && !payload.is_empty()
        && is_base64url(header)
        && is_base64url(payload)
        && is_base64url(signature);
    shaped.then_some(Segments {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// Decodes one segment to a JSON object, refusing duplicates and non-objects.
fn decode_object(segment: &str, what: &'static str) -> Result<Map<String, Value>, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| JwtError::Malformed(what))?;
    match parse_strict(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) | Err(JsonError::Syntax) => Err(JwtError::Malformed(what)),
        Err(JsonError::Duplicate) => Err(JwtError::DuplicateMember),
    }
}

/// The header members tollgate acts on.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub(crate) alg: SigningAlgorithm,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
}

/// Decodes and checks the header: `alg` is a known name (never `none`), no `crit`,
/// `kid` short and printable, `typ` a string.
pub(crate) fn decode_header(segment: &str) -> Result<Header, JwtError> {
    let map = decode_object(segment, "header is not a base64url JSON object")?;
    let alg = match map.get("alg") {
        Some(Value::String(name)) if name.trim().eq_ignore_ascii_case("none") => {
            return Err(JwtError::AlgorithmNone);
        }
        Some(Value::String(name)) => {
            SigningAlgorithm::from_name(name).ok_or(JwtError::UnsupportedAlgorithm)?
        }
        Some(_) => return Err(JwtError::UnsupportedAlgorithm),
        None => return Err(JwtError::Malformed("header has no alg")),
    };
    // RFC 7515 §4.1.11: a recipient that does not understand every listed extension
    // must reject. tollgate understands none, and an empty or malformed list is
    // invalid too, so any `crit` at all is refused.
    if map.contains_key("crit") {
        return Err(JwtError::CriticalHeader);
    }
    let kid = match map.get("kid") {
        None => None,
        Some(Value::String(kid)) if valid_kid(kid) => Some(kid.clone()),
        Some(_) => return Err(JwtError::InvalidKeyId),
    };
    let typ = match map.get("typ") {
        None => None,
        Some(Value::String(typ)) => Some(typ.clone()),
        Some(_) => return Err(JwtError::WrongType),
    };
    Ok(Header { alg, kid, typ })
}

/// A `kid` is only ever an exact-match lookup key; still, refuse what no IdP issues.
fn valid_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= MAX_KID_LEN && kid.chars().all(|c| !c.is_control())
}

/// Decodes the claims: a JSON object without duplicate members.
pub(crate) fn decode_claims(segment: &str) -> Result<Map<String, Value>, JwtError> {
    decode_object(segment, "claims are not a base64url JSON object")
}

/// Whether `typ` is one of `accepted`: case-insensitive, with an optional
/// `application/` prefix on either side (RFC 7515 §4.1.9, RFC 9068 §2.1).
pub(crate) fn type_matches(typ: &str, accepted: &[String]) -> bool {
    let bare = strip_application(typ);
    accepted
        .iter()
        .any(|a| strip_application(a).eq_ignore_ascii_case(bare))
}

fn strip_application(typ: &str) -> &str {
    match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => typ.get(12..).unwrap_or(""),
        _ => typ,
    }
}

/// Verifies the signature of `segments` with `key`, whose pinned algorithm must be the
/// header's.
pub(crate) fn verify_signature(
    segments: &Segments<'_>,
    alg: SigningAlgorithm,
    key: &VerifyingKey,
) -> Result<(), JwtError> {
    if key.algorithm != alg {
        return Err(JwtError::AlgorithmMismatch);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(segments.signature)
        .map_err(|_| JwtError::InvalidSignature)?;
    if signature.is_empty() {
        return Err(JwtError::InvalidSignature);
    }
    if let Some(len) = alg.ecdsa_signature_len() {
        // JWS ECDSA signatures are raw R || S: refuse DER, and refuse r = 0 or s = 0
        // outright (CVE-2022-21449 "psychic signatures").
        let (r, s) = signature.split_at(signature.len().min(len / 2));
        if signature.len() != len || r.iter().all(|&b| b == 0) || s.iter().all(|&b| b == 0) {
            return Err(JwtError::InvalidSignature);
        }
    }
    match jsonwebtoken::crypto::verify(
        segments.signature,
        segments.signing_input.as_bytes(),
        &key.key,
        alg.to_jsonwebtoken(),
    ) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(JwtError::InvalidSignature),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn shape_needs_three_base64url_segments() {
        assert!(split("a.b.c").is_some());
        assert!(split("a.b.").is_some());
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            ".b.c",
            "a..c",
            "a.b.c=",
            " a.b.c",
            "k_live_123",
        ] {
            assert!(split(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn header_checks() {
        let h = |json: &str| decode_header(&b64(json)).map(|h| h.alg);
        assert_eq!(h(r#"{"alg":"RS256"}"#), Ok(SigningAlgorithm::RS256));
        assert_eq!(h(r#"{"alg":"nOnE"}"#), Err(JwtError::AlgorithmNone));
        assert_eq!(h(r#"{"alg":"hs256"}"#), Err(JwtError::UnsupportedAlgorithm));
        assert_eq!(h(r#"{"alg":1}"#), Err(JwtError::UnsupportedAlgorithm));
        assert_eq!(
            h(r#"{"alg":"HS512","alg":"HS256"}"#),
            Err(JwtError::DuplicateMember)
        );
        assert_eq!(
            h(r#"{"alg":"RS256","crit":[]}"#),
            Err(JwtError::CriticalHeader)
        );
        assert_eq!(
            h(r#"{"alg":"RS256","kid":""}"#),
            Err(JwtError::InvalidKeyId)
        );
        assert!(matches!(h("[1]"), Err(JwtError::Malformed(_))));
    }

    #[test]
    fn typ_comparison_ignores_case_and_application_prefix() {
        let accepted = vec!["at+jwt".to_owned()];
        assert!(type_matches("at+JWT", &accepted));
        assert!(type_matches("application/at+jwt", &accepted));
        assert!(!type_matches("JWT", &accepted));
        assert!(!type_matches("application/", &accepted));
    }
}
