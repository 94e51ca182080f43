//! [`Action`] and [`Decision`]: what the policy says about one call.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::approval_terms::ApprovalTerms;

/// What to do with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Forward the call.
    Allow,
    /// Refuse the call.
    Deny,
    /// Hold the call until a reviewer approves it.
    Approve,
}

impl Action {
    /// The lowercase name used in policy files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
            Action::Approve => "approve",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The policy's decision for one call.
///
/// ```
/// use tollgate::policy::{Action, Decision};
///
/// let d = Decision::deny_internal("policy unavailable");
/// assert_eq!(d.action, Action::Deny);
/// assert!(!d.is_allow());
/// assert_eq!(d.rule, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Decision {
    /// Allow, deny or hold for approval.
    pub action: Action,
    /// The name of the rule that decided, or `None` when the policy's default did (or
    /// the decision was made outside the policy, as in a fail-closed denial).
    pub rule: Option<String>,
    /// Why, in words that may be shown to the caller: the deciding rule's `reason`
    /// (`None` when it has none), or for a default decision
    /// `no rule matched; default is deny` (or allow / approve).
    pub reason: Option<String>,
    /// For [`Action::Approve`]: the groups whose members may approve the call. Empty
    /// when the rule names none.
    pub reviewers: Vec<String>,
    /// For [`Action::Approve`]: the deciding rule's approval options (flow, timeout,
    /// ticket lifetime, grant, minimum approvals, reviewers). For a default `approve`
    /// they are the defaults with no reviewers, so nobody can approve and the ticket
    /// expires (fail closed). `None` for allow and deny.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalTerms>,
}

impl Decision {
    /// An allow decision made by no rule.
    pub fn allow() -> Decision {
        Decision {
            action: Action::Allow,
            rule: None,
            reason: None,
            reviewers: Vec::new(),
            approval: None,
        }
    }

    /// A denial made outside the policy's rules, for failing closed (a classifier or
    /// audit sink failed, the policy could not be consulted).
    pub fn deny_internal(reason: impl Into<String>) -> Decision {
        Decision {
            action: Action::Deny,
            rule: None,
            reason: Some(reason.into()),
            reviewers: Vec::new(),
            approval: None,
        }
    }

    /// A decision by the policy's default, when no rule matched.
    pub(crate) fn by_default(action: Action) -> Decision {
        Decision {
            action,
            rule: None,
            reason: Some(format!("no rule matched; default is {action}")),
            reviewers: Vec::new(),
            approval: (action == Action::Approve).then(|| ApprovalTerms::new(Vec::<String>::new())),
        }
    }

    /// A decision by the rule `name`, with the rule's own `reason` (if it has one).
    pub(crate) fn by_rule(
        action: Action,
        name: &str,
        reason: Option<String>,
        approval: Option<ApprovalTerms>,
    ) -> Decision {
        Decision {
            action,
            rule: Some(name.to_owned()),
            reason,
            reviewers: approval
                .as_ref()
                .map(|t| t.reviewers.clone())
                .unwrap_or_default(),
            approval: approval.filter(|_| action == Action::Approve),
        }
    }

    /// Whether the call may go ahead now.
    pub fn is_allow(&self) -> bool {
        self.action == Action::Allow
    }

    /// Whether the call is refused.
    pub fn is_deny(&self) -> bool {
        self.action == Action::Deny
    }

    /// Whether the call waits for a reviewer's approval.
    pub fn is_approve(&self) -> bool {
        self.action == Action::Approve
    }
}
