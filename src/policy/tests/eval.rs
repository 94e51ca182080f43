use serde_json::json;

use super::*;

const LAYERED: &str = r#"
version = 1

[[allow]]
name = "reads"
tools = ["db.*"]

[[approve]]
name = "writes"
tools = ["db.*"]
labels = ["sql.write"]
reviewers = ["dba"]
reason = "Writes need a DBA"

[[deny]]
name = "no-drops"
tools = ["db.*"]
labels = ["sql.drop"]
reason = "Dropping tables is not allowed"
"#;

#[test]
fn deny_beats_approve_beats_allow() {
    let p = policy(LAYERED);
    let id = user(&[]);
    let c = call("db.query", json!({}));

    let d = p.evaluate(&id, &c, &labelled(&[], Risk::None));
    assert_eq!(
        (d.action, d.rule.as_deref()),
        (Action::Allow, Some("reads"))
    );
    assert_eq!(d.reason, None);

    let d = p.evaluate(&id, &c, &labelled(&["sql.write"], Risk::None));
    assert_eq!(
        (d.action, d.rule.as_deref()),
        (Action::Approve, Some("writes"))
    );
    assert_eq!(d.reviewers, vec!["dba".to_owned()]);
    assert_eq!(d.reason.as_deref(), Some("Writes need a DBA"));

    let d = p.evaluate(&id, &c, &labelled(&["sql.write", "sql.drop"], Risk::None));
    assert_eq!(
        (d.action, d.rule.as_deref()),
        (Action::Deny, Some("no-drops"))
    );
    assert_eq!(d.reason.as_deref(), Some("Dropping tables is not allowed"));
    assert!(d.reviewers.is_empty());
}

#[test]
fn first_matching_deny_in_file_order_decides() {
    let p = policy(
        r#"
        version = 1
        [[deny]]
        name = "narrow"
        tools = ["db.drop_users"]
        [[approve]]
        tools = ["db.*"]
        [[deny]]
        name = "broad"
        tools = ["db.*"]
        [[deny]]
        name = "broadest"
        "#,
    );
    let id = user(&[]);
    assert_eq!(
        decide(&p, &id, "db.drop_users", json!({})).rule.as_deref(),
        Some("narrow")
    );
    assert_eq!(
        decide(&p, &id, "db.query", json!({})).rule.as_deref(),
        Some("broad")
    );
    let d = decide(&p, &id, "crm.read", json!({}));
    assert_eq!(d.rule.as_deref(), Some("broadest"));
    assert_eq!(d.action, Action::Deny);
    assert_eq!(d.reason, None, "a rule without `reason` gives none");
}

#[test]
fn default_applies_when_no_rule_matches() {
    let p = policy("version = 1\n[[allow]]\ntools = [\"crm.*\"]\n");
    assert_eq!(p.default_action(), Action::Deny);
    let d = decide(&p, &user(&[]), "db.query", json!({}));
    assert_eq!(d.action, Action::Deny);
    assert_eq!(d.rule, None);
    assert_eq!(
        d.reason.as_deref(),
        Some("no rule matched; default is deny")
    );

    for (default, expected) in [("allow", Action::Allow), ("approve", Action::Approve)] {
        let p = policy(&format!(
            "version = 1\ndefault = \"{default}\"\n[[deny]]\ntools = [\"db.drop_*\"]\n"
        ));
        assert_eq!(p.default_action(), expected);
        let d = decide(&p, &user(&[]), "db.query", json!({}));
        assert_eq!((d.action, d.rule), (expected, None));
        assert_eq!(
            d.reason,
            Some(format!("no rule matched; default is {default}"))
        );
        assert_eq!(action(&p, &user(&[]), "db.drop_x", json!({})), Action::Deny);
    }
}

#[test]
fn default_names_are_kind_and_index() {
    let p = policy(
        "version = 1\n[[allow]]\ntools = [\"a\"]\n[[allow]]\ntools = [\"b\"]\n[[deny]]\ntools = [\"c\"]\n",
    );
    assert_eq!(
        decide(&p, &user(&[]), "b", json!({})).rule.as_deref(),
        Some("allow[1]")
    );
    assert_eq!(
        decide(&p, &user(&[]), "c", json!({})).rule.as_deref(),
        Some("deny[0]")
    );
    assert_eq!(p.rule_count(), 3);
}

#[test]
fn tool_globs() {
    let p = policy(
        r#"
        version = 1
        [[allow]]
        name = "crm"
        tools = ["crm.*"]
        [[allow]]
        name = "exact"
        tools = ["db.query"]
        [[deny]]
        name = "drops"
        tools = ["db.drop_*"]
        "#,
    );
    let id = user(&[]);
    let rule = |tool: &str| decide(&p, &id, tool, json!({})).rule;
    assert_eq!(rule("crm.lookup").as_deref(), Some("crm"));
    // `*` crosses `.` and `/`
    assert_eq!(rule("crm.a.b/c").as_deref(), Some("crm"));
    assert_eq!(rule("crm"), None);
    assert_eq!(rule("CRM.lookup"), None, "globs are case-sensitive");
    assert_eq!(rule("db.query").as_deref(), Some("exact"));
    assert_eq!(rule("db.query2"), None, "an exact name is not a prefix");
    assert_eq!(rule("DB.QUERY"), None);
    assert_eq!(rule("db.drop_table").as_deref(), Some("drops"));
    assert_eq!(rule("db.drop_"), Some("drops".to_owned()));
    assert_eq!(rule("db.dropx"), None);
    assert_eq!(rule("xdb.drop_table"), None);
}

#[test]
fn labels_and_min_risk() {
    let p = policy(
        r#"
        version = 1
        default = "allow"
        [[deny]]
        name = "risky"
        min_risk = "high"
        [[approve]]
        name = "pii"
        labels = ["pii", "secrets"]
        "#,
    );
    let id = user(&[]);
    let c = call("any.tool", json!({}));
    let at = |labels: &[&str], risk| p.evaluate(&id, &c, &labelled(labels, risk)).rule;
    assert_eq!(at(&[], Risk::Medium), None);
    assert_eq!(at(&[], Risk::High).as_deref(), Some("risky"));
    assert_eq!(at(&[], Risk::Critical).as_deref(), Some("risky"));
    assert_eq!(at(&["secrets"], Risk::Low).as_deref(), Some("pii"));
    assert_eq!(at(&["other"], Risk::Low), None);
    assert_eq!(at(&["pii"], Risk::High).as_deref(), Some("risky"));
}

#[test]
fn visibility() {
    let p = policy(
        r#"
        version = 1
        [[allow]]
        groups = ["support"]
        tools = ["crm.*"]
        [[approve]]
        tools = ["db.query"]
        labels = ["sql.write"]
        args = [ { pointer = "/sql", regex = "insert" } ]
        [[deny]]
        tools = ["billing.*"]
        "#,
    );
    let support = user(&["support"]);
    let other = user(&["sales"]);
    assert!(p.is_visible(&support, "crm.lookup"));
    assert!(
        !p.is_visible(&other, "crm.lookup"),
        "identity conditions apply"
    );
    // labels and args are call-time conditions: ignored for visibility
    assert!(p.is_visible(&other, "db.query"));
    assert!(
        !p.is_visible(&support, "billing.charge"),
        "deny rules never make visible"
    );
    assert!(!p.is_visible(&support, "unknown"));

    let open = policy("version = 1\ndefault = \"approve\"\n[[deny]]\ntools = [\"x\"]\n");
    assert!(open.is_visible(&other, "anything"));
    let every = policy("version = 1\n[[allow]]\nkinds = [\"user\"]\n");
    assert!(every.is_visible(&other, "anything"));
    let service = Identity::new("svc", IdentityKind::Service);
    assert!(!every.is_visible(&service, "anything"));
}

#[test]
fn explain_lists_every_matched_rule_with_reasons() {
    let p = policy(
        r#"
        version = 1
        [[allow]]
        name = "dba-db"
        groups = ["support", "dba"]
        tools = ["db.*"]
        [[approve]]
        name = "writes"
        tools = ["db.query"]
        labels = ["sql.write"]
        min_risk = "medium"
        args = [ { pointer = "/sql", regex = "(?i)insert" } ]
        [[deny]]
        name = "never"
        tools = ["crm.*"]
        [[allow]]
        name = "anything"
        "#,
    );
    let id = user(&["dba"]);
    let c = call("db.query", json!({"sql": "INSERT INTO t VALUES (1)"}));
    let cls = labelled(&["sql.write"], Risk::High);
    let e = p.explain(&id, &c, &cls);
    assert_eq!(e.decision, p.evaluate(&id, &c, &cls));
    assert_eq!(e.decision.action, Action::Approve);
    assert!(e.visible);
    assert_eq!(e.labels, vec!["sql.write".to_owned()]);
    assert_eq!(e.risk, Risk::High);
    let names: Vec<&str> = e.matched.iter().map(|m| m.rule.as_str()).collect();
    assert_eq!(names, ["dba-db", "writes", "anything"]);
    assert_eq!(
        e.matched[0].because,
        ["tool `db.query` matches `db.*`", "group `dba`"]
    );
    assert_eq!(e.matched[1].action, Action::Approve);
    assert_eq!(
        e.matched[1].because,
        [
            "tool `db.query` matches `db.query`",
            "label `sql.write`",
            "risk high >= medium",
            "/sql matches regex `(?i)insert`",
        ]
    );
    assert_eq!(e.matched[2].because, ["no conditions (matches every call)"]);

    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["decision"]["action"], "approve");
    assert_eq!(json["matched"][0]["rule"], "dba-db");
}
