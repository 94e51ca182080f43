//! The policy file's `[redact]` section: parsing, errors with line numbers, and
//! `Policy::redactor_for` by group and tool.

use serde_json::json;
use tollgate::identity::IdentityKind;
use tollgate::redact::MaskStyle;
use tollgate::{Identity, Policy};

fn user(groups: &[&str]) -> Identity {
    Identity::new("u", IdentityKind::User).with_groups(groups.iter().copied())
}

fn err(src: &str) -> tollgate::policy::PolicyError {
    match Policy::parse(src, "policy.toml") {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn no_section_means_every_detector_with_full_masks() {
    let p = Policy::from_toml_str("version = 1").unwrap();
    let r = p.redactor_for(&user(&[]), Some("crm.lookup")).unwrap();
    assert_eq!(r.style(), MaskStyle::Full);
    assert_eq!(r.redact_text("bob@example.com").0, "[REDACTED:EMAIL]");
}

#[test]
fn disabled_section_gives_none() {
    let p = Policy::from_toml_str("version = 1\n[redact]\nenabled = false\n").unwrap();
    assert!(p.redactor_for(&user(&[]), None).is_none());
}

const RULES: &str = r#"version = 1

[redact]
disable = ["PHONE"]
fields = ["password"]

[[redact.pattern]]
name = "EMPLOYEE_ID"
regex = "\\bE-\\d{6}\\b"

[[redact.rule]]
name = "pii-cleared-partial"
groups = ["pii-cleared"]
style = "partial"

[[redact.rule]]
name = "metrics-off"
tools = ["metrics.*"]
enabled = false
"#;

#[test]
fn rules_vary_by_group_and_tool() {
    let p = Policy::from_toml_str(RULES).unwrap();
    let mut v = json!({"card": "4111111111111111", "phone": "415-555-2671", "password": "x", "id": "E-123456"});
    let plain = p
        .redactor_for(&user(&["support"]), Some("crm.lookup"))
        .unwrap();
    plain.redact_value(&mut v, "");
    assert_eq!(
        v,
        json!({"card": "[REDACTED:CREDIT_CARD]", "phone": "415-555-2671", "password": "[REDACTED:FIELD]", "id": "[REDACTED:EMPLOYEE_ID]"})
    );
    let cleared = p
        .redactor_for(&user(&["pii-cleared"]), Some("crm.lookup"))
        .unwrap();
    assert_eq!(cleared.style(), MaskStyle::Partial);
    assert_eq!(
        cleared.redact_text("4111111111111111").0,
        "[CREDIT_CARD:****1111]"
    );
    assert!(p.redactor_for(&user(&[]), Some("metrics.cpu")).is_none());
    // A rule with tools does not match traffic that is not a tool call.
    assert!(p.redactor_for(&user(&[]), None).is_some());
}

#[test]
fn json_policies_have_the_section_too() {
    let p = Policy::from_json_str(
        r#"{"version": 1, "redact": {"detectors": ["EMAIL"], "style": "partial"}}"#,
    )
    .unwrap();
    let r = p.redactor_for(&user(&[]), None).unwrap();
    assert_eq!(
        r.redact_text("bob@example.com 4111111111111111").0,
        "[EMAIL:****@example.com] 4111111111111111"
    );
    let e = match Policy::parse(
        "{\"version\": 1,\n \"redact\": {\"stlye\": \"full\"}}",
        "p.json",
    ) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    };
    assert_eq!(e.line(), Some(2), "{e}");
}

#[test]
fn unknown_keys_fail_with_their_line() {
    let e = err("version = 1\n\n[redact]\nstyle = \"full\"\nfeilds = [\"x\"]\n");
    assert_eq!(e.line(), Some(5), "{e}");
    assert!(e.to_string().contains("feilds"), "{e}");
    let e = err(
        "version = 1\n[redact]\n[[redact.rule]]\ngroups = [\"a\"]\nstyle = \"partial\"\ncolour = 1\n",
    );
    assert_eq!(e.line(), Some(6), "{e}");
}

#[test]
fn semantic_errors_name_the_line() {
    let e = err("version = 1\n[redact]\ndetectors = [\"CARD\"]\n");
    assert_eq!(e.line(), Some(2), "{e}");
    assert!(e.to_string().contains("unknown detector `CARD`"), "{e}");

    let e = err("version = 1\n[redact]\n\n[[redact.pattern]]\nname = \"X\"\nregex = \"(\"\n");
    assert_eq!(e.line(), Some(4), "{e}");
    assert!(e.to_string().contains("invalid regex"), "{e}");

    let e = err("version = 1\n[redact]\n[[redact.rule]]\nname = \"r\"\ngroups = []\n");
    assert_eq!(e.line(), Some(3), "{e}");
    assert!(e.to_string().contains("rule `r` (redact.rule[0])"), "{e}");

    let e = err("version = 1\n[redact]\nstyle = \"hash\"\n");
    assert!(e.to_string().contains("needs a key"), "{e}");

    let e = err(
        "version = 1\n[redact]\nstyle = \"hash\"\nhash_key_env = \"TOLLGATE_TEST_SURELY_UNSET_VAR\"\n",
    );
    assert!(
        e.to_string().contains("TOLLGATE_TEST_SURELY_UNSET_VAR"),
        "{e}"
    );

    let e = err("version = 1\n[redact]\ndetectors = [\"EMAIL\"]\ndisable = [\"PHONE\"]\n");
    assert!(e.to_string().contains("not both"), "{e}");
}
