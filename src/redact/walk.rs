//! The JSON-aware walk: object keys give context, strings are normalized and scanned,
//! strings holding JSON are redacted as JSON, numbers that are cards or SSNs become
//! masked strings, field rules mask whole values. Masking keeps the JSON valid.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::Redactor;
use super::detector::{Detector, Span, SpanKind};
use super::finding::Findings;
use super::key_context::KeyContext;
use super::mask::{FIELD_KIND, MaskOut};
use super::normalize::{Normalized, normalize};
use super::{card, phone, ssn};

/// How deep strings holding JSON are decoded and walked.
pub(crate) const MAX_NESTED_JSON: u8 = 3;

/// Strings up to this long are scanned without asking the prefilter first. The scan
/// reads a string much as the prefilter does, so for short strings the prefilter only
/// doubles the work of those that hold something (most, in documents that got past
/// the document-wide prefilter).
const SCAN_WITHOUT_PREFILTER: usize = 128;

/// One walk: the JSON pointer so far and what was found.
pub(crate) struct Walk<'r> {
    pub(crate) redactor: &'r Redactor,
    pub(crate) pointer: String,
    /// Findings with their JSON pointer (when `locations` is on).
    findings: Findings,
    /// Without locations: how many of each type, in the order first seen. Types are
    /// compared as small enums, not by name.
    tally: Vec<(FoundKind, u64)>,
    /// How many values were masked so far.
    found: u64,
    /// Whether findings carry their JSON pointer; without, every finding is counted
    /// under the prefix and no pointer is built.
    locations: bool,
    /// Scratch for the spans of one string, reused from string to string.
    pub(crate) spans: Vec<Span>,
}

/// What a walk found ([`Walk::record`]), with the pointer it was found under.
#[derive(Debug, Clone)]
pub(crate) struct FoundRecord {
    pointer: String,
    findings: Findings,
    tally: Vec<(FoundKind, u64)>,
    found: u64,
}

/// A finding's type before it is named: a span's, or a field rule's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FoundKind {
    Span(SpanKind),
    Field,
}

impl<'r> Walk<'r> {
    /// A walk whose findings are located under `location_prefix`, or, with `None`,
    /// only counted by type.
    pub(crate) fn new(redactor: &'r Redactor, location_prefix: Option<&str>) -> Walk<'r> {
        Walk {
            redactor,
            pointer: location_prefix.unwrap_or_default().to_owned(),
            findings: Findings::new(),
            tally: Vec::new(),
            found: 0,
            locations: location_prefix.is_some(),
            spans: Vec::new(),
        }
    }

    /// A walk for a document nested in a string at the current location.
    pub(crate) fn nested(&self) -> Walk<'r> {
        Walk {
            redactor: self.redactor,
            pointer: self.pointer.clone(),
            findings: Findings::new(),
            tally: Vec::new(),
            found: 0,
            locations: self.locations,
            spans: Vec::new(),
        }
    }

    /// Takes over what a [`nested`](Self::nested) walk found.
    pub(crate) fn absorb(&mut self, inner: Walk<'_>) {
        self.findings.merge(inner.findings);
        for (kind, count) in inner.tally {
            self.count(kind, count);
        }
        self.found = self.found.saturating_add(inner.found);
    }

    /// Records `count` values of `kind` masked at the current location.
    /// What this walk found so far, to be found again where the document it walked
    /// repeats (see [`replay`](Self::replay)).
    pub(crate) fn record(&self) -> FoundRecord {
        FoundRecord {
            pointer: self.pointer.clone(),
            findings: self.findings.clone(),
            tally: self.tally.clone(),
            found: self.found,
        }
    }

    /// Counts what `record` holds again, at this walk's pointer: locations under the
    /// recorded pointer move under this one.
    pub(crate) fn replay(&mut self, record: &FoundRecord) {
        for f in record.findings.iter() {
            let rest = f
                .location
                .strip_prefix(record.pointer.as_str())
                .filter(|rest| rest.is_empty() || rest.starts_with('/'));
            match rest {
                Some(rest) => {
                    let moved = format!("{}{rest}", self.pointer);
                    self.findings.add(f.kind.clone(), &moved, f.count);
                }
                None => self.findings.add(f.kind.clone(), &f.location, f.count),
            }
        }
        for &(kind, count) in &record.tally {
            self.count(kind, count);
        }
        self.found = self.found.saturating_add(record.found);
    }

    pub(crate) fn add(&mut self, kind: FoundKind, count: u64) {
        self.found = self.found.saturating_add(count);
        if self.locations {
            let name = self.redactor.kind_name(kind);
            self.findings.add(name, &self.pointer, count);
        } else {
            self.count(kind, count);
        }
    }

    fn count(&mut self, kind: FoundKind, count: u64) {
        match self.tally.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, c)) => *c = c.saturating_add(count),
            None => self.tally.push((kind, count)),
        }
    }

    /// Everything found, named.
    pub(crate) fn finish(mut self) -> Findings {
        for (kind, count) in std::mem::take(&mut self.tally) {
            let name = self.redactor.kind_name(kind);
            self.findings.add(name, &self.pointer, count);
        }
        self.findings
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
            let mut key_kinds = Vec::new();
            let shown = self.mask_text(key, &KeyContext::default(), |k| key_kinds.push(k));
            let len = self.enter_key(&shown);
            for kind in key_kinds {
                self.add(kind, 1);
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
        self.add(FoundKind::Field, 1);
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
            let before = self.found;
            self.value(&mut inner, ctx, nested + 1);
            return (self.found != before)
                .then(|| serde_json::to_string(&inner).ok())
                .flatten();
        }
        self.text(s, ctx)
    }

    /// Whether a string under `ctx` needs a closer look: its key says what it may hold,
    /// it is short enough that scanning it costs no more than ruling it out would, or
    /// the prefilter sees a candidate in it.
    pub(crate) fn worth_scanning(&self, s: &str, ctx: &KeyContext) -> bool {
        let keyed = ctx.ssn || ctx.phone || ctx.aws_secret || ctx.secret.is_some();
        keyed || s.len() <= SCAN_WITHOUT_PREFILTER || self.redactor.may_match(s.as_bytes())
    }

    /// Scans `s` as text and masks what is found; the new text if anything was.
    pub(crate) fn text(&mut self, s: &str, ctx: &KeyContext) -> Option<String> {
        let mut kinds = Vec::new();
        let out = self.mask_text(s, ctx, |k| kinds.push(k));
        for kind in kinds {
            self.add(kind, 1);
        }
        match out {
            Cow::Owned(o) => Some(o),
            Cow::Borrowed(_) => None,
        }
    }

    /// Scans `text` and masks what is found, with the walk's scratch; `found` hears of
    /// each masked value.
    fn mask_text<'t>(
        &mut self,
        text: &'t str,
        ctx: &KeyContext,
        found: impl FnMut(FoundKind),
    ) -> Cow<'t, str> {
        let mut spans = std::mem::take(&mut self.spans);
        let out = self.redactor.mask_with(text, ctx, &mut spans, found);
        self.spans = spans;
        out
    }

    fn number(&mut self, n: &serde_json::Number, ctx: &KeyContext) -> Option<String> {
        self.integer(&n.as_u64()?.to_string(), ctx)
    }

    /// The mask of a non-negative integer (ASCII digits) that is a card, or an SSN or
    /// phone number under a key that says so.
    pub(crate) fn integer(&mut self, digits: &str, ctx: &KeyContext) -> Option<String> {
        let d = digits.as_bytes();
        if d.len() < MIN_MASKED_DIGITS {
            return None;
        }
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
        self.add(FoundKind::Span(SpanKind::Builtin(found)), 1);
        Some(self.redactor.masker.mask(found.name(), Some(found), digits))
    }
}

/// Whether a byte right next to a match could have been part of another one: a mask
/// placed there would end a run the detectors read across (addresses, numbers,
/// words), so the masked text is scanned again.
fn continues_a_match(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'@' | b'.' | b'-' | b'_' | b'%' | b'+')
}

/// How many times a text whose matches overlapped is masked and scanned again.
const MAX_MASK_PASSES: usize = 8;

/// The fewest digits of an integer that can be masked: a bare SSN has 9 (a phone 10, a
/// card 12).
pub(crate) const MIN_MASKED_DIGITS: usize = 9;

/// Whether a string's content starts like a JSON object or array (after JSON's own
/// whitespace: a document starting with other white space does not parse anyway).
pub(crate) fn looks_like_json(s: &str) -> bool {
    let start = s
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    matches!(start, Some(b'{' | b'['))
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
    /// Finds what to mask in `text` under `ctx`: its normalized form, and the spans
    /// (in `spans`, cleared first) in order, each mapping onto whole original text.
    /// `keywords` off skips the keyword pass (see [`Scanner::scan_into`]). The flag
    /// says whether masking the spans once settles the text (no match was cut by an
    /// overlap, and none touches text that could continue one); when it does not, use
    /// [`mask_until_settled`](Self::mask_until_settled) instead.
    pub(crate) fn find<'t>(
        &self,
        text: &'t str,
        ctx: &KeyContext,
        keywords: bool,
        spans: &mut Vec<Span>,
    ) -> (Normalized<'t>, bool) {
        let norm = normalize(text);
        let cut = self
            .scanner
            .scan_into(norm.text(), ctx, false, keywords, spans);
        let mut end = 0;
        spans.retain(|span| {
            let (a, b) = (norm.original(span.start), norm.original(span.end));
            let fits = a >= end
                && text.get(a..b).is_some()
                && norm.text().get(span.start..span.end).is_some();
            if fits {
                end = b;
            }
            fits
        });
        let t = norm.text().as_bytes();
        let glued = spans.iter().any(|span| {
            let before = span.start.checked_sub(1).and_then(|i| t.get(i));
            before.is_some_and(|&b| continues_a_match(b))
                || t.get(span.end).is_some_and(|&b| continues_a_match(b))
        });
        (norm, !cut && !glued)
    }

    /// Masks `text` and scans the result again until nothing more is found (at most
    /// [`MAX_MASK_PASSES`] times), for a text whose spans overlapped or touch other
    /// text that could belong to a match: the unmasked tail of a match dropped for an
    /// overlap, or what follows an address run together with another, can match on its
    /// own once the first is masked, and redacting the output again must change
    /// nothing.
    pub(crate) fn mask_until_settled(
        &self,
        text: &str,
        ctx: &KeyContext,
        mut found: impl FnMut(FoundKind),
    ) -> String {
        let mut current = text.to_owned();
        let mut spans = Vec::new();
        for _ in 0..MAX_MASK_PASSES {
            let next = {
                let (norm, _) = self.find(&current, ctx, true, &mut spans);
                if spans.is_empty() {
                    break;
                }
                let mut next = String::with_capacity(current.len() + 16);
                self.write_masked(&current, &norm, &spans, &mut next, &mut found);
                next
            };
            current = next;
        }
        current
    }

    /// Scans and masks `text` under `ctx` with `spans` for scratch; `found` hears of
    /// each masked value.
    pub(crate) fn mask_with<'t>(
        &self,
        text: &'t str,
        ctx: &KeyContext,
        spans: &mut Vec<Span>,
        found: impl FnMut(FoundKind),
    ) -> Cow<'t, str> {
        let (norm, settled) = self.find(text, ctx, true, spans);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        if !settled {
            return Cow::Owned(self.mask_until_settled(text, ctx, found));
        }
        let mut out = String::with_capacity(text.len() + 16);
        self.write_masked(text, &norm, spans, &mut out, found);
        Cow::Owned(out)
    }

    /// Writes `text` to `out` with the [`find`](Self::find) spans masked; `found`
    /// hears of each.
    pub(crate) fn write_masked(
        &self,
        text: &str,
        norm: &Normalized<'_>,
        spans: &[Span],
        out: &mut impl MaskOut,
        mut found: impl FnMut(FoundKind),
    ) {
        let mut copied = 0;
        for span in spans {
            let (a, b) = (norm.original(span.start), norm.original(span.end));
            out.push_str(text.get(copied..a).unwrap_or(""));
            let value = norm.text().get(span.start..span.end).unwrap_or("");
            let detector = match span.kind {
                SpanKind::Builtin(d) => Some(d),
                SpanKind::Pattern(_) => None,
            };
            let name = self.kind_name(FoundKind::Span(span.kind));
            self.masker.mask_into(&name, detector, value, out);
            found(FoundKind::Span(span.kind));
            copied = b;
        }
        out.push_str(text.get(copied..).unwrap_or(""));
    }

    /// The name a finding's type goes by.
    pub(crate) fn kind_name(&self, kind: FoundKind) -> Cow<'static, str> {
        match kind {
            FoundKind::Span(SpanKind::Builtin(d)) => Cow::Borrowed(d.name()),
            FoundKind::Span(SpanKind::Pattern(i)) => match self.scanner.patterns.get(i) {
                Some(p) => Cow::Owned(p.name.to_string()),
                None => Cow::Borrowed("PATTERN"),
            },
            FoundKind::Field => Cow::Borrowed(FIELD_KIND),
        }
    }

    /// Scans and masks one string without a walk; the masked values' types.
    pub(crate) fn mask_text<'t>(
        &self,
        text: &'t str,
        ctx: &KeyContext,
    ) -> (Cow<'t, str>, Vec<FoundKind>) {
        let mut kinds = Vec::new();
        let out = self.mask_with(text, ctx, &mut Vec::new(), |k| kinds.push(k));
        (out, kinds)
    }
}
