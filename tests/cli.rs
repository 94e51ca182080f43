//! The `tollgate` binary: `check` and `classify`, their output and exit codes
//! (0 allow, 1 deny or approval needed, 2 bad usage or bad input).

use std::io::Write;
use std::process::{Command, Output};

const POLICY: &str = r#"
version = 1

[[label]]
name = "sql-writes"
tools = ["db.query"]
args = [{ pointer = "/sql", regex = "(?i)\\b(insert|update|delete)\\b" }]
labels = ["sql.write"]
risk = "high"

[[allow]]
name = "analysts"
groups = ["analysts"]
tools = ["db.*"]

[[approve]]
name = "writes-need-a-dba"
groups = ["analysts"]
tools = ["db.query"]
labels = ["sql.write"]
reason = "SQL writes need a DBA"

[[deny]]
name = "no-drops"
tools = ["db.drop_*"]
reason = "no drops"
"#;

fn policy_file(text: &str) -> tempfile_shim::TempFile {
    tempfile_shim::TempFile::new("policy.toml", text)
}

fn tollgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .output()
        .unwrap()
}

fn check(policy: &str, identity: &str, call: &str, json: bool) -> Output {
    let mut args = vec![
        "check",
        "--policy",
        policy,
        "--identity",
        identity,
        "--call",
        call,
    ];
    if json {
        args.push("--json");
    }
    tollgate(&args)
}

const BOT: &str = r#"{"subject":"report-bot","groups":["analysts"],"kind":"agent"}"#;

#[test]
fn allowed_calls_exit_0_and_name_the_rule() {
    let file = policy_file(POLICY);
    let out = check(
        file.path(),
        BOT,
        r#"{"name":"db.query","arguments":{"sql":"SELECT 1"}}"#,
        false,
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("allow (rule `analysts`)"), "{text}");
    assert!(text.contains("matched analysts"), "{text}");
}

#[test]
fn denied_and_held_calls_exit_1_and_explain_as_json() {
    let file = policy_file(POLICY);
    let out = check(
        file.path(),
        BOT,
        r#"{"name":"db.drop_table","arguments":{"table":"t"}}"#,
        false,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("deny (rule `no-drops`): no drops"));

    let out = check(
        file.path(),
        BOT,
        r#"{"name":"db.query","arguments":{"sql":"DELETE FROM t"}}"#,
        true,
    );
    assert_eq!(out.status.code(), Some(1));
    let explained: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(explained["decision"]["action"], "approve");
    assert_eq!(explained["decision"]["rule"], "writes-need-a-dba");
    let labels = explained["labels"].as_array().unwrap();
    assert!(
        labels.contains(&serde_json::json!("sql.write")),
        "{explained}"
    );
    let matched: Vec<&str> = explained["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rule"].as_str().unwrap())
        .collect();
    assert_eq!(matched, ["analysts", "writes-need-a-dba"]);
}

#[test]
fn bad_input_exits_2_with_a_one_line_error() {
    let file = policy_file(POLICY);
    let out = check(file.path(), "not json", r#"{"name":"x"}"#, false);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("tollgate: error: --identity"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1);

    let out = check(file.path(), BOT, r#"{"arguments":{}}"#, false);
    assert_eq!(out.status.code(), Some(2));

    let out = tollgate(&["check", "--policy", file.path()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing arguments are a usage error"
    );
}

#[test]
fn policy_load_errors_name_the_file_and_line() {
    let broken = policy_file(
        "version = 1\n\n[[deny]]\nname = \"bad\"\ntools = [\"x\"]\nargs = [{ pointer = \"/a\", regex = \"(\" }]\n",
    );
    let out = check(broken.path(), BOT, r#"{"name":"x"}"#, false);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("{}:3", broken.path())), "{err}");
    assert!(err.contains("bad"), "{err}");

    let out = check("no/such/policy.toml", BOT, r#"{"name":"x"}"#, false);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/policy.toml"));
}

#[test]
fn classify_prints_labels_and_findings() {
    let file = policy_file(POLICY);
    let out = tollgate(&[
        "classify",
        "--tool",
        "db.query",
        "--args",
        r#"{"sql":"update t set a=1"}"#,
        "--policy",
        file.path(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(c["risk"], "high");
    let labels = c["labels"].as_array().unwrap();
    // The policy's label rule, and the SQL inspector auto-detecting the `sql` argument.
    assert!(labels.contains(&serde_json::json!("sql.write")), "{c}");
    assert!(labels.contains(&serde_json::json!("sql.update_all")), "{c}");
    assert!(
        c["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["pointer"] == "/sql"),
        "{c}"
    );
    let out = tollgate(&["classify", "--tool", "db.query", "--args", "[1]"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A file in the system temp directory, removed on drop.
mod tempfile_shim {
    use super::*;

    pub struct TempFile(std::path::PathBuf, String);

    impl TempFile {
        pub fn new(name: &str, text: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("tollgate-cli-{}-{n}-{name}", std::process::id()));
            let mut file = std::fs::File::create(&path).unwrap();
            file.write_all(text.as_bytes()).unwrap();
            let display = path.to_string_lossy().into_owned();
            TempFile(path, display)
        }

        pub fn path(&self) -> &str {
            &self.1
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[test]
fn classify_without_a_policy_runs_the_inspectors() {
    let out = tollgate(&[
        "classify",
        "--tool",
        "run_sql",
        "--args",
        r#"{"query":"SELECT 1; DROP TABLE users"}"#,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let labels = c["labels"].as_array().unwrap();
    assert!(labels.contains(&serde_json::json!("sql.ddl")), "{c}");
    assert!(
        labels.contains(&serde_json::json!("sql.multi_statement")),
        "{c}"
    );
    assert!(
        c["objects"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("table:users")),
        "{c}"
    );
    assert_eq!(c["findings"][0]["pointer"], "/query");
}
