//! Step-up authorization: which scopes a caller lacks for a call that some rule would
//! allow if the caller's token carried them (answered `403 insufficient_scope`).

use super::{Action, Policy};
use crate::classify::{Classification, ToolCall};
use crate::identity::Identity;

impl Policy {
    /// The scopes `identity` lacks for `call`, when no rule decides the call now but an
    /// allow or approve rule would if the token carried that rule's `scopes`.
    ///
    /// `None` when a rule already decides the call (an explicit `deny` is never turned
    /// into a scope challenge) or when no scope would help. The first such rule in file
    /// order names the scopes, so the answer is stable.
    ///
    /// ```
    /// use tollgate::{Classification, Identity, Policy};
    /// use tollgate::classify::ToolCall;
    /// use tollgate::identity::IdentityKind;
    ///
    /// let policy = Policy::from_toml_str(r#"
    /// version = 1
    /// [[allow]]
    /// tools = ["files.write"]
    /// scopes = ["files:read", "files:write"]
    /// "#)?;
    /// let reader = Identity::new("ci", IdentityKind::Service).with_scopes(["files:read"]);
    /// let call = ToolCall::new("files.write", serde_json::json!({}));
    /// let missing = policy.missing_scopes(&reader, &call, &Classification::new());
    /// assert_eq!(missing, Some(vec!["files:write".to_owned()]));
    /// # Ok::<(), tollgate::policy::PolicyError>(())
    /// ```
    pub fn missing_scopes(
        &self,
        identity: &Identity,
        call: &ToolCall,
        classification: &Classification,
    ) -> Option<Vec<String>> {
        if self.decide(identity, call, classification).is_some() {
            return None;
        }
        for i in self.index.candidates(&call.name) {
            let Some(rule) = self.rules.get(i) else {
                continue;
            };
            if rule.action == Action::Deny || rule.conds.scopes.is_empty() {
                continue;
            }
            let missing: Vec<String> = rule
                .conds
                .scopes
                .iter()
                .filter(|s| !identity.has_scope(s))
                .cloned()
                .collect();
            if missing.is_empty() {
                continue;
            }
            let mut stepped_up = identity.clone();
            stepped_up.scopes.extend(missing.iter().cloned());
            if !rule.conds.identity_matches(&stepped_up)
                || !rule.conds.call_matches(call, classification)
            {
                continue;
            }
            // With the scopes, no deny may decide the call instead.
            let decided = self
                .decide(&stepped_up, call, classification)
                .and_then(|d| self.rules.get(d));
            if decided.is_some_and(|d| d.action != Action::Deny) {
                return Some(missing);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKind;
    use serde_json::json;

    const POLICY: &str = r#"
version = 1
[[deny]]
name = "no-secrets"
tools = ["vault.*"]
[[allow]]
name = "writers"
tools = ["files.*", "vault.read"]
scopes = ["files:write"]
[[allow]]
name = "readers"
tools = ["files.read"]
"#;

    fn check(scopes: &[&str], tool: &str) -> Option<Vec<String>> {
        let policy = Policy::from_toml_str(POLICY).unwrap();
        let id = Identity::new("a", IdentityKind::User).with_scopes(scopes.iter().copied());
        policy.missing_scopes(&id, &ToolCall::new(tool, json!({})), &Classification::new())
    }

    #[test]
    fn names_only_the_scopes_missing_for_an_undecided_call() {
        assert_eq!(
            check(&[], "files.write"),
            Some(vec!["files:write".to_owned()])
        );
        assert_eq!(
            check(&["files:write"], "files.write"),
            None,
            "already allowed"
        );
        assert_eq!(check(&[], "files.read"), None, "allowed without scopes");
        assert_eq!(check(&[], "other"), None, "no rule would help");
        assert_eq!(
            check(&[], "vault.read"),
            None,
            "an explicit deny is not a challenge"
        );
    }
}
