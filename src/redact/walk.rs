//! The JSON-aware walk: object keys give context, strings are normalized and scanned,
//! strings holding JSON are redacted as JSON, numbers that are cards or SSNs become
//! masked strings, field rules mask whole values. Masking keeps the JSON valid.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::Redactor;
use super::detector::{Detector, SpanKind};
use super::finding::Findings;
use super::key_context::KeyContext;
use super::mask::FIELD_KIND;
use super::normalize::normalize;
use super::{card, phone, ssn};

/// How deep strings holding JSON are decoded and walked.
pub(crate) const MAX_NESTED_JSON: u8 = 3;

/// One walk: the JSON pointer so far and what was found.
pub(crate) struct Walk<'r> {
    pub(crate) redactor: &'r Redactor,
    pub(crate) pointer: String,
    pub(crate) findings: Findings,
    /// Whether findings carry their JSON pointer; without, every finding is counted
    /// under the prefix and no pointer is built.
    pub(crate) locations: bool,
}

impl<'r> Walk<'r> {
    /// A walk whose findings are located under `location_prefix`, or, with `None`,
    /// only counted by type.
    pub(crate) fn new(redactor: &'r Redactor, location_prefix: Option<&str>) -> Walk<'r> {
        Walk {
            redactor,
            pointer: location_prefix.unwrap_or_default().to_owned(),
            findings: Findings::new(),
            locations: location_prefix.is_some(),
        }
    }

    /// A walk for a document nested in a string at the current location.
    pub(crate) fn nested(&self) -> Walk<'r> {
        Walk {
            redactor: self.redactor,
            pointer: self.pointer.clone(),
            findings: Findings::new(),
            locations: self.locations,
        }
    }

    /// Steps the pointer into member `key`; the length to [`leave`](Self::leave) to.
    pub(crate) fn enter_key(&mut self, key: &str) -> usize {
        let len = self.pointer.len();
        if self.locations {
            push_token(&mut self.pointer, key);
        }
        len
    }

    /// Steps the pointer into item `index`; the length to [`leave`](Self::leave) to.
    pub(crate) fn enter_index(&mut self, index: usize) -> usize {
        let len = self.pointer.len();
        if self.locations {
            use std::fmt::Write;
            let _ = write!(self.pointer, "/{index}");
        }
        len
    }

    /// Steps the pointer back out.
    pub(crate) fn leave(&mut self, len: usize) {
        self.pointer.truncate(len);
    }
}

impl Walk<'_> {
    pub(crate) fn value(&mut self, v: &mut Value, ctx: &KeyContext, nested: u8) {
        match v {
            Value::Object(map) => self.object(map, nested),
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let len = self.enter_index(i);
                    self.value(item, ctx, nested);
                    self.leave(len);
                }
            }
            Value::String(s) => {
                if let Some(new) = self.string(s, ctx, nested) {
                    *s = new;
                }
            }
            Value::Number(n) => {
                if let Some(mask) = self.number(n, ctx) {
                    *v = Value::String(mask);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn object(&mut self, map: &mut Map<String, Value>, nested: u8) {
        let mut renames: Vec<(String, String)> = Vec::new();
        for (key, child) in map.iter_mut() {
            // A key can hold PII too; the pointer names the masked key, never the raw one.
            let (shown, key_findings) = self.redactor.redact_text(key);
            let len = self.enter_key(&shown);
            for f in key_findings {
                self.findings.add(f.kind, &self.pointer, f.count);
            }
            if self.redactor.is_field(key) {
                self.field(child);
            } else {
                self.value(child, &KeyContext::of(key), nested);
            }
            self.leave(len);
            if let Cow::Owned(new) = shown {
                renames.push((key.clone(), new));
            }
        }
        for (old, new) in renames {
            if let Some(v) = map.remove(&old) {
                let mut name = new.clone();
                let mut n = 2;
                while map.contains_key(&name) {
                    name = format!("{new} #{n}");
                    n += 1;
                }
                map.insert(name, v);
            }
        }
    }

    /// A field rule: the whole value is masked, whatever it holds.
    fn field(&mut self, child: &mut Value) {
        let mask = match &*child {
            Value::String(s) => self.field_string(s),
            other => Some(self.field_text(&other.to_string())),
        };
        if let Some(mask) = mask {
            *child = Value::String(mask);
        }
    }

    /// The mask of a string under a field rule; `None` when it is already masked.
    pub(crate) fn field_string(&mut self, s: &str) -> Option<String> {
        if s.starts_with('[') && s.ends_with(']') {
            return None;
        }
        Some(self.field_text(s))
    }

    /// The mask of a field rule's value, given as its text.
    pub(crate) fn field_text(&mut self, text: &str) -> String {
        self.findings
            .add(Cow::Borrowed(FIELD_KIND), &self.pointer, 1);
        self.redactor.masker.mask(FIELD_KIND, None, text)
    }

    /// One string's content (`nested` levels into strings holding JSON): walked as
    /// JSON when it parses as JSON, else scanned as text. The byte walk hands back the
    /// strings it cannot take apart itself to this.
    pub(crate) fn string(&mut self, s: &str, ctx: &KeyContext, nested: u8) -> Option<String> {
        if !self.worth_scanning(s, ctx) {
            return None;
        }
        if nested < MAX_NESTED_JSON
            && looks_like_json(s)
            && let Ok(mut inner) = serde_json::from_str::<Value>(s)
        {
            let before = self.findings.total();
            self.value(&mut inner, ctx, nested + 1);
            return (self.findings.total() != before)
                .then(|| serde_json::to_string(&inner).ok())
                .flatten();
        }
        self.text(s, ctx)
    }

    /// Whether a string under `ctx` needs a closer look: its key says what it may hold,
    /// or the prefilter sees a candidate in it.
    pub(crate) fn worth_scanning(&self, s: &str, ctx: &KeyContext) -> bool {
        let keyed = ctx.ssn || ctx.phone || ctx.aws_secret || ctx.secret.is_some();
        keyed || self.redactor.may_match(s.as_bytes())
    }

    /// Scans `s` as text and masks what is found; the new text if anything was.
    pub(crate) fn text(&mut self, s: &str, ctx: &KeyContext) -> Option<String> {
        let (out, counts) = self.redactor.mask_text(s, ctx);
        for (kind, count) in counts {
            self.findings.add(kind, &self.pointer, count);
        }
        match out {
            Cow::Owned(o) => Some(o),
            Cow::Borrowed(_) => None,
        }
    }

    fn number(&mut self, n: &serde_json::Number, ctx: &KeyContext) -> Option<String> {
        self.integer(&n.as_u64()?.to_string(), ctx)
    }

    /// The mask of a non-negative integer (ASCII digits) that is a card, or an SSN or
    /// phone number under a key that says so.
    pub(crate) fn integer(&mut self, digits: &str, ctx: &KeyContext) -> Option<String> {
        let d = digits.as_bytes();
        let on = |x: Detector| self.redactor.scanner.detectors.has(x);
        let found = if on(Detector::CreditCard) && card::is_card(d) {
            Detector::CreditCard
        } else if on(Detector::UsSsn) && ctx.ssn && ssn::is_ssn(d) {
            Detector::UsSsn
        } else if on(Detector::Phone) && ctx.phone && phone::parse(d, 0, true) == Some(d.len()) {
            Detector::Phone
        } else {
            return None;
        };
        self.findings
            .add(Cow::Borrowed(found.name()), &self.pointer, 1);
        Some(self.redactor.masker.mask(found.name(), Some(found), digits))
    }
}

/// Whether a string's content starts like a JSON object or array.
pub(crate) fn looks_like_json(s: &str) -> bool {
    matches!(s.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// Appends `/token` with JSON-pointer escaping (`~0`, `~1`).
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

impl Redactor {
    /// Scans and masks one string; the counts per type found.
    pub(crate) fn mask_text<'t>(
        &self,
        text: &'t str,
        ctx: &KeyContext,
    ) -> (Cow<'t, str>, Vec<(Cow<'static, str>, u64)>) {
        let norm = normalize(text);
        let spans = self.scanner.scan(norm.text(), ctx, false);
        if spans.is_empty() {
            return (Cow::Borrowed(text), Vec::new());
        }
        let mut out = String::with_capacity(text.len());
        let mut counts: Vec<(Cow<'static, str>, u64)> = Vec::new();
        let mut copied = 0;
        for span in spans {
            let (a, b) = (norm.original(span.start), norm.original(span.end));
            let (Some(keep), Some(_), Some(value)) = (
                text.get(copied..a),
                text.get(a..b),
                norm.text().get(span.start..span.end),
            ) else {
                continue;
            };
            let (kind, detector): (Cow<'static, str>, Option<Detector>) = match span.kind {
                SpanKind::Builtin(d) => (Cow::Borrowed(d.name()), Some(d)),
                SpanKind::Pattern(i) => match self.scanner.patterns.get(i) {
                    Some(p) => (Cow::Owned(p.name.to_string()), None),
                    None => continue,
                },
            };
            out.push_str(keep);
            out.push_str(&self.masker.mask(&kind, detector, value));
            copied = b;
            match counts.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, c)) => *c += 1,
                None => counts.push((kind, 1)),
            }
        }
        if counts.is_empty() {
            return (Cow::Borrowed(text), counts);
        }
        out.push_str(text.get(copied..).unwrap_or(""));
        (Cow::Owned(out), counts)
    }
}
