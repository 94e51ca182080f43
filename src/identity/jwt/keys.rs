//! Verifying keys and JSON Web Key Sets: parsing, pinning each key to one algorithm,
//! and refusing weak keys.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};

use super::algorithm::{Family, SigningAlgorithm};
use super::json::parse_strict;

/// The most keys read from one key set.
pub(crate) const MAX_KEYS: usize = 64;
/// The shortest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// A key that verifies signatures of exactly one algorithm.
#[derive(Clone)]
pub(crate) struct VerifyingKey {
    pub(crate) kid: Option<String>,
    pub(crate) algorithm: SigningAlgorithm,
    pub(crate) key: DecodingKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// An HMAC key, refused when shorter than the algorithm's hash.
    pub(crate) fn hmac(
        kid: Option<String>,
        algorithm: SigningAlgorithm,
        secret: &[u8],
    ) -> Result<Self, String> {
        if algorithm.family() != Family::Hmac {
            return Err(format!("{algorithm} is not an HMAC algorithm"));
        }
        if secret.len() < algorithm.min_secret_len() {
            return Err(format!(
                "{algorithm} secret of {} bytes is shorter than the {} bytes required",
                secret.len(),
                algorithm.min_secret_len()
            ));
        }
        Ok(VerifyingKey {
            kid,
            algorithm,
            key: DecodingKey::from_secret(secret),
        })
    }
}

/// The keys of one issuer, looked up by `kid`.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

/// What looking a `kid` up found.
pub(crate) enum Lookup {
    Found(Arc<VerifyingKey>),
    /// The token has no `kid` and the set has several keys.
    Ambiguous,
    Missing,
}

impl KeySet {
    pub(crate) fn new(keys: Vec<VerifyingKey>) -> Self {
        KeySet {
            keys: keys.into_iter().map(Arc::new).collect(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether two keys carry the same `kid` (or two keys carry none).
    pub(crate) fn has_duplicate_kids(&self) -> bool {
        self.keys
            .iter()
            .enumerate()
            .any(|(i, a)| self.keys.iter().skip(i + 1).any(|b| a.kid == b.kid))
    }

    pub(crate) fn extend(&mut self, other: KeySet) {
        self.keys.extend(other.keys);
    }

    /// The key with id `kid`; without a `kid`, the only key of the set.
    pub(crate) fn lookup(&self, kid: Option<&str>) -> Lookup {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .map_or(Lookup::Missing, |k| Lookup::Found(Arc::clone(k))),
            None => match self.keys.as_slice() {
                [only] => Lookup::Found(Arc::clone(only)),
                [] => Lookup::Missing,
                _ => Lookup::Ambiguous,
            },
        }
    }

    /// Parses a JWKS document. Keys that are not signature keys, not allowed by
    /// `allowed`, weak, or (when `allow_symmetric` is false) symmetric are skipped and
    /// reported in the second list; a document that is not a key set, has more than
    /// [`MAX_KEYS`] keys or repeats a `kid` is an error.
    pub(crate) fn from_jwks(
        bytes: &[u8],
        allowed: &[SigningAlgorithm],
        allow_symmetric: bool,
    ) -> Result<(KeySet, Vec<String>), String> {
        let doc = parse_strict(bytes).map_err(|e| format!("JWKS is not valid JSON ({e:?})"))?;
        let Some(Value::Array(entries)) = doc.get("keys") else {
            return Err("JWKS has no `keys` array".into());
        };
        if entries.len() > MAX_KEYS {
            return Err(format!("JWKS has more than {MAX_KEYS} keys"));
        }
        let mut keys: Vec<VerifyingKey> = Vec::new();
        let mut skipped = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let Value::Object(jwk) = entry else {
                skipped.push(format!("key {i}: not an object"));
                continue;
            };
            match parse_jwk(jwk, allowed, allow_symmetric) {
                Ok(key) => {
                    if keys.iter().any(|k| k.kid.is_some() && k.kid == key.kid) {
                        return Err(format!("JWKS repeats kid {:?}", key.kid));
                    }
                    keys.push(key);
                }
                Err(reason) => skipped.push(format!("key {i}: {reason}")),
            }
        }
        Ok((KeySet::new(keys), skipped))
    }
}

fn string<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{name}` is not a string")),
    }
}

fn required<'a>(jwk: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    string(jwk, name)?.ok_or_else(|| format!("`{name}` missing"))
}

fn b64(value: &str, name: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| format!("`{name}` is not base64url"))
}

/// The bit length of a big-endian unsigned integer.
fn bit_len(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(first) => bytes.get(first..).unwrap_or(&[]),
        None => &[],
    };
    match trimmed.first() {
        Some(&top) => (trimmed.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

fn parse_jwk(
    jwk: &Map<String, Value>,
    allowed: &[SigningAlgorithm],
    allow_symmetric: bool,
) -> Result<VerifyingKey, String> {
    if let Some(usage) = string(jwk, "use")?
        && usage != "sig"
    {
        return Err(format!("`use` is {usage:?}, not \"sig\""));
    }
    let kid = string(jwk, "kid")?.map(str::to_owned);
    let kty = required(jwk, "kty")?;
    let crv = string(jwk, "crv")?;
    let algorithm = match string(jwk, "alg")? {
        Some(name) => SigningAlgorithm::from_name(name)
            .ok_or_else(|| format!("unsupported `alg` {name:?}"))?,
        None => infer_algorithm(kty, crv, allowed)?,
    };
    if !allowed.contains(&algorithm) {
        return Err(format!("{algorithm} is not allowed for this issuer"));
    }
    let key = match (kty, algorithm.family()) {
        ("RSA", Family::Rsa) => {
            let n = b64(required(jwk, "n")?, "n")?;
            let e = b64(required(jwk, "e")?, "e")?;
            let bits = bit_len(&n);
            if bits < MIN_RSA_BITS {
                return Err(format!("RSA key of {bits} bits is below {MIN_RSA_BITS}"));
            }
            DecodingKey::from_rsa_raw_components(&n, &e)
        }
        ("EC", Family::Ec) => {
            let (curve, size) = match algorithm {
                SigningAlgorithm::ES256 => ("P-256", 32),
                _ => ("P-384", 48),
            };
            if crv != Some(curve) {
                return Err(format!("{algorithm} needs curve {curve}, not {crv:?}"));
            }
            let x = required(jwk, "x")?;
            let y = required(jwk, "y")?;
            if b64(x, "x")?.len() != size || b64(y, "y")?.len() != size {
                return Err("EC coordinates have the wrong length".into());
            }
            DecodingKey::from_ec_components(x, y).map_err(|e| format!("EC key: {e}"))?
        }
        ("OKP", Family::Ed) => {
            if crv != Some("Ed25519") {
                return Err(format!("EdDSA needs curve Ed25519, not {crv:?}"));
            }
            let x = required(jwk, "x")?;
            if b64(x, "x")?.len() != 32 {
                return Err("Ed25519 key has the wrong length".into());
            }
            DecodingKey::from_ed_components(x).map_err(|e| format!("Ed25519 key: {e}"))?
        }
        ("oct", Family::Hmac) => {
            if !allow_symmetric {
                return Err("symmetric keys are only accepted from static configuration".into());
            }
            let secret = b64(required(jwk, "k")?, "k")?;
            return VerifyingKey::hmac(kid, algorithm, &secret);
        }
        _ => return Err(format!("key type {kty:?} cannot be used with {algorithm}")),
    };
    Ok(VerifyingKey {
        kid,
        algorithm,
        key,
    })
}

/// The algorithm of a JWK without `alg`: from the curve, or the issuer's first allowed
/// algorithm of the key's family.
fn infer_algorithm(
    kty: &str,
    crv: Option<&str>,
    allowed: &[SigningAlgorithm],
) -> Result<SigningAlgorithm, String> {
    let first_of = |family: Family| {
        allowed
            .iter()
            .copied()
            .find(|a| a.family() == family)
            .ok_or_else(|| format!("no allowed algorithm for key type {kty:?}"))
    };
    match (kty, crv) {
        ("EC", Some("P-256")) => Ok(SigningAlgorithm::ES256),
        ("EC", Some("P-384")) => Ok(SigningAlgorithm::ES384),
        ("OKP", Some("Ed25519")) => Ok(SigningAlgorithm::EdDSA),
        ("RSA", _) => first_of(Family::Rsa),
        ("oct", _) => first_of(Family::Hmac),
        _ => Err(format!("unsupported key type {kty:?} / curve {crv:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::jwt::algorithm::ASYMMETRIC;

    #[test]
    fn weak_and_foreign_keys_are_skipped() {
        let small_n = URL_SAFE_NO_PAD.encode([0xffu8; 128]);
        let jwks = format!(
            r#"{{"keys":[
              {{"kty":"RSA","kid":"small","n":"{small_n}","e":"AQAB"}},
              {{"kty":"RSA","kid":"enc","use":"enc","n":"{small_n}","e":"AQAB"}},
              {{"kty":"EC","kid":"wrongcurve","alg":"ES256","crv":"P-384","x":"AA","y":"AA"}},
              {{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}}
            ]}}"#
        );
        let (set, skipped) = KeySet::from_jwks(jwks.as_bytes(), &ASYMMETRIC, false).unwrap();
        assert_eq!(set.len(), 0);
        assert_eq!(skipped.len(), 4, "{skipped:?}");
    }

    #[test]
    fn repeated_kid_and_non_sets_are_errors() {
        let n = URL_SAFE_NO_PAD.encode([0xffu8; 256]);
        let key = format!(r#"{{"kty":"RSA","kid":"a","n":"{n}","e":"AQAB"}}"#);
        let twice = format!(r#"{{"keys":[{key},{key}]}}"#);
        assert!(KeySet::from_jwks(twice.as_bytes(), &ASYMMETRIC, false).is_err());
        assert!(KeySet::from_jwks(b"[]", &ASYMMETRIC, false).is_err());
        let once = format!(r#"{{"keys":[{key}]}}"#);
        let (set, _) = KeySet::from_jwks(once.as_bytes(), &ASYMMETRIC, false).unwrap();
        assert!(
            matches!(set.lookup(Some("a")), Lookup::Found(k) if k.algorithm == SigningAlgorithm::RS256)
        );
    }

    #[test]
    fn short_hmac_secrets_are_refused() {
        assert!(VerifyingKey::hmac(None, SigningAlgorithm::HS256, &[7; 31]).is_err());
        assert!(VerifyingKey::hmac(None, SigningAlgorithm::HS256, &[7; 32]).is_ok());
        assert!(VerifyingKey::hmac(None, SigningAlgorithm::HS512, &[7; 32]).is_err());
    }
}
