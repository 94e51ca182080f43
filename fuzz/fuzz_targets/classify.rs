//! Fuzz target: the command inspectors (SQL in every dialect, shell, kubectl) and a
//! policy's classifier over arbitrary tool arguments.
//!
//! Input: the first byte picks what to run, the rest is the text (decoded lossily) or,
//! for the policy classifier, JSON tool arguments.
//!
//! Oracles:
//! * nothing panics, whatever the input;
//! * input the inspectors could not read is never quietly low: `sql.unparsed`,
//!   `shell.unparsed` and `k8s.unknown` always come with risk High or above;
//! * non-blank SQL is never unlabelled: it is read, written, changed — or unparsed;
//! * every kubectl command line gets a `k8s.*` label (a verb, or `k8s.unknown`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::classify::kubectl::inspect_kubectl_line;
use tollgate::classify::shell::inspect_shell;
use tollgate::classify::sql::{SqlDialect, SqlOptions, inspect_sql};
use tollgate::classify::ToolCall;
use tollgate::{Classification, Classifier, Policy, Risk};

const DIALECTS: [SqlDialect; 7] = [
    SqlDialect::Postgres,
    SqlDialect::Mysql,
    SqlDialect::Sqlite,
    SqlDialect::Mssql,
    SqlDialect::Snowflake,
    SqlDialect::Bigquery,
    SqlDialect::Generic,
];

fn unreadable_is_high(c: &Classification, input: &str) {
    for label in ["sql.unparsed", "shell.unparsed", "k8s.unknown"] {
        if c.has_label(label) {
            assert!(c.risk >= Risk::High, "{label} with risk {} for {input:?}", c.risk);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let mut c = Classification::new();
    match selector % 4 {
        0 => {
            let dialect = DIALECTS[usize::from(selector / 4) % DIALECTS.len()];
            inspect_sql(&text, &SqlOptions::new(dialect), "/sql", &mut c);
            if !text.trim().is_empty() {
                assert!(!c.labels.is_empty(), "unlabelled SQL in {dialect:?}: {text:?}");
            }
        }
        1 => inspect_shell(&text, "/command", &mut c),
        2 => {
            let line = format!("kubectl {text}");
            inspect_kubectl_line(&line, "/args", &mut c);
            assert!(c.labels.iter().any(|l| l.starts_with("k8s.")), "no k8s label: {line:?}");
        }
        _ => {
            let Ok(arguments) = serde_json::from_slice::<serde_json::Value>(rest) else {
                return;
            };
            let Ok(policy) = Policy::from_toml_str("version = 1") else {
                return;
            };
            let call = ToolCall::new("fuzz.tool", arguments);
            let Ok(found) = policy.classifier().classify(&call) else {
                return;
            };
            c = found;
        }
    }
    unreadable_is_high(&c, &text);
});
