//! The JWS signature algorithms a key can be pinned to.

use std::fmt;

/// A JWS signature algorithm (RFC 7518 names). Each key is pinned to exactly one; the
/// token's `alg` header must name that algorithm, and never chooses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigningAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
    /// HMAC with SHA-256 (shared secret of at least 32 bytes).
    HS256,
    /// HMAC with SHA-384 (shared secret of at least 48 bytes).
    HS384,
    /// HMAC with SHA-512 (shared secret of at least 64 bytes).
    HS512,
}

/// Every asymmetric algorithm: the default allow-list of an issuer.
pub(crate) const ASYMMETRIC: [SigningAlgorithm; 9] = [
    SigningAlgorithm::RS256,
    SigningAlgorithm::RS384,
    SigningAlgorithm::RS512,
    SigningAlgorithm::PS256,
    SigningAlgorithm::PS384,
    SigningAlgorithm::PS512,
    SigningAlgorithm::ES256,
    SigningAlgorithm::ES384,
    SigningAlgorithm::EdDSA,
];

const ALL: [SigningAlgorithm; 12] = [
    SigningAlgorithm::RS256,
    SigningAlgorithm::RS384,
    SigningAlgorithm::RS512,
    SigningAlgorithm::PS256,
    SigningAlgorithm::PS384,
    SigningAlgorithm::PS512,
    SigningAlgorithm::ES256,
    SigningAlgorithm::ES384,
    SigningAlgorithm::EdDSA,
    SigningAlgorithm::HS256,
    SigningAlgorithm::HS384,
    SigningAlgorithm::HS512,
];

/// The key family an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Rsa,
    Ec,
    Ed,
    Hmac,
}

impl SigningAlgorithm {
    /// The RFC 7518 name, as it appears in `alg`.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::RS256 => "RS256",
            SigningAlgorithm::RS384 => "RS384",
            SigningAlgorithm::RS512 => "RS512",
            SigningAlgorithm::PS256 => "PS256",
            SigningAlgorithm::PS384 => "PS384",
            SigningAlgorithm::PS512 => "PS512",
            SigningAlgorithm::ES256 => "ES256",
            SigningAlgorithm::ES384 => "ES384",
            SigningAlgorithm::EdDSA => "EdDSA",
            SigningAlgorithm::HS256 => "HS256",
            SigningAlgorithm::HS384 => "HS384",
            SigningAlgorithm::HS512 => "HS512",
        }
    }

    /// The algorithm named exactly `name` (case-sensitive, no surrounding space).
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub(crate) fn family(self) -> Family {
        match self {
            SigningAlgorithm::RS256
            | SigningAlgorithm::RS384
            | SigningAlgorithm::RS512
            | SigningAlgorithm::PS256
            | SigningAlgorithm::PS384
            | SigningAlgorithm::PS512 => Family::Rsa,
            SigningAlgorithm::ES256 | SigningAlgorithm::ES384 => Family::Ec,
            SigningAlgorithm::EdDSA => Family::Ed,
            SigningAlgorithm::HS256 | SigningAlgorithm::HS384 | SigningAlgorithm::HS512 => {
                Family::Hmac
            }
        }
    }

    /// The shortest HMAC secret allowed for this algorithm (its hash size), 0 otherwise.
    pub(crate) fn min_secret_len(self) -> usize {
        match self {
            SigningAlgorithm::HS256 => 32,
            SigningAlgorithm::HS384 => 48,
            SigningAlgorithm::HS512 => 64,
            _ => 0,
        }
    }

    /// The length of a raw `R || S` ECDSA signature, for the EC algorithms.
    pub(crate) fn ecdsa_signature_len(self) -> Option<usize> {
        match self {
            SigningAlgorithm::ES256 => Some(64),
            SigningAlgorithm::ES384 => Some(96),
            _ => None,
        }
    }

    pub(crate) fn to_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            SigningAlgorithm::RS256 => A::RS256,
            SigningAlgorithm::RS384 => A::RS384,
            SigningAlgorithm::RS512 => A::RS512,
            SigningAlgorithm::PS256 => A::PS256,
            SigningAlgorithm::PS384 => A::PS384,
            SigningAlgorithm::PS512 => A::PS512,
            SigningAlgorithm::ES256 => A::ES256,
            SigningAlgorithm::ES384 => A::ES384,
            SigningAlgorithm::EdDSA => A::EdDSA,
            SigningAlgorithm::HS256 => A::HS256,
            SigningAlgorithm::HS384 => A::HS384,
            SigningAlgorithm::HS512 => A::HS512,
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_exact() {
        assert_eq!(
            SigningAlgorithm::from_name("RS256"),
            Some(SigningAlgorithm::RS256)
        );
        for bad in ["rs256", "RS256 ", "none", "ES256K", ""] {
            assert_eq!(SigningAlgorithm::from_name(bad), None, "{bad:?}");
        }
    }
}
