//! [`Explanation`]: every rule that matched a call, and why.

use serde::Serialize;

use super::{Action, Decision};
use crate::classify::Risk;

/// What the policy decided about a call and every rule that matched it, for reviewers
/// and `tollgate check`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Explanation {
    /// The decision, as [`Policy::evaluate`](super::Policy::evaluate) returns it.
    pub decision: Decision,
    /// Whether the tool is listed to the identity in `tools/list`.
    pub visible: bool,
    /// Every allow, deny and approve rule that matched, in file order.
    pub matched: Vec<RuleMatch>,
    /// The call's classification labels.
    pub labels: Vec<String>,
    /// The call's classification risk.
    pub risk: Risk,
}

/// One rule that matched a call.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct RuleMatch {
    /// The rule's name (`deny[0]`-style when it has none).
    pub rule: String,
    /// The rule's kind.
    pub action: Action,
    /// One plain-English line per condition that held, e.g. ``tool `db.query` matches
    /// `db.*` ``, ``group `dba` ``, ``risk high >= medium``.
    pub because: Vec<String>,
}
