//! Compiled rule conditions: who may call (identity) and what the call looks like
//! (labels, risk, arguments). Tool globs are matched by the tool index, not here.

use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use super::args::ArgCond;
use crate::classify::{Classification, Risk, ToolCall};
use crate::identity::{Identity, IdentityKind};

/// Compiles a glob with the policy's semantics: `*` matches any characters including
/// `.` and `/`, matching is case-sensitive, `\` escapes.
pub(crate) fn glob(pattern: &str) -> Result<Glob, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .case_insensitive(false)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid glob `{pattern}`: {}", e.kind()))
}

/// A compiled list of globs that matches when any of them does.
#[derive(Debug, Clone)]
pub(crate) struct Globs {
    set: GlobSet,
    patterns: Vec<String>,
}

impl Globs {
    /// Compiles `patterns`.
    pub(crate) fn compile(patterns: Vec<String>) -> Result<Globs, String> {
        let mut builder = GlobSetBuilder::new();
        for p in &patterns {
            builder.add(glob(p)?);
        }
        let set = builder.build().map_err(|e| format!("invalid globs: {e}"))?;
        Ok(Globs { set, patterns })
    }

    /// Whether any glob matches `text`.
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.set
            .is_match_candidate(&Candidate::from_bytes(text.as_bytes()))
    }

    /// The first glob (in file order) that matches `text`.
    pub(crate) fn first_match(&self, text: &str) -> Option<&str> {
        let hits = self
            .set
            .matches_candidate(&Candidate::from_bytes(text.as_bytes()));
        hits.first()
            .and_then(|&i| self.patterns.get(i))
            .map(String::as_str)
    }
}

/// Every non-tool condition of an allow/deny/approve rule. Empty lists mean "absent"
/// (the loader rejects lists written empty).
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    pub(crate) subjects: Option<Globs>,
    pub(crate) issuers: Vec<String>,
    pub(crate) groups: Vec<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) kinds: Vec<IdentityKind>,
    pub(crate) labels: Vec<String>,
    /// Table globs (lowercase) matched against the classification's `table:` objects.
    pub(crate) tables: Option<Globs>,
    pub(crate) min_risk: Option<Risk>,
    pub(crate) args: Vec<ArgCond>,
}

impl Conditions {
    /// Whether the identity conditions hold. `scopes` requires every listed scope: a
    /// rule that needs several scopes must not match a token holding only some of them
    /// (and the caller can then be told exactly which are missing).
    pub(crate) fn identity_matches(&self, id: &Identity) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&id.kind))
            && (self.issuers.is_empty()
                || id
                    .issuer
                    .as_ref()
                    .is_some_and(|iss| self.issuers.iter().any(|i| i == iss)))
            && (self.groups.is_empty() || self.groups.iter().any(|g| id.in_group(g)))
            && self.scopes.iter().all(|s| id.has_scope(s))
            && self
                .subjects
                .as_ref()
                .is_none_or(|s| s.is_match(&id.subject))
    }

    /// Whether the call-time conditions (labels, risk, arguments) hold.
    pub(crate) fn call_matches(&self, call: &ToolCall, cls: &Classification) -> bool {
        (self.labels.is_empty() || self.labels.iter().any(|l| cls.has_label(l)))
            && self
                .tables
                .as_ref()
                .is_none_or(|t| touched_table(t, cls).is_some())
            && self.min_risk.is_none_or(|min| cls.risk >= min)
            && self.args.iter().all(|a| a.matches(&call.arguments))
    }

    /// One line per condition that holds, for a rule known to match. `out` keeps any
    /// lines already there (the tool line).
    pub(crate) fn describe(&self, id: &Identity, cls: &Classification, out: &mut Vec<String>) {
        if let Some(pattern) = self
            .subjects
            .as_ref()
            .and_then(|s| s.first_match(&id.subject))
        {
            out.push(format!("subject `{}` matches `{pattern}`", id.subject));
        }
        if !self.issuers.is_empty()
            && let Some(iss) = &id.issuer
        {
            out.push(format!("issuer `{iss}`"));
        }
        if let Some(g) = self.groups.iter().find(|g| id.in_group(g)) {
            out.push(format!("group `{g}`"));
        }
        if !self.scopes.is_empty() {
            let list = self.scopes.join("`, `");
            out.push(format!("scopes `{list}` all granted"));
        }
        if !self.kinds.is_empty() {
            out.push(format!("kind `{}`", id.kind));
        }
        if let Some(l) = self.labels.iter().find(|l| cls.has_label(l)) {
            out.push(format!("label `{l}`"));
        }
        if let Some((table, pattern)) = self.tables.as_ref().and_then(|t| touched_table(t, cls)) {
            out.push(format!("table `{table}` matches `{pattern}`"));
        }
        if let Some(min) = self.min_risk {
            out.push(format!("risk {} >= {min}", cls.risk));
        }
        out.extend(self.args.iter().map(ArgCond::describe));
    }
}

/// The first table the call touches that one of `globs` matches, with that glob.
fn touched_table<'a>(globs: &'a Globs, cls: &'a Classification) -> Option<(&'a str, &'a str)> {
    cls.objects
        .iter()
        .filter_map(|o| o.strip_prefix("table:"))
        .find_map(|table| globs.first_match(table).map(|pattern| (table, pattern)))
}
