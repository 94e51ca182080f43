use serde_json::json;

use super::*;

#[test]
fn subjects_are_globs() {
    let p = policy("version = 1\n[[allow]]\nsubjects = [\"svc-*\", \"bob\"]\n");
    let allowed = |s: &str| action(&p, &Identity::new(s, IdentityKind::Service), "t", json!({}));
    assert_eq!(allowed("svc-billing"), Action::Allow);
    assert_eq!(allowed("bob"), Action::Allow);
    assert_eq!(allowed("bobby"), Action::Deny);
    assert_eq!(allowed("SVC-billing"), Action::Deny);
}

#[test]
fn groups_match_any_listed() {
    let p = policy("version = 1\n[[allow]]\ngroups = [\"support\", \"dba\"]\n");
    assert_eq!(action(&p, &user(&["dba"]), "t", json!({})), Action::Allow);
    assert_eq!(
        action(&p, &user(&["x", "support"]), "t", json!({})),
        Action::Allow
    );
    assert_eq!(action(&p, &user(&["sales"]), "t", json!({})), Action::Deny);
    assert_eq!(action(&p, &user(&[]), "t", json!({})), Action::Deny);
}

#[test]
fn scopes_require_all_listed() {
    let p = policy("version = 1\n[[allow]]\nscopes = [\"db:read\", \"db:write\"]\n");
    let with = |scopes: &[&str]| {
        let id = user(&[]).with_scopes(scopes.iter().copied());
        action(&p, &id, "t", json!({}))
    };
    assert_eq!(with(&["db:read", "db:write", "x"]), Action::Allow);
    assert_eq!(with(&["db:read"]), Action::Deny);
    assert_eq!(with(&[]), Action::Deny);
}

#[test]
fn kinds_and_issuers() {
    let p = policy(
        r#"
        version = 1
        [[allow]]
        kinds = ["agent", "service"]
        issuers = ["https://idp.example"]
        "#,
    );
    let agent = Identity::new("a", IdentityKind::Agent);
    assert_eq!(
        action(&p, &agent, "t", json!({})),
        Action::Deny,
        "no issuer"
    );
    let agent = agent.with_issuer("https://idp.example");
    assert_eq!(action(&p, &agent, "t", json!({})), Action::Allow);
    let other = Identity::new("a", IdentityKind::Agent).with_issuer("https://evil.example");
    assert_eq!(action(&p, &other, "t", json!({})), Action::Deny);
    let person = Identity::new("a", IdentityKind::User).with_issuer("https://idp.example");
    assert_eq!(action(&p, &person, "t", json!({})), Action::Deny);
}

#[test]
fn all_fields_must_hold() {
    let p = policy("version = 1\n[[allow]]\ngroups = [\"dba\"]\ntools = [\"db.*\"]\n");
    assert_eq!(
        action(&p, &user(&["dba"]), "db.q", json!({})),
        Action::Allow
    );
    assert_eq!(
        action(&p, &user(&["dba"]), "crm.q", json!({})),
        Action::Deny
    );
    assert_eq!(action(&p, &user(&[]), "db.q", json!({})), Action::Deny);
}

#[test]
fn equals_compares_numbers_by_value() {
    let p = policy(
        r#"
        version = 1
        [[allow]]
        name = "int"
        args = [ { pointer = "/limit", equals = 100 } ]
        [[allow]]
        name = "float"
        args = [ { pointer = "/limit", equals = 2e2 } ]
        [[allow]]
        name = "obj"
        args = [ { pointer = "/opts", equals = { dry_run = true } } ]
        "#,
    );
    let id = user(&[]);
    let rule = |args| decide(&p, &id, "t", args).rule;
    assert_eq!(rule(json!({"limit": 1e2})).as_deref(), Some("int"));
    assert_eq!(rule(json!({"limit": 100})).as_deref(), Some("int"));
    assert_eq!(rule(json!({"limit": 200})).as_deref(), Some("float"));
    assert_eq!(
        rule(json!({"limit": "100"})),
        None,
        "a string is not a number"
    );
    assert_eq!(rule(json!({"limit": 101})), None);
    assert_eq!(
        rule(json!({"opts": {"dry_run": true}})).as_deref(),
        Some("obj")
    );
    assert_eq!(rule(json!({"opts": {"dry_run": false}})), None);
}

#[test]
fn regex_one_of_and_missing_targets() {
    let p = policy(
        r#"
        version = 1
        [[allow]]
        name = "select"
        tools = ["db.query"]
        args = [ { pointer = "/sql", regex = "(?i)^\\s*select\\b" } ]
        [[allow]]
        name = "env"
        tools = ["deploy"]
        args = [
            { pointer = "/env", one_of = ["dev", "staging"] },
            { pointer = "/replicas", one_of = [1, 2, 3] },
        ]
        "#,
    );
    let id = user(&[]);
    let rule = |tool, args| decide(&p, &id, tool, args).rule;
    assert_eq!(
        rule("db.query", json!({"sql": "  SELECT 1"})).as_deref(),
        Some("select")
    );
    assert_eq!(rule("db.query", json!({"sql": "DELETE FROM t"})), None);
    assert_eq!(
        rule("db.query", json!({"query": "select 1"})),
        None,
        "missing pointer"
    );
    assert_eq!(rule("db.query", Value::Null), None, "no arguments at all");
    assert_eq!(
        rule("deploy", json!({"env": "dev", "replicas": 2.0})).as_deref(),
        Some("env")
    );
    assert_eq!(rule("deploy", json!({"env": "prod", "replicas": 2})), None);
    assert_eq!(
        rule("deploy", json!({"env": "dev"})),
        None,
        "every arg condition must hold"
    );
}

#[test]
fn regex_on_array_cannot_sidestep_a_deny() {
    let p = policy(
        r#"
        version = 1
        default = "allow"
        [[deny]]
        name = "no-drop"
        args = [ { pointer = "/sql", regex = "(?i)drop\\s+table" } ]
        "#,
    );
    let id = user(&[]);
    assert_eq!(
        action(&p, &id, "db", json!({"sql": "DROP TABLE t"})),
        Action::Deny
    );
    assert_eq!(
        action(&p, &id, "db", json!({"sql": ["DROP TABLE t"]})),
        Action::Deny
    );
    assert_eq!(
        action(&p, &id, "db", json!({"sql": {"q": "drop table t"}})),
        Action::Deny
    );
    assert_eq!(
        action(&p, &id, "db", json!({"sql": "select"})),
        Action::Allow
    );
}
