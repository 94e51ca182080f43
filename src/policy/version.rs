//! The `version` check shared by the TOML and JSON readers.

use super::error::PolicyError;

/// The only policy file version this crate reads.
pub(crate) const SUPPORTED: i64 = 1;

/// What the file said about its version.
pub(crate) enum VersionSeen {
    /// No `version` key.
    Missing,
    /// `version = 1`.
    One,
    /// Anything else: its text and 1-based line.
    Other(String, usize),
}

/// Fails unless the file declares `version = 1`. Checked before the strict parse, so a
/// newer file is reported as such rather than as a list of unknown keys.
pub(crate) fn check_version(origin: &str, seen: VersionSeen) -> Result<(), PolicyError> {
    match seen {
        VersionSeen::One => Ok(()),
        VersionSeen::Missing => Err(PolicyError::Invalid {
            origin: origin.to_owned(),
            line: 1,
            message: format!("missing `version`; this tollgate reads `version = {SUPPORTED}`"),
        }),
        VersionSeen::Other(found, line) => Err(PolicyError::Invalid {
            origin: origin.to_owned(),
            line,
            message: format!(
                "unsupported policy version {found}; this tollgate reads version {SUPPORTED}"
            ),
        }),
    }
}
