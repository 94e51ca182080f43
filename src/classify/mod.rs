//! What a tool call would do: the [`Classifier`] seam, its [`Classification`] result and
//! the [`Risk`] scale.
//!
//! A classifier looks at a [`ToolCall`] (the tool's name and its arguments) and returns
//! labels (`sql.write`, `shell.network`, or anything a policy's `[[label]]` rules add), a
//! risk level and findings that say where in the arguments each label came from. The
//! policy then matches on labels and risk. Classifiers compose: the guard runs every
//! configured classifier and merges the results with [`Classification::merge`].

pub mod http;
pub mod kubectl;
mod risk;
mod rules;
pub mod shell;
pub mod sql;
pub mod unicode;

pub use risk::default_risk;
pub use rules::RuleClassifier;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A `tools/call` as the policy sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The tool's name (`params.name`).
    pub name: String,
    /// The call's arguments (`params.arguments`), `Value::Null` when absent.
    pub arguments: Value,
}

impl ToolCall {
    /// A call of `name` with `arguments`.
    pub fn new(name: impl Into<String>, arguments: Value) -> Self {
        ToolCall {
            name: name.into(),
            arguments,
        }
    }
}

/// How much harm a call could do, from `None` to `Critical`. Ordered, so policies can
/// ask for "at least High".
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Nothing known to be risky.
    #[default]
    None,
    /// Reads of ordinary data.
    Low,
    /// Writes, or reads of sensitive data.
    Medium,
    /// Destructive, privileged or unverifiable actions.
    High,
    /// Actions that can take a system down or exfiltrate it.
    Critical,
}

impl Risk {
    /// The lowercase name used in policy files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::None => "none",
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Risk {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Risk::None),
            "low" => Ok(Risk::Low),
            "medium" => Ok(Risk::Medium),
            "high" => Ok(Risk::High),
            "critical" => Ok(Risk::Critical),
            other => Err(format!(
                "unknown risk `{other}` (expected none, low, medium, high or critical)"
            )),
        }
    }
}

/// One reason for a label: what was found and where in the arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// The label this finding supports.
    pub label: String,
    /// What was found, in words.
    pub what: String,
    /// A JSON pointer into the arguments, when the finding has a place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl Finding {
    /// A finding for `label` that says `what`, with no place.
    pub fn new(label: impl Into<String>, what: impl Into<String>) -> Self {
        Finding {
            label: label.into(),
            what: what.into(),
            pointer: None,
        }
    }

    /// Sets the JSON pointer of the finding.
    pub fn at(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }
}

/// The result of classifying a call: its risk, its labels and the findings behind them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Classification {
    /// The highest risk any classifier assigned.
    pub risk: Risk,
    /// Every label assigned, sorted and without duplicates.
    pub labels: BTreeSet<String>,
    /// Why each label was assigned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// What the call touches, as `kind:name` strings, sorted and without duplicates:
    /// `table:customers`, `column:customers.email`, `host:api.example.com`,
    /// `namespace:prod`, `resource:pods`. Policies match them (`tables = ["customers"]`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub objects: BTreeSet<String>,
}

impl Classification {
    /// An empty classification: no labels, risk `None`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a label and raises the risk to at least `risk`.
    pub fn label(&mut self, label: impl Into<String>, risk: Risk) -> &mut Self {
        self.labels.insert(label.into());
        self.risk = self.risk.max(risk);
        self
    }

    /// Records a finding (and its label).
    pub fn find(&mut self, finding: Finding, risk: Risk) -> &mut Self {
        self.label(finding.label.clone(), risk);
        self.findings.push(finding);
        self
    }

    /// Whether the classification carries `label`.
    pub fn has_label(&self, label: &str) -> bool {
        self.labels.contains(label)
    }

    /// Records that the call touches `object` (a `kind:name` string).
    pub fn touch(&mut self, kind: &str, name: &str) -> &mut Self {
        self.objects.insert(format!("{kind}:{name}"));
        self
    }

    /// Folds `other` into `self`: labels, findings and objects are united, the risk is
    /// the higher.
    pub fn merge(&mut self, other: Classification) {
        self.risk = self.risk.max(other.risk);
        self.labels.extend(other.labels);
        self.findings.extend(other.findings);
        self.objects.extend(other.objects);
    }
}

/// An error while classifying. The guard treats it as a denial (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("classification failed: {0}")]
pub struct ClassifyError(pub String);

/// Classifies tool calls. Implementations are used as `Arc<dyn Classifier>`.
///
/// ```
/// use tollgate::{Classification, Classifier, Risk};
/// use tollgate::classify::{ClassifyError, ToolCall};
///
/// struct Destructive;
///
/// impl Classifier for Destructive {
///     fn classify(&self, call: &ToolCall) -> Result<Classification, ClassifyError> {
///         let mut c = Classification::new();
///         if call.name.contains("drop") {
///             c.label("destructive", Risk::High);
///         }
///         Ok(c)
///     }
/// }
/// ```
pub trait Classifier: Send + Sync + 'static {
    /// Classifies `call`. An error denies the call.
    fn classify(&self, call: &ToolCall) -> Result<Classification, ClassifyError>;
}
