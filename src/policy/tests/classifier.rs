use serde_json::json;

use super::*;
use crate::classify::Classifier;

#[test]
fn label_rules_add_labels_risk_and_findings() {
    let p = policy(
        r#"
        version = 1
        [[label]]
        name = "db-writes"
        tools = ["db.*"]
        args = [ { pointer = "/sql", regex = "(?i)\\b(insert|update|delete)\\b" } ]
        labels = ["sql.write", "mutation"]
        risk = "medium"
        [[label]]
        tools = ["db.admin_*"]
        labels = ["admin"]
        [[label]]
        name = "big"
        args = [ { pointer = "/limit", one_of = [1000, 10000] } ]
        labels = ["bulk"]
        risk = "high"
        "#,
    );
    let classifier = p.classifier();
    assert_eq!(classifier.label_rules().len(), 3);
    assert_eq!(p.rule_count(), 0);

    // The label rules alone (the full classifier also runs the SQL inspector).
    let c = classifier
        .label_rules()
        .classify(&call("db.query", json!({"sql": "UPDATE t SET a = 1"})))
        .unwrap();
    assert_eq!(
        c.labels.iter().collect::<Vec<_>>(),
        ["mutation", "sql.write"]
    );
    assert_eq!(c.risk, Risk::Medium);
    assert_eq!(c.findings.len(), 2);
    assert!(
        c.findings
            .iter()
            .all(|f| f.pointer.as_deref() == Some("/sql"))
    );
    assert!(
        c.findings[0].what.contains("rule `db-writes`"),
        "{}",
        c.findings[0].what
    );

    let c = classifier
        .label_rules()
        .classify(&call("db.query", json!({"sql": "SELECT 1"})))
        .unwrap();
    assert!(c.labels.is_empty());
    assert_eq!(c.risk, Risk::None);

    let c = classifier
        .classify(&call("db.admin_reset", json!({"limit": 1e3})))
        .unwrap();
    assert_eq!(c.labels.iter().collect::<Vec<_>>(), ["admin", "bulk"]);
    assert_eq!(c.risk, Risk::High);
    let admin = c.findings.iter().find(|f| f.label == "admin").unwrap();
    assert_eq!(admin.pointer, None, "a rule without args has no place");
    let bulk = c.findings.iter().find(|f| f.label == "bulk").unwrap();
    assert_eq!(bulk.pointer.as_deref(), Some("/limit"));
}

#[test]
fn default_label_risk_is_low_and_empty_classifier_labels_nothing() {
    let p = policy("version = 1\n[[label]]\ntools = [\"x\"]\nlabels = [\"l\"]\n");
    let c = p.classifier().classify(&call("x", json!({}))).unwrap();
    assert_eq!(c.risk, Risk::Low);
    let empty = crate::classify::RuleClassifier::empty();
    assert!(empty.is_empty());
    let c = empty.classify(&call("x", json!({}))).unwrap();
    assert_eq!(c, Classification::new());
}

#[test]
fn classifier_labels_feed_the_policy() {
    let p = policy(
        r#"
        version = 1
        [[allow]]
        tools = ["db.query"]
        [[approve]]
        name = "writes"
        labels = ["sql.write"]
        [[label]]
        tools = ["db.*"]
        args = [ { pointer = "/sql", regex = "(?i)insert" } ]
        labels = ["sql.write"]
        "#,
    );
    let c = call("db.query", json!({"sql": "insert into t values (1)"}));
    let cls = p.classifier().classify(&c).unwrap();
    assert_eq!(
        p.evaluate(&user(&[]), &c, &cls).rule.as_deref(),
        Some("writes")
    );
}
