//! A compiled `[[label]]` rule, as the [`RuleClassifier`](crate::classify::RuleClassifier)
//! runs it.

use super::args::ArgCond;
use crate::classify::Risk;

/// One compiled `[[label]]` rule. Its tool globs live in the classifier's tool index.
#[derive(Debug, Clone)]
pub(crate) struct LabelRule {
    /// The rule's name (`label[0]`-style when it has none).
    pub(crate) name: String,
    /// Argument conditions; all must hold.
    pub(crate) args: Vec<ArgCond>,
    /// Labels added when the rule matches (never empty).
    pub(crate) labels: Vec<String>,
    /// Risk the call is raised to when the rule matches.
    pub(crate) risk: Risk,
}
