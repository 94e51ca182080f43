//! The policy file's `[redact]` section: which detectors, which mask style, which
//! fields and patterns — and overrides by tool and identity group.
//!
//! ```toml
//! [redact]
//! enabled = true                 # default true; false turns redaction off
//! disable = ["PHONE"]            # or: detectors = ["CREDIT_CARD", "US_SSN"] (default all)
//! style = "full"                 # full | partial | hash
//! hash_key_env = "TOLLGATE_REDACT_KEY"   # the HMAC key of style "hash", from the environment
//! fields = ["password", "secret*"]       # mask these keys' values whatever they hold
//! decode_base64 = false          # decode base64 runs and scan what they hide
//!
//! [[redact.pattern]]
//! name = "EMPLOYEE_ID"
//! regex = "\\bE-\\d{6}\\b"
//! validator = "luhn"             # optional: luhn | mod97
//!
//! [[redact.rule]]                # the first matching rule wins
//! name = "pii-cleared-partial"
//! groups = ["pii-cleared"]       # the identity is in any of these groups
//! tools = ["crm.*"]              # and the tool matches (a rule with tools never
//!                                # matches traffic that is not a tool call)
//! style = "partial"              # overrides: enabled, style, detectors, disable,
//!                                # fields (added), decode_base64
//! ```
//!
//! The hash key is never written in the policy (policy files are reviewed and committed):
//! `hash_key_env` names an environment variable read when the policy loads, and a
//! missing or empty variable fails the load. A policy without a `[redact]` section
//! redacts with every built-in detector and full masks — the safe default.

use std::sync::Arc;

use globset::{GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::error::{PolicyError, RuleRef};
use super::matcher::glob;
use crate::Redactor;
use crate::identity::Identity;
use crate::redact::{Detector, MaskStyle, RedactorBuilder, named_validator};

/// `[redact]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedactSpec {
    pub(crate) enabled: Option<bool>,
    pub(crate) detectors: Option<Vec<String>>,
    pub(crate) disable: Option<Vec<String>>,
    pub(crate) style: Option<MaskStyle>,
    pub(crate) hash_key_env: Option<String>,
    pub(crate) fields: Option<Vec<String>>,
    pub(crate) decode_base64: Option<bool>,
    #[serde(default)]
    pub(crate) pattern: Vec<PatternSpec>,
    #[serde(default)]
    pub(crate) rule: Vec<RedactRuleSpec>,
}

/// `[[redact.pattern]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatternSpec {
    pub(crate) name: String,
    pub(crate) regex: String,
    pub(crate) validator: Option<String>,
}

/// `[[redact.rule]]` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedactRuleSpec {
    pub(crate) name: Option<String>,
    pub(crate) tools: Option<Vec<String>>,
    pub(crate) groups: Option<Vec<String>>,
    pub(crate) enabled: Option<bool>,
    pub(crate) style: Option<MaskStyle>,
    pub(crate) detectors: Option<Vec<String>>,
    pub(crate) disable: Option<Vec<String>>,
    pub(crate) fields: Option<Vec<String>>,
    pub(crate) decode_base64: Option<bool>,
}

/// The section with the lines it and its entries start on.
#[derive(Debug, Clone, Default)]
pub(crate) struct RedactSection {
    pub(crate) spec: RedactSpec,
    pub(crate) line: usize,
    pub(crate) pattern_lines: Vec<usize>,
    pub(crate) rule_lines: Vec<usize>,
}

/// One compiled `[[redact.rule]]`.
#[derive(Debug, Clone)]
struct CompiledRule {
    groups: Vec<String>,
    tools: Option<GlobSet>,
    redactor: Option<Arc<Redactor>>,
}

impl CompiledRule {
    fn matches(&self, identity: &Identity, tool: Option<&str>) -> bool {
        let groups_ok = self.groups.is_empty() || self.groups.iter().any(|g| identity.in_group(g));
        let tools_ok = match (&self.tools, tool) {
            (None, _) => true,
            (Some(set), Some(t)) => set.is_match(t),
            (Some(_), None) => false,
        };
        groups_ok && tools_ok
    }
}

/// The compiled redaction settings of a policy: precompiled redactors, looked up by
/// identity and tool.
#[derive(Debug, Clone)]
pub(crate) struct PolicyRedaction {
    base: Option<Arc<Redactor>>,
    rules: Vec<CompiledRule>,
}

impl Default for PolicyRedaction {
    fn default() -> PolicyRedaction {
        PolicyRedaction {
            base: Some(Arc::new(Redactor::default())),
            rules: Vec::new(),
        }
    }
}

impl PolicyRedaction {
    /// The redactor for `identity` calling `tool`; `None` when redaction is off.
    pub(crate) fn redactor_for(
        &self,
        identity: &Identity,
        tool: Option<&str>,
    ) -> Option<Arc<Redactor>> {
        match self.rules.iter().find(|r| r.matches(identity, tool)) {
            Some(rule) => rule.redactor.clone(),
            None => self.base.clone(),
        }
    }
}

/// The settings a redactor is built from, after a rule's overrides.
#[derive(Clone)]
struct Settings {
    enabled: bool,
    detectors: Option<Vec<Detector>>,
    disable: Vec<Detector>,
    style: MaskStyle,
    fields: Vec<String>,
    decode_base64: bool,
}

/// Compiles the section (or the default when the file has none).
pub(crate) fn compile(
    origin: &str,
    section: Option<RedactSection>,
) -> Result<PolicyRedaction, PolicyError> {
    let Some(section) = section else {
        return Ok(PolicyRedaction::default());
    };
    let line = section.line;
    let invalid = |message: String| PolicyError::Invalid {
        origin: origin.to_owned(),
        line,
        message: format!("[redact]: {message}"),
    };
    let spec = section.spec;
    if spec.detectors.is_some() && spec.disable.is_some() {
        return Err(invalid(
            "use either `detectors` or `disable`, not both".into(),
        ));
    }
    let base = Settings {
        enabled: spec.enabled.unwrap_or(true),
        detectors: detectors("detectors", spec.detectors).map_err(invalid)?,
        disable: detectors("disable", spec.disable)
            .map_err(invalid)?
            .unwrap_or_default(),
        style: spec.style.unwrap_or_default(),
        fields: non_empty("fields", spec.fields)
            .map_err(invalid)?
            .unwrap_or_default(),
        decode_base64: spec.decode_base64.unwrap_or(false),
    };
    let key = match &spec.hash_key_env {
        Some(var) => match std::env::var(var) {
            Ok(k) if !k.is_empty() => Some(k.into_bytes()),
            _ => {
                return Err(invalid(format!(
                    "hash_key_env: environment variable `{var}` is not set or empty"
                )));
            }
        },
        None => None,
    };
    let mut patterns = Vec::with_capacity(spec.pattern.len());
    for (i, p) in spec.pattern.into_iter().enumerate() {
        let pline = section.pattern_lines.get(i).copied().unwrap_or(line);
        let validator = match &p.validator {
            Some(v) => Some(named_validator(v).ok_or_else(|| PolicyError::Invalid {
                origin: origin.to_owned(),
                line: pline,
                message: format!(
                    "[[redact.pattern]] `{}`: unknown validator `{v}` (expected luhn or mod97)",
                    p.name
                ),
            })?),
            None => None,
        };
        patterns.push((p.name, p.regex, validator, pline));
    }
    let build = |s: &Settings| -> Result<Option<Arc<Redactor>>, String> {
        if !s.enabled {
            return Ok(None);
        }
        let mut b = RedactorBuilder::default()
            .style(s.style)
            .decode_base64(s.decode_base64);
        if let Some(d) = &s.detectors {
            b = b.detectors(d.iter().copied());
        }
        for d in &s.disable {
            b = b.without(*d);
        }
        if let Some(k) = &key {
            b = b.hash_key(k.clone());
        }
        for f in &s.fields {
            b = b.field(f.clone());
        }
        for (name, regex, validator, _) in &patterns {
            b = match validator {
                Some(v) => b.pattern_validated(name.clone(), regex.clone(), v.clone()),
                None => b.pattern(name.clone(), regex.clone()),
            };
        }
        b.build()
            .map(|r| Some(Arc::new(r)))
            .map_err(|e| e.to_string())
    };
    let base_redactor = build(&base).map_err(|m| {
        // Point at the pattern when the error names one.
        let pline = patterns
            .iter()
            .find(|(n, ..)| m.contains(&format!("`{n}`")))
            .map_or(line, |p| p.3);
        PolicyError::Invalid {
            origin: origin.to_owned(),
            line: pline,
            message: format!("[redact]: {m}"),
        }
    })?;
    let mut rules = Vec::with_capacity(spec.rule.len());
    for (i, r) in spec.rule.into_iter().enumerate() {
        let rline = section.rule_lines.get(i).copied().unwrap_or(line);
        let id = format!("redact.rule[{i}]");
        let rule_ref = RuleRef {
            name: r.name.clone().unwrap_or_else(|| id.clone()),
            id,
        };
        let fail = |message: String| PolicyError::Rule {
            origin: origin.to_owned(),
            line: rline,
            rule: rule_ref.clone(),
            message,
        };
        if r.detectors.is_some() && r.disable.is_some() {
            return Err(fail("use either `detectors` or `disable`, not both".into()));
        }
        let groups = non_empty("groups", r.groups)
            .map_err(fail)?
            .unwrap_or_default();
        let tools = match non_empty("tools", r.tools).map_err(fail)? {
            Some(list) => {
                let mut b = GlobSetBuilder::new();
                for t in &list {
                    b.add(glob(t).map_err(fail)?);
                }
                Some(b.build().map_err(|e| fail(e.to_string()))?)
            }
            None => None,
        };
        let mut s = base.clone();
        if let Some(e) = r.enabled {
            s.enabled = e;
        }
        if let Some(st) = r.style {
            s.style = st;
        }
        if let Some(d) = detectors("detectors", r.detectors).map_err(fail)? {
            s.detectors = Some(d);
            s.disable.clear();
        }
        if let Some(d) = detectors("disable", r.disable).map_err(fail)? {
            s.disable.extend(d);
        }
        if let Some(f) = non_empty("fields", r.fields).map_err(fail)? {
            s.fields.extend(f);
        }
        if let Some(b) = r.decode_base64 {
            s.decode_base64 = b;
        }
        let redactor = build(&s).map_err(fail)?;
        rules.push(CompiledRule {
            groups,
            tools,
            redactor,
        });
    }
    Ok(PolicyRedaction {
        base: base_redactor,
        rules,
    })
}

fn detectors(field: &str, list: Option<Vec<String>>) -> Result<Option<Vec<Detector>>, String> {
    non_empty(field, list)?
        .map(|l| {
            l.iter()
                .map(|n| n.parse::<Detector>().map_err(|e| format!("`{field}`: {e}")))
                .collect()
        })
        .transpose()
}

fn non_empty<T>(field: &str, list: Option<Vec<T>>) -> Result<Option<Vec<T>>, String> {
    match list {
        Some(l) if l.is_empty() => Err(format!(
            "`{field}` is empty; list at least one value, or remove it"
        )),
        other => Ok(other),
    }
}
