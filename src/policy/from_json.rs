//! Reads the JSON form of a policy file into a [`FileSpec`], with line numbers.
//!
//! Each rule list is read as raw JSON slices of the source; a rule's line is found from
//! where its slice starts in the source, and the rule is then parsed on its own, so an
//! error inside it names both the rule and the exact line.

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

use super::Action;
use super::error::{PolicyError, RuleRef, line_col};
use super::redact::{RedactSection, RedactSpec};
use super::spec::{ClassifySpec, FileSpec, Located, RuleKind};
use super::version::{VersionSeen, check_version};

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    version: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict<'a> {
    /// Checked by the probe; required here so the file's shape is complete.
    #[serde(rename = "version")]
    _version: IgnoredAny,
    default: Option<Action>,
    #[serde(borrow, default)]
    allow: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    deny: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    approve: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    label: Vec<&'a RawValue>,
    #[serde(default)]
    classify: ClassifySpec,
    #[serde(borrow, default)]
    inspect: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    redact: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct NameProbe {
    name: Option<String>,
}

/// Parses `src` (JSON) named `origin`.
pub(crate) fn read(src: &str, origin: &str) -> Result<FileSpec, PolicyError> {
    let probe: Probe<'_> = serde_json::from_str(src).map_err(|e| syntax(origin, &e))?;
    let version = match probe.version {
        None => VersionSeen::Missing,
        Some(raw) if raw.get() == "1" => VersionSeen::One,
        Some(raw) => VersionSeen::Other(raw.get().to_owned(), line_col(src, offset(src, raw)).0),
    };
    check_version(origin, version)?;

    let strict: Strict<'_> = serde_json::from_str(src).map_err(|e| syntax(origin, &e))?;
    let mut rules = Vec::new();
    for (kind, list) in [
        (RuleKind::Allow, &strict.allow),
        (RuleKind::Deny, &strict.deny),
        (RuleKind::Approve, &strict.approve),
    ] {
        rules.extend(located(src, origin, kind, list)?);
    }
    Ok(FileSpec {
        default: strict.default,
        rules,
        labels: located(src, origin, RuleKind::Label, &strict.label)?,
        classify: strict.classify,
        inspect: located(src, origin, RuleKind::Inspect, &strict.inspect)?,
        redact: strict
            .redact
            .map(|raw| redact_section(src, origin, raw))
            .transpose()?,
    })
}

/// The `[redact]` object; its entries are located at the section's line.
fn redact_section(src: &str, origin: &str, raw: &RawValue) -> Result<RedactSection, PolicyError> {
    let (line, column) = line_col(src, offset(src, raw));
    let spec: RedactSpec = serde_json::from_str(raw.get()).map_err(|e| {
        let (l, c) = if e.line() <= 1 {
            (line, column + e.column().saturating_sub(1))
        } else {
            (line + e.line() - 1, e.column())
        };
        PolicyError::Syntax {
            origin: origin.to_owned(),
            line: l,
            column: c,
            rule: None,
            message: format!("[redact]: {}", message(&e)),
        }
    })?;
    Ok(RedactSection {
        pattern_lines: vec![line; spec.pattern.len()],
        rule_lines: vec![line; spec.rule.len()],
        spec,
        line,
    })
}

fn located<S: DeserializeOwned>(
    src: &str,
    origin: &str,
    kind: RuleKind,
    list: &[&RawValue],
) -> Result<Vec<Located<S>>, PolicyError> {
    list.iter()
        .enumerate()
        .map(|(index, raw)| {
            let offset = offset(src, raw);
            let (line, column) = line_col(src, offset);
            let spec = serde_json::from_str::<S>(raw.get()).map_err(|e| {
                let id = format!("{}[{index}]", kind.as_str());
                let name = serde_json::from_str::<NameProbe>(raw.get())
                    .ok()
                    .and_then(|p| p.name)
                    .unwrap_or_else(|| id.clone());
                // Positions inside the rule are relative to its first character.
                let (l, c) = if e.line() <= 1 {
                    (line, column + e.column().saturating_sub(1))
                } else {
                    (line + e.line() - 1, e.column())
                };
                PolicyError::Syntax {
                    origin: origin.to_owned(),
                    line: l,
                    column: c,
                    rule: Some(RuleRef { name, id }),
                    message: message(&e),
                }
            })?;
            Ok(Located {
                kind,
                index,
                offset,
                line,
                spec,
            })
        })
        .collect()
}

/// Byte offset of `raw` in `src`: `raw` borrows from `src`, so its address lies inside
/// it. Falls back to 0 should that ever not hold.
fn offset(src: &str, raw: &RawValue) -> usize {
    raw.get()
        .as_ptr()
        .addr()
        .checked_sub(src.as_ptr().addr())
        .filter(|&o| o <= src.len())
        .unwrap_or(0)
}

/// serde_json's message without its trailing " at line L column C".
fn message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}

fn syntax(origin: &str, e: &serde_json::Error) -> PolicyError {
    PolicyError::Syntax {
        origin: origin.to_owned(),
        line: e.line().max(1),
        column: e.column().max(1),
        rule: None,
        message: message(e),
    }
}
