//! The policy: which identity may call which tool, with which arguments — allow, deny,
//! or hold for a human's approval.
//!
//! A policy file (TOML, or JSON of the same shape) lists rules of three kinds,
//! `[[allow]]`, `[[deny]]` and `[[approve]]`, plus `[[label]]` classification rules:
//!
//! ```toml
//! version = 1
//! default = "deny"            # allow | deny | approve; "deny" when absent
//!
//! [[allow]]
//! name = "support-reads-crm"
//! groups = ["support"]
//! tools = ["crm.*"]
//!
//! [[deny]]
//! name = "no-drops"
//! tools = ["db.drop_*"]
//! reason = "Dropping tables is not allowed"
//!
//! [[approve]]
//! name = "writes-need-a-dba"
//! tools = ["db.query"]
//! labels = ["sql.write"]
//! reviewers = ["dba"]
//! flow = "wait"               # or "deferred"; see ApprovalTerms for every option
//! timeout = "2m"
//!
//! [[allow]]
//! tools = ["db.query"]
//! args = [ { pointer = "/sql", regex = "(?i)^\\s*select\\b" } ]
//!
//! [[label]]
//! name = "db-writes"
//! tools = ["db.*"]
//! args = [ { pointer = "/sql", regex = "(?i)\\b(insert|update|delete)\\b" } ]
//! labels = ["sql.write"]
//! risk = "medium"
//! ```
//!
//! # Conditions
//!
//! Every condition is optional; an absent one does not constrain. Across fields all
//! must hold; within a list any element may match, except `scopes`, where the identity
//! must hold **all** listed scopes (a caller lacking some can then be answered
//! `403 insufficient_scope` naming exactly the missing ones). An empty list is a load
//! error, never "no constraint".
//!
//! | field | matches when |
//! |---|---|
//! | `subjects` | a glob matches `Identity::subject` |
//! | `issuers` | the identity's issuer is listed (exact) |
//! | `groups` | the identity is in a listed group |
//! | `scopes` | the identity holds every listed scope |
//! | `kinds` | the identity is a listed kind (`user`, `service`, `agent`) |
//! | `tools` | a glob matches the tool name (`*` also matches `.` and `/`; case-sensitive) |
//! | `labels` | the classification has a listed label |
//! | `min_risk` | the classification's risk is at least this (`none` … `critical`) |
//! | `args` | every argument condition holds |
//!
//! An argument condition is `{ pointer = "/json/pointer", equals = V }`, `regex = "…"` or
//! `one_of = [V, …]` (exactly one test). A pointer with no target makes the condition
//! false. Numbers compare by value (`1e2` equals `100`). A regex tests a string as is
//! and any other value as its compact JSON text, so wrapping a string in an array does
//! not sidestep a deny rule. Regexes are size-limited; one that does not compile fails
//! the load, as do unknown keys (a typo like `tool =` must not widen a rule).
//!
//! # Redaction
//!
//! A `[redact]` section chooses what responses are masked with — `enabled`, `detectors`
//! or `disable`, `style` (`full`, `partial`, `hash`), `hash_key_env` (the environment
//! variable holding the HMAC key; keys are never written in the file), `fields` (key
//! globs whose values are masked whole), `decode_base64`, `[[redact.pattern]]`
//! (`name`, `regex`, optional `validator = "luhn" | "mod97"`) — and `[[redact.rule]]`
//! entries override those by identity `groups` and/or `tools` globs (the first matching
//! rule wins):
//!
//! ```toml
//! [redact]
//! disable = ["PHONE"]
//! fields = ["password", "secret*"]
//!
//! [[redact.rule]]
//! groups = ["pii-cleared"]
//! style = "partial"
//! ```
//!
//! Without a section every built-in detector masks in full. [`Policy::redactor_for`]
//! returns the precompiled [`Redactor`](crate::Redactor) for a caller and tool.
//!
//! # Evaluation
//!
//! Most restrictive wins: any matching `deny` rule denies (the first in the file names
//! the decision), else any matching `approve` rule holds the call for approval, else any
//! matching `allow` rule allows, else the `default` applies. A tool is *visible* in
//! `tools/list` when the default is not `deny`, or when an allow or approve rule's
//! identity conditions and tool globs match (labels, risk and arguments are only known
//! at call time).
//!
//! ```
//! use serde_json::json;
//! use tollgate::classify::{Classification, ToolCall};
//! use tollgate::identity::{Identity, IdentityKind};
//! use tollgate::policy::{Action, Policy};
//!
//! let policy = Policy::from_toml_str(r#"
//!     version = 1
//!     [[allow]]
//!     groups = ["support"]
//!     tools = ["crm.*"]
//!     [[deny]]
//!     name = "no-drops"
//!     tools = ["db.drop_*"]
//!     reason = "Dropping tables is not allowed"
//! "#)?;
//! let alice = Identity::new("alice", IdentityKind::User).with_groups(["support"]);
//! let call = ToolCall::new("crm.lookup", json!({"id": 7}));
//! let decision = policy.evaluate(&alice, &call, &Classification::new());
//! assert_eq!(decision.action, Action::Allow);
//!
//! let drop = ToolCall::new("db.drop_table", json!({}));
//! let decision = policy.evaluate(&alice, &drop, &Classification::new());
//! assert_eq!(decision.rule.as_deref(), Some("no-drops"));
//! assert!(policy.is_visible(&alice, "crm.lookup"));
//! assert!(!policy.is_visible(&alice, "db.drop_table"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

mod approval_terms;
pub(crate) mod args;
mod compile;
mod decision;
mod error;
mod explain;
mod from_json;
mod from_toml;
pub(crate) mod index;
mod inspect;
pub(crate) mod label;
mod matcher;
mod redact;
mod scopes;
mod spec;
mod version;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

pub use approval_terms::{ApprovalFlow, ApprovalTerms, GrantScope};
pub use decision::{Action, Decision};
pub use error::{PolicyError, RuleRef};
pub use explain::{Explanation, RuleMatch};
pub use inspect::PolicyClassifier;

use crate::classify::{Classification, ToolCall};
use crate::identity::Identity;
use compile::{Compiled, Rule};
use index::ToolIndex;

/// A compiled policy: immutable, `Send + Sync`, meant to be shared behind an `Arc` (and
/// swapped whole on reload).
///
/// See the [module documentation](self) for the file format and semantics.
pub struct Policy {
    origin: String,
    default: Action,
    default_decision: Decision,
    /// Allow / deny / approve rules in file order.
    rules: Vec<Rule>,
    index: ToolIndex,
    classifier: PolicyClassifier,
    redaction: redact::PolicyRedaction,
}

impl Policy {
    /// Parses a TOML policy.
    pub fn from_toml_str(src: &str) -> Result<Policy, PolicyError> {
        Policy::build(from_toml::read(strip_bom(src), "<toml>")?, "<toml>")
    }

    /// Parses a JSON policy.
    pub fn from_json_str(src: &str) -> Result<Policy, PolicyError> {
        Policy::build(from_json::read(strip_bom(src), "<json>")?, "<json>")
    }

    /// Parses a policy that is JSON when its first non-whitespace character is `{` and
    /// TOML otherwise. `origin` names the source in error messages.
    pub fn parse(src: &str, origin: &str) -> Result<Policy, PolicyError> {
        let src = strip_bom(src);
        let file = if src.trim_start().starts_with('{') {
            from_json::read(src, origin)?
        } else {
            from_toml::read(src, origin)?
        };
        Policy::build(file, origin)
    }

    /// Reads and parses the policy file at `path` (format as in [`Policy::parse`]).
    /// Errors name the path as given.
    pub fn load(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| PolicyError::Io {
            origin: origin.clone(),
            source,
        })?;
        Policy::parse(&src, &origin)
    }

    fn build(file: spec::FileSpec, origin: &str) -> Result<Policy, PolicyError> {
        let Compiled {
            default,
            rules,
            index,
            classifier,
            redaction,
        } = compile::compile(file, origin)?;
        Ok(Policy {
            origin: origin.to_owned(),
            default,
            default_decision: Decision::by_default(default),
            rules,
            index,
            classifier,
            redaction,
        })
    }

    /// Decides `call` by `identity`, classified as `classification`.
    pub fn evaluate(
        &self,
        identity: &Identity,
        call: &ToolCall,
        classification: &Classification,
    ) -> Decision {
        match self
            .decide(identity, call, classification)
            .and_then(|i| self.rules.get(i))
        {
            Some(rule) => rule.decision.clone(),
            None => self.default_decision.clone(),
        }
    }

    /// The index of the deciding rule, if any rule matches.
    fn decide(&self, identity: &Identity, call: &ToolCall, cls: &Classification) -> Option<usize> {
        let (mut deny, mut approve, mut allow) = (None::<usize>, None::<usize>, None::<usize>);
        self.index.for_each_candidate(&call.name, |i| {
            let Some(rule) = self.rules.get(i) else {
                return;
            };
            let best = match rule.action {
                Action::Deny => &mut deny,
                // A matching deny already decides; only an earlier deny could change it.
                Action::Approve if deny.is_some() => return,
                Action::Allow if deny.is_some() || approve.is_some() => return,
                Action::Approve => &mut approve,
                Action::Allow => &mut allow,
            };
            if best.is_some_and(|b| b <= i) {
                return;
            }
            if rule.conds.identity_matches(identity) && rule.conds.call_matches(call, cls) {
                *best = Some(i);
            }
        });
        deny.or(approve).or(allow)
    }

    /// Every rule that matches the call and why, with the decision and visibility.
    pub fn explain(
        &self,
        identity: &Identity,
        call: &ToolCall,
        classification: &Classification,
    ) -> Explanation {
        let mut matched = Vec::new();
        for i in self.index.candidates(&call.name) {
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
            if !(rule.conds.identity_matches(identity)
                && rule.conds.call_matches(call, classification))
            {
                continue;
            }
            let mut because = Vec::new();
            if rule.has_tools
                && let Some(g) = self.index.matching_globs(&call.name, i).first()
            {
                because.push(format!("tool `{}` matches `{g}`", call.name));
            }
            rule.conds.describe(identity, classification, &mut because);
            if because.is_empty() {
                because.push("no conditions (matches every call)".to_owned());
            }
            matched.push(RuleMatch {
                rule: rule.name.clone(),
                action: rule.action,
                because,
            });
        }
        Explanation {
            decision: self.evaluate(identity, call, classification),
            visible: self.is_visible(identity, &call.name),
            matched,
            labels: classification.labels.iter().cloned().collect(),
            risk: classification.risk,
        }
    }

    /// Whether `tool` is listed to `identity` in `tools/list`: the default is not
    /// `deny`, or some allow or approve rule's identity conditions and tool globs match.
    pub fn is_visible(&self, identity: &Identity, tool: &str) -> bool {
        if self.default != Action::Deny {
            return true;
        }
        let mut visible = false;
        self.index.for_each_candidate(tool, |i| {
            if !visible
                && let Some(rule) = self.rules.get(i)
                && rule.action != Action::Deny
                && rule.conds.identity_matches(identity)
            {
                visible = true;
            }
        });
        visible
    }

    /// The policy's classifier: its `[[label]]` rules and the inspectors its
    /// `[[inspect]]` entries and `[classify]` settings configure.
    pub fn classifier(&self) -> &PolicyClassifier {
        &self.classifier
    }

    /// The redactor for responses to `identity` from `tool` (`None` for traffic that is
    /// not a tool call), precompiled at load: the first `[[redact.rule]]` that matches,
    /// else the `[redact]` section, else — without a section — every built-in detector
    /// with full masks. `None` only when the policy turns redaction off. See
    /// [`redact`](crate::redact) and the `[redact]` format in this module's source docs.
    pub fn redactor_for(
        &self,
        identity: &Identity,
        tool: Option<&str>,
    ) -> Option<std::sync::Arc<crate::Redactor>> {
        self.redaction.redactor_for(identity, tool)
    }

    /// The action when no rule matches.
    pub fn default_action(&self) -> Action {
        self.default
    }

    /// The number of allow, deny and approve rules (label rules are counted by
    /// [`RuleClassifier::len`](crate::classify::RuleClassifier::len)).
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Where the policy came from: the path given to [`Policy::load`], the `origin`
    /// given to [`Policy::parse`], or `<toml>` / `<json>`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("origin", &self.origin)
            .field("default", &self.default)
            .field("rules", &self.rules.len())
            .field("label_rules", &self.classifier.label_rules().len())
            .finish()
    }
}

fn strip_bom(src: &str) -> &str {
    src.strip_prefix('\u{feff}').unwrap_or(src)
}
