//! [`PolicyError`]: why a policy file could not be loaded.

use std::fmt;

/// Which rule of a policy file an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    /// The rule's name: its `name` field, or its id when it has none.
    pub name: String,
    /// The rule's kind and index within its kind, e.g. `deny[0]`.
    pub id: String,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name == self.id {
            write!(f, "rule `{}`", self.name)
        } else {
            write!(f, "rule `{}` ({})", self.name, self.id)
        }
    }
}

/// Why a policy could not be loaded.
///
/// The message names the source (`origin`), the 1-based line (and column, when known)
/// and, when the problem is inside a rule, the rule:
///
/// ```text
/// policy.toml:14: rule `no-drops` (deny[0]): invalid regex `(`: ...
/// policy.toml:3:1: rule `allow[0]`: unknown field `tool`, expected one of ...
/// policy.json:2:11: expected `,` or `}`
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy file could not be read.
    #[error("{origin}: cannot read policy file: {source}")]
    Io {
        /// The path as given.
        origin: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML / JSON, or does not have the policy file's shape
    /// (unknown key, wrong type, missing field).
    #[error("{origin}:{line}:{column}: {}{message}", rule_prefix(.rule))]
    Syntax {
        /// Names the source of the policy.
        origin: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// The rule the problem is in, when it is inside one.
        rule: Option<RuleRef>,
        /// What is wrong.
        message: String,
    },
    /// A rule is well-formed but invalid: a bad glob, regex or JSON pointer, an argument
    /// condition with no or several tests, `reviewers` outside an `approve` rule, an
    /// empty list, a duplicate name.
    #[error("{origin}:{line}: {rule}: {message}")]
    Rule {
        /// Names the source of the policy.
        origin: String,
        /// 1-based line where the rule starts.
        line: usize,
        /// The rule.
        rule: RuleRef,
        /// What is wrong.
        message: String,
    },
    /// The file as a whole is invalid (for example an unsupported `version`).
    #[error("{origin}:{line}: {message}")]
    Invalid {
        /// Names the source of the policy.
        origin: String,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

fn rule_prefix(rule: &Option<RuleRef>) -> String {
    match rule {
        Some(r) => format!("{r}: "),
        None => String::new(),
    }
}

impl PolicyError {
    /// The 1-based line the error is about, when it has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            PolicyError::Io { .. } => None,
            PolicyError::Syntax { line, .. }
            | PolicyError::Rule { line, .. }
            | PolicyError::Invalid { line, .. } => Some(*line),
        }
    }

    /// The rule the error is about, when it is about one.
    pub fn rule(&self) -> Option<&RuleRef> {
        match self {
            PolicyError::Syntax { rule, .. } => rule.as_ref(),
            PolicyError::Rule { rule, .. } => Some(rule),
            PolicyError::Io { .. } | PolicyError::Invalid { .. } => None,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `src`.
pub(crate) fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(src.len());
    while end > 0 && !src.is_char_boundary(end) {
        end -= 1;
    }
    let before = src.get(..end).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars() {
        let src = "ab\ncdé\nf";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 7), (2, 4));
        assert_eq!(line_col(src, 8), (3, 1));
        assert_eq!(line_col(src, 6), (2, 3)); // inside `é`: counts the whole char
        assert_eq!(line_col(src, 99), (3, 2));
    }
}
