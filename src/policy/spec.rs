//! The serde model of one rule of the policy file, shared by the TOML and JSON readers.
//!
//! Every struct denies unknown fields: a typo such as `tool =` must fail the load rather
//! than silently drop a condition and widen the rule.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::classify::Risk;
use crate::identity::IdentityKind;

/// An `[[allow]]`, `[[deny]]` or `[[approve]]` rule as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    pub(crate) name: Option<String>,
    pub(crate) subjects: Option<Vec<String>>,
    pub(crate) issuers: Option<Vec<String>>,
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) scopes: Option<Vec<String>>,
    pub(crate) kinds: Option<Vec<IdentityKind>>,
    pub(crate) tools: Option<Vec<String>>,
    pub(crate) labels: Option<Vec<String>>,
    pub(crate) min_risk: Option<Risk>,
    pub(crate) args: Option<Vec<ArgSpec>>,
    pub(crate) reason: Option<String>,
    pub(crate) reviewers: Option<Vec<String>>,
}

/// A `[[label]]` classification rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelSpec {
    pub(crate) name: Option<String>,
    pub(crate) tools: Option<Vec<String>>,
    pub(crate) args: Option<Vec<ArgSpec>>,
    pub(crate) labels: Vec<String>,
    pub(crate) risk: Option<Risk>,
}

/// One argument condition: a JSON pointer and exactly one test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArgSpec {
    pub(crate) pointer: String,
    /// `Some(Value::Null)` for an explicit `null`, `None` when absent.
    #[serde(default, deserialize_with = "present")]
    pub(crate) equals: Option<Value>,
    pub(crate) regex: Option<String>,
    pub(crate) one_of: Option<Vec<Value>>,
}

/// Deserializes a field that is present (even when `null`) as `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The kind of a rule, which is also the name of its table in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleKind {
    Allow,
    Deny,
    Approve,
    Label,
}

impl RuleKind {
    /// The table name: `allow`, `deny`, `approve` or `label`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RuleKind::Allow => "allow",
            RuleKind::Deny => "deny",
            RuleKind::Approve => "approve",
            RuleKind::Label => "label",
        }
    }
}

/// A rule as read from the file, with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Located<S> {
    pub(crate) kind: RuleKind,
    /// Index within its kind.
    pub(crate) index: usize,
    /// Byte offset of the rule's start in the source (orders rules across kinds).
    pub(crate) offset: usize,
    /// 1-based line of the rule's start.
    pub(crate) line: usize,
    pub(crate) spec: S,
}

impl<S> Located<S> {
    /// `deny[0]`-style id.
    pub(crate) fn id(&self) -> String {
        format!("{}[{}]", self.kind.as_str(), self.index)
    }
}

/// A whole policy file as read, before compilation.
#[derive(Debug, Clone)]
pub(crate) struct FileSpec {
    pub(crate) default: Option<super::Action>,
    pub(crate) rules: Vec<Located<RuleSpec>>,
    pub(crate) labels: Vec<Located<LabelSpec>>,
}
