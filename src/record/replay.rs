//! Replay: a readable timeline of recorded sessions.
//!
//! Each session is shown with its identity and client, then one line per event with
//! its offset from the session's start: calls with their decision, approvals, results
//! with duration, redactions and a content excerpt, notifications, kills and the end.
//! A session without a `session_ended` event is marked incomplete.
//!
//! Recorded content comes from clients and servers, so it is treated as hostile:
//! control characters (terminal escape sequences included) are shown escaped, never
//! written raw.

use std::io::{self, Write};

use serde_json::Value;

use super::event::{Event, EventBody};
use super::time::parse_micros;
use crate::policy::Action;

/// How [`render_replay`] writes.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ReplayOptions {
    /// Only this session.
    pub session: Option<String>,
    /// ANSI colours (use only for a terminal).
    pub color: bool,
    /// The longest excerpt of arguments or content shown, in characters (0: 200).
    pub excerpt_chars: usize,
}

impl ReplayOptions {
    /// All sessions, no colour.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `session`.
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }

    /// With or without colours.
    pub fn color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }
}

/// Makes recorded text safe to print: control characters escaped, at most `max` chars.
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for (count, c) in text.chars().enumerate() {
        if count >= max {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn json_excerpt(value: &Value, max: usize) -> String {
    sanitize(&value.to_string(), max)
}

/// A one-line description of an event (sanitized), used by replay and reports.
pub fn describe(event: &Event, max: usize) -> String {
    match &event.body {
        EventBody::SessionStarted(s) => format!(
            "session started: client {} {}, protocol {}",
            sanitize(s.client_name.as_deref().unwrap_or("?"), max),
            sanitize(s.client_version.as_deref().unwrap_or(""), max),
            sanitize(s.protocol_version.as_deref().unwrap_or("?"), max)
        ),
        EventBody::Call(c) => {
            let mut text = format!(
                "call {}{} → {}",
                sanitize(&c.method, max),
                c.tool
                    .as_deref()
                    .map(|t| format!(" {}", sanitize(t, max)))
                    .unwrap_or_default(),
                c.decision.action.as_str()
            );
            if let Some(rule) = &c.decision.rule {
                text.push_str(&format!(" (rule {})", sanitize(rule, max)));
            }
            if let Some(reason) = &c.decision.reason {
                text.push_str(&format!(": {}", sanitize(reason, max)));
            }
            if let Some(classification) = &c.classification
                && !classification.labels.is_empty()
            {
                text.push_str(&format!(
                    " [risk {}; {}]",
                    serde_json::to_value(classification.risk)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    sanitize(&classification.labels.join(", "), max)
                ));
            }
            if let Some(arguments) = &c.arguments {
                text.push_str(&format!(" args {}", json_excerpt(arguments, max)));
            }
            text
        }
        EventBody::ApprovalRequested(a) => format!(
            "approval requested: ticket {}{}{}",
            sanitize(&a.ticket, max),
            a.rule
                .as_deref()
                .map(|r| format!(" (rule {})", sanitize(r, max)))
                .unwrap_or_default(),
            if a.reviewers.is_empty() {
                String::new()
            } else {
                format!(", reviewers {}", sanitize(&a.reviewers.join(", "), max))
            }
        ),
        EventBody::ApprovalDecided(d) => format!(
            "approval {}: ticket {}{}{}",
            d.outcome.as_str(),
            sanitize(&d.ticket, max),
            d.reviewer
                .as_deref()
                .map(|r| format!(" by {}", sanitize(r, max)))
                .unwrap_or_default(),
            d.comment
                .as_deref()
                .map(|c| format!(" \"{}\"", sanitize(c, max)))
                .unwrap_or_default()
        ),
        EventBody::Result(r) => {
            let mut text = format!(
                "result{} {} in {:.1} ms",
                r.tool
                    .as_deref()
                    .map(|t| format!(" {}", sanitize(t, max)))
                    .unwrap_or_default(),
                if r.is_error { "error" } else { "ok" },
                r.duration_us as f64 / 1000.0
            );
            if !r.redactions.is_empty() {
                let list: Vec<String> = r
                    .redactions
                    .iter()
                    .map(|(kind, n)| format!("{}×{n}", sanitize(kind, max)))
                    .collect();
                text.push_str(&format!(", redacted {}", list.join(", ")));
            }
            if let Some(content) = &r.content {
                text.push_str(&format!(
                    " \"{}{}\"",
                    sanitize(content, max),
                    if r.truncated { "…" } else { "" }
                ));
            }
            text
        }
        EventBody::Notification(n) => format!(
            "{} {}{}",
            if n.id.is_some() {
                "server request"
            } else {
                "notification"
            },
            sanitize(&n.method, max),
            n.params
                .as_deref()
                .map(|p| format!(" {}", sanitize(p, max)))
                .unwrap_or_default()
        ),
        EventBody::SessionKilled(k) => format!(
            "session killed{}{}",
            k.by.as_deref()
                .map(|b| format!(" by {}", sanitize(b, max)))
                .unwrap_or_default(),
            k.reason
                .as_deref()
                .map(|r| format!(": {}", sanitize(r, max)))
                .unwrap_or_default()
        ),
        EventBody::SessionEnded(e) => format!("session ended ({})", e.reason.as_str()),
        EventBody::Checkpoint(_) => "checkpoint".into(),
        EventBody::Gap(g) => format!(
            "{} events lost by sink {} (seq {}–{})",
            g.count,
            sanitize(&g.sink, max),
            g.first_seq,
            g.last_seq
        ),
    }
}

/// Sessions in order of first appearance, each with its events.
pub fn group_sessions(events: &[Event]) -> Vec<(&str, Vec<&Event>)> {
    let mut order: Vec<(&str, Vec<&Event>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for event in events {
        let Some(session) = event.session.as_deref() else {
            continue;
        };
        let slot = *index.entry(session).or_insert_with(|| {
            order.push((session, Vec::new()));
            order.len() - 1
        });
        if let Some((_, list)) = order.get_mut(slot) {
            list.push(event);
        }
    }
    order
}

/// Seconds from `start` to `ts`, when both parse.
pub fn offset_seconds(start: &str, ts: &str) -> Option<f64> {
    Some((parse_micros(ts)? - parse_micros(start)?) as f64 / 1e6)
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Writes the timeline of `events` (one trail, in order) to `out`.
pub fn render_replay(
    events: &[Event],
    options: &ReplayOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let paint = Paint(options.color);
    let max = if options.excerpt_chars == 0 {
        200
    } else {
        options.excerpt_chars
    };
    let mut shown = 0;
    for (session, list) in group_sessions(events) {
        if options.session.as_deref().is_some_and(|s| s != session) {
            continue;
        }
        shown += 1;
        let start = list.first().map_or("", |e| e.ts.as_str());
        let who = list
            .iter()
            .find_map(|e| e.identity.as_ref())
            .map(|i| {
                let mut who = format!("{} ({})", sanitize(&i.subject, max), i.kind);
                if !i.groups.is_empty() {
                    who.push_str(&format!(" groups {}", sanitize(&i.groups.join(", "), max)));
                }
                if let Some(expiry) = &i.token_expiry {
                    who.push_str(&format!(", token expires {}", sanitize(expiry, max)));
                }
                who
            })
            .unwrap_or_else(|| "unknown identity".into());
        writeln!(
            out,
            "{} {} — {} — started {}",
            paint.wrap("1", "session"),
            paint.wrap("1", &sanitize(session, max)),
            who,
            sanitize(start, 40)
        )?;
        for event in &list {
            let offset = offset_seconds(start, &event.ts)
                .map(|s| format!("+{s:>9.3}s"))
                .unwrap_or_else(|| format!("{:>11}", "?"));
            let text = describe(event, max);
            let text = match &event.body {
                EventBody::Call(c) => match c.decision.action {
                    Action::Allow => paint.wrap("32", &text),
                    Action::Deny => paint.wrap("31", &text),
                    Action::Approve => paint.wrap("33", &text),
                },
                EventBody::Result(r) if r.is_error => paint.wrap("31", &text),
                EventBody::SessionKilled(_) => paint.wrap("31", &text),
                _ => text,
            };
            writeln!(
                out,
                "  {}  #{:<6} {text}",
                paint.wrap("2", &offset),
                event.seq
            )?;
        }
        if !list
            .iter()
            .any(|e| matches!(e.body, EventBody::SessionEnded(_)))
        {
            writeln!(
                out,
                "  {}",
                paint.wrap("2", "(incomplete: no session end recorded)")
            )?;
        }
        writeln!(out)?;
    }
    for event in events {
        if let EventBody::Gap(_) = event.body {
            writeln!(
                out,
                "{}",
                paint.wrap("31", &format!("!! {}", describe(event, max)))
            )?;
        }
    }
    if shown == 0 {
        writeln!(
            out,
            "no sessions{}",
            options
                .session
                .as_deref()
                .map(|s| format!(" with id {}", sanitize(s, max)))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}
