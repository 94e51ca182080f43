//! The classification evasion suite: one runner over the data files in
//! `tests/data/classify/` (one `[[case]]` per input, with the labels that must and must
//! not be found). A miss is a test failure naming every failing case.
//!
//! Settings every case runs with: SQL `bulk_row_limit = 1000` and sensitive tables
//! `customers` and `users`; HTTP allowed hosts `api.example.com` and
//! `*.internal.example.com`.

use std::path::Path;

use serde::Deserialize;
use tollgate::classify::http::{HttpCall, HttpOptions, inspect_http};
use tollgate::classify::kubectl::{inspect_kubectl, inspect_kubectl_line};
use tollgate::classify::shell::inspect_shell;
use tollgate::classify::sql::{SqlDialect, SqlOptions, inspect_sql};
use tollgate::{Classification, Risk};

#[derive(Deserialize)]
struct File {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    input: Option<String>,
    argv: Option<Vec<String>>,
    dialect: Option<SqlDialect>,
    method: Option<String>,
    url: Option<String>,
    #[serde(default)]
    headers: Vec<(String, String)>,
    labels: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    objects: Vec<String>,
    min_risk: Option<Risk>,
}

fn load(file: &str) -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/classify")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut names: Vec<&str> = parsed.case.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("{file}: duplicate case name `{}`", w[0]);
    }
    parsed.case
}

/// Checks one case's classification; returns what is wrong, if anything.
fn verdict(case: &Case, got: &Classification) -> Option<String> {
    let mut wrong = Vec::new();
    for l in &case.labels {
        if !got.has_label(l) {
            wrong.push(format!("missing label {l}"));
        }
    }
    for l in &case.absent {
        if got.has_label(l) {
            wrong.push(format!("unexpected label {l}"));
        }
    }
    for o in &case.objects {
        if !got.objects.contains(o) {
            wrong.push(format!("missing object {o}"));
        }
    }
    if let Some(min) = case.min_risk
        && got.risk < min
    {
        wrong.push(format!("risk {} below {min}", got.risk));
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "`{}`: {} (got labels {:?}, objects {:?}, risk {})",
            case.name,
            wrong.join(", "),
            got.labels,
            got.objects,
            got.risk
        )
    })
}

fn run(file: &str, minimum: usize, classify: impl Fn(&Case) -> Classification) {
    let cases = load(file);
    assert!(
        cases.len() >= minimum,
        "{file} has {} cases, expected at least {minimum}",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| verdict(c, &classify(c)))
        .collect();
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn input(case: &Case) -> &str {
    case.input
        .as_deref()
        .unwrap_or_else(|| panic!("`{}` has no input", case.name))
}

#[test]
fn sql_cases() {
    run("sql.toml", 70, |case| {
        let mut options = SqlOptions::new(case.dialect.unwrap_or_default());
        options.bulk_row_limit = 1000;
        options.sensitive_tables = vec!["customers".into(), "users".into()];
        let mut out = Classification::new();
        inspect_sql(input(case), &options, "/sql", &mut out);
        out
    });
}

#[test]
fn shell_cases() {
    run("shell.toml", 45, |case| {
        let mut out = Classification::new();
        inspect_shell(input(case), "/command", &mut out);
        out
    });
}

#[test]
fn kubectl_cases() {
    run("kubectl.toml", 40, |case| {
        let mut out = Classification::new();
        match &case.argv {
            Some(argv) => inspect_kubectl(argv, "/args", &mut out),
            None => inspect_kubectl_line(input(case), "/args", &mut out),
        }
        out
    });
}

#[test]
fn http_cases() {
    let options = HttpOptions::new(vec![
        "api.example.com".into(),
        "*.internal.example.com".into(),
    ])
    .unwrap();
    run("http.toml", 25, |case| {
        let mut out = Classification::new();
        let url = case
            .url
            .as_deref()
            .unwrap_or_else(|| panic!("`{}` has no url", case.name));
        let call = HttpCall {
            method: case.method.as_deref(),
            url,
            headers: &case.headers,
            body: None,
        };
        inspect_http(&call, &options, "/url", &mut out);
        out
    });
}

#[test]
fn the_suite_has_at_least_150_command_cases() {
    let total: usize = ["sql.toml", "shell.toml", "kubectl.toml"]
        .iter()
        .map(|f| load(f).len())
        .sum();
    assert!(total >= 150, "only {total} SQL/shell/kubectl cases");
}
