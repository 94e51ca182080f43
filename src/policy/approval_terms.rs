//! [`ApprovalTerms`]: how an `[[approve]]` rule holds a call — the flow, how long a
//! reviewer has, what an approval grants and who may give it.
//!
//! ```toml
//! [[approve]]
//! name = "prod-writes"
//! tools = ["db.query"]
//! labels = ["sql.write"]
//! reviewers = ["dba"]       # groups whose members may approve
//! flow = "wait"             # "deferred" (default) or "wait"
//! timeout = "2m"            # wait flow: how long the call is held (default 60s)
//! ttl = "1h"                # how long a ticket stays pending (default 15m)
//! grant_window = "15m"      # identical calls within 15 minutes of the approval pass;
//!                           # or grant = "once" (the default): one execution
//! min_approvals = 2         # distinct reviewers needed (default 1)
//! ```
//!
//! Durations are a whole number followed by `s`, `m`, `h` or `d` (`30s`, `5m`, `1h`),
//! greater than zero and at most 30 days.

use std::time::Duration;

use serde::{Serialize, Serializer};

/// How a held call reaches its reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ApprovalFlow {
    /// The client is answered at once with an `isError` result naming the ticket; the
    /// identical call, retried after approval, goes through and uses the grant.
    Deferred,
    /// The request is held open (up to [`ApprovalTerms::timeout`]) until a reviewer
    /// decides; then the call is forwarded, or refused with the reason.
    Wait,
}

impl ApprovalFlow {
    /// `wait` or `deferred`, as in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalFlow::Deferred => "deferred",
            ApprovalFlow::Wait => "wait",
        }
    }
}

/// What an approval allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrantScope {
    /// Exactly one execution of the approved call.
    Once,
    /// Any number of identical calls until this long after the approval.
    Window(Duration),
}

impl Serialize for GrantScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            GrantScope::Once => s.serialize_str("once"),
            GrantScope::Window(d) => s.serialize_str(&format_duration(*d)),
        }
    }
}

/// The approval options of an `[[approve]]` rule, carried by its
/// [`Decision`](super::Decision) in [`Decision::approval`](super::Decision::approval).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct ApprovalTerms {
    /// Wait (hold the request) or deferred (answer now, retry after approval).
    pub flow: ApprovalFlow,
    /// Wait flow: the longest the request is held before it is refused.
    #[serde(serialize_with = "serialize_duration")]
    pub timeout: Duration,
    /// How long a ticket stays pending before it expires.
    #[serde(serialize_with = "serialize_duration")]
    pub ttl: Duration,
    /// One execution, or identical calls within a window.
    pub grant: GrantScope,
    /// How many distinct reviewers must approve.
    pub min_approvals: u32,
    /// The groups whose members may approve; empty means nobody can (the ticket can
    /// only expire, be denied by nobody, or be cancelled), which fails closed.
    pub reviewers: Vec<String>,
}

impl ApprovalTerms {
    /// The default wait-flow hold.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
    /// The default lifetime of a pending ticket.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);
    /// The most approvals a rule may require.
    pub const MAX_APPROVALS: u32 = 16;

    /// Deferred flow, a 60 s timeout, a 15 min TTL, a single-use grant and one
    /// approval by a member of `reviewers`.
    ///
    /// ```
    /// use tollgate::policy::{ApprovalFlow, ApprovalTerms, GrantScope};
    ///
    /// let terms = ApprovalTerms::new(["dba"]).with_min_approvals(2);
    /// assert_eq!(terms.flow, ApprovalFlow::Deferred);
    /// assert_eq!(terms.grant, GrantScope::Once);
    /// assert_eq!(terms.min_approvals, 2);
    /// ```
    pub fn new<I, S>(reviewers: I) -> ApprovalTerms
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ApprovalTerms {
            flow: ApprovalFlow::Deferred,
            timeout: Self::DEFAULT_TIMEOUT,
            ttl: Self::DEFAULT_TTL,
            grant: GrantScope::Once,
            min_approvals: 1,
            reviewers: reviewers.into_iter().map(Into::into).collect(),
        }
    }

    /// Sets the flow.
    pub fn with_flow(mut self, flow: ApprovalFlow) -> Self {
        self.flow = flow;
        self
    }

    /// Sets the wait-flow timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the pending-ticket lifetime.
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the grant.
    pub fn with_grant(mut self, grant: GrantScope) -> Self {
        self.grant = grant;
        self
    }

    /// Sets the number of distinct approvals needed (at least 1).
    pub fn with_min_approvals(mut self, n: u32) -> Self {
        self.min_approvals = n.max(1);
        self
    }

    /// Whether `group` is one of the reviewer groups.
    pub fn is_reviewer_group(&self, group: &str) -> bool {
        self.reviewers.iter().any(|g| g == group)
    }
}

/// The longest duration a policy may name.
const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Parses `30s`, `5m`, `1h`, `2d`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "invalid duration `{text}`: expected a number and s, m, h or d, like `90s` or `15m`"
        )
    };
    let t = text.trim();
    let unit = t.chars().last().ok_or_else(bad)?;
    let digits = t
        .get(..t.len().saturating_sub(unit.len_utf8()))
        .ok_or_else(bad)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let per = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(per).ok_or_else(bad)?;
    let d = Duration::from_secs(secs);
    if d.is_zero() {
        return Err(format!(
            "invalid duration `{text}`: must be greater than zero"
        ));
    }
    if d > MAX_DURATION {
        return Err(format!("invalid duration `{text}`: at most 30d"));
    }
    Ok(d)
}

/// `90s`, `15m`, `1h`: the largest unit that divides the duration.
pub(crate) fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s != 0 && s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s != 0 && s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s != 0 && s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

fn serialize_duration<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_duration(*d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "m", "5", "5x", "-5m", "1.5h", "0s", "31d", "5 m", "９m"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} parsed");
        }
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn durations_format_in_the_largest_unit() {
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_secs(900)), "15m");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(format_duration(Duration::from_secs(86_400)), "1d");
    }

    fn approve_decision(src: &str) -> crate::policy::Decision {
        use crate::classify::{Classification, ToolCall};
        use crate::identity::{Identity, IdentityKind};
        let policy = crate::policy::Policy::from_toml_str(src).unwrap();
        let alice = Identity::new("alice", IdentityKind::User);
        let call = ToolCall::new("db.query", serde_json::json!({}));
        policy.evaluate(&alice, &call, &Classification::new())
    }

    #[test]
    fn approve_rules_carry_their_terms_into_the_decision() {
        let d = approve_decision(
            r#"version = 1
[[approve]]
name = "writes"
tools = ["db.*"]
reviewers = ["dba", "sre"]
flow = "wait"
timeout = "2m"
ttl = "1h"
grant_window = "15m"
min_approvals = 2
"#,
        );
        let terms = d.approval.expect("approve decision carries terms");
        assert_eq!(terms.flow, ApprovalFlow::Wait);
        assert_eq!(terms.timeout, Duration::from_secs(120));
        assert_eq!(terms.ttl, Duration::from_secs(3600));
        assert_eq!(terms.grant, GrantScope::Window(Duration::from_secs(900)));
        assert_eq!(terms.min_approvals, 2);
        assert_eq!(terms.reviewers, ["dba", "sre"]);
        assert_eq!(d.reviewers, ["dba", "sre"]);
        let json = serde_json::to_value(&terms).unwrap();
        assert_eq!(json["grant"], "15m");
        assert_eq!(json["timeout"], "2m");
    }

    #[test]
    fn approve_rules_default_to_deferred_once_single_approval() {
        let d = approve_decision(
            "version = 1\n[[approve]]\ntools = [\"db.*\"]\nreviewers = [\"dba\"]\n",
        );
        assert_eq!(d.approval, Some(ApprovalTerms::new(["dba"])));
        let d = approve_decision("version = 1\ndefault = \"allow\"\n");
        assert_eq!(d.approval, None);
        let d = approve_decision("version = 1\ndefault = \"approve\"\n");
        assert!(d.approval.is_some_and(|t| t.reviewers.is_empty()));
    }

    #[test]
    fn bad_approval_options_name_the_line_and_rule() {
        let cases = [
            ("timeout = \"soon\"", "`timeout`: invalid duration `soon`"),
            (
                "ttl = \"0s\"",
                "`ttl`: invalid duration `0s`: must be greater than zero",
            ),
            (
                "grant = \"once\"\ngrant_window = \"5m\"",
                "exclude each other",
            ),
            (
                "min_approvals = 0",
                "`min_approvals` must be between 1 and 16",
            ),
        ];
        for (option, expected) in cases {
            let src =
                format!("version = 1\n\n[[approve]]\nname = \"w\"\ntools = [\"db.*\"]\n{option}\n");
            let e = crate::policy::Policy::parse(&src, "policy.toml").unwrap_err();
            let msg = e.to_string();
            assert!(
                msg.starts_with("policy.toml:3: rule `w` (approve[0]): "),
                "{msg}"
            );
            assert!(msg.contains(expected), "{msg}");
        }
        let e = crate::policy::Policy::parse(
            "version = 1\n[[deny]]\ntools = [\"x\"]\nflow = \"wait\"\n",
            "policy.toml",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("`flow` is only allowed in approve rules"),
            "{e}"
        );
        let e = crate::policy::Policy::parse(
            "version = 1\n[[approve]]\ntools = [\"x\"]\nflow = \"later\"\n",
            "policy.toml",
        )
        .unwrap_err();
        assert_eq!(e.line(), Some(4), "{e}");
    }
}
