//! HTTP requests made by "fetch" and "request" tools: what the request would do (its
//! effective method) and where it would go (is the host on the allow-list?).
//!
//! [`inspect_http`] adds exactly one method label and, when the destination is not
//! known to be internal, `http.external`:
//!
//! | label | when |
//! |---|---|
//! | `http.read` | `GET`, `HEAD`, `OPTIONS` (no method means `GET`) |
//! | `http.write` | `POST`, `PUT`, `PATCH` and every other method (unknown is at least a write) |
//! | `http.delete` | `DELETE` |
//! | `http.external` | the host is not on [`HttpOptions::allowed_hosts`], or it cannot be told for sure |
//!
//! It touches `method:<METHOD>` (the effective method, upper case) and `host:<host>`
//! (lower case, IDN in punycode, no trailing dot, IPv6 in brackets) for every host the
//! request may reach: normally one, but also the other reading of an ambiguous URL and
//! the host a `Host` header names.
//!
//! **The effective method** is the most dangerous of the stated method and every method
//! override: the `X-HTTP-Method-Override`, `X-HTTP-Method` and `X-Method-Override`
//! headers, a `_method` query parameter, and a `_method` field in a form, multipart or
//! JSON body. Danger ranks `DELETE` over writes over reads.
//!
//! **The host** is read with a WHATWG URL parser (the `url` crate, as browsers and most
//! HTTP clients do), so `http://api.example.com@evil.example/` goes to `evil.example` and
//! `http://2130706433/` to `127.0.0.1`. Wherever parsers are known to disagree the host
//! is treated as external (fail closed), with a finding that says why:
//!
//! * a backslash before the path (`http://api.example.com\@evil.example/`);
//! * anything but exactly two slashes after `http:` (`http:/x`, `http:///x`, `http:\\x`);
//! * a scheme-relative (`//evil.example`) URL or a URL with no scheme at all;
//! * more than one `@` before the path;
//! * a percent-encoded host, or non-ASCII characters that IDNA folds into an ASCII name
//!   (fullwidth letters, ideographic full stops);
//! * an IP address not written in its standard form (decimal `2130706433`, hex
//!   `0x7f.1`, octal `0177.0.0.1`, short `127.1`, an uncompressed IPv6);
//! * a tab or line break inside the URL (WHATWG silently drops them);
//! * a `Host` (or `:authority`) header that names another host;
//! * a host name with an empty label (`a..example.com`).
//!
//! A URL that cannot be parsed at all is `http.external` ("unparseable URL"). Schemes other
//! than `http` and `https` (`file:`, `gopher:`, `ftp:`, `dict:`, `ldap:`, `jar:` …) are
//! `http.external` with an SSRF finding. Cloud metadata endpoints (`169.254.169.254`,
//! `fd00:ec2::254`, `metadata.google.internal` …), including IPv4-mapped and NAT64 forms,
//! are `http.external` even when the allow-list names them (by a wildcard or exactly).
//!
//! Ports are not part of the allow-list: `api.example.com:8443` is `api.example.com`.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde_json::Value;
use url::{Host, Url};

use super::{Classification, Finding, default_risk};

/// Settings for [`inspect_http`]: which hosts are internal.
///
/// Build it with [`HttpOptions::new`], which checks the patterns and compiles them; the
/// default allows no host (every host is external).
///
/// Patterns:
///
/// * `api.example.com` — that host only (case and one trailing dot do not matter;
///   internationalised names may be written in Unicode or punycode);
/// * `*.internal.example.com` — any host *below* `internal.example.com` (one or more
///   labels), but not `internal.example.com` itself;
/// * `*` — every host name, but no IP address;
/// * `10.0.0.5`, `::1`, `[::1]` — that IP address, written in its standard form.
///
/// ```
/// use tollgate::classify::http::HttpOptions;
///
/// let options = HttpOptions::new(vec!["api.example.com".to_owned(), "*.internal.example.com".to_owned()])?;
/// assert_eq!(options.allowed_hosts.len(), 2);
/// assert!(HttpOptions::new(vec!["api.*.com".to_owned()]).is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct HttpOptions {
    /// The host patterns as given to [`HttpOptions::new`]. If it is changed afterwards the
    /// patterns are compiled again on every call, and a pattern that does not compile
    /// then makes every host external.
    pub allowed_hosts: Vec<String>,
    compiled: HostList,
}

impl HttpOptions {
    /// Options whose allow-list is `hosts` (see the type's docs for the patterns).
    ///
    /// # Errors
    ///
    /// A message naming the first pattern that is not a host name, an IP address in its
    /// standard form, `*.` followed by a host name, or `*`.
    pub fn new(hosts: Vec<String>) -> Result<Self, String> {
        let allowed_hosts = hosts;
        let compiled = HostList::compile(&allowed_hosts)?;
        Ok(HttpOptions {
            allowed_hosts,
            compiled,
        })
    }

    fn host_list(&self) -> Result<Cow<'_, HostList>, String> {
        if self.compiled.source == self.allowed_hosts {
            Ok(Cow::Borrowed(&self.compiled))
        } else {
            HostList::compile(&self.allowed_hosts).map(Cow::Owned)
        }
    }
}

/// An HTTP request a tool would make, as found in its arguments.
#[derive(Debug, Clone, Copy)]
pub struct HttpCall<'a> {
    /// The stated method, any case; `None` means `GET`.
    pub method: Option<&'a str>,
    /// The URL, as given.
    pub url: &'a str,
    /// Request headers as (name, value) pairs, names in any case.
    pub headers: &'a [(String, String)],
    /// The request body, when the tool sends one as text.
    pub body: Option<&'a str>,
}

/// Classifies an HTTP request: one of `http.read`, `http.write` or `http.delete` for its
/// effective method, and `http.external` when its host is not allow-listed (see the
/// [module docs](self)). Every finding points at `pointer`.
///
/// ```
/// use tollgate::classify::Classification;
/// use tollgate::classify::http::{HttpCall, HttpOptions, inspect_http};
///
/// let options = HttpOptions::new(vec!["api.example.com".to_owned()])?;
/// let headers = [("X-HTTP-Method-Override".to_owned(), "DELETE".to_owned())];
/// let call = HttpCall {
///     method: Some("POST"),
///     url: "https://api.example.com@evil.example/users/7",
///     headers: &headers,
///     body: None,
/// };
/// let mut out = Classification::new();
/// inspect_http(&call, &options, "/url", &mut out);
/// assert!(out.has_label("http.delete"));
/// assert!(out.has_label("http.external"));
/// assert!(out.objects.contains("host:evil.example"));
/// assert!(out.objects.contains("method:DELETE"));
/// # Ok::<(), String>(())
/// ```
pub fn inspect_http(
    call: &HttpCall<'_>,
    options: &HttpOptions,
    pointer: &str,
    out: &mut Classification,
) {
    let method = effective_method(call);
    let label = method.effect.label();
    out.find(
        Finding::new(label, method.describe()).at(pointer),
        default_risk(label),
    );
    out.touch("method", &method.name);

    let target = inspect_url(call.url, call.headers, options);
    for host in &target.hosts {
        out.touch("host", host);
    }
    for reason in target.external {
        out.find(
            Finding::new("http.external", reason).at(pointer),
            default_risk("http.external"),
        );
    }
}

// ---------------------------------------------------------------------------------------
// Methods

/// What a method does, ordered by danger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    Read,
    Write,
    Delete,
}

impl Effect {
    fn of(method: &str) -> Effect {
        match method {
            "GET" | "HEAD" | "OPTIONS" => Effect::Read,
            "DELETE" => Effect::Delete,
            _ => Effect::Write,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Effect::Read => "http.read",
            Effect::Write => "http.write",
            Effect::Delete => "http.delete",
        }
    }
}

/// The longest method name kept (longer ones are cut, and are unknown anyway).
const METHOD_MAX: usize = 32;

/// The effective method and how it was found.
#[derive(Debug)]
struct Method {
    /// Upper case, at most [`METHOD_MAX`] characters, non-token characters as `?`.
    name: String,
    effect: Effect,
    /// The stated method (`GET` when none was stated).
    stated: String,
    /// Where the effective method came from, when it was an override.
    via: Option<String>,
    /// Overrides that were less dangerous than the effective method.
    ignored: Vec<String>,
}

impl Method {
    fn describe(&self) -> String {
        let mut text = match &self.via {
            Some(via) => format!(
                "{} request via {via} (stated method {})",
                self.name, self.stated
            ),
            None => format!("{} request", self.name),
        };
        if !matches!(
            self.name.as_str(),
            "GET" | "HEAD" | "OPTIONS" | "POST" | "PUT" | "PATCH" | "DELETE"
        ) {
            text.push_str("; an unknown method counts as a write");
        }
        if !self.ignored.is_empty() {
            text.push_str(&format!(
                "; less dangerous override ignored: {}",
                self.ignored.join(", ")
            ));
        }
        text
    }
}

/// Upper case, cut to [`METHOD_MAX`] characters, with characters that cannot be in an
/// HTTP method (RFC 9110 `token`) replaced by `?`.
fn method_name(raw: &str) -> String {
    raw.trim()
        .chars()
        .take(METHOD_MAX)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c) {
                c.to_ascii_uppercase()
            } else {
                '?'
            }
        })
        .collect()
}

/// The most ignored overrides named in a finding.
const IGNORED_MAX: usize = 8;

const OVERRIDE_HEADERS: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

fn effective_method(call: &HttpCall<'_>) -> Method {
    let stated = match call.method.map(str::trim) {
        Some(m) if !m.is_empty() => method_name(m),
        _ => "GET".to_owned(),
    };
    let mut method = Method {
        name: stated.clone(),
        effect: Effect::of(&stated),
        stated,
        via: None,
        ignored: Vec::new(),
    };

    let mut consider = |value: &str, source: &str| {
        for part in value.split(',') {
            if part.trim().is_empty() {
                continue;
            }
            let name = method_name(part);
            let effect = Effect::of(&name);
            if effect > method.effect {
                if let Some(previous) = method.via.take()
                    && method.ignored.len() < IGNORED_MAX
                {
                    method
                        .ignored
                        .push(format!("{} via {previous}", method.name));
                }
                method.name = name;
                method.effect = effect;
                method.via = Some(source.to_owned());
            } else if name != method.name && method.ignored.len() < IGNORED_MAX {
                method.ignored.push(format!("{name} via {source}"));
            }
        }
    };

    for (name, value) in call.headers {
        let name = name.trim();
        if OVERRIDE_HEADERS
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h))
        {
            consider(value, &format!("{name} header"));
        }
    }
    if let Some(query) = raw_query(call.url) {
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if is_method_key(&key) {
                consider(&value, "_method query parameter");
            }
        }
    }
    if let Some(body) = call.body {
        for value in body_overrides(body) {
            consider(&value, "_method body field");
        }
    }
    method
}

fn is_method_key(key: &str) -> bool {
    key.trim().eq_ignore_ascii_case("_method")
}

/// The query of a URL as written: after the first `?`, before any `#`.
fn raw_query(url: &str) -> Option<&str> {
    let before_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    before_fragment.split_once('?').map(|(_, query)| query)
}

/// `_method` values in a request body: a JSON object's `_method` member, a form field, or
/// a multipart part named `_method`. Frameworks (Rails, Laravel, Symfony) honour all three.
fn body_overrides(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) {
            for (key, value) in &map {
                if let (true, Some(text)) = (is_method_key(key), value.as_str()) {
                    found.push(text.to_owned());
                }
            }
        }
    } else {
        for (key, value) in url::form_urlencoded::parse(body.as_bytes()) {
            if is_method_key(&key) {
                found.push(value.into_owned());
            }
        }
    }
    // multipart/form-data: `Content-Disposition: form-data; name="_method"`, a blank line,
    // then the value. Bounded: a few parts, a short look-ahead for each.
    const PARTS_MAX: usize = 16;
    const PART_HEAD_MAX: usize = 1024;
    let lower = body.to_ascii_lowercase();
    let needle = "name=\"_method\"";
    let mut from = 0;
    for _ in 0..PARTS_MAX {
        let Some(at) = lower.get(from..).and_then(|rest| rest.find(needle)) else {
            break;
        };
        let start = from + at + needle.len();
        from = start;
        let Some(rest) = body.get(start..) else { break };
        let head = prefix(rest, PART_HEAD_MAX);
        let value_start = ["\r\n\r\n", "\n\n"]
            .iter()
            .filter_map(|sep| head.find(sep).map(|i| i + sep.len()))
            .min();
        if let Some(line) = value_start
            .and_then(|i| rest.get(i..))
            .and_then(|value| value.lines().next())
        {
            found.push(prefix(line, METHOD_MAX * 2).trim().to_owned());
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// Allow-list

#[derive(Debug, Clone, Default, PartialEq)]
struct HostList {
    /// The patterns this was compiled from.
    source: Vec<String>,
    rules: Vec<HostRule>,
}

#[derive(Debug, Clone, PartialEq)]
enum HostRule {
    /// This host name (lower case, punycode, no trailing dot).
    Exact(String),
    /// Host names ending in this suffix (which starts with a dot) with a label before it.
    Below(String),
    /// Every host name, no IP address.
    AnyName,
    /// This IP address.
    Ip(IpAddr),
}

impl HostList {
    fn compile(patterns: &[String]) -> Result<HostList, String> {
        let rules = patterns
            .iter()
            .map(|p| compile_pattern(p).map_err(|why| format!("invalid allowed host `{p}`: {why}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HostList {
            source: patterns.to_vec(),
            rules,
        })
    }

    fn allows(&self, host: &Target) -> bool {
        self.rules.iter().any(|rule| match (rule, host) {
            (HostRule::Exact(name), Target::Name(host)) => name == host,
            (HostRule::Below(suffix), Target::Name(host)) => {
                host.len() > suffix.len() && host.ends_with(suffix.as_str())
            }
            (HostRule::AnyName, Target::Name(_)) => true,
            (HostRule::Ip(ip), Target::Ip(host)) => ip == host,
            _ => false,
        })
    }
}

fn compile_pattern(pattern: &str) -> Result<HostRule, String> {
    let p = pattern.trim();
    if p.is_empty() {
        return Err("empty pattern".to_owned());
    }
    if p == "*" {
        return Ok(HostRule::AnyName);
    }
    let (below, name) = match p.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, p),
    };
    if name.contains('*') {
        return Err(
            "`*` may only be the whole pattern or its first label (`*.example.com`)".to_owned(),
        );
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "/\\@?#%".contains(c))
    {
        return Err("not a host name (no scheme, path, port or user information)".to_owned());
    }
    let unbracketed = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if let Ok(ip) = IpAddr::from_str(unbracketed) {
        if below {
            return Err("`*.` cannot precede an IP address".to_owned());
        }
        return Ok(HostRule::Ip(ip));
    }
    match Host::parse(name) {
        Ok(Host::Domain(domain)) => {
            let domain = domain.strip_suffix('.').unwrap_or(&domain);
            if domain.is_empty() || domain.split('.').any(str::is_empty) {
                return Err("empty label".to_owned());
            }
            if domain.contains(':') {
                return Err("not a host name (no port)".to_owned());
            }
            Ok(if below {
                HostRule::Below(format!(".{domain}"))
            } else {
                HostRule::Exact(domain.to_owned())
            })
        }
        Ok(Host::Ipv4(_) | Host::Ipv6(_)) => {
            Err("write IP addresses in their standard form (`127.0.0.1`, `::1`)".to_owned())
        }
        Err(e) => Err(format!("not a host name ({e})")),
    }
}

// ---------------------------------------------------------------------------------------
// URLs

/// A destination host as matched against the allow-list.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A host name: lower case, punycode, no trailing dot, no empty label.
    Name(String),
    Ip(IpAddr),
}

impl Target {
    fn display(&self) -> String {
        match self {
            Target::Name(name) => name.clone(),
            Target::Ip(IpAddr::V4(ip)) => ip.to_string(),
            Target::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        }
    }

    /// [`Target::display`], shortened for messages.
    fn shown(&self) -> String {
        shorten(&self.display())
    }
}

/// What the URL inspection found.
#[derive(Debug, Default)]
struct UrlReport {
    /// Hosts the request may reach (normally one).
    hosts: Vec<String>,
    /// Why the request is external; empty when it is not.
    external: Vec<String>,
}

impl UrlReport {
    fn touch(&mut self, host: String) {
        if !host.is_empty() && !self.hosts.contains(&host) {
            self.hosts.push(host);
        }
    }
}

/// How the URL was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Absolute,
    SchemeRelative,
    NoScheme,
}

fn inspect_url(url: &str, headers: &[(String, String)], options: &HttpOptions) -> UrlReport {
    let mut report = UrlReport::default();
    // WHATWG trims leading and trailing C0 controls and spaces.
    let raw = url.trim_matches(|c: char| c <= ' ');
    if raw.is_empty() {
        report
            .external
            .push("unparseable URL: the URL is empty".to_owned());
        return report;
    }
    if raw.contains(['\t', '\n', '\r']) {
        report.external.push(
            "the URL contains a tab or line break, which URL parsers drop or keep \
             differently"
                .to_owned(),
        );
    }

    let form = if raw.starts_with("//")
        || raw.starts_with("\\\\")
        || raw.starts_with("/\\")
        || raw.starts_with("\\/")
    {
        Form::SchemeRelative
    } else {
        match split_scheme(raw) {
            Some((scheme, _))
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                Form::Absolute
            }
            // `localhost:8080/x` and `api.example.com:443` parse as a scheme; they are a
            // host and a port without a scheme.
            Some((scheme, rest))
                if scheme.contains('.') || rest.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                Form::NoScheme
            }
            Some(_) => Form::Absolute,
            None => Form::NoScheme,
        }
    };
    let candidate: Cow<'_, str> = match form {
        Form::Absolute => Cow::Borrowed(raw),
        Form::SchemeRelative => {
            report.external.push(format!(
                "scheme-relative URL `{}`: the scheme, and with it the destination, depends \
                 on the client",
                shorten(raw)
            ));
            Cow::Owned(format!("http:{raw}"))
        }
        Form::NoScheme => {
            report.external.push(format!(
                "URL `{}` has no scheme: clients guess differently where it goes",
                shorten(raw)
            ));
            Cow::Owned(format!("http://{raw}"))
        }
    };

    let parsed = match Url::parse(&candidate) {
        Ok(parsed) => parsed,
        Err(e) => {
            report.external.push(format!(
                "unparseable URL `{}` ({e}); its destination is unknown",
                shorten(raw)
            ));
            return report;
        }
    };

    let scheme = parsed.scheme();
    let web = scheme == "http" || scheme == "https";
    if !web {
        report.external.push(scheme_finding(scheme));
    }

    // Hosts of other schemes are opaque to the URL parser (`gopher://0xa9fea9fe/`): read
    // them as an HTTP client would.
    let host = match parsed.host() {
        Some(Host::Domain(domain)) if !web => {
            Some(Host::parse(domain).unwrap_or_else(|_| Host::Domain(domain.to_ascii_lowercase())))
        }
        other => other.map(|h| h.to_owned()),
    };
    let had_host = host.is_some();
    let target = match host {
        Some(Host::Domain(domain)) => {
            let lower = domain.to_ascii_lowercase();
            let name = lower.strip_suffix('.').unwrap_or(&lower).to_owned();
            report.touch(name.clone());
            if name.is_empty() || name.split('.').any(str::is_empty) {
                report.external.push(format!(
                    "host name `{}` has an empty label",
                    shorten(&lower)
                ));
                None
            } else {
                Some(Target::Name(name))
            }
        }
        Some(Host::Ipv4(ip)) => Some(Target::Ip(IpAddr::V4(ip))),
        Some(Host::Ipv6(ip)) => Some(Target::Ip(IpAddr::V6(ip))),
        None => None,
    };
    if let Some(target) = &target {
        report.touch(target.display());
    }

    if web {
        check_authority(&candidate, target.as_ref(), &mut report);
    }
    if let Some(target) = &target {
        check_host_header(headers, target, &mut report);
        let metadata = metadata_endpoint(target);
        if let Some(what) = metadata {
            report.external.push(format!(
                "{} is {what}: a request there can steal cloud credentials (SSRF)",
                target.shown()
            ));
        }
        if web && metadata.is_none() {
            match options.host_list() {
                Ok(list) if list.allows(target) => {}
                Ok(_) => report.external.push(not_allowed(target, &candidate)),
                Err(e) => report.external.push(format!(
                    "{}; every host is external until the allow-list is fixed",
                    e
                )),
            }
        }
    } else if web && !had_host {
        report.external.push("the URL has no host".to_owned());
    }
    report
}

/// `scheme` and the rest, when `s` starts with an RFC 3986 scheme and a colon.
fn split_scheme(s: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        Some((scheme, rest))
    } else {
        None
    }
}

fn scheme_finding(scheme: &str) -> String {
    let what = match scheme {
        "file" => "reads local files",
        "gopher" | "dict" => "can send raw bytes to any TCP service",
        "ftp" | "sftp" | "tftp" => "reaches file-transfer services",
        "ldap" | "ldaps" => "reaches directory services",
        "jar" | "netdoc" => "makes Java clients fetch and unpack remote archives",
        "data" | "javascript" => "carries its own content",
        "ws" | "wss" => "opens a WebSocket that the HTTP rules do not cover",
        _ => "is handled by whatever client supports it",
    };
    format!("`{scheme}:` URL is not HTTP(S) and {what}: an SSRF vector")
}

/// Checks the part of the URL before the path for places where parsers disagree.
fn check_authority(candidate: &str, target: Option<&Target>, report: &mut UrlReport) {
    let Some((_, after_scheme)) = candidate.split_once(':') else {
        return;
    };
    let slashes = after_scheme.len() - after_scheme.trim_start_matches(['/', '\\']).len();
    if !after_scheme.starts_with("//") || slashes != 2 {
        report.external.push(format!(
            "`{}` is not followed by exactly two slashes: URL parsers disagree about the host",
            after_scheme_prefix(candidate)
        ));
    }
    let rest = after_scheme.trim_start_matches(['/', '\\']);
    // RFC 3986 ends the authority at `/`, `?` or `#`; WHATWG also at `\`.
    let rfc_authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
    if rfc_authority != authority {
        report.external.push(format!(
            "backslash in `{}`: browsers read it as `/`, other clients as part of the host",
            shorten(rfc_authority)
        ));
        let other = host_part(rfc_authority).to_ascii_lowercase();
        let other = other.strip_suffix('.').unwrap_or(&other);
        if !other.contains('\\') {
            report.touch(other.to_owned());
        }
    }
    let ats = authority.matches('@').count();
    if ats > 1 {
        report.external.push(format!(
            "{ats} `@` signs before the path: URL parsers disagree about where the host starts"
        ));
    }
    let raw_host = host_part(authority);
    if raw_host.contains('%') {
        report.external.push(format!(
            "percent-encoded host `{}`: decoded it is {}",
            shorten(raw_host),
            target.map_or_else(|| "unusable".to_owned(), Target::shown)
        ));
    }
    match target {
        Some(Target::Name(name)) if !raw_host.is_ascii() && folds_to_ascii(raw_host, name) => {
            report.external.push(format!(
                "non-ASCII host `{}` folds to the ASCII name {} (fullwidth letters or \
                 ideographic full stops)",
                shorten(raw_host),
                shorten(name)
            ));
        }
        Some(ip @ Target::Ip(_)) => {
            let written = raw_host.to_ascii_lowercase();
            let standard = ip.display();
            if written != standard && !raw_host.contains('%') {
                report.external.push(format!(
                    "IP address written as `{}` instead of {standard}: URL parsers disagree on \
                     such forms",
                    shorten(raw_host)
                ));
            }
        }
        _ => {}
    }
}

/// Whether IDNA turned non-ASCII characters of `raw` into plain ASCII labels of `name`
/// (fullwidth `ａｐｉ`, ideographic full stops), rather than into punycode (`xn--`).
fn folds_to_ascii(raw: &str, name: &str) -> bool {
    const DOTS: [char; 3] = ['\u{3002}', '\u{FF0E}', '\u{FF61}'];
    if raw.contains(DOTS) {
        return true;
    }
    let raw = raw.strip_suffix('.').unwrap_or(raw);
    let mut raw_labels = raw.split('.');
    let mut labels = name.split('.');
    loop {
        match (raw_labels.next(), labels.next()) {
            (None, None) => return false,
            (Some(r), Some(n)) => {
                if !r.is_ascii() && !n.starts_with("xn--") {
                    return true;
                }
            }
            _ => return true,
        }
    }
}

/// `http:` plus what follows up to the host, for a message.
fn after_scheme_prefix(candidate: &str) -> String {
    let end = candidate
        .find(|c: char| !(c.is_ascii_alphanumeric() || "+-.:/\\".contains(c)))
        .unwrap_or(candidate.len());
    shorten(candidate.get(..end).unwrap_or(candidate))
}

/// The host of an authority: after the last `@`, without the port.
fn host_part(authority: &str) -> &str {
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(end) => host_port.get(..=end).unwrap_or(host_port),
            None => host_port,
        }
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    }
}

/// `Host` and `:authority` headers that name another host than the URL.
fn check_host_header(headers: &[(String, String)], target: &Target, report: &mut UrlReport) {
    for (name, value) in headers {
        let name = name.trim();
        if !(name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case(":authority")) {
            continue;
        }
        let value = value.trim();
        let named = Url::parse(&format!("http://{value}/"))
            .ok()
            .and_then(|u| match u.host() {
                Some(Host::Domain(d)) => {
                    let d = d.to_ascii_lowercase();
                    Some(Target::Name(d.strip_suffix('.').unwrap_or(&d).to_owned()))
                }
                Some(Host::Ipv4(ip)) => Some(Target::Ip(IpAddr::V4(ip))),
                Some(Host::Ipv6(ip)) => Some(Target::Ip(IpAddr::V6(ip))),
                None => None,
            });
        match named {
            Some(named) if &named == target => {}
            Some(named) => {
                report.external.push(format!(
                    "{name} header names {}, not the URL's host {}",
                    named.shown(),
                    target.shown()
                ));
                report.touch(named.display());
            }
            None => report
                .external
                .push(format!("{name} header `{}` is not a host", shorten(value))),
        }
    }
}

/// Names and addresses of cloud instance metadata services.
const METADATA_NAMES: [&str; 5] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
];

/// AWS, GCP, Azure, OpenStack, DigitalOcean …; AWS ECS task metadata; Alibaba Cloud.
const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(100, 100, 100, 200),
];

/// AWS Nitro IPv6 instance metadata.
const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

fn metadata_endpoint(target: &Target) -> Option<&'static str> {
    match target {
        Target::Name(name) => METADATA_NAMES
            .contains(&name.as_str())
            .then_some("a cloud metadata endpoint"),
        Target::Ip(IpAddr::V4(ip)) => METADATA_V4
            .contains(ip)
            .then_some("a cloud metadata address"),
        Target::Ip(IpAddr::V6(ip)) => {
            if *ip == METADATA_V6 {
                Some("a cloud metadata address")
            } else if embedded_v4(ip).is_some_and(|v4| METADATA_V4.contains(&v4)) {
                Some("a cloud metadata address in IPv6 form")
            } else {
                None
            }
        }
    }
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`)
/// or IPv4-compatible (`::a.b.c.d`) IPv6 address.
fn embedded_v4(ip: &Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let [a, b, c, d, e, f, g, h] = ip.segments();
    let [g1, g0] = g.to_be_bytes();
    let [h1, h0] = h.to_be_bytes();
    let v4 = Ipv4Addr::new(g1, g0, h1, h0);
    if [a, b, c, d, e, f] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(v4);
    }
    if [a, b, c, d, e, f] == [0; 6] && !(g == 0 && h <= 1) {
        return Some(v4);
    }
    None
}

/// What kind of address an IP is, for a message.
fn address_kind(ip: &IpAddr) -> Option<String> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4).map(str::to_owned),
        IpAddr::V6(v6) => {
            let [first, ..] = v6.segments();
            if v6.is_loopback() {
                Some("a loopback address".to_owned())
            } else if v6.is_unspecified() {
                Some("the unspecified address, which reaches this machine".to_owned())
            } else if let Some(v4) = embedded_v4(v6) {
                Some(format!(
                    "IPv6 for {v4}{}",
                    v4_kind(&v4).map_or(String::new(), |k| format!(", {k}"))
                ))
            } else if (first & 0xfe00) == 0xfc00 {
                Some("a unique-local (private) address".to_owned())
            } else if (first & 0xffc0) == 0xfe80 {
                Some("a link-local address".to_owned())
            } else {
                None
            }
        }
    }
}

fn v4_kind(ip: &Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("the unspecified address, which reaches this machine")
    } else if ip.is_private() {
        Some("a private-network address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a carrier-grade NAT address")
    } else if ip.is_broadcast() {
        Some("the broadcast address")
    } else {
        None
    }
}

fn not_allowed(target: &Target, candidate: &str) -> String {
    let mut text = format!("host {} is not on the allow-list", target.shown());
    match target {
        Target::Ip(ip) => {
            if let Some(kind) = address_kind(ip) {
                text.push_str(&format!(" ({kind})"));
            }
        }
        Target::Name(name) => {
            if name == "localhost" || name.ends_with(".localhost") {
                text.push_str(" (a loopback name)");
            } else if name.split('.').any(|label| label.starts_with("xn--")) {
                text.push_str(" (an internationalised name, shown in punycode)");
            }
        }
    }
    let authority = candidate.split_once("//").map_or("", |(_, rest)| {
        rest.split(['/', '\\', '?', '#']).next().unwrap_or("")
    });
    if authority.contains('@') {
        text.push_str("; the text before `@` is user information, not the host");
    }
    text
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

/// At most 100 characters of `s`, for messages.
fn shorten(s: &str) -> String {
    const MAX: usize = 100;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut cut: String = s.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Risk;

    fn options() -> HttpOptions {
        HttpOptions::new(vec![
            "api.example.com".to_owned(),
            "*.internal.example.com".to_owned(),
        ])
        .unwrap_or_default()
    }

    fn run(
        method: Option<&str>,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Classification {
        run_with(&options(), method, url, headers, body)
    }

    fn run_with(
        options: &HttpOptions,
        method: Option<&str>,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Classification {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let call = HttpCall {
            method,
            url,
            headers: &headers,
            body,
        };
        let mut out = Classification::new();
        inspect_http(&call, options, "/args/url", &mut out);
        out
    }

    fn labels(c: &Classification) -> Vec<&str> {
        c.labels.iter().map(String::as_str).collect()
    }

    fn external_text(c: &Classification) -> String {
        c.findings
            .iter()
            .filter(|f| f.label == "http.external")
            .map(|f| f.what.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    }

    #[test]
    fn methods_map_to_labels() {
        for (method, label) in [
            (None, "http.read"),
            (Some(""), "http.read"),
            (Some("GET"), "http.read"),
            (Some("head"), "http.read"),
            (Some(" Options "), "http.read"),
            (Some("POST"), "http.write"),
            (Some("PUT"), "http.write"),
            (Some("patch"), "http.write"),
            (Some("DELETE"), "http.delete"),
            (Some("TRACE"), "http.write"),
            (Some("MKCOL"), "http.write"),
            (Some("GET\r\nX-Evil: 1"), "http.write"),
        ] {
            let c = run(method, "https://api.example.com/", &[], None);
            assert_eq!(labels(&c), [label], "{method:?}");
            assert_eq!(c.risk, default_risk(label));
        }
    }

    #[test]
    fn findings_carry_the_pointer() {
        let c = run(Some("DELETE"), "http://evil.example/", &[], None);
        assert!(c.findings.len() >= 2);
        for f in &c.findings {
            assert_eq!(f.pointer.as_deref(), Some("/args/url"));
        }
        assert_eq!(c.risk, Risk::High);
    }

    #[test]
    fn invalid_method_names_are_sanitised_and_bounded() {
        let long = "X".repeat(1000);
        let c = run(Some(&long), "https://api.example.com/", &[], None);
        assert!(
            c.objects
                .contains(&format!("method:{}", "X".repeat(METHOD_MAX)))
        );
        let c = run(
            Some("get /x HTTP/1.1\r\n"),
            "https://api.example.com/",
            &[],
            None,
        );
        assert!(
            c.objects.contains("method:GET??X?HTTP?1.1"),
            "{:?}",
            c.objects
        );
        assert!(c.has_label("http.write"));
    }

    #[test]
    fn method_overrides_take_the_most_dangerous() {
        let url = "https://api.example.com/x";
        let c = run(
            Some("POST"),
            url,
            &[("X-HTTP-Method-Override", "PUT")],
            None,
        );
        assert_eq!(labels(&c), ["http.write"]);
        assert!(
            c.objects.contains("method:POST"),
            "a tie keeps the stated method"
        );

        let c = run(
            Some("GET"),
            url,
            &[("x-method-override", "PATCH"), ("X-HTTP-Method", "DELETE")],
            None,
        );
        assert_eq!(labels(&c), ["http.delete"]);
        assert!(c.findings[0].what.contains("via X-HTTP-Method header"));
        assert!(
            c.findings[0]
                .what
                .contains("PATCH via x-method-override header")
        );

        let c = run(
            Some("GET"),
            url,
            &[("X-HTTP-Method-Override", "get, delete")],
            None,
        );
        assert_eq!(labels(&c), ["http.delete"]);

        let c = run(Some("GET"), url, &[("X-Unrelated", "DELETE")], None);
        assert_eq!(labels(&c), ["http.read"]);

        let c = run(
            None,
            "https://api.example.com/x?a=1&_METHOD=delete#frag",
            &[],
            None,
        );
        assert_eq!(labels(&c), ["http.delete"]);
        let c = run(
            None,
            "https://api.example.com/x?a=1&%5Fmethod=PUT",
            &[],
            None,
        );
        assert_eq!(labels(&c), ["http.write"]);
        let c = run(None, "https://api.example.com/x#?_method=DELETE", &[], None);
        assert_eq!(labels(&c), ["http.read"], "a fragment is not the query");
    }

    #[test]
    fn method_overrides_in_bodies() {
        let url = "https://api.example.com/x";
        let c = run(Some("POST"), url, &[], Some("name=a&_method=DELETE"));
        assert_eq!(labels(&c), ["http.delete"]);
        let c = run(
            Some("POST"),
            url,
            &[],
            Some(r#" {"name": "a", "_method": "delete"}"#),
        );
        assert_eq!(labels(&c), ["http.delete"]);
        let multipart =
            "--b\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--b--\r\n";
        let c = run(Some("POST"), url, &[], Some(multipart));
        assert_eq!(labels(&c), ["http.delete"]);
        let c = run(
            Some("POST"),
            url,
            &[],
            Some(r#"{"comment": "use _method=DELETE"}"#),
        );
        assert_eq!(labels(&c), ["http.write"], "JSON is parsed, not searched");
        let c = run(Some("POST"), url, &[], Some("plain text"));
        assert_eq!(labels(&c), ["http.write"]);
    }

    #[test]
    fn body_scan_is_bounded() {
        let body = "name=\"_method\"".repeat(50_000);
        let start = std::time::Instant::now();
        let c = run(Some("POST"), "https://api.example.com/", &[], Some(&body));
        assert!(c.has_label("http.write"));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn allowed_hosts_are_validated() {
        for good in [
            "api.example.com",
            "API.Example.com.",
            "*.internal.example.com",
            "*",
            "10.0.0.5",
            "::1",
            "[fd00::1]",
            "bücher.example",
            "xn--bcher-kva.example",
        ] {
            assert!(HttpOptions::new(vec![good.to_owned()]).is_ok(), "{good}");
        }
        for bad in [
            "",
            "  ",
            "api.*.com",
            "*api.example.com",
            "**.example.com",
            "*.10.0.0.5",
            "https://api.example.com",
            "api.example.com/x",
            "api.example.com:443",
            "user@api.example.com",
            "api example.com",
            "a..example.com",
            "0x7f.1",
            "2130706433",
            "api%2eexample.com",
        ] {
            let err = HttpOptions::new(vec![bad.to_owned()]).map(|_| ());
            assert!(err.is_err(), "{bad:?} should be rejected");
        }
        let err =
            HttpOptions::new(vec!["ok.example".to_owned(), "api.*.com".to_owned()]).map(|_| ());
        assert!(matches!(err, Err(e) if e.contains("api.*.com")));
    }

    #[test]
    fn default_options_make_every_host_external() {
        let c = run_with(
            &HttpOptions::default(),
            None,
            "https://api.example.com/",
            &[],
            None,
        );
        assert!(c.has_label("http.external"));
    }

    #[test]
    fn idn_patterns_match_punycode_hosts() {
        let options = HttpOptions::new(vec!["bücher.example".to_owned()]).unwrap_or_default();
        for url in [
            "https://bücher.example/",
            "https://xn--bcher-kva.example/",
            "https://BÜCHER.example/",
        ] {
            let c = run_with(&options, None, url, &[], None);
            assert!(
                !c.has_label("http.external"),
                "{url}: {}",
                external_text(&c)
            );
            assert!(c.objects.contains("host:xn--bcher-kva.example"));
        }
        // One punycode label does not excuse a fullwidth one.
        let c = run_with(&options, None, "https://bücher.ｅｘａｍｐｌｅ/", &[], None);
        assert!(
            external_text(&c).contains("folds to the ASCII name"),
            "{}",
            external_text(&c)
        );
        assert!(!folds_to_ascii("bücher.example.", "xn--bcher-kva.example"));
        assert!(folds_to_ascii("api\u{3002}example.com", "api.example.com"));
    }

    #[test]
    fn ip_patterns_match_exactly() {
        let options =
            HttpOptions::new(vec!["10.0.0.5".to_owned(), "::1".to_owned()]).unwrap_or_default();
        let c = run_with(&options, None, "http://10.0.0.5:8080/", &[], None);
        assert!(!c.has_label("http.external"), "{}", external_text(&c));
        let c = run_with(&options, None, "http://[::1]/", &[], None);
        assert!(!c.has_label("http.external"), "{}", external_text(&c));
        // The same address in another form is external: parsers disagree on such forms.
        let c = run_with(&options, None, "http://167772165/", &[], None);
        assert!(c.has_label("http.external"));
        assert!(c.objects.contains("host:10.0.0.5"));
        let c = run_with(&options, None, "http://10.0.0.6/", &[], None);
        assert!(external_text(&c).contains("private-network"));
    }

    #[test]
    fn star_allows_names_but_not_ips_or_metadata() {
        let options = HttpOptions::new(vec!["*".to_owned()]).unwrap_or_default();
        let c = run_with(&options, None, "https://anything.example/", &[], None);
        assert!(!c.has_label("http.external"));
        let c = run_with(&options, None, "http://192.168.1.1/", &[], None);
        assert!(c.has_label("http.external"));
        for url in [
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA/computeMetadata/v1/",
            "http://metadata.goog./",
            "http://instance-data/latest/",
        ] {
            let c = run_with(&options, None, url, &[], None);
            assert!(external_text(&c).contains("metadata"), "{url}");
        }
        let options = HttpOptions::new(vec![
            "*.google.internal".to_owned(),
            "169.254.169.254".to_owned(),
            "fd00:ec2::254".to_owned(),
        ])
        .unwrap_or_default();
        for url in [
            "http://metadata.google.internal/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
        ] {
            let c = run_with(&options, None, url, &[], None);
            assert!(external_text(&c).contains("metadata"), "{url}");
        }
    }

    #[test]
    fn metadata_addresses_in_every_form() {
        for url in [
            "http://169.254.169.254/",
            "http://169.254.170.2/v2/credentials",
            "http://100.100.100.200/latest/meta-data/",
            "http://0xa9fea9fe/",
            "http://0251.0376.0251.0376/",
            "http://169.254.43518/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::169.254.169.254]/",
            "http://[::169.254.169.254]/",
            "http://[fd00:ec2::254]/",
            "gopher://169.254.169.254/",
        ] {
            let c = run(None, url, &[], None);
            assert!(
                external_text(&c).contains("metadata"),
                "{url}: {}",
                external_text(&c)
            );
        }
    }

    #[test]
    fn special_addresses_are_named() {
        for (url, kind) in [
            ("http://127.0.0.1/", "loopback"),
            ("http://0.0.0.0/", "unspecified"),
            ("http://[::]/", "unspecified"),
            ("http://10.1.2.3/", "private"),
            ("http://172.16.0.1/", "private"),
            ("http://192.168.0.1/", "private"),
            ("http://169.254.1.1/", "link-local"),
            ("http://[fe80::1]/", "link-local"),
            ("http://[fc00::1]/", "unique-local"),
            ("http://100.64.0.1/", "carrier-grade"),
            ("http://localhost/", "loopback name"),
            ("http://app.localhost/", "loopback name"),
            ("http://[::ffff:10.0.0.1]/", "IPv6 for 10.0.0.1, a private"),
        ] {
            let c = run(None, url, &[], None);
            assert!(
                external_text(&c).contains(kind),
                "{url}: {}",
                external_text(&c)
            );
        }
    }

    #[test]
    fn non_http_schemes_are_external() {
        for (url, what) in [
            ("file:///etc/passwd", "local files"),
            ("FILE:///etc/passwd", "local files"),
            ("gopher://x/_", "raw bytes"),
            ("dict://x:11211/", "raw bytes"),
            ("ftp://api.example.com/", "file-transfer"),
            ("ldap://x/", "directory"),
            ("jar:http://x/a.jar!/", "Java"),
            ("data:text/plain,hi", "own content"),
            ("ws://api.example.com/", "WebSocket"),
            ("netdoc:///etc/passwd", "Java"),
            ("mailto:a@example.com", "SSRF"),
        ] {
            let c = run(None, url, &[], None);
            assert!(
                external_text(&c).contains(what),
                "{url}: {}",
                external_text(&c)
            );
            assert!(external_text(&c).contains("SSRF"));
        }
    }

    #[test]
    fn unparseable_urls_are_external_and_keep_the_method() {
        for url in [
            "",
            "   ",
            "http://",
            "http://[::1",
            "https://exa mple.com/",
            "http://a:99999/",
        ] {
            let c = run(Some("PUT"), url, &[], None);
            assert_eq!(labels(&c), ["http.external", "http.write"], "{url:?}");
            assert!(
                external_text(&c).contains("unparseable URL"),
                "{url:?}: {}",
                external_text(&c)
            );
        }
    }

    #[test]
    fn hosts_are_touched_normalised() {
        let c = run(None, "HTTPS://User:Pw@API.EXAMPLE.COM.:443/x", &[], None);
        assert!(!c.has_label("http.external"), "{}", external_text(&c));
        assert_eq!(
            c.objects.iter().collect::<Vec<_>>(),
            ["host:api.example.com", "method:GET"]
        );
        let c = run(None, "http://[0:0:0:0:0:0:0:1]/", &[], None);
        assert!(c.objects.contains("host:[::1]"));
        assert!(external_text(&c).contains("instead of [::1]"));
    }

    #[test]
    fn parser_disagreements_are_external_even_for_allowed_hosts() {
        for url in [
            r"http://api.example.com\@evil.example/",
            r"https:\\api.example.com/",
            r"https:/\api.example.com/",
            "https:/api.example.com/",
            "https:api.example.com/",
            "https:///api.example.com/",
            "//api.example.com/",
            r"\\api.example.com\x",
            "api.example.com",
            "api.example.com:443/x",
            "https://a@b@api.example.com/",
            "https://api%2Eexample.com/",
            "https://api.example.com\n/",
            "https://ａｐｉ.ｅｘａｍｐｌｅ.ｃｏｍ/",
            "https://api.example.com../",
        ] {
            let c = run(None, url, &[], None);
            assert!(c.has_label("http.external"), "{url:?} should be external");
        }
        let c = run(None, r"http://api.example.com\@evil.example/", &[], None);
        assert!(c.objects.contains("host:evil.example"));
        assert!(c.objects.contains("host:api.example.com"));
    }

    #[test]
    fn host_headers_must_agree_with_the_url() {
        let url = "https://api.example.com/";
        let c = run(None, url, &[("Host", "api.example.com")], None);
        assert!(!c.has_label("http.external"));
        let c = run(None, url, &[(":authority", "evil.example:443")], None);
        assert!(c.has_label("http.external"));
        assert!(c.objects.contains("host:evil.example"));
        let c = run(None, url, &[("HOST", "bad host")], None);
        assert!(external_text(&c).contains("is not a host"));
    }

    #[test]
    fn changing_allowed_hosts_after_new_still_works() {
        let mut options = HttpOptions::new(vec!["api.example.com".to_owned()]).unwrap_or_default();
        options.allowed_hosts = vec!["other.example".to_owned()];
        let c = run_with(&options, None, "https://other.example/", &[], None);
        assert!(!c.has_label("http.external"));
        let c = run_with(&options, None, "https://api.example.com/", &[], None);
        assert!(c.has_label("http.external"));
        options.allowed_hosts = vec!["bad pattern".to_owned()];
        let c = run_with(&options, None, "https://other.example/", &[], None);
        assert!(external_text(&c).contains("every host is external"));
    }

    #[test]
    fn long_urls_are_handled_in_linear_time() {
        let url = format!(
            "https://{}.example/{}",
            "a.".repeat(20_000),
            "x/".repeat(200_000)
        );
        let start = std::time::Instant::now();
        let c = run(None, &url, &[], None);
        assert!(c.has_label("http.external"));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(c.findings.iter().all(|f| f.what.len() < 500));
    }
}
