//! The redaction corpus: one runner over the data files in `tests/data/redact/` — values
//! every detector must mask (`positives.toml`), decoys that must survive
//! (`negatives.toml`), encodings that must not hide a value (`evasion.toml`), and mask
//! styles and field rules (`masks.toml`).
//!
//! A case has `text` (run through `redact_text`) or `json` (parsed and run through
//! `redact_value`), optional settings (`style`, `fields`, `decode_base64`), `expect`
//! (the exact output; JSON compared as values) and `found` (the exact set of types
//! reported). A case with neither `expect` nor `found` is a decoy: the output must equal
//! the input and nothing may be reported. Every output is redacted again and must not
//! change (idempotence), and JSON output must stay valid.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use tollgate::Redactor;
use tollgate::redact::{Findings, MaskStyle};

#[derive(Deserialize)]
struct File {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    text: Option<String>,
    json: Option<String>,
    expect: Option<String>,
    found: Option<Vec<String>>,
    style: Option<MaskStyle>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    decode_base64: bool,
}

fn load(file: &str) -> Vec<Case> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/redact")
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

fn redactor(case: &Case) -> Redactor {
    let mut b = Redactor::builder()
        .style(case.style.unwrap_or_default())
        .hash_key(b"corpus-key".to_vec())
        .decode_base64(case.decode_base64);
    for f in &case.fields {
        b = b.field(f.clone());
    }
    b.build().unwrap()
}

fn kinds(f: &Findings) -> BTreeSet<String> {
    f.iter().map(|e| e.kind.to_string()).collect()
}

/// Runs one case; what is wrong, if anything.
fn verdict(case: &Case) -> Option<String> {
    let r = redactor(case);
    let mut wrong = Vec::new();
    let (output, findings, again) = match (&case.text, &case.json) {
        (Some(text), None) => {
            let (out, f) = r.redact_text(text);
            let out = out.into_owned();
            let again = r.redact_text(&out).0.into_owned();
            (out, f, again)
        }
        (None, Some(json)) => {
            let mut v: Value = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("`{}`: bad json: {e}", case.name));
            let f = r.redact_value(&mut v, "");
            let out = serde_json::to_string(&v).unwrap();
            if serde_json::from_str::<Value>(&out).is_err() {
                wrong.push("output is not valid JSON".to_owned());
            }
            let mut again = v.clone();
            r.redact_value(&mut again, "");
            (out, f, serde_json::to_string(&again).unwrap())
        }
        _ => panic!("`{}` needs exactly one of text / json", case.name),
    };
    let same = |a: &str, b: &str| match case.json {
        Some(_) => serde_json::from_str::<Value>(a).ok() == serde_json::from_str::<Value>(b).ok(),
        None => a == b,
    };
    let input = case.text.as_deref().or(case.json.as_deref()).unwrap_or("");
    match (&case.expect, &case.found) {
        (None, None) => {
            if !same(&output, input) {
                wrong.push(format!("decoy changed: {output}"));
            }
            if !findings.is_empty() {
                wrong.push(format!("decoy reported {:?}", kinds(&findings)));
            }
        }
        (expect, found) => {
            if let Some(e) = expect
                && !same(&output, e)
            {
                wrong.push(format!("output {output:?}, expected {e:?}"));
            }
            if let Some(found) = found {
                let want: BTreeSet<String> = found.iter().cloned().collect();
                if kinds(&findings) != want {
                    wrong.push(format!("found {:?}, expected {want:?}", kinds(&findings)));
                }
            }
            if same(&output, input) {
                wrong.push("nothing was masked".to_owned());
            }
        }
    }
    if again != output {
        wrong.push(format!("not idempotent: {output:?} became {again:?}"));
    }
    (!wrong.is_empty()).then(|| format!("`{}`: {}", case.name, wrong.join("; ")))
}

fn run(file: &str, minimum: usize) {
    let cases = load(file);
    assert!(
        cases.len() >= minimum,
        "{file} has {} cases, expected at least {minimum}",
        cases.len()
    );
    let failures: Vec<String> = cases.iter().filter_map(verdict).collect();
    assert!(
        failures.is_empty(),
        "{file}: {} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn positives() {
    run("positives.toml", 50);
}

#[test]
fn negatives() {
    run("negatives.toml", 30);
}

#[test]
fn evasion() {
    run("evasion.toml", 14);
}

#[test]
fn masks() {
    run("masks.toml", 5);
}

#[test]
fn every_built_in_type_has_a_positive_case() {
    let found: BTreeSet<String> = load("positives.toml")
        .into_iter()
        .flat_map(|c| c.found.unwrap_or_default())
        .collect();
    for d in tollgate::redact::Detector::ALL {
        assert!(found.contains(d.name()), "no positive case for {d}");
    }
}
