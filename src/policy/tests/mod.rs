//! Tests of the policy: evaluation, visibility and explain ([`eval`]), identity and
//! argument conditions ([`conditions`]), loading and its errors ([`load`]), the label
//! classifier ([`classifier`]), inspectors and `tables` conditions ([`inspect`]) and the
//! monotonicity property ([`props`]).

mod classifier;
mod conditions;
mod eval;
mod inspect;
mod load;
mod props;

use serde_json::Value;

use crate::classify::{Classification, Risk, ToolCall};
use crate::identity::{Identity, IdentityKind};
use crate::policy::{Action, Decision, Policy};

/// Parses a TOML policy, panicking with the error on failure.
pub(super) fn policy(src: &str) -> Policy {
    match Policy::from_toml_str(src) {
        Ok(p) => p,
        Err(e) => panic!("policy failed to load: {e}"),
    }
}

pub(super) fn user(groups: &[&str]) -> Identity {
    Identity::new("alice", IdentityKind::User).with_groups(groups.iter().copied())
}

pub(super) fn call(name: &str, args: Value) -> ToolCall {
    ToolCall::new(name, args)
}

pub(super) fn labelled(labels: &[&str], risk: Risk) -> Classification {
    let mut c = Classification::new();
    for l in labels {
        c.label(*l, Risk::None);
    }
    c.risk = risk;
    c
}

pub(super) fn decide(p: &Policy, id: &Identity, tool: &str, args: Value) -> Decision {
    p.evaluate(id, &call(tool, args), &Classification::new())
}

pub(super) fn action(p: &Policy, id: &Identity, tool: &str, args: Value) -> Action {
    decide(p, id, tool, args).action
}

#[test]
fn policy_is_send_sync_and_debug() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Policy>();
    assert_send_sync::<crate::classify::RuleClassifier>();
    let p = policy("version = 1\n[[allow]]\ntools = [\"a\"]\n");
    let debug = format!("{p:?}");
    assert!(debug.contains("rules: 1"), "{debug}");
}
