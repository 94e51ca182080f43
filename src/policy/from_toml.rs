//! Reads the TOML form of a policy file into a [`FileSpec`], with line numbers.
//!
//! Two passes: a lenient probe that only records where each rule starts (and the
//! `version`), then the strict parse. A strict-parse error is located in the rule whose
//! span contains it, so the message can name the rule as well as the line.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde::de::IgnoredAny;
use toml::Spanned;

use super::Action;
use super::error::{PolicyError, RuleRef, line_col};
use super::redact::{RedactSection, RedactSpec};
use super::spec::{ClassifySpec, FileSpec, InspectSpec, LabelSpec, Located, RuleKind, RuleSpec};
use super::version::{VersionSeen, check_version};

/// A rule table as the probe sees it. The span of an array-of-tables element covers only
/// its `[[kind]]` header, so the rule's extent runs to the end of its last value.
type ProbeRule = Spanned<BTreeMap<String, Spanned<toml::Value>>>;

#[derive(Deserialize)]
struct Probe {
    version: Option<Spanned<toml::Value>>,
    #[serde(default)]
    allow: Vec<ProbeRule>,
    #[serde(default)]
    deny: Vec<ProbeRule>,
    #[serde(default)]
    approve: Vec<ProbeRule>,
    #[serde(default)]
    label: Vec<ProbeRule>,
    #[serde(default)]
    inspect: Vec<ProbeRule>,
    redact: Option<Spanned<RedactProbe>>,
}

/// Where the `[[redact.pattern]]` and `[[redact.rule]]` entries start.
#[derive(Deserialize)]
struct RedactProbe {
    #[serde(default)]
    pattern: Vec<ProbeRule>,
    #[serde(default)]
    rule: Vec<ProbeRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    /// Checked by the probe; required here so the file's shape is complete.
    #[serde(rename = "version")]
    _version: IgnoredAny,
    default: Option<Action>,
    #[serde(default)]
    allow: Vec<Spanned<RuleSpec>>,
    #[serde(default)]
    deny: Vec<Spanned<RuleSpec>>,
    #[serde(default)]
    approve: Vec<Spanned<RuleSpec>>,
    #[serde(default)]
    label: Vec<Spanned<LabelSpec>>,
    #[serde(default)]
    classify: ClassifySpec,
    #[serde(default)]
    inspect: Vec<Spanned<InspectSpec>>,
    redact: Option<RedactSpec>,
}

/// Parses `src` (TOML) named `origin`.
pub(crate) fn read(src: &str, origin: &str) -> Result<FileSpec, PolicyError> {
    let probe: Probe = toml::from_str(src).map_err(|e| syntax(src, origin, &e, None))?;
    let version = match &probe.version {
        None => VersionSeen::Missing,
        Some(v) => {
            let line = line_col(src, v.span().start).0;
            match v.get_ref() {
                toml::Value::Integer(1) => VersionSeen::One,
                other => VersionSeen::Other(other.to_string(), line),
            }
        }
    };
    check_version(origin, version)?;

    let strict: Strict = toml::from_str(src).map_err(|e| {
        let rule = e.span().and_then(|s| locate(&probe, s.start));
        syntax(src, origin, &e, rule)
    })?;

    let mut rules = Vec::new();
    for (kind, list) in [
        (RuleKind::Allow, strict.allow),
        (RuleKind::Deny, strict.deny),
        (RuleKind::Approve, strict.approve),
    ] {
        rules.extend(located(src, kind, list));
    }
    Ok(FileSpec {
        default: strict.default,
        rules,
        labels: located(src, RuleKind::Label, strict.label),
        classify: strict.classify,
        inspect: located(src, RuleKind::Inspect, strict.inspect),
        redact: strict
            .redact
            .map(|spec| redact_section(src, probe.redact.as_ref(), spec)),
    })
}

fn redact_section(
    src: &str,
    probe: Option<&Spanned<RedactProbe>>,
    spec: RedactSpec,
) -> RedactSection {
    let line = |offset: usize| line_col(src, offset).0;
    let lines = |list: &[ProbeRule]| list.iter().map(|r| line(r.span().start)).collect();
    RedactSection {
        spec,
        line: probe.map_or(1, |p| line(p.span().start)),
        pattern_lines: probe.map_or_else(Vec::new, |p| lines(&p.get_ref().pattern)),
        rule_lines: probe.map_or_else(Vec::new, |p| lines(&p.get_ref().rule)),
    }
}

fn located<S>(src: &str, kind: RuleKind, list: Vec<Spanned<S>>) -> Vec<Located<S>> {
    list.into_iter()
        .enumerate()
        .map(|(index, s)| {
            let offset = s.span().start;
            Located {
                kind,
                index,
                offset,
                line: line_col(src, offset).0,
                spec: s.into_inner(),
            }
        })
        .collect()
}

/// The rule whose table contains byte `offset`, from the probe.
fn locate(probe: &Probe, offset: usize) -> Option<RuleRef> {
    let lists = [
        (RuleKind::Allow, &probe.allow),
        (RuleKind::Deny, &probe.deny),
        (RuleKind::Approve, &probe.approve),
        (RuleKind::Label, &probe.label),
        (RuleKind::Inspect, &probe.inspect),
    ];
    lists.into_iter().find_map(|(kind, list)| {
        list.iter().enumerate().find_map(|(index, item)| {
            contains(&extent(item), offset).then(|| {
                let id = format!("{}[{index}]", kind.as_str());
                let name = item
                    .get_ref()
                    .get("name")
                    .and_then(|v| v.get_ref().as_str())
                    .map_or_else(|| id.clone(), str::to_owned);
                RuleRef { name, id }
            })
        })
    })
}

/// From the rule's header to the end of its last value.
fn extent(rule: &ProbeRule) -> Range<usize> {
    let header = rule.span();
    let end = rule
        .get_ref()
        .values()
        .map(|v| v.span().end)
        .fold(header.end, usize::max);
    header.start..end
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && offset < span.end
}

fn syntax(src: &str, origin: &str, e: &toml::de::Error, rule: Option<RuleRef>) -> PolicyError {
    let (line, column) = e.span().map_or((1, 1), |s| line_col(src, s.start));
    PolicyError::Syntax {
        origin: origin.to_owned(),
        line,
        column,
        rule,
        message: e.message().trim_end().to_owned(),
    }
}
