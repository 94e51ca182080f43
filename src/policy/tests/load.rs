use serde_json::json;

use super::*;
use crate::policy::PolicyError;

fn toml_err(src: &str) -> PolicyError {
    match Policy::parse(src, "policy.toml") {
        Ok(p) => panic!("expected an error, loaded {p:?}"),
        Err(e) => e,
    }
}

fn json_err(src: &str) -> PolicyError {
    match Policy::parse(src, "policy.json") {
        Ok(p) => panic!("expected an error, loaded {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn toml_bad_regex_names_line_and_rule() {
    let src = r#"version = 1

[[deny]]
name = "ok"
tools = ["a"]

[[deny]]
name = "no-drops"
tools = ["db.*"]
args = [ { pointer = "/sql", regex = "(" } ]
"#;
    let e = toml_err(src);
    assert_eq!(e.line(), Some(7));
    let msg = e.to_string();
    assert!(
        msg.starts_with("policy.toml:7: rule `no-drops` (deny[1]): invalid regex `(`: "),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "{msg}");
}

#[test]
fn toml_unknown_key_is_an_error_naming_the_rule() {
    let src =
        "version = 1\n[[allow]]\nname = \"crm\"\ngroups = [\"support\"]\ntool = [\"crm.*\"]\n";
    let e = toml_err(src);
    let msg = e.to_string();
    assert!(
        msg.starts_with("policy.toml:5:1: rule `crm` (allow[0]): unknown field `tool`"),
        "{msg}"
    );
    assert_eq!(e.rule().map(|r| r.id.as_str()), Some("allow[0]"));

    let e = toml_err(
        "version = 1\n[[deny]]\ntools = [\"x\"]\nargs = [ { pointer = \"/a\", regexp = \"x\" } ]\n",
    );
    assert!(e.to_string().starts_with("policy.toml:4:"), "{e}");
    assert!(e.to_string().contains("unknown field `regexp`"), "{e}");

    let e = toml_err("version = 1\ndefualt = \"allow\"\n");
    assert!(
        e.to_string()
            .starts_with("policy.toml:2:1: unknown field `defualt`"),
        "{e}"
    );

    // identity conditions are not allowed in label rules
    let e = toml_err("version = 1\n[[label]]\ngroups = [\"a\"]\nlabels = [\"l\"]\n");
    assert!(
        e.to_string()
            .contains("rule `label[0]`: unknown field `groups`"),
        "{e}"
    );
}

#[test]
fn version_must_be_one() {
    let e = toml_err("# a comment\nversion = 2\n[[allow]]\nfuture_field = 1\n");
    assert_eq!(
        e.to_string(),
        "policy.toml:2: unsupported policy version 2; this tollgate reads version 1"
    );
    let e = toml_err("[[allow]]\ntools = [\"a\"]\n");
    assert!(
        e.to_string()
            .starts_with("policy.toml:1: missing `version`"),
        "{e}"
    );
    let e = json_err("{\n  \"version\": \"1\"\n}");
    assert_eq!(
        e.to_string(),
        "policy.json:2: unsupported policy version \"1\"; this tollgate reads version 1"
    );
}

#[test]
fn reviewers_only_on_approve_rules() {
    let e = toml_err("version = 1\n\n[[deny]]\nname = \"d\"\nreviewers = [\"dba\"]\n");
    assert_eq!(
        e.to_string(),
        "policy.toml:3: rule `d` (deny[0]): `reviewers` is only allowed in approve rules"
    );
    let e = toml_err("version = 1\n[[allow]]\nreviewers = [\"dba\"]\n");
    assert!(
        e.to_string()
            .starts_with("policy.toml:2: rule `allow[0]`: "),
        "{e}"
    );
}

#[test]
fn syntax_errors_name_line_and_column() {
    let e = toml_err("version = 1\n[[allow]\ntools = [\"a\"]\n");
    assert!(e.to_string().starts_with("policy.toml:2:"), "{e}");
    assert!(matches!(e, PolicyError::Syntax { .. }));
    let e = json_err("{\n  \"version\": 1,\n  \"allow\": [ { \"tools\": [\"a\"] ]\n}");
    assert!(e.to_string().starts_with("policy.json:3:"), "{e}");
    assert!(!e.to_string().contains(" at line "), "{e}");
}

#[test]
fn semantic_errors_name_the_rule() {
    let cases = [
        ("tools = [\"[a\"]", "invalid glob `[a`"),
        ("subjects = [\"{a\"]", "invalid glob `{a`"),
        (
            "args = [ { pointer = \"sql\", equals = 1 } ]",
            "invalid JSON pointer `sql`",
        ),
        (
            "args = [ { pointer = \"/a\", equals = 1, regex = \"x\" } ]",
            "found `equals` and `regex`",
        ),
        ("args = [ { pointer = \"/a\" } ]", "found none"),
        ("groups = []", "`groups` is empty"),
        ("kinds = [\"robot\"]", "unknown variant `robot`"),
        ("min_risk = \"severe\"", "unknown variant `severe`"),
    ];
    for (body, expected) in cases {
        let src = format!("version = 1\n\n[[allow]]\nname = \"r\"\n{body}\n");
        let e = toml_err(&src);
        let msg = e.to_string();
        assert!(msg.starts_with("policy.toml:"), "{msg}");
        assert!(msg.contains("rule `r` (allow[0])"), "{msg}");
        assert!(msg.contains(expected), "{body}: {msg}");
        assert!(matches!(e.line(), Some(3..=5)), "{msg}");
    }
    let e = toml_err("version = 1\n[[label]]\nname = \"l\"\nlabels = []\n");
    assert!(
        e.to_string()
            .contains("`labels` must list at least one label"),
        "{e}"
    );
    let e = toml_err("version = 1\n[[label]]\ntools = [\"a\"]\n");
    assert!(e.to_string().contains("missing field `labels`"), "{e}");
}

#[test]
fn duplicate_names_are_refused() {
    let e = toml_err(
        "version = 1\n[[allow]]\nname = \"x\"\n[[label]]\nname = \"y\"\nlabels = [\"l\"]\n[[deny]]\nname = \"x\"\n",
    );
    assert_eq!(
        e.to_string(),
        "policy.toml:7: rule `x` (deny[0]): duplicate rule name (also used on line 2)"
    );
}

#[test]
fn json_errors_name_line_and_rule() {
    let src = r#"{
  "version": 1,
  "allow": [
    { "tools": ["a"] },
    {
      "name": "crm",
      "tool": ["crm.*"]
    }
  ],
  "deny": [
    { "name": "no-drops",
      "args": [ { "pointer": "/sql", "regex": "(" } ] }
  ]
}"#;
    let e = json_err(src);
    let msg = e.to_string();
    assert!(
        msg.starts_with("policy.json:7:12: rule `crm` (allow[1]): unknown field `tool`"),
        "{msg}"
    );
    let fixed = src.replace("\"tool\"", "\"tools\"");
    let e = json_err(&fixed);
    assert!(
        e.to_string()
            .starts_with("policy.json:11: rule `no-drops` (deny[0]): invalid regex `(`"),
        "{e}"
    );
    let e = json_err("{\"version\": 1, \"deny\": [{\"reviewers\": [\"a\"]}]}");
    assert!(
        e.to_string()
            .starts_with("policy.json:1: rule `deny[0]`: `reviewers`"),
        "{e}"
    );
    let e = json_err("{\"version\": 1, \"extra\": true}");
    assert!(e.to_string().contains("unknown field `extra`"), "{e}");
}

const TOML_POLICY: &str = r#"
version = 1
default = "deny"

[[allow]]
name = "support-reads-crm"
groups = ["support"]
tools = ["crm.*"]

[[deny]]
name = "no-drops"
tools = ["db.drop_*"]
reason = "Dropping tables is not allowed"

[[approve]]
name = "writes-need-a-dba"
tools = ["db.query"]
labels = ["sql.write"]
reviewers = ["dba"]

[[allow]]
tools = ["db.query"]
args = [ { pointer = "/sql", regex = "(?i)^\\s*select\\b" }, { pointer = "/limit", equals = 100 } ]

[[label]]
name = "db-writes"
tools = ["db.*"]
args = [ { pointer = "/sql", regex = "(?i)\\b(insert|update|delete)\\b" } ]
labels = ["sql.write"]
risk = "medium"
"#;

const JSON_POLICY: &str = r#"
{
  "version": 1,
  "default": "deny",
  "allow": [
    { "name": "support-reads-crm", "groups": ["support"], "tools": ["crm.*"] },
    { "tools": ["db.query"],
      "args": [ { "pointer": "/sql", "regex": "(?i)^\\s*select\\b" },
                { "pointer": "/limit", "equals": 1e2 } ] }
  ],
  "deny": [
    { "name": "no-drops", "tools": ["db.drop_*"], "reason": "Dropping tables is not allowed" }
  ],
  "approve": [
    { "name": "writes-need-a-dba", "tools": ["db.query"], "labels": ["sql.write"], "reviewers": ["dba"] }
  ],
  "label": [
    { "name": "db-writes", "tools": ["db.*"],
      "args": [ { "pointer": "/sql", "regex": "(?i)\\b(insert|update|delete)\\b" } ],
      "labels": ["sql.write"], "risk": "medium" }
  ]
}"#;

#[test]
fn json_and_toml_decide_alike() {
    use crate::classify::Classifier;

    let t = Policy::parse(TOML_POLICY, "p.toml").unwrap();
    let j = Policy::parse(JSON_POLICY, "p.json").unwrap();
    assert_eq!(t.rule_count(), 4);
    assert_eq!(j.rule_count(), 4);
    let ids = [user(&["support"]), user(&["dba"]), user(&[])];
    let calls = [
        call("crm.lookup", json!({})),
        call("db.drop_users", json!({})),
        call("db.query", json!({"sql": "select 1", "limit": 100})),
        call("db.query", json!({"sql": "select 1", "limit": 5})),
        call("db.query", json!({"sql": "delete from t"})),
        call("other", json!({})),
    ];
    let mut seen = std::collections::HashSet::new();
    for id in &ids {
        for c in &calls {
            let tc = t.classifier().classify(c).unwrap();
            let jc = j.classifier().classify(c).unwrap();
            assert_eq!(tc, jc);
            let d = t.evaluate(id, c, &tc);
            assert_eq!(d, j.evaluate(id, c, &jc), "{c:?} by {id:?}");
            assert_eq!(t.is_visible(id, &c.name), j.is_visible(id, &c.name));
            seen.insert(d.action);
        }
    }
    assert_eq!(seen.len(), 3, "the cases cover allow, deny and approve");
    // the unnamed allow rule is allow[1] in both: the index is within its kind
    let d = j.evaluate(&ids[2], &calls[2], &Classification::new());
    assert_eq!(d.rule.as_deref(), Some("allow[1]"));
}

#[test]
fn parse_detects_the_format() {
    assert!(Policy::parse("  \n{\"version\": 1}", "x").is_ok());
    assert!(Policy::parse("version = 1", "x").is_ok());
    assert!(Policy::from_json_str("{\"version\": 1, \"default\": \"allow\"}").is_ok());
    let e = Policy::from_toml_str("version = 1\n[[deny]]\nreviewers = []\n").unwrap_err();
    assert!(e.to_string().starts_with("<toml>:2: "), "{e}");
    assert_eq!(
        Policy::from_toml_str("\u{feff}version = 1")
            .unwrap()
            .origin(),
        "<toml>"
    );
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = std::env::temp_dir().join(format!("tollgate-policy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.toml");
    std::fs::write(&path, TOML_POLICY).unwrap();
    let p = Policy::load(&path).unwrap();
    assert_eq!(p.origin(), path.display().to_string());
    assert_eq!(p.classifier().label_rules().len(), 1);

    std::fs::write(&path, "version = 1\n[[allow]]\ntools = [\"[\"]\n").unwrap();
    let e = Policy::load(&path).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:2: ", path.display())),
        "{e}"
    );

    let missing = dir.join("missing.toml");
    let e = Policy::load(&missing).unwrap_err();
    assert!(matches!(e, PolicyError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with(&format!("{}: cannot read", missing.display())),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
