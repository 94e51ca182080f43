//! [`RuleClassifier`]: a policy's `[[label]]` rules as a [`Classifier`].

use std::fmt;
use std::sync::Arc;

use super::{Classification, Classifier, ClassifyError, Finding, ToolCall};
use crate::policy::args::ArgCond;
use crate::policy::index::ToolIndex;
use crate::policy::label::LabelRule;

/// Classifies calls with a policy's `[[label]]` rules: a rule whose tool globs and
/// argument conditions all match adds its labels and raises the risk to its `risk`.
/// Each label gets a [`Finding`] naming the rule and pointing at the rule's first
/// argument condition.
///
/// Obtained from [`Policy::classifier`](crate::policy::Policy::classifier); cheap to
/// clone (the rules are shared).
///
/// ```
/// use tollgate::Classifier;
/// use tollgate::classify::ToolCall;
/// use tollgate::policy::Policy;
///
/// let policy = Policy::from_toml_str(r#"
///     version = 1
///     [[label]]
///     name = "db-writes"
///     tools = ["db.*"]
///     args = [ { pointer = "/sql", regex = "(?i)\\b(insert|update|delete)\\b" } ]
///     labels = ["sql.write"]
///     risk = "medium"
/// "#)?;
/// let call = ToolCall::new("db.query", serde_json::json!({"sql": "DELETE FROM t"}));
/// let c = policy.classifier().classify(&call)?;
/// assert!(c.has_label("sql.write"));
/// assert_eq!(c.findings[0].pointer.as_deref(), Some("/sql"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct RuleClassifier {
    inner: Arc<Inner>,
}

struct Inner {
    rules: Vec<LabelRule>,
    index: ToolIndex,
}

impl RuleClassifier {
    /// A classifier with no rules: every call gets an empty classification.
    pub fn empty() -> RuleClassifier {
        RuleClassifier::new(Vec::new(), ToolIndex::empty())
    }

    /// A classifier over `rules`, whose tool globs are in `index` (by rule index).
    pub(crate) fn new(rules: Vec<LabelRule>, index: ToolIndex) -> RuleClassifier {
        RuleClassifier {
            inner: Arc::new(Inner { rules, index }),
        }
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.inner.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.inner.rules.is_empty()
    }
}

impl Default for RuleClassifier {
    fn default() -> Self {
        RuleClassifier::empty()
    }
}

impl fmt::Debug for RuleClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleClassifier")
            .field("rules", &self.inner.rules.len())
            .finish_non_exhaustive()
    }
}

impl Classifier for RuleClassifier {
    fn classify(&self, call: &ToolCall) -> Result<Classification, ClassifyError> {
        let mut c = Classification::new();
        for r in self.inner.index.candidates(&call.name) {
            let Some(rule) = self.inner.rules.get(r) else {
                continue;
            };
            if !rule.args.iter().all(|a| a.matches(&call.arguments)) {
                continue;
            }
            let what = if rule.args.is_empty() {
                format!("rule `{}` matched tool `{}`", rule.name, call.name)
            } else {
                let conds: Vec<String> = rule.args.iter().map(ArgCond::describe).collect();
                format!("rule `{}`: {}", rule.name, conds.join("; "))
            };
            let pointer = rule.args.first().map(ArgCond::pointer);
            for label in &rule.labels {
                let finding = Finding::new(label.clone(), what.clone());
                let finding = match pointer {
                    Some(p) => finding.at(p),
                    None => finding,
                };
                c.find(finding, rule.risk);
            }
        }
        Ok(c)
    }
}
