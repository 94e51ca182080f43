//! Policy decision cost at 10, 1,000 and 10,000 rules (target: ≤ 2 µs median at 1,000).
//!
//! The generated policies look like real ones: per service `svc{s}` an allow rule for
//! its team, an argument-conditioned allow (`/sql` must be a SELECT), an approve rule
//! for writes and a deny for drops, plus a few rules without tool globs.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::json;
use tollgate::classify::{Classification, Risk, ToolCall};
use tollgate::identity::{Identity, IdentityKind};
use tollgate::policy::{Action, Policy};

fn policy_source(rules: usize) -> String {
    let mut src = String::from("version = 1\ndefault = \"deny\"\n");
    // Rules without tool globs are candidates for every call.
    src.push_str("[[deny]]\nname = \"critical\"\nmin_risk = \"critical\"\n");
    src.push_str("[[allow]]\nname = \"admins\"\ngroups = [\"admins\"]\n");
    for i in 0..rules.saturating_sub(2) {
        let s = i / 4;
        let rule = match i % 4 {
            0 => format!(
                "[[allow]]\nname = \"r{i}\"\ngroups = [\"team{}\"]\ntools = [\"svc{s}.*\"]\n",
                s % 50
            ),
            1 => format!(
                "[[allow]]\nname = \"r{i}\"\ntools = [\"svc{s}.query\"]\n\
                 args = [ {{ pointer = \"/sql\", regex = \"(?i)^\\\\s*select\\\\b\" }} ]\n"
            ),
            2 => format!(
                "[[approve]]\nname = \"r{i}\"\ntools = [\"svc{s}.*\"]\nlabels = [\"sql.write\"]\n\
                 reviewers = [\"dba\"]\n"
            ),
            _ => format!(
                "[[deny]]\nname = \"r{i}\"\ntools = [\"svc{s}.drop_*\"]\n\
                 reason = \"Dropping tables is not allowed\"\n"
            ),
        };
        src.push_str(&rule);
    }
    src
}

fn bench_policy(c: &mut Criterion) {
    let alice = Identity::new("alice", IdentityKind::User).with_groups(["team1", "eng"]);
    let mut read = Classification::new();
    read.label("sql.read", Risk::Low);
    let query = ToolCall::new("svc1.query", json!({"sql": "SELECT * FROM t"}));
    let drop = ToolCall::new("svc1.drop_table", json!({"table": "t"}));
    let miss = ToolCall::new("unknown.tool", json!({}));

    let mut group = c.benchmark_group("policy_evaluate");
    for rules in [10usize, 1_000, 10_000] {
        let policy = match Policy::from_toml_str(&policy_source(rules)) {
            Ok(p) => p,
            Err(e) => panic!("bench policy does not load: {e}"),
        };
        assert_eq!(policy.rule_count(), rules);
        assert_eq!(policy.evaluate(&alice, &query, &read).action, Action::Allow);
        assert_eq!(policy.evaluate(&alice, &drop, &read).action, Action::Deny);
        assert_eq!(policy.evaluate(&alice, &miss, &read).action, Action::Deny);

        for (name, call) in [
            ("match_allow", &query),
            ("match_deny", &drop),
            ("no_match", &miss),
        ] {
            group.bench_with_input(BenchmarkId::new(name, rules), &policy, |b, p| {
                b.iter(|| p.evaluate(black_box(&alice), black_box(call), black_box(&read)))
            });
        }
        group.bench_with_input(BenchmarkId::new("is_visible", rules), &policy, |b, p| {
            b.iter(|| p.is_visible(black_box(&alice), black_box("svc1.read")))
        });
        group.bench_with_input(
            BenchmarkId::new("is_visible_miss", rules),
            &policy,
            |b, p| b.iter(|| p.is_visible(black_box(&alice), black_box("unknown.tool"))),
        );
    }
    group.finish();
}

criterion_group!(benches, bench_policy);
criterion_main!(benches);
