//! The JSON Schema in `schema/event-v1.schema.json` describes what the crate writes.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tollgate::Event;
use tollgate::identity::IdentityKind;
use tollgate::policy::Action;
use tollgate::record::*;

fn schema() -> Value {
    serde_json::from_str(include_str!("../schema/event-v1.schema.json")).unwrap()
}

fn samples() -> Vec<Event> {
    let who = IdentitySummary::new("alice", IdentityKind::User);
    let mut result = ResultRecord::new(true, 5);
    result.redactions = BTreeMap::from([("email".to_owned(), 1)]);
    result.content = Some("x".into());
    result.truncated = true;
    let mut notification = NotificationRecord::new("sampling/createMessage");
    notification.id = Some(json!(9));
    notification.params = Some("{}".into());
    let mut killed = SessionKilledRecord::default();
    killed.by = Some("ops".into());
    vec![
        Event::session_started(
            "s",
            who.clone(),
            SessionStartedRecord::new(
                Some("c".into()),
                Some("1".into()),
                Some("2025-06-18".into()),
            ),
        ),
        Event::call(
            "s",
            who.clone(),
            CallRecord::new(
                "tools/call",
                DecisionRecord::new(Action::Approve, Some("r".into()), Some("why".into())),
            )
            .with_id(json!(1))
            .with_tool("t")
            .with_arguments(json!({}))
            .with_classification(ClassificationRecord::default()),
        ),
        Event::approval_requested("s", who.clone(), ApprovalRequestedRecord::new("t1")),
        Event::approval_decided(
            "s",
            who.clone(),
            ApprovalDecidedRecord::new("t1", ApprovalOutcome::Expired),
        ),
        Event::result("s", who.clone(), result),
        Event::notification("s", who.clone(), notification),
        Event::session_killed("s", who.clone(), killed),
        Event::session_ended("s", who, EndReason::Idle),
    ]
}

#[test]
fn every_written_member_is_described_by_the_schema() {
    let schema = schema();
    let envelope = schema["properties"].as_object().unwrap();
    let kinds: Vec<&str> = schema["properties"]["kind"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 10);
    for event in samples() {
        let value = serde_json::to_value(&event).unwrap();
        let kind = value["kind"].as_str().unwrap();
        let rule = schema["allOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["if"]["properties"]["kind"]["const"] == kind)
            .unwrap_or_else(|| panic!("no schema for {kind}"));
        let own = rule["then"]["properties"].as_object().unwrap();
        for (member, _) in value.as_object().unwrap() {
            assert!(
                envelope.contains_key(member) || own.contains_key(member),
                "{kind}.{member} is not in the schema"
            );
        }
        for required in rule["then"]["required"].as_array().unwrap() {
            assert!(
                value.get(required.as_str().unwrap()).is_some(),
                "{kind} lacks {required}"
            );
        }
    }
}
