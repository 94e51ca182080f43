use proptest::prelude::*;
use serde_json::json;

use super::*;

/// One generated rule: kind (0 allow, 1 deny, 2 approve) and optional conditions.
#[derive(Debug, Clone)]
struct GenRule {
    kind: u8,
    tools: Option<&'static str>,
    group: Option<&'static str>,
    label: Option<&'static str>,
    sql: Option<&'static str>,
}

fn gen_rule() -> impl Strategy<Value = GenRule> {
    (
        0u8..3,
        proptest::option::of(prop::sample::select(vec![
            "db.*", "db.query", "crm.*", "*", "x",
        ])),
        proptest::option::of(prop::sample::select(vec!["a", "b"])),
        proptest::option::of(prop::sample::select(vec!["w", "r"])),
        proptest::option::of(prop::sample::select(vec!["(?i)drop", "^select", "x"])),
    )
        .prop_map(|(kind, tools, group, label, sql)| GenRule {
            kind,
            tools,
            group,
            label,
            sql,
        })
}

fn render(default: &str, rules: &[GenRule]) -> String {
    let mut out = format!("version = 1\ndefault = \"{default}\"\n");
    for r in rules {
        let kind = ["allow", "deny", "approve"][usize::from(r.kind % 3)];
        out.push_str(&format!("[[{kind}]]\n"));
        if let Some(t) = r.tools {
            out.push_str(&format!("tools = [\"{t}\"]\n"));
        }
        if let Some(g) = r.group {
            out.push_str(&format!("groups = [\"{g}\"]\n"));
        }
        if let Some(l) = r.label {
            out.push_str(&format!("labels = [\"{l}\"]\n"));
        }
        if let Some(s) = r.sql {
            out.push_str(&format!(
                "args = [ {{ pointer = \"/sql\", regex = \"{s}\" }} ]\n"
            ));
        }
    }
    out
}

fn rank(a: Action) -> u8 {
    match a {
        Action::Allow => 0,
        Action::Approve => 1,
        Action::Deny => 2,
    }
}

proptest! {
    /// Adding a deny rule anywhere never makes a decision less restrictive; in
    /// particular a Deny stays a Deny.
    #[test]
    fn adding_a_deny_rule_is_monotone(
        default in prop::sample::select(vec!["allow", "deny", "approve"]),
        rules in proptest::collection::vec(gen_rule(), 0..8),
        extra in gen_rule(),
        at in 0usize..9,
        tool in prop::sample::select(vec!["db.query", "db.drop", "crm.read", "other"]),
        sql in prop::sample::select(vec!["DROP TABLE t", "select 1", "x"]),
        groups in prop::sample::subsequence(vec!["a", "b"], 0..=2),
        labels in prop::sample::subsequence(vec!["w", "r"], 0..=2),
    ) {
        let before = policy(&render(default, &rules));
        let mut more = rules.clone();
        more.insert(at.min(more.len()), GenRule { kind: 1, ..extra });
        let after = policy(&render(default, &more));

        let id = user(&groups);
        let c = call(tool, json!({ "sql": sql }));
        let cls = labelled(&labels, Risk::None);
        let b = before.evaluate(&id, &c, &cls).action;
        let a = after.evaluate(&id, &c, &cls).action;
        prop_assert!(rank(a) >= rank(b), "{b:?} became {a:?}");
        if b == Action::Deny {
            prop_assert_eq!(a, Action::Deny);
        }
    }
}
