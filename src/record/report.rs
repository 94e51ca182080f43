//! Access-review reports: per identity and per session — tools used, calls allowed,
//! denied, held and approved (and by whom), redactions by type, first and last seen,
//! token expiries seen, and the trail's integrity status — as Markdown, HTML, CSV or
//! JSON.
//!
//! Recorded content is attacker-influenced: the HTML is escaped everywhere (and is
//! self-contained: inline CSS, no scripts), Markdown table cells are escaped, CSV
//! fields are quoted and cells that a spreadsheet would run as a formula are prefixed
//! with `'`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::str::FromStr;

use serde::Serialize;

use super::event::{ApprovalOutcome, Event, EventBody};
use super::replay::{describe, group_sessions, offset_seconds, sanitize};
use super::time::parse_micros;
use super::verify::VerifyReport;
use crate::policy::Action;

/// The most timeline entries kept per session.
pub const MAX_TIMELINE: usize = 1000;
const TEXT_MAX: usize = 300;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportFormat {
    /// Markdown tables.
    Markdown,
    /// A self-contained HTML page.
    Html,
    /// One row per identity and tool.
    Csv,
    /// The [`AccessReport`] as JSON.
    Json,
}

impl FromStr for ReportFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "md" | "markdown" => Ok(ReportFormat::Markdown),
            "html" => Ok(ReportFormat::Html),
            "csv" => Ok(ReportFormat::Csv),
            "json" => Ok(ReportFormat::Json),
            other => Err(format!("unknown format `{other}` (md, html, csv, json)")),
        }
    }
}

/// Which events a report covers.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReportFilter {
    /// Only events at or after this time (microseconds since the epoch).
    pub since: Option<i64>,
    /// Only events before this time.
    pub until: Option<i64>,
    /// Only this subject.
    pub subject: Option<String>,
}

impl ReportFilter {
    /// Everything.
    pub fn new() -> Self {
        Self::default()
    }

    fn keeps(&self, event: &Event) -> bool {
        if let Some(subject) = &self.subject
            && event.subject() != Some(subject.as_str())
        {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(ts) = parse_micros(&event.ts) else {
                return false;
            };
            if self.since.is_some_and(|since| ts < since)
                || self.until.is_some_and(|until| ts >= until)
            {
                return false;
            }
        }
        true
    }
}

/// How calls were decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    /// Allowed by policy.
    pub allowed: u64,
    /// Denied.
    pub denied: u64,
    /// Held for approval.
    pub held: u64,
    /// Approved by a reviewer.
    pub approved: u64,
    /// Refused by a reviewer, expired or cancelled.
    pub rejected: u64,
}

/// One approval decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalLine {
    /// When decided.
    pub ts: String,
    /// The ticket.
    pub ticket: String,
    /// The held call's tool.
    pub tool: Option<String>,
    /// Approved, denied, expired, cancelled.
    pub outcome: String,
    /// Who decided.
    pub reviewer: Option<String>,
    /// The reviewer's comment.
    pub comment: Option<String>,
}

/// Everything one identity did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IdentityReport {
    /// The subject.
    pub subject: String,
    /// user, service or agent.
    pub kind: String,
    /// Issuers seen.
    pub issuers: BTreeSet<String>,
    /// Groups seen.
    pub groups: BTreeSet<String>,
    /// OAuth clients seen.
    pub client_ids: BTreeSet<String>,
    /// Token expiries seen.
    pub token_expiries: BTreeSet<String>,
    /// First event.
    pub first_seen: String,
    /// Last event.
    pub last_seen: String,
    /// Sessions.
    pub sessions: u64,
    /// All calls.
    pub calls: CallCounts,
    /// Calls per tool.
    pub tools: BTreeMap<String, CallCounts>,
    /// Approval decisions on this identity's calls.
    pub approvals: Vec<ApprovalLine>,
    /// Redactions in results, by type.
    pub redactions: BTreeMap<String, u64>,
}

/// One timeline entry.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// Seconds since the session started.
    pub offset_seconds: f64,
    /// The event's seq.
    pub seq: u64,
    /// The event's kind.
    pub kind: String,
    /// What happened, in words (sanitized).
    pub text: String,
}

/// One session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionReport {
    /// The session key.
    pub session: String,
    /// Its subject.
    pub subject: Option<String>,
    /// `name version` of the client.
    pub client: Option<String>,
    /// The MCP protocol version.
    pub protocol_version: Option<String>,
    /// First event.
    pub started: String,
    /// Last event.
    pub last_event: String,
    /// Why it ended; `None` when no end was recorded.
    pub ended: Option<String>,
    /// Who killed it.
    pub killed_by: Option<String>,
    /// Calls.
    pub calls: CallCounts,
    /// Tools called.
    pub tools: BTreeSet<String>,
    /// Redactions by type.
    pub redactions: BTreeMap<String, u64>,
    /// The events, described (at most [`MAX_TIMELINE`]).
    pub timeline: Vec<TimelineEntry>,
    /// True when the timeline was cut.
    pub timeline_truncated: bool,
}

/// The integrity of the trail the report was made from.
#[derive(Debug, Clone, Serialize)]
pub struct Integrity {
    /// `intact`, `findings`, or `not checked`.
    pub status: String,
    /// Each finding, as `file:line: message`.
    pub findings: Vec<String>,
    /// Events after the last checkpoint.
    pub unprotected_tail: u64,
    /// Checkpoints whose HMAC verified.
    pub signed_checkpoints: u64,
}

impl Integrity {
    /// Not verified.
    pub fn unchecked() -> Self {
        Integrity {
            status: "not checked".into(),
            findings: Vec::new(),
            unprotected_tail: 0,
            signed_checkpoints: 0,
        }
    }
}

impl From<&VerifyReport> for Integrity {
    fn from(report: &VerifyReport) -> Self {
        Integrity {
            status: if report.is_intact() {
                "intact"
            } else {
                "findings"
            }
            .into(),
            findings: report.findings.iter().map(ToString::to_string).collect(),
            unprotected_tail: report.unprotected_tail,
            signed_checkpoints: report.signed_checkpoints,
        }
    }
}

/// The access-review report.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AccessReport {
    /// The trail's integrity.
    pub integrity: Integrity,
    /// Events covered.
    pub events: u64,
    /// First event covered.
    pub first: Option<String>,
    /// Last event covered.
    pub last: Option<String>,
    /// Per identity, by subject.
    pub identities: Vec<IdentityReport>,
    /// Per session, in order of first appearance.
    pub sessions: Vec<SessionReport>,
}

fn count(counts: &mut CallCounts, action: Action) {
    match action {
        Action::Allow => counts.allowed += 1,
        Action::Deny => counts.denied += 1,
        Action::Approve => counts.held += 1,
    }
}

fn decided(counts: &mut CallCounts, outcome: ApprovalOutcome) {
    if outcome == ApprovalOutcome::Approved {
        counts.approved += 1;
    } else {
        counts.rejected += 1;
    }
}

/// Builds the report from the events of one trail (in order).
pub fn build_report(events: &[Event], filter: &ReportFilter, integrity: Integrity) -> AccessReport {
    let kept: Vec<Event> = events
        .iter()
        .filter(|e| e.session.is_some() && filter.keeps(e))
        .cloned()
        .collect();
    let mut identities: BTreeMap<String, IdentityReport> = BTreeMap::new();
    let mut ticket_tools: HashMap<String, Option<String>> = HashMap::new();
    let mut sessions = Vec::new();
    for (session, list) in group_sessions(&kept) {
        let start = list.first().map(|e| e.ts.clone()).unwrap_or_default();
        let mut report = SessionReport {
            session: sanitize(session, TEXT_MAX),
            subject: None,
            client: None,
            protocol_version: None,
            started: start.clone(),
            last_event: list.last().map(|e| e.ts.clone()).unwrap_or_default(),
            ended: None,
            killed_by: None,
            calls: CallCounts::default(),
            tools: BTreeSet::new(),
            redactions: BTreeMap::new(),
            timeline: Vec::new(),
            timeline_truncated: false,
        };
        let mut session_subjects = BTreeSet::new();
        for event in list {
            let identity = event.identity.as_ref().map(|i| {
                let entry = identities
                    .entry(i.subject.clone())
                    .or_insert_with(|| IdentityReport {
                        subject: sanitize(&i.subject, TEXT_MAX),
                        kind: i.kind.to_string(),
                        first_seen: event.ts.clone(),
                        ..IdentityReport::default()
                    });
                entry.last_seen.clone_from(&event.ts);
                entry
                    .issuers
                    .extend(i.issuer.iter().map(|s| sanitize(s, TEXT_MAX)));
                entry
                    .groups
                    .extend(i.groups.iter().map(|s| sanitize(s, TEXT_MAX)));
                entry
                    .client_ids
                    .extend(i.client_id.iter().map(|s| sanitize(s, TEXT_MAX)));
                entry
                    .token_expiries
                    .extend(i.token_expiry.iter().map(|s| sanitize(s, TEXT_MAX)));
                if session_subjects.insert(i.subject.clone()) {
                    entry.sessions += 1;
                }
                report
                    .subject
                    .get_or_insert_with(|| sanitize(&i.subject, TEXT_MAX));
                i.subject.clone()
            });
            let mut who = identity.and_then(|s| identities.get_mut(&s));
            match &event.body {
                EventBody::SessionStarted(s) => {
                    report.client = s.client_name.as_ref().map(|name| {
                        sanitize(
                            &format!("{name} {}", s.client_version.as_deref().unwrap_or("")),
                            TEXT_MAX,
                        )
                        .trim_end()
                        .to_owned()
                    });
                    report.protocol_version =
                        s.protocol_version.as_ref().map(|p| sanitize(p, TEXT_MAX));
                }
                EventBody::Call(c) => {
                    count(&mut report.calls, c.decision.action);
                    let tool = c.tool.clone().unwrap_or_else(|| c.method.clone());
                    report.tools.insert(sanitize(&tool, TEXT_MAX));
                    if let Some(who) = who.as_deref_mut() {
                        count(&mut who.calls, c.decision.action);
                        count(
                            who.tools.entry(sanitize(&tool, TEXT_MAX)).or_default(),
                            c.decision.action,
                        );
                    }
                }
                EventBody::ApprovalRequested(a) => {
                    ticket_tools.insert(a.ticket.clone(), a.tool.clone());
                }
                EventBody::ApprovalDecided(d) => {
                    decided(&mut report.calls, d.outcome);
                    let tool = ticket_tools.get(&d.ticket).cloned().flatten();
                    if let Some(who) = who.as_deref_mut() {
                        decided(&mut who.calls, d.outcome);
                        if let Some(tool) = &tool {
                            decided(
                                who.tools.entry(sanitize(tool, TEXT_MAX)).or_default(),
                                d.outcome,
                            );
                        }
                        who.approvals.push(ApprovalLine {
                            ts: event.ts.clone(),
                            ticket: sanitize(&d.ticket, TEXT_MAX),
                            tool: tool.map(|t| sanitize(&t, TEXT_MAX)),
                            outcome: d.outcome.as_str().into(),
                            reviewer: d.reviewer.as_ref().map(|r| sanitize(r, TEXT_MAX)),
                            comment: d.comment.as_ref().map(|c| sanitize(c, TEXT_MAX)),
                        });
                    }
                }
                EventBody::Result(r) => {
                    for (kind, n) in &r.redactions {
                        *report
                            .redactions
                            .entry(sanitize(kind, TEXT_MAX))
                            .or_default() += n;
                        if let Some(who) = who.as_deref_mut() {
                            *who.redactions.entry(sanitize(kind, TEXT_MAX)).or_default() += n;
                        }
                    }
                }
                EventBody::SessionKilled(k) => {
                    report.killed_by =
                        Some(sanitize(k.by.as_deref().unwrap_or("unknown"), TEXT_MAX));
                }
                EventBody::SessionEnded(e) => report.ended = Some(e.reason.as_str().into()),
                _ => {}
            }
            if report.timeline.len() < MAX_TIMELINE {
                report.timeline.push(TimelineEntry {
                    offset_seconds: offset_seconds(&start, &event.ts).unwrap_or(0.0),
                    seq: event.seq,
                    kind: event.kind().into(),
                    text: describe(event, TEXT_MAX),
                });
            } else {
                report.timeline_truncated = true;
            }
        }
        sessions.push(report);
    }
    AccessReport {
        integrity,
        events: kept.len() as u64,
        first: kept.first().map(|e| e.ts.clone()),
        last: kept.last().map(|e| e.ts.clone()),
        identities: identities.into_values().collect(),
        sessions,
    }
}

/// Writes `report` in `format`.
pub fn render_report(
    report: &AccessReport,
    format: ReportFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let text = match format {
        ReportFormat::Json => serde_json::to_string_pretty(report).map_err(io::Error::other)?,
        ReportFormat::Markdown => markdown(report),
        ReportFormat::Html => html(report),
        ReportFormat::Csv => csv(report),
    };
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The columns of the identities table, in the order of [`identity_cells`].
const IDENTITY_COLUMNS: [&str; 15] = [
    "Subject",
    "Kind",
    "Groups",
    "Sessions",
    "Allowed",
    "Denied",
    "Held",
    "Approved",
    "Rejected",
    "Tools",
    "Approvals",
    "Redactions",
    "Token expiries",
    "First seen",
    "Last seen",
];

/// One identity's row of the identities table, unescaped (each format escapes its own).
fn identity_cells(i: &IdentityReport) -> [String; 15] {
    let tools: BTreeSet<String> = i.tools.keys().cloned().collect();
    [
        i.subject.clone(),
        i.kind.clone(),
        joined(&i.groups),
        i.sessions.to_string(),
        i.calls.allowed.to_string(),
        i.calls.denied.to_string(),
        i.calls.held.to_string(),
        i.calls.approved.to_string(),
        i.calls.rejected.to_string(),
        joined(&tools),
        approvers(i),
        redaction_list(&i.redactions),
        joined(&i.token_expiries),
        i.first_seen.clone(),
        i.last_seen.clone(),
    ]
}

fn joined(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn redaction_list(map: &BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(kind, n)| format!("{kind}×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn approvers(identity: &IdentityReport) -> String {
    identity
        .approvals
        .iter()
        .map(|a| {
            format!(
                "{} {} by {}",
                a.tool.as_deref().unwrap_or(&a.ticket),
                a.outcome,
                a.reviewer.as_deref().unwrap_or("nobody")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Escapes a Markdown table cell.
fn md(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

fn markdown(report: &AccessReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Access review\n");
    let _ = writeln!(
        s,
        "Period: {} – {} · {} events · integrity: **{}**",
        report.first.as_deref().unwrap_or("-"),
        report.last.as_deref().unwrap_or("-"),
        report.events,
        md(&report.integrity.status)
    );
    for finding in &report.integrity.findings {
        let _ = writeln!(s, "- ⚠ {}", md(finding));
    }
    let _ = writeln!(s, "\n## Identities\n");
    let _ = writeln!(s, "| {} |", IDENTITY_COLUMNS.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(IDENTITY_COLUMNS.len()));
    for i in &report.identities {
        let cells: Vec<String> = identity_cells(i).iter().map(|c| md(c)).collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    let _ = writeln!(s, "\n## Sessions\n");
    for session in &report.sessions {
        let _ = writeln!(
            s,
            "### {}\n\n{} · client {} · started {} · {}\n",
            md(&session.session),
            md(session.subject.as_deref().unwrap_or("unknown")),
            md(session.client.as_deref().unwrap_or("unknown")),
            md(&session.started),
            session
                .ended
                .as_deref()
                .map(|e| format!("ended ({e})"))
                .unwrap_or_else(|| "no end recorded".into())
        );
        let _ = writeln!(s, "| Offset | Seq | Event |\n|---|---|---|");
        for entry in &session.timeline {
            let _ = writeln!(
                s,
                "| +{:.3}s | {} | {} |",
                entry.offset_seconds,
                entry.seq,
                md(&entry.text)
            );
        }
        let _ = writeln!(s);
    }
    s
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f3f3f3}.intact{color:#176d2c}.findings{color:#b00020}details{margin:.5em 0}\
summary{cursor:pointer;font-weight:600}code{font-size:90%}.allow{color:#176d2c}.deny{color:#b00020}";

fn html(report: &AccessReport) -> String {
    let e = html_escape;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Access review</title><style>{CSS}</style></head><body>\n<h1>Access review</h1>\n"
    );
    let status_class = if report.integrity.status == "intact" {
        "intact"
    } else {
        "findings"
    };
    let _ = writeln!(
        s,
        "<p>Period {} – {} · {} events · integrity: <strong class=\"{status_class}\" id=\"integrity\">{}</strong></p>",
        e(report.first.as_deref().unwrap_or("-")),
        e(report.last.as_deref().unwrap_or("-")),
        report.events,
        e(&report.integrity.status)
    );
    if !report.integrity.findings.is_empty() {
        let _ = writeln!(s, "<ul class=\"findings\">");
        for finding in &report.integrity.findings {
            let _ = writeln!(s, "<li>{}</li>", e(finding));
        }
        let _ = writeln!(s, "</ul>");
    }
    let header: String = IDENTITY_COLUMNS
        .iter()
        .map(|c| format!("<th>{}</th>", e(c)))
        .collect();
    let _ = writeln!(s, "<h2>Identities</h2>\n<table><tr>{header}</tr>");
    for i in &report.identities {
        let cells: String = identity_cells(i)
            .iter()
            .map(|c| format!("<td>{}</td>", e(c)))
            .collect();
        let _ = writeln!(s, "<tr>{cells}</tr>");
    }
    let _ = writeln!(s, "</table>\n<h2>Sessions</h2>");
    for session in &report.sessions {
        let _ = writeln!(
            s,
            "<details><summary>{} — {} — {} calls ({} allowed, {} denied, {} held) — {}</summary>\n<p>Client {} · protocol {} · started {}</p>\n<table><tr><th>Offset</th><th>Seq</th><th>Event</th></tr>",
            e(&session.session),
            e(session.subject.as_deref().unwrap_or("unknown")),
            session.calls.allowed + session.calls.denied + session.calls.held,
            session.calls.allowed,
            session.calls.denied,
            session.calls.held,
            e(&session
                .ended
                .as_deref()
                .map(|r| format!("ended ({r})"))
                .unwrap_or_else(|| "no end recorded".into())),
            e(session.client.as_deref().unwrap_or("unknown")),
            e(session.protocol_version.as_deref().unwrap_or("unknown")),
            e(&session.started)
        );
        for entry in &session.timeline {
            let _ = writeln!(
                s,
                "<tr><td>+{:.3}s</td><td>{}</td><td><code>{}</code></td></tr>",
                entry.offset_seconds,
                entry.seq,
                e(&entry.text)
            );
        }
        let _ = writeln!(s, "</table></details>");
    }
    let _ = writeln!(s, "</body></html>");
    s
}

/// Quotes a CSV field (RFC 4180) and defuses spreadsheet formulas.
pub fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) || defused != text {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

fn csv(report: &AccessReport) -> String {
    let mut s = String::from(
        "subject,kind,tool,allowed,denied,held,approved,rejected,approvals,redactions,token_expiries,first_seen,last_seen,integrity\n",
    );
    for i in &report.identities {
        for (tool, counts) in &i.tools {
            let approvals: Vec<String> = i
                .approvals
                .iter()
                .filter(|a| a.tool.as_deref() == Some(tool.as_str()))
                .map(|a| {
                    format!(
                        "{} by {}",
                        a.outcome,
                        a.reviewer.as_deref().unwrap_or("nobody")
                    )
                })
                .collect();
            let fields = [
                csv_field(&i.subject),
                csv_field(&i.kind),
                csv_field(tool),
                counts.allowed.to_string(),
                counts.denied.to_string(),
                counts.held.to_string(),
                counts.approved.to_string(),
                counts.rejected.to_string(),
                csv_field(&approvals.join("; ")),
                csv_field(&redaction_list(&i.redactions)),
                csv_field(&joined(&i.token_expiries)),
                csv_field(&i.first_seen),
                csv_field(&i.last_seen),
                csv_field(&report.integrity.status),
            ];
            let _ = writeln!(s, "{}", fields.join(","));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
