//! The policy's classifier: its `[[label]]` rules plus the built-in inspectors (SQL,
//! shell, kubectl, HTTP), applied to the arguments that `[[inspect]]` entries name or,
//! for tools without an entry, that auto-detection finds by argument name.
//!
//! Text in command positions is normalised first (NFKC, default-ignorable and bidi
//! characters removed, Unicode digits folded); anything suspicious adds
//! `unicode.suspicious`. The risk of the inspectors' labels comes from the default risk
//! table with the policy's `[classify.risk]` overrides applied.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use super::args::Pointer;
use super::index::ToolIndex;
use crate::classify::http::{HttpCall, HttpOptions, inspect_http};
use crate::classify::kubectl::{inspect_kubectl, inspect_kubectl_line};
use crate::classify::shell::inspect_shell;
use crate::classify::sql::{SqlOptions, inspect_sql};
use crate::classify::unicode::normalize_command;
use crate::classify::{
    Classification, Classifier, ClassifyError, Finding, Risk, RuleClassifier, ToolCall,
    default_risk,
};

/// What an inspected argument holds.
#[derive(Debug, Clone)]
pub(crate) enum InspectKind {
    Sql(SqlOptions),
    Shell,
    Kubectl,
    Http {
        method: Option<Pointer>,
        headers: Option<Pointer>,
        body: Option<Pointer>,
    },
}

/// One compiled `[[inspect]]` entry (its tool globs live in the index).
#[derive(Debug, Clone)]
pub(crate) struct Inspection {
    pub(crate) pointer: Pointer,
    pub(crate) kind: InspectKind,
}

/// Everything the policy's classifier runs, compiled.
pub(crate) struct InspectorSettings {
    pub(crate) inspections: Vec<Inspection>,
    pub(crate) index: ToolIndex,
    pub(crate) auto_detect: bool,
    pub(crate) sql: SqlOptions,
    pub(crate) http: HttpOptions,
    pub(crate) risk: HashMap<String, Risk>,
}

/// The classifier a policy carries: label rules and inspectors. Get it with
/// [`Policy::classifier`](super::Policy::classifier).
pub struct PolicyClassifier {
    rules: RuleClassifier,
    settings: InspectorSettings,
}

impl fmt::Debug for PolicyClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyClassifier")
            .field("label_rules", &self.rules.len())
            .field("inspections", &self.settings.inspections.len())
            .field("auto_detect", &self.settings.auto_detect)
            .finish_non_exhaustive()
    }
}

impl PolicyClassifier {
    pub(crate) fn new(rules: RuleClassifier, settings: InspectorSettings) -> Self {
        PolicyClassifier { rules, settings }
    }

    /// The policy's `[[label]]` rules alone.
    pub fn label_rules(&self) -> &RuleClassifier {
        &self.rules
    }

    /// The risk of `label` under this policy: its `[classify.risk]` override, or the
    /// default table.
    pub fn risk_of(&self, label: &str) -> Risk {
        self.settings
            .risk
            .get(label)
            .copied()
            .unwrap_or_else(|| default_risk(label))
    }

    fn inspect(&self, call: &ToolCall) -> Classification {
        let mut found = Classification::new();
        let configured = self.settings.index.candidates(&call.name);
        if configured.is_empty() {
            if self.settings.auto_detect {
                self.auto_detect(call, &mut found);
            }
        } else {
            for i in configured {
                if let Some(inspection) = self.settings.inspections.get(i) {
                    self.run(inspection, &call.arguments, &mut found);
                }
            }
        }
        // Risk from the (overridable) table, not from what each inspector assumed.
        found.risk = found
            .labels
            .iter()
            .map(|l| self.risk_of(l))
            .max()
            .unwrap_or(Risk::None);
        found
    }

    fn run(&self, inspection: &Inspection, arguments: &Value, out: &mut Classification) {
        let Some(value) = inspection.pointer.resolve(arguments) else {
            return;
        };
        let at = inspection.pointer.as_str();
        match &inspection.kind {
            InspectKind::Sql(options) => match value.as_str() {
                Some(sql) => inspect_sql(&normalized(sql, at, out), options, at, out),
                None => not_text(out, "sql.unparsed", at, "SQL"),
            },
            InspectKind::Shell => match value.as_str() {
                Some(command) => inspect_shell(&normalized(command, at, out), at, out),
                None => not_text(out, "shell.unparsed", at, "a shell command"),
            },
            InspectKind::Kubectl => kubectl(value, at, out),
            InspectKind::Http {
                method,
                headers,
                body,
            } => {
                let text = |p: &Option<Pointer>| {
                    p.as_ref()
                        .and_then(|p| p.resolve(arguments))
                        .and_then(Value::as_str)
                };
                let headers = headers
                    .as_ref()
                    .and_then(|p| p.resolve(arguments))
                    .map(header_pairs)
                    .unwrap_or_default();
                match value.as_str() {
                    Some(url) => {
                        let call = HttpCall {
                            method: text(method),
                            url,
                            headers: &headers,
                            body: text(body),
                        };
                        inspect_http(&call, &self.settings.http, at, out);
                    }
                    None => not_text(out, "http.external", at, "a URL"),
                }
            }
        }
    }

    /// Tools without an `[[inspect]]` entry: look at top-level argument names.
    fn auto_detect(&self, call: &ToolCall, out: &mut Classification) {
        let Some(arguments) = call.arguments.as_object() else {
            return;
        };
        let kubectl_tool = {
            let name = call.name.to_ascii_lowercase();
            name.contains("kubectl") || name.contains("k8s") || name.contains("kube")
        };
        for (key, value) in arguments {
            let at = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
            match key.to_ascii_lowercase().as_str() {
                "sql" | "query" | "statement" => {
                    if let Some(sql) = value.as_str() {
                        inspect_sql(&normalized(sql, &at, out), &self.settings.sql, &at, out);
                    }
                }
                "command" | "cmd" | "script" | "shell" | "commandline" | "command_line" => {
                    match value {
                        Value::String(line) if kubectl_tool || starts_with_kubectl(line) => {
                            inspect_kubectl_line(&normalized(line, &at, out), &at, out)
                        }
                        Value::String(line) => inspect_shell(&normalized(line, &at, out), &at, out),
                        Value::Array(_) => kubectl_or_argv(value, kubectl_tool, &at, out),
                        _ => {}
                    }
                }
                "args" | "argv" | "arguments" => kubectl_or_argv(value, kubectl_tool, &at, out),
                "url" | "uri" | "endpoint" => {
                    if let Some(url) = value.as_str() {
                        let text = |k: &str| arguments.get(k).and_then(Value::as_str);
                        let headers = arguments
                            .get("headers")
                            .map(header_pairs)
                            .unwrap_or_default();
                        let call = HttpCall {
                            method: text("method"),
                            url,
                            headers: &headers,
                            body: text("body"),
                        };
                        inspect_http(&call, &self.settings.http, &at, out);
                    }
                }
                _ => {}
            }
        }
    }
}

impl Classifier for PolicyClassifier {
    fn classify(&self, call: &ToolCall) -> Result<Classification, ClassifyError> {
        let mut classification = self.rules.classify(call)?;
        classification.merge(self.inspect(call));
        Ok(classification)
    }
}

/// Normalises `text` for inspection, recording anything suspicious.
fn normalized(text: &str, at: &str, out: &mut Classification) -> String {
    let normalized = normalize_command(text);
    for reason in normalized.suspicious {
        out.find(
            Finding::new("unicode.suspicious", reason).at(at),
            default_risk("unicode.suspicious"),
        );
    }
    normalized.text
}

fn not_text(out: &mut Classification, label: &str, at: &str, expected: &str) {
    out.find(
        Finding::new(
            label,
            format!("expected {expected} as a string; cannot inspect"),
        )
        .at(at),
        default_risk(label),
    );
}

fn starts_with_kubectl(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    let base = first.rsplit('/').next().unwrap_or(first);
    matches!(base, "kubectl" | "kubectl.exe" | "oc")
}

/// A kubectl argument: a command line, or an argv array of strings.
fn kubectl(value: &Value, at: &str, out: &mut Classification) {
    match value {
        Value::String(line) => inspect_kubectl_line(&normalized(line, at, out), at, out),
        Value::Array(items) => match string_array(items) {
            Some(argv) => {
                let argv: Vec<String> = argv.iter().map(|a| normalized(a, at, out)).collect();
                inspect_kubectl(&argv, at, out);
            }
            None => not_text(out, "k8s.unknown", at, "kubectl arguments"),
        },
        _ => not_text(out, "k8s.unknown", at, "kubectl arguments"),
    }
}

/// An argv array found by auto-detection: kubectl when the tool or argv says so,
/// otherwise a shell command made of the quoted words.
fn kubectl_or_argv(value: &Value, kubectl_tool: bool, at: &str, out: &mut Classification) {
    let Value::Array(items) = value else {
        return;
    };
    let Some(argv) = string_array(items) else {
        return;
    };
    if kubectl_tool || argv.first().is_some_and(|a| starts_with_kubectl(a)) {
        kubectl(value, at, out);
    } else if !argv.is_empty() {
        let line = argv
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ");
        inspect_shell(&normalized(&line, at, out), at, out);
    }
}

fn string_array(items: &[Value]) -> Option<Vec<&str>> {
    items.iter().map(Value::as_str).collect()
}

/// Single-quotes a word for a POSIX shell, so an argv reads back as the same words.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Headers given as an object (`{"X-A": "1"}`) or as pairs (`[["X-A", "1"]]`).
fn header_pairs(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|pair| match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(k), Value::String(v)]) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
