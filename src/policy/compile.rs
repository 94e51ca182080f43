//! Turns a [`FileSpec`] into compiled rules, the tool index and the label classifier.
//! Every semantic check happens here and names the rule's line.

use std::collections::HashMap;

use globset::Glob;

use super::approval_terms::{ApprovalFlow, ApprovalTerms, GrantScope, parse_duration};
use super::args::ArgCond;
use super::args::Pointer;
use super::decision::{Action, Decision};
use super::error::{PolicyError, RuleRef};
use super::index::{ToolIndex, ToolIndexBuilder};
use super::inspect::{InspectKind, Inspection, InspectorSettings, PolicyClassifier};
use super::label::LabelRule;
use super::matcher::{Conditions, Globs, glob};
use super::spec::{
    ArgSpec, ClassifySpec, FileSpec, FlowSpec, GrantSpec, InspectKindSpec, InspectSpec, LabelSpec,
    Located, RuleKind, RuleSpec,
};
use crate::classify::http::HttpOptions;
use crate::classify::sql::{SqlDialect, SqlOptions};
use crate::classify::{Risk, RuleClassifier};

/// One compiled allow / deny / approve rule.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) action: Action,
    pub(crate) has_tools: bool,
    pub(crate) conds: Conditions,
    /// The decision this rule makes, built once.
    pub(crate) decision: Decision,
}

/// The compiled parts of a policy.
pub(crate) struct Compiled {
    pub(crate) default: Action,
    /// In file order.
    pub(crate) rules: Vec<Rule>,
    pub(crate) index: ToolIndex,
    pub(crate) classifier: PolicyClassifier,
    pub(crate) redaction: super::redact::PolicyRedaction,
}

/// Compiles `file`, read from `origin`.
pub(crate) fn compile(file: FileSpec, origin: &str) -> Result<Compiled, PolicyError> {
    let FileSpec {
        default,
        mut rules,
        labels,
        classify,
        inspect,
        redact,
    } = file;
    // File order across kinds: "the first matching deny rule" is the first in the file.
    rules.sort_by_key(|r| r.offset);
    check_unique_names(origin, &rules, &labels)?;

    let mut compiled = Vec::with_capacity(rules.len());
    let mut index = ToolIndexBuilder::default();
    for (i, located) in rules.into_iter().enumerate() {
        let rule_ref = rule_ref(&located);
        let line = located.line;
        let fail = |message: String| PolicyError::Rule {
            origin: origin.to_owned(),
            line,
            rule: rule_ref.clone(),
            message,
        };
        let action = match located.kind {
            RuleKind::Deny => Action::Deny,
            RuleKind::Approve => Action::Approve,
            RuleKind::Allow | RuleKind::Label | RuleKind::Inspect => Action::Allow,
        };
        let (rule, tools) =
            compile_rule(rule_ref.name.clone(), action, located.spec).map_err(fail)?;
        index.add(i, tools);
        compiled.push(rule);
    }
    let index = index.build().map_err(|e| file_error(origin, e))?;

    let mut label_rules = Vec::with_capacity(labels.len());
    let mut label_index = ToolIndexBuilder::default();
    for (i, located) in labels.into_iter().enumerate() {
        let rule_ref = rule_ref(&located);
        let line = located.line;
        let (rule, tools) =
            compile_label(rule_ref.name.clone(), located.spec).map_err(|message| {
                PolicyError::Rule {
                    origin: origin.to_owned(),
                    line,
                    rule: rule_ref.clone(),
                    message,
                }
            })?;
        label_index.add(i, tools);
        label_rules.push(rule);
    }
    let label_index = label_index.build().map_err(|e| file_error(origin, e))?;

    let settings = compile_inspectors(origin, classify, inspect)?;
    let redaction = super::redact::compile(origin, redact)?;
    Ok(Compiled {
        default: default.unwrap_or(Action::Deny),
        rules: compiled,
        index,
        classifier: PolicyClassifier::new(RuleClassifier::new(label_rules, label_index), settings),
        redaction,
    })
}

/// The `[classify]` settings and the `[[inspect]]` entries.
fn compile_inspectors(
    origin: &str,
    classify: ClassifySpec,
    inspect: Vec<Located<InspectSpec>>,
) -> Result<InspectorSettings, PolicyError> {
    let settings_error = |message: String| PolicyError::Invalid {
        origin: origin.to_owned(),
        line: 1,
        message: format!("[classify]: {message}"),
    };
    let dialect = classify
        .sql_dialect
        .as_deref()
        .map(parse_dialect)
        .transpose()
        .map_err(settings_error)?
        .unwrap_or_default();
    let mut sql = SqlOptions::new(dialect);
    if let Some(limit) = classify.bulk_row_limit {
        sql.bulk_row_limit = limit;
    }
    if let Some(tables) =
        non_empty("sensitive_tables", classify.sensitive_tables).map_err(settings_error)?
    {
        sql.sensitive_tables = tables.into_iter().map(|t| t.to_lowercase()).collect();
    }
    let hosts = non_empty("http_allowed_hosts", classify.http_allowed_hosts)
        .map_err(settings_error)?
        .unwrap_or_default();
    let http = HttpOptions::new(hosts).map_err(settings_error)?;
    let risk = classify.risk.unwrap_or_default().into_iter().collect();

    let mut inspections = Vec::with_capacity(inspect.len());
    let mut index = ToolIndexBuilder::default();
    for (i, located) in inspect.into_iter().enumerate() {
        let id = located.id();
        let name = located.spec.name.clone().unwrap_or_else(|| id.clone());
        let line = located.line;
        let (inspection, tools) =
            compile_inspection(located.spec, &sql).map_err(|message| PolicyError::Rule {
                origin: origin.to_owned(),
                line,
                rule: RuleRef { name, id },
                message,
            })?;
        index.add(i, Some(tools));
        inspections.push(inspection);
    }
    Ok(InspectorSettings {
        inspections,
        index: index.build().map_err(|e| file_error(origin, e))?,
        auto_detect: classify.auto_detect.unwrap_or(true),
        sql,
        http,
        risk,
    })
}

fn compile_inspection(
    spec: InspectSpec,
    sql: &SqlOptions,
) -> Result<(Inspection, Vec<Glob>), String> {
    if spec.tools.is_empty() {
        return Err("`tools` is empty; an inspect entry must name its tools".to_owned());
    }
    let tools = spec
        .tools
        .iter()
        .map(|p| glob(p))
        .collect::<Result<Vec<_>, _>>()?;
    let pointer = Pointer::parse(&spec.pointer)?;
    let only = |field: &str, present: bool, kind: &str| {
        if present {
            Err(format!(
                "`{field}` is only allowed in `kind = \"{kind}\"` entries"
            ))
        } else {
            Ok(())
        }
    };
    let http_fields = spec.method.is_some() || spec.headers.is_some() || spec.body.is_some();
    let kind = match spec.kind {
        InspectKindSpec::Sql => {
            only("method/headers/body", http_fields, "http")?;
            let mut options = sql.clone();
            if let Some(d) = spec.dialect.as_deref() {
                options.dialect = parse_dialect(d)?;
            }
            InspectKind::Sql(options)
        }
        InspectKindSpec::Shell | InspectKindSpec::Kubectl => {
            only("dialect", spec.dialect.is_some(), "sql")?;
            only("method/headers/body", http_fields, "http")?;
            if spec.kind == InspectKindSpec::Shell {
                InspectKind::Shell
            } else {
                InspectKind::Kubectl
            }
        }
        InspectKindSpec::Http => {
            only("dialect", spec.dialect.is_some(), "sql")?;
            let pointer = |p: Option<String>| p.as_deref().map(Pointer::parse).transpose();
            InspectKind::Http {
                method: pointer(spec.method)?,
                headers: pointer(spec.headers)?,
                body: pointer(spec.body)?,
            }
        }
    };
    Ok((Inspection { pointer, kind }, tools))
}

fn parse_dialect(name: &str) -> Result<SqlDialect, String> {
    name.parse::<SqlDialect>()
        .map_err(|e| format!("unknown SQL dialect `{name}`: {e}"))
}

fn rule_ref<S>(located: &Located<S>) -> RuleRef
where
    S: Named,
{
    let id = located.id();
    let name = located
        .spec
        .name()
        .map_or_else(|| id.clone(), str::to_owned);
    RuleRef { name, id }
}

/// Rule specs that may carry a `name`.
trait Named {
    fn name(&self) -> Option<&str>;
}

impl Named for RuleSpec {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl Named for LabelSpec {
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// Rule names appear in decisions and audit records, so each must name one rule.
fn check_unique_names(
    origin: &str,
    rules: &[Located<RuleSpec>],
    labels: &[Located<LabelSpec>],
) -> Result<(), PolicyError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let all = rules
        .iter()
        .map(|r| (rule_ref(r), r.line))
        .chain(labels.iter().map(|r| (rule_ref(r), r.line)));
    for (rule, line) in all {
        if let Some(first) = seen.get(&rule.name) {
            return Err(PolicyError::Rule {
                origin: origin.to_owned(),
                line,
                message: format!("duplicate rule name (also used on line {first})"),
                rule,
            });
        }
        seen.insert(rule.name.clone(), line);
    }
    Ok(())
}

fn file_error(origin: &str, e: globset::Error) -> PolicyError {
    PolicyError::Invalid {
        origin: origin.to_owned(),
        line: 1,
        message: format!("cannot compile the tool globs: {e}"),
    }
}

type WithTools<T> = (T, Option<Vec<Glob>>);

fn compile_rule(name: String, action: Action, spec: RuleSpec) -> Result<WithTools<Rule>, String> {
    let approval = approval_terms(action, &spec)?;
    let tools = tool_globs(spec.tools)?;
    let conds = Conditions {
        subjects: non_empty("subjects", spec.subjects)?
            .map(Globs::compile)
            .transpose()?,
        issuers: non_empty("issuers", spec.issuers)?.unwrap_or_default(),
        groups: non_empty("groups", spec.groups)?.unwrap_or_default(),
        scopes: non_empty("scopes", spec.scopes)?.unwrap_or_default(),
        kinds: non_empty("kinds", spec.kinds)?.unwrap_or_default(),
        labels: non_empty("labels", spec.labels)?.unwrap_or_default(),
        tables: non_empty("tables", spec.tables)?
            .map(|t| Globs::compile(t.into_iter().map(|t| t.to_lowercase()).collect()))
            .transpose()?,
        min_risk: spec.min_risk,
        args: args(spec.args)?,
    };
    let decision = Decision::by_rule(action, &name, spec.reason, approval);
    let rule = Rule {
        name,
        action,
        has_tools: tools.is_some(),
        conds,
        decision,
    };
    Ok((rule, tools))
}

/// The approval options of an approve rule; refuses them on any other rule.
fn approval_terms(action: Action, spec: &RuleSpec) -> Result<Option<ApprovalTerms>, String> {
    if action != Action::Approve {
        let approve_only = [
            ("reviewers", spec.reviewers.is_some()),
            ("flow", spec.flow.is_some()),
            ("timeout", spec.timeout.is_some()),
            ("ttl", spec.ttl.is_some()),
            ("grant", spec.grant.is_some()),
            ("grant_window", spec.grant_window.is_some()),
            ("min_approvals", spec.min_approvals.is_some()),
        ];
        return match approve_only.iter().find(|(_, present)| *present) {
            Some((field, _)) => Err(format!("`{field}` is only allowed in approve rules")),
            None => Ok(None),
        };
    }
    let reviewers = non_empty("reviewers", spec.reviewers.clone())?.unwrap_or_default();
    let mut terms = ApprovalTerms::new(reviewers);
    if let Some(flow) = spec.flow {
        terms.flow = match flow {
            FlowSpec::Wait => ApprovalFlow::Wait,
            FlowSpec::Deferred => ApprovalFlow::Deferred,
        };
    }
    let duration = |field: &str, text: &Option<String>| {
        text.as_deref()
            .map(parse_duration)
            .transpose()
            .map_err(|e| format!("`{field}`: {e}"))
    };
    if let Some(t) = duration("timeout", &spec.timeout)? {
        terms.timeout = t;
    }
    if let Some(t) = duration("ttl", &spec.ttl)? {
        terms.ttl = t;
    }
    terms.grant = match (spec.grant, duration("grant_window", &spec.grant_window)?) {
        (Some(GrantSpec::Once), Some(_)) => {
            return Err("`grant = \"once\"` and `grant_window` exclude each other".to_owned());
        }
        (_, Some(window)) => GrantScope::Window(window),
        (Some(GrantSpec::Once), None) | (None, None) => GrantScope::Once,
    };
    if let Some(n) = spec.min_approvals {
        if n == 0 || n > ApprovalTerms::MAX_APPROVALS {
            return Err(format!(
                "`min_approvals` must be between 1 and {}",
                ApprovalTerms::MAX_APPROVALS
            ));
        }
        terms.min_approvals = n;
    }
    Ok(Some(terms))
}

fn compile_label(name: String, spec: LabelSpec) -> Result<WithTools<LabelRule>, String> {
    let tools = tool_globs(spec.tools)?;
    if spec.labels.is_empty() {
        return Err("`labels` must list at least one label".to_owned());
    }
    let labels = spec.labels;
    let rule = LabelRule {
        name,
        args: args(spec.args)?,
        labels,
        risk: spec.risk.unwrap_or(Risk::Low),
    };
    Ok((rule, tools))
}

fn tool_globs(tools: Option<Vec<String>>) -> Result<Option<Vec<Glob>>, String> {
    non_empty("tools", tools)?
        .map(|list| list.iter().map(|p| glob(p)).collect())
        .transpose()
}

fn args(args: Option<Vec<ArgSpec>>) -> Result<Vec<ArgCond>, String> {
    non_empty("args", args)?
        .unwrap_or_default()
        .into_iter()
        .map(ArgCond::compile)
        .collect()
}

/// An empty list is refused rather than read as "no constraint" (which would widen an
/// allow rule) or "matches nothing" (which would silently disable a deny rule).
fn non_empty<T>(field: &str, list: Option<Vec<T>>) -> Result<Option<Vec<T>>, String> {
    match list {
        Some(l) if l.is_empty() => Err(format!(
            "`{field}` is empty; list at least one value, or remove it to not constrain"
        )),
        other => Ok(other),
    }
}
