//! Why a token was refused: [`JwtError`].

use crate::identity::AuthError;

/// Why [`JwtAuthenticator::verify`](super::JwtAuthenticator::verify) refused a token.
///
/// Every variant except [`JwtError::Unavailable`] means "this token is not valid" and
/// becomes [`AuthError::Invalid`]; `Unavailable` means the keys could not be obtained
/// and becomes [`AuthError::Unavailable`]. Messages never contain the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// The token (or the `Authorization` header carrying it) is longer than the cap.
    #[error("token of {len} bytes exceeds the {max}-byte cap")]
    TooLarge {
        /// Length seen.
        len: usize,
        /// The configured cap.
        max: usize,
    },
    /// Not a compact JWS: wrong number of segments, bad base64url, not a JSON object.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// A JSON object in the header or the claims names the same member twice.
    #[error("duplicate JSON member in token")]
    DuplicateMember,
    /// `alg` is `none` (in any letter case): unsigned tokens are never accepted.
    #[error("unsigned token (alg none)")]
    AlgorithmNone,
    /// `alg` is not an algorithm tollgate knows (names are case-sensitive).
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// `alg` differs from the algorithm pinned to the selected key.
    #[error("algorithm does not match the key")]
    AlgorithmMismatch,
    /// `typ` is absent or not one of the accepted token types.
    #[error("token type not accepted")]
    WrongType,
    /// The header has a `crit` member: no critical extension is understood.
    #[error("critical header extension not supported")]
    CriticalHeader,
    /// `kid` is not a short printable string.
    #[error("invalid key id")]
    InvalidKeyId,
    /// The header has no `kid` and the issuer has several keys.
    #[error("key id required")]
    MissingKeyId,
    /// `iss` names no configured issuer.
    #[error("unknown issuer")]
    UnknownIssuer,
    /// No key of the issuer has the token's `kid` (after at most one refetch).
    #[error("unknown key")]
    UnknownKey,
    /// The signature does not verify with the issuer's key.
    #[error("invalid signature")]
    InvalidSignature,
    /// A required claim is absent.
    #[error("missing claim `{0}`")]
    MissingClaim(String),
    /// A claim has the wrong JSON type or an unusable value.
    #[error("invalid claim `{0}`")]
    InvalidClaim(String),
    /// `exp` has passed (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// `iat` is older than the configured maximum token age.
    #[error("token too old")]
    TooOld,
    /// No `aud` value is an accepted audience (or several were given where one is required).
    #[error("audience not accepted")]
    WrongAudience,
    /// The issuer's keys could not be obtained or have expired: fail closed.
    #[error("keys unavailable: {0}")]
    Unavailable(String),
}

impl From<JwtError> for AuthError {
    fn from(error: JwtError) -> Self {
        match error {
            JwtError::Unavailable(reason) => AuthError::Unavailable(reason),
            other => AuthError::Invalid(other.to_string()),
        }
    }
}
