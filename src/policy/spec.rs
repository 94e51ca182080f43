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
    pub(crate) tables: Option<Vec<String>>,
    pub(crate) min_risk: Option<Risk>,
    pub(crate) args: Option<Vec<ArgSpec>>,
    pub(crate) reason: Option<String>,
    pub(crate) reviewers: Option<Vec<String>>,
    /// Approve rules only: `wait` or `deferred`.
    pub(crate) flow: Option<FlowSpec>,
    /// Approve rules only: the wait-flow hold, e.g. `2m`.
    pub(crate) timeout: Option<String>,
    /// Approve rules only: how long a ticket stays pending.
    pub(crate) ttl: Option<String>,
    /// Approve rules only: `once`.
    pub(crate) grant: Option<GrantSpec>,
    /// Approve rules only: identical calls within this window of the approval pass.
    pub(crate) grant_window: Option<String>,
    /// Approve rules only: distinct reviewers needed.
    pub(crate) min_approvals: Option<u32>,
}

/// The `flow` of an approve rule as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FlowSpec {
    Wait,
    Deferred,
}

/// The `grant` of an approve rule as written (a window is `grant_window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum GrantSpec {
    Once,
}

/// The `[classify]` table: settings of the built-in inspectors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClassifySpec {
    /// Inspect tools without an `[[inspect]]` entry by their argument names.
    pub(crate) auto_detect: Option<bool>,
    /// The SQL dialect of auto-detected SQL and of entries that name none.
    pub(crate) sql_dialect: Option<String>,
    /// Tables whose `SELECT *` is a bulk read.
    pub(crate) sensitive_tables: Option<Vec<String>>,
    /// A SELECT without a LIMIT at or under this many rows is a bulk read.
    pub(crate) bulk_row_limit: Option<u64>,
    /// Host globs an HTTP tool may reach without `http.external`.
    pub(crate) http_allowed_hosts: Option<Vec<String>>,
    /// Risk overrides per label.
    pub(crate) risk: Option<std::collections::BTreeMap<String, Risk>>,
}

/// An `[[inspect]]` entry: which argument of which tools holds a command, and its kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InspectSpec {
    pub(crate) name: Option<String>,
    pub(crate) tools: Vec<String>,
    /// JSON pointer to the SQL text, the shell command, the kubectl argv or command
    /// line, or the HTTP URL.
    pub(crate) pointer: String,
    pub(crate) kind: InspectKindSpec,
    /// SQL only.
    pub(crate) dialect: Option<String>,
    /// HTTP only: pointers to the method, the headers (object or array of pairs) and
    /// the body.
    pub(crate) method: Option<String>,
    pub(crate) headers: Option<String>,
    pub(crate) body: Option<String>,
}

/// What an `[[inspect]]` entry's argument holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum InspectKindSpec {
    Sql,
    Shell,
    Kubectl,
    Http,
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
    Inspect,
}

impl RuleKind {
    /// The table name: `allow`, `deny`, `approve` or `label`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RuleKind::Allow => "allow",
            RuleKind::Deny => "deny",
            RuleKind::Approve => "approve",
            RuleKind::Label => "label",
            RuleKind::Inspect => "inspect",
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
    pub(crate) classify: ClassifySpec,
    pub(crate) inspect: Vec<Located<InspectSpec>>,
    /// The `[redact]` section, when the file has one.
    pub(crate) redact: Option<super::redact::RedactSection>,
}
