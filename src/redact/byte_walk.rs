//! The byte walk: redacts a JSON document in its serialized form, without building a
//! `serde_json::Value`.
//!
//! Untouched bytes are copied as they came (key order, whitespace, escapes and number
//! spellings all kept), so a document with nothing to mask costs no allocation and a
//! masked one differs from its input only where a value was masked. Each string, number
//! and field goes through the [`Walk`]'s own logic, so both walks find the same values.
//!
//! A string that holds JSON is decoded once and walked as a document of its own, whose
//! edits are written straight through into the outer string: its offsets map back
//! through the escapes it was decoded from, and what it writes is escaped once more per
//! level. So the outer string keeps its own escapes too, and is never re-encoded. A
//! string of the root document whose document a later value spells out again (a tool
//! result's text copy of its `structuredContent`) is redacted once for both
//! ([`RepeatedDocument`]).
//!
//! What the byte walk does not take on itself it hands back ([`Bail`]), and the caller
//! redoes that document with the `Value` walk: a key that holds PII (masking it can make
//! two keys equal, which the `Value` walk resolves), a field rule over an object, array,
//! boolean or fractional number, nesting deeper than serde_json allows, and anything that
//! is not valid JSON — so errors stay serde_json's.

use std::borrow::Cow;

use super::json_string::{
    decoded_prefix, escape_at, escaped_copy, push_escaped, quote, raw_end, special,
};
use super::key_context::KeyContext;
use super::mask::MaskOut;
use super::repeated_document::RepeatedDocument;
use super::walk::{MAX_NESTED_JSON, MIN_MASKED_DIGITS, Walk, looks_like_json};

/// Why the byte walk handed a document back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bail {
    /// Not valid JSON (serde_json gives the error).
    Invalid,
    /// Valid, but a case the `Value` walk handles.
    Unsupported,
}

/// serde_json's nesting limit: deeper documents are its to refuse.
const MAX_DEPTH: usize = 128;

/// How many strings of a document are searched for as copies of later values: each
/// search reads the rest of the document.
const MAX_COPIES_TRIED: usize = 4;

/// How many decoded bytes of such a string are searched for.
const COPY_HEAD: usize = 32;

#[cfg(test)]
thread_local! {
    /// How often a value took the redaction of a string that copied it.
    static REPEATS_TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Redacts the JSON document `input` under `ctx` (the context of the key it sits under).
/// `Ok(None)` when nothing changed; findings go to `walk`.
pub(crate) fn document(
    walk: &mut Walk<'_>,
    input: &[u8],
    ctx: &KeyContext,
) -> Result<Option<Vec<u8>>, Bail> {
    // Checked once here, so string contents are sliced without checking them again.
    let text = std::str::from_utf8(input).map_err(|_| Bail::Invalid)?;
    let mut out = Output {
        root: input,
        buf: Vec::new(),
        copied: 0,
        changed: false,
        keywords: keyword_starts(walk, input),
        next_keyword: 0,
        repeated: None,
        nested_documents: 0,
        copies_tried: 0,
    };
    walk_document(walk, text, ctx, &mut out, &Frame::ROOT)?;
    if !out.changed {
        return Ok(None);
    }
    out.buf
        .extend_from_slice(input.get(out.copied..).unwrap_or(&[]));
    Ok(Some(out.buf))
}

/// Where the scanner's keywords start in `input`, in any case, when that tells every
/// string's keywords: the input is ASCII without `\u` escapes, so a keyword in a
/// string's decoded content, at any level of JSON in strings, is also in its raw bytes
/// (no keyword holds a character a JSON escape stands for). `None`: look everywhere.
fn keyword_starts(walk: &Walk<'_>, input: &[u8]) -> Option<Vec<usize>> {
    if !input.is_ascii() || memchr::memmem::find(input, b"\\u").is_some() {
        return None;
    }
    walk.redactor.scanner.keywords.scanned_starts(input)
}

/// Walks `input`, a document at `frame`, writing its edits to `out`; how deep its
/// objects and arrays nest.
fn walk_document(
    walk: &mut Walk<'_>,
    input: &str,
    ctx: &KeyContext,
    out: &mut Output<'_>,
    frame: &Frame<'_>,
) -> Result<usize, Bail> {
    let mut w = ByteWalk {
        walk,
        input: input.as_bytes(),
        text: input,
        pos: 0,
        out,
        frame,
        depth: 0,
        deepest: 0,
        keys: Vec::new(),
        next_key: 0,
        escapes: Vec::new(),
    };
    w.skip_whitespace();
    w.value(ctx)?;
    w.skip_whitespace();
    if w.pos != input.len() {
        return Err(Bail::Invalid);
    }
    Ok(w.deepest)
}

/// The redacted document: the root input up to `copied`, with the edits so far.
struct Output<'x> {
    root: &'x [u8],
    /// Empty while nothing has changed.
    buf: Vec<u8>,
    /// How much of the root input `buf` stands for.
    copied: usize,
    changed: bool,
    /// Where keywords start in the root input (`None`: anywhere, look in every string).
    keywords: Option<Vec<usize>>,
    /// The first of `keywords` not before the string looked at last: strings come in
    /// order.
    next_keyword: usize,
    /// A document redacted at a string of the root document that copies a later value,
    /// for that value.
    repeated: Option<RepeatedDocument>,
    /// How many strings have been walked as JSON documents.
    nested_documents: usize,
    /// How many strings were searched for as later values.
    copies_tried: usize,
}

impl Output<'_> {
    /// Whether a keyword may start at or after the string looked at last.
    fn keywords_ahead(&self) -> bool {
        self.keywords
            .as_ref()
            .is_none_or(|starts| self.next_keyword < starts.len())
    }

    /// Whether a keyword starts in the root input between `start` and `end`.
    fn keyword_within(&mut self, start: usize, end: usize) -> bool {
        let Some(starts) = &self.keywords else {
            return true;
        };
        while starts.get(self.next_keyword).is_some_and(|&at| at < start) {
            self.next_keyword += 1;
        }
        starts.get(self.next_keyword).is_some_and(|&at| at < end)
    }

    /// Where keywords start between `from` and `to` of the root input, counted from
    /// `from`: the keywords of that stretch as a document of its own, which starts
    /// with a bracket (no keyword holds one, so none reaches in from before).
    fn keywords_between(&self, from: usize, to: usize) -> Option<Vec<usize>> {
        let starts = self.keywords.as_ref()?;
        let first = starts.partition_point(|&k| k < from);
        let end = starts.partition_point(|&k| k < to);
        Some(
            starts
                .get(first..end)
                .unwrap_or(&[])
                .iter()
                .map(|k| k - from)
                .collect(),
        )
    }

    /// Copies the root input on to `to`, where an edit starts.
    fn copy_to(&mut self, to: usize) {
        if !self.changed {
            // Masks can be longer than what they replace: room for that, so a dense
            // document is not copied again as it grows.
            self.buf.reserve(self.root.len() + self.root.len() / 4 + 64);
            self.changed = true;
        }
        self.buf
            .extend_from_slice(self.root.get(self.copied..to).unwrap_or(&[]));
    }
}

/// Where a document being walked sits: the root, or the content of a string of the
/// document around it.
struct Frame<'f> {
    /// How many strings deep the document is (0: the root).
    levels: u8,
    /// The frame around and how this document's offsets map into it.
    within: Option<(&'f Frame<'f>, &'f Escapes)>,
}

impl Frame<'_> {
    const ROOT: Frame<'static> = Frame {
        levels: 0,
        within: None,
    };

    /// The root input offset of offset `pos` of this frame's document.
    fn to_root(&self, pos: usize) -> usize {
        match self.within {
            None => pos,
            Some((outer, escapes)) => outer.to_root(escapes.to_outer(pos)),
        }
    }
}

/// A decoded string's escapes, mapping offsets of its content back to where they came
/// from in the document around it.
struct Escapes {
    /// The outer offset of the content (after the opening quote).
    content_start: usize,
    points: Vec<EscapePoint>,
    /// How many points lie before the offset mapped last: offsets are mapped in
    /// increasing order, so each lookup starts where the last one ended.
    cursor: std::cell::Cell<usize>,
}

/// One escape of a string: where its character is in the decoded content and where
/// its escape sequence is in the raw content (both relative to the content).
#[derive(Debug, Clone, Copy)]
struct EscapePoint {
    decoded: usize,
    decoded_len: usize,
    raw: usize,
    raw_len: usize,
}

impl Escapes {
    /// The outer offset of decoded offset `pos`: an offset at an escaped character maps
    /// to the start of its escape sequence.
    fn to_outer(&self, pos: usize) -> usize {
        let mut before = self.cursor.get().min(self.points.len());
        if before > 0
            && self
                .points
                .get(before - 1)
                .is_some_and(|p| p.decoded >= pos)
        {
            before = self.points.partition_point(|p| p.decoded < pos);
        }
        while self.points.get(before).is_some_and(|p| p.decoded < pos) {
            before += 1;
        }
        self.cursor.set(before);
        let raw = match before.checked_sub(1).and_then(|i| self.points.get(i)) {
            None => pos,
            Some(p) => {
                let after = p.decoded + p.decoded_len;
                if pos >= after {
                    p.raw + p.raw_len + (pos - after)
                } else {
                    p.raw
                }
            }
        };
        self.content_start + raw
    }
}

/// One document being walked: the read position and where edits go.
struct ByteWalk<'a, 'r, 'x> {
    walk: &'a mut Walk<'r>,
    input: &'a [u8],
    /// `input`, known to be UTF-8.
    text: &'a str,
    pos: usize,
    out: &'a mut Output<'x>,
    frame: &'a Frame<'a>,
    depth: usize,
    /// The greatest `depth` so far.
    deepest: usize,
    /// What recent keys say ([`KEYS_KEPT`] of them): records repeat their keys, and
    /// working a key out costs more than comparing it.
    keys: Vec<(KeyName, KeyVerdict)>,
    /// The slot the next new key replaces once `keys` is full.
    next_key: usize,
    /// The escapes of the string token read last.
    escapes: Vec<EscapePoint>,
}

/// A remembered key: its length and first eight bytes, compared before the rest.
#[derive(Debug)]
struct KeyName {
    len: usize,
    head: u64,
    /// The whole key, once remembered.
    full: Box<str>,
}

impl KeyName {
    /// The quick part of `key`, to look it up by.
    fn new(key: &str) -> KeyName {
        // A fixed-size read where the key is long enough; byte by byte otherwise (a
        // copy of a length known only at run time is a call to `memcpy`).
        let bytes = key.as_bytes();
        let head = match bytes.first_chunk::<8>() {
            Some(first) => u64::from_le_bytes(*first),
            None => bytes
                .iter()
                .rev()
                .fold(0u64, |head, &b| head << 8 | u64::from(b)),
        };
        KeyName {
            len: key.len(),
            head,
            full: Box::default(),
        }
    }

    /// This name with the whole of `key` kept.
    fn keep(self, key: &str) -> KeyName {
        KeyName {
            full: Box::from(key),
            ..self
        }
    }

    /// Whether this remembered key is `key` (whose quick part is `quick`).
    fn is(&self, quick: &KeyName, key: &str) -> bool {
        self.len == quick.len && self.head == quick.head && (self.len <= 8 || *self.full == *key)
    }
}

/// How many keys a walk remembers.
const KEYS_KEPT: usize = 32;

/// What a key means for the value under it.
#[derive(Debug, Clone, Copy)]
enum KeyVerdict {
    /// The key itself holds PII: the `Value` walk masks and de-duplicates keys.
    HoldsPii,
    /// A field rule covers it.
    Field,
    /// Its value is scanned in this context.
    Context(KeyContext),
}

impl<'a> ByteWalk<'a, '_, '_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Steps over `byte`, which must come next.
    fn consume(&mut self, byte: u8) -> Result<(), Bail> {
        if self.peek() != Some(byte) {
            return Err(Bail::Invalid);
        }
        self.pos += 1;
        Ok(())
    }

    fn value(&mut self, ctx: &KeyContext) -> Result<(), Bail> {
        let repeat = match self.peek() {
            Some(b'{' | b'[') => self.repeats_a_document(ctx),
            Some(b'"') => self.copy_of_a_later_value(ctx),
            _ => false,
        };
        if repeat {
            return Ok(());
        }
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(ctx),
            Some(b'"') => {
                let start = self.pos;
                let text = self.string_token()?;
                self.string(start, &text, ctx);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                let integer = self.number_token()?;
                if integer
                    && self.pos - start >= MIN_MASKED_DIGITS
                    && let Some(digits) = self.text_between(start)
                    && digits.parse::<u64>().is_ok()
                    && let Some(mask) = self.walk.integer(digits, ctx)
                {
                    self.replace(start, &mask);
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => Err(Bail::Invalid),
        }
    }

    /// Enters the object or array opening at the read position; `Ok(true)` when it
    /// closes at once.
    fn enter(&mut self, close: u8) -> Result<bool, Bail> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail::Unsupported);
        }
        self.deepest = self.deepest.max(self.depth);
        self.pos += 1;
        self.skip_whitespace();
        Ok(self.peek() == Some(close) && self.leave())
    }

    /// Steps over the closing byte of the container being walked; always `true`.
    fn leave(&mut self) -> bool {
        self.pos += 1;
        self.depth -= 1;
        true
    }

    /// After an object member or array item: a comma (`Ok(false)`, more follow) or the
    /// container's closing byte (`Ok(true)`).
    fn after_item(&mut self, close: u8) -> Result<bool, Bail> {
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_whitespace();
                Ok(false)
            }
            Some(b) if b == close => Ok(self.leave()),
            _ => Err(Bail::Invalid),
        }
    }

    fn object(&mut self) -> Result<(), Bail> {
        if self.enter(b'}')? {
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(Bail::Invalid);
            }
            let key = self.string_token()?;
            self.skip_whitespace();
            self.consume(b':')?;
            self.skip_whitespace();
            self.member(&key)?;
            if self.after_item(b'}')? {
                return Ok(());
            }
        }
    }

    /// The value of one object member, under its key.
    fn member(&mut self, key: &str) -> Result<(), Bail> {
        let verdict = self.key_verdict(key);
        let len = self.walk.enter_key(key);
        let done = match verdict {
            KeyVerdict::HoldsPii => Err(Bail::Unsupported),
            KeyVerdict::Field => self.field(),
            KeyVerdict::Context(ctx) => self.value(&ctx),
        };
        self.walk.leave(len);
        done
    }

    /// What `key` means, from the keys remembered or worked out and remembered.
    fn key_verdict(&mut self, key: &str) -> KeyVerdict {
        let name = KeyName::new(key);
        if let Some((_, verdict)) = self.keys.iter().find(|(k, _)| k.is(&name, key)) {
            return *verdict;
        }
        let redactor = self.walk.redactor;
        let verdict = if !redactor.redact_text(key).1.is_empty() {
            KeyVerdict::HoldsPii
        } else if redactor.is_field(key) {
            KeyVerdict::Field
        } else {
            KeyVerdict::Context(KeyContext::of(key))
        };
        let entry = (name.keep(key), verdict);
        if self.keys.len() < KEYS_KEPT {
            self.keys.push(entry);
        } else if let Some(slot) = self.keys.get_mut(self.next_key) {
            *slot = entry;
            self.next_key = (self.next_key + 1) % KEYS_KEPT;
        }
        verdict
    }

    /// A value under a field rule: strings and integers are masked whole.
    fn field(&mut self) -> Result<(), Bail> {
        let start = self.pos;
        let mask = match self.peek() {
            Some(b'"') => {
                let text = self.string_token()?;
                self.walk.field_string(&text)
            }
            Some(b'-' | b'0'..=b'9') => {
                let integer = self.number_token()?;
                let digits = self.text_between(start).ok_or(Bail::Invalid)?;
                // Other numbers are spelled differently once serde_json has read them.
                if !integer || digits.parse::<u64>().is_err() {
                    return Err(Bail::Unsupported);
                }
                Some(self.walk.field_text(digits))
            }
            Some(b'n') => {
                self.literal(b"null")?;
                Some(self.walk.field_text("null"))
            }
            _ => return Err(Bail::Unsupported),
        };
        if let Some(mask) = mask {
            self.replace(start, &mask);
        }
        Ok(())
    }

    fn array(&mut self, ctx: &KeyContext) -> Result<(), Bail> {
        if self.enter(b']')? {
            return Ok(());
        }
        let mut index = 0usize;
        loop {
            let len = self.walk.enter_index(index);
            let done = self.value(ctx);
            self.walk.leave(len);
            done?;
            index += 1;
            if self.after_item(b']')? {
                return Ok(());
            }
        }
    }

    /// One string's content (its token starting at `start`, just read): scanned as JSON
    /// when it holds JSON, else as text; masks go straight into the output.
    fn string(&mut self, start: usize, s: &str, ctx: &KeyContext) {
        if !self.walk.worth_scanning(s, ctx) {
            return;
        }
        if self.frame.levels < MAX_NESTED_JSON && looks_like_json(s) {
            self.nested_document(start, s, ctx);
            return;
        }
        let mut spans = std::mem::take(&mut self.walk.spans);
        let redactor = self.walk.redactor;
        let keywords = self.out.keywords_ahead()
            && self
                .out
                .keyword_within(self.frame.to_root(start), self.frame.to_root(self.pos));
        let (norm, settled) = redactor.find(s, ctx, keywords, &mut spans);
        if !settled {
            let walk = &mut *self.walk;
            let masked = redactor.mask_until_settled(s, ctx, |k| walk.add(k, 1));
            self.replace(start, &masked);
        } else if !spans.is_empty() {
            self.open_string(start);
            let walk = &mut *self.walk;
            let mut content = JsonContent {
                buf: &mut self.out.buf,
                levels: self.frame.levels + 1,
            };
            redactor.write_masked(s, &norm, &spans, &mut content, |k| walk.add(k, 1));
            self.close_string();
        }
        self.walk.spans = spans;
    }

    /// A string (its token starting at `start`, just read) whose content `s` looks like
    /// JSON: walked as a document of its own, written through into this string.
    fn nested_document(&mut self, start: usize, s: &str, ctx: &KeyContext) {
        self.out.nested_documents += 1;
        let escapes = Escapes {
            content_start: start + 1,
            points: std::mem::take(&mut self.escapes),
            cursor: std::cell::Cell::new(0),
        };
        let frame = Frame {
            levels: self.frame.levels + 1,
            within: Some((self.frame, &escapes)),
        };
        let saved = (self.out.buf.len(), self.out.copied, self.out.changed);
        let mut inner = self.walk.nested();
        let done = walk_document(&mut inner, s, ctx, self.out, &frame);
        self.escapes = escapes.points;
        match done {
            Ok(_) => self.walk.absorb(inner),
            // Not JSON after all, or not for this walk: what it wrote is undone, and
            // the `Value` walk decides.
            Err(_) => {
                self.out.buf.truncate(saved.0);
                (self.out.copied, self.out.changed) = (saved.1, saved.2);
                if let Some(new) = self.walk.string(s, ctx, self.frame.levels) {
                    self.replace(start, &new);
                }
            }
        }
    }

    /// At a string of the root document (the read position at its opening quote) that
    /// holds a JSON document spelled out again by a later value (see
    /// [`RepeatedDocument`]): redacts that value's bytes once, writes the redaction
    /// escaped into the string, steps over the string and remembers the redaction for
    /// the value. `false` (nothing done) when the string is not such a copy.
    fn copy_of_a_later_value(&mut self, ctx: &KeyContext) -> bool {
        let input = self.input;
        let content = self.pos + 1;
        if self.frame.levels != 0
            || self.out.copies_tried >= MAX_COPIES_TRIED
            || !matches!(input.get(content), Some(b'{' | b'['))
        {
            return false;
        }
        self.out.copies_tried += 1;
        // Where the value may be: its first bytes, searched for after them.
        let Ok(head) = decoded_prefix(input, content, COPY_HEAD) else {
            return false;
        };
        let after = content + head.len();
        let Some(at) = input
            .get(after..)
            .and_then(|rest| memchr::memmem::find(rest, &head))
            .map(|k| after + k)
        else {
            return false;
        };
        let copy = input
            .get(content..)
            .zip(input.get(at..))
            .and_then(|(raw, plain)| escaped_copy(raw, plain));
        let Some((len, raw_len)) = copy else {
            return false;
        };
        let close = content + raw_len;
        let Some(plain) = self.text.get(at..at + len).filter(|_| at > close) else {
            return false;
        };
        if !looks_like_json(plain) || !self.walk.worth_scanning(plain, ctx) {
            return false;
        }
        let mut out = Output {
            root: plain.as_bytes(),
            buf: Vec::new(),
            copied: 0,
            changed: false,
            keywords: self.out.keywords_between(at, at + len),
            next_keyword: 0,
            repeated: None,
            nested_documents: 0,
            copies_tried: MAX_COPIES_TRIED,
        };
        let mut inner = self.walk.nested();
        let deepest = walk_document(&mut inner, plain, ctx, &mut out, &Frame::ROOT);
        let Ok(deepest) = deepest.map_err(drop).and_then(|d| {
            // Depth would matter for strings walked as JSON inside.
            if out.nested_documents == 0 {
                Ok(d)
            } else {
                Err(())
            }
        }) else {
            return false;
        };
        let redacted = out.changed.then(|| {
            let mut buf = out.buf;
            buf.extend_from_slice(plain.as_bytes().get(out.copied..).unwrap_or(&[]));
            buf
        });
        if let Some(redacted) = &redacted {
            self.out.copy_to(self.pos);
            self.out.buf.push(b'"');
            push_escaped(&mut self.out.buf, redacted, 1);
            self.out.buf.push(b'"');
            self.out.copied = close + 1;
        }
        self.out.repeated = Some(RepeatedDocument {
            at,
            len,
            ctx: *ctx,
            deepest,
            redacted,
            found: inner.record(),
        });
        self.walk.absorb(inner);
        self.pos = close + 1;
        true
    }

    /// Whether the value at the read position is the one a string before it copied
    /// ([`copy_of_a_later_value`](Self::copy_of_a_later_value)): if so, its redaction
    /// is written and counted again, and the value is stepped over.
    fn repeats_a_document(&mut self, ctx: &KeyContext) -> bool {
        let Some(doc) = self.out.repeated.take() else {
            return false;
        };
        if self.frame.levels != 0 || !doc.is_at(self.pos, ctx, self.depth, MAX_DEPTH) {
            self.out.repeated = Some(doc);
            return false;
        }
        #[cfg(test)]
        REPEATS_TAKEN.with(|n| n.set(n.get() + 1));
        if let Some(redacted) = &doc.redacted {
            self.out.copy_to(self.pos);
            self.out.buf.extend_from_slice(redacted);
            self.out.copied = self.pos + doc.len;
        }
        self.walk.replay(&doc.found);
        self.pos += doc.len;
        true
    }

    /// Replaces the input from `start` to the read position with `text` as a JSON
    /// string.
    fn replace(&mut self, start: usize, text: &str) {
        self.open_string(start);
        let mut content = JsonContent {
            buf: &mut self.out.buf,
            levels: self.frame.levels + 1,
        };
        content.push_str(text);
        self.close_string();
    }

    /// Starts the JSON string that replaces the input from `start` to the read
    /// position: the input up to `start`, then the opening quote.
    fn open_string(&mut self, start: usize) {
        self.out.copy_to(self.frame.to_root(start));
        self.out.buf.extend_from_slice(quote(self.frame.levels));
    }

    /// Ends the string [`open_string`](Self::open_string) started.
    fn close_string(&mut self) {
        self.out.buf.extend_from_slice(quote(self.frame.levels));
        self.out.copied = self.frame.to_root(self.pos);
    }

    fn text_between(&self, start: usize) -> Option<&'a str> {
        let text: &'a str = self.text;
        text.get(start..self.pos)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Bail> {
        let end = self.pos + word.len();
        if self.input.get(self.pos..end) != Some(word) {
            return Err(Bail::Invalid);
        }
        self.pos = end;
        Ok(())
    }

    /// Reads a number; whether it is a non-negative integer (digits only).
    fn number_token(&mut self) -> Result<bool, Bail> {
        let digits = |w: &mut Self| {
            let from = w.pos;
            while w.peek().is_some_and(|b| b.is_ascii_digit()) {
                w.pos += 1;
            }
            w.pos - from
        };
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(Bail::Invalid),
        }
        let mut integer = !negative;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if digits(self) == 0 {
                return Err(Bail::Invalid);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(Bail::Invalid);
            }
        }
        Ok(integer)
    }

    /// Reads a string token (the read position at its opening quote); its decoded
    /// content, borrowed when it has no escapes. The escapes are noted in `escapes`.
    fn string_token(&mut self) -> Result<Cow<'a, str>, Bail> {
        let (input, text): (&'a [u8], &'a str) = (self.input, self.text);
        self.escapes.clear();
        let start = self.pos + 1;
        let mut i = special(input, start).ok_or(Bail::Invalid)?;
        if input.get(i) == Some(&b'"') {
            self.pos = i + 1;
            return text.get(start..i).map(Cow::Borrowed).ok_or(Bail::Invalid);
        }
        // Sized once: a long string with many escapes (a document's text copy) would
        // otherwise be copied over and over as it grows.
        let mut decoded = String::with_capacity(raw_end(input, i).unwrap_or(i) - start);
        decoded.push_str(text.get(start..i).ok_or(Bail::Invalid)?);
        loop {
            match input.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(decoded));
                }
                Some(b'\\') => {}
                _ => return Err(Bail::Invalid),
            }
            let before = decoded.len();
            let (c, used) = escape_at(input, i)?;
            decoded.push(c);
            self.escapes.push(EscapePoint {
                decoded: before,
                decoded_len: decoded.len() - before,
                raw: i - start,
                raw_len: used,
            });
            i += used;
            let next = special(input, i).ok_or(Bail::Invalid)?;
            decoded.push_str(text.get(i..next).ok_or(Bail::Invalid)?);
            i = next;
        }
    }
}

/// The content of a JSON string being written into the output, `levels` strings deep:
/// masks and the text around them are escaped on the way in.
struct JsonContent<'o> {
    buf: &'o mut Vec<u8>,
    levels: u8,
}

impl MaskOut for JsonContent<'_> {
    fn push_str(&mut self, s: &str) {
        push_escaped(self.buf, s.as_bytes(), self.levels);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::Redactor;
    use crate::redact::Findings;

    /// `value` with every string that holds JSON replaced by that JSON, recursively, so
    /// two serializations of one document compare equal.
    fn unnest(value: Value) -> Value {
        match value {
            Value::String(s) => match serde_json::from_str::<Value>(&s) {
                Ok(inner @ (Value::Object(_) | Value::Array(_))) => {
                    json!({ "json": unnest(inner) })
                }
                _ => Value::String(s),
            },
            Value::Array(items) => Value::Array(items.into_iter().map(unnest).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, unnest(v))).collect())
            }
            other => other,
        }
    }

    fn sorted(findings: &Findings) -> Vec<(String, String, u64)> {
        let mut v: Vec<_> = findings
            .iter()
            .map(|f| (f.kind.to_string(), f.location.clone(), f.count))
            .collect();
        v.sort();
        v
    }

    /// Counts by type, and whether every finding has an empty location.
    fn by_kind(findings: &Findings) -> (std::collections::BTreeMap<String, u64>, bool) {
        let mut counts = std::collections::BTreeMap::new();
        for f in findings.iter() {
            *counts.entry(f.kind.to_string()).or_insert(0) += f.count;
        }
        (counts, findings.iter().all(|f| f.location.is_empty()))
    }

    /// The byte walk and the `Value` walk mask the same values with the same findings;
    /// counting without locations gives the same output and counts.
    fn assert_same(r: &Redactor, doc: &[u8]) {
        let counted = r.redact_json_at(doc, None).unwrap();
        let by_bytes = r.redact_json_bytes(doc).unwrap();
        assert_eq!(
            counted.as_ref().map(|c| (&c.bytes, by_kind(&c.findings))),
            by_bytes
                .as_ref()
                .map(|b| (&b.bytes, (by_kind(&b.findings).0, true)))
        );
        let by_value = r.redact_json_by_value(doc, Some("")).unwrap();
        match (by_bytes, by_value) {
            (None, None) => {}
            (Some(b), Some(v)) => {
                let bv: Value = serde_json::from_slice(&b.bytes).unwrap();
                let vv: Value = serde_json::from_slice(&v.bytes).unwrap();
                assert_eq!(unnest(bv), unnest(vv), "{}", String::from_utf8_lossy(doc));
                assert_eq!(sorted(&b.findings), sorted(&v.findings));
            }
            (b, v) => panic!(
                "byte walk {:?} vs value walk {:?} on {}",
                b.map(|x| String::from_utf8_lossy(&x.bytes).into_owned()),
                v.map(|x| String::from_utf8_lossy(&x.bytes).into_owned()),
                String::from_utf8_lossy(doc)
            ),
        }
    }

    #[test]
    fn untouched_bytes_are_kept_and_masks_are_spliced_in() {
        let r = Redactor::default();
        let doc = br#"{ "z": 1.50e0, "card" : 4111111111111111, "a":["\u0041", "x@example.com"] }"#;
        let out = r.redact_json_bytes(doc).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            r#"{ "z": 1.50e0, "card" : "[REDACTED:CREDIT_CARD]", "a":["\u0041", "[REDACTED:EMAIL]"] }"#
        );
        assert_eq!(out.findings.count_of("CREDIT_CARD"), 1);
        assert_eq!(
            out.findings
                .iter()
                .map(|f| f.location.as_str())
                .collect::<Vec<_>>(),
            ["/card", "/a/1"]
        );
    }

    #[test]
    fn what_the_byte_walk_hands_back_is_done_by_value() {
        let r = Redactor::builder().field("secret*").build().unwrap();
        for doc in [
            // A key that holds PII is masked and de-duplicated.
            &br#"{"bob@example.com":1,"[REDACTED:EMAIL]":2}"#[..],
            // Field rules over an object, an array, numbers and null.
            br#"{"secret_cfg":{"a":1},"n":"x@example.com"}"#,
            br#"{"Secret2":[1,2],"secret3":12,"secret4":1.5,"secret5":null,"secret6":"[x]"}"#,
            // A surrogate pair.
            br#"{"a":"\ud83d\ude00 x@example.com"}"#,
        ] {
            assert_same(&r, doc);
        }
        // serde_json's errors: a lone surrogate, a trailing comma, trailing bytes, …
        assert!(
            r.redact_json_bytes(br#"{"a":"\ud800 x@example.com"}"#)
                .is_err()
        );
        assert!(r.redact_json_bytes(br#"{"a":"x@example.com",}"#).is_err());
        assert!(r.redact_json_bytes(br#"{"a":"x@example.com"} x"#).is_err());
        assert!(r.redact_json_bytes(b"[\"x@example.com\" 1]").is_err());
        assert!(
            r.redact_json_bytes(b"{\"a\":\"x@example.com\x01\"}")
                .is_err()
        );
        assert!(r.redact_json_bytes(b"[01, \"x@example.com\"]").is_err());
        assert!(r.redact_json_bytes(b"[\"x@example.com\",]").is_err());
        assert!(r.redact_json_bytes(b"{,\"a\":\"x@example.com\"}").is_err());
        assert!(r.redact_json_bytes(b"{\"a\":\"x@example.com\"]").is_err());
        let deep = format!("{}\"x@example.com\"{}", "[".repeat(200), "]".repeat(200));
        assert!(r.redact_json_bytes(deep.as_bytes()).is_err());
    }

    #[test]
    fn keys_keep_their_meaning_past_the_remembered_ones() {
        let r = Redactor::builder().field("pin").build().unwrap();
        let mut rows = Vec::new();
        for i in 0..100 {
            rows.push(json!({ format!("k{i}"): 536221234u64, "ssn": 536221234u64, "pin": 7 }));
        }
        let doc = serde_json::to_vec(&rows).unwrap();
        assert_same(&r, &doc);
        let out = r.redact_json_bytes(&doc).unwrap().unwrap();
        assert_eq!(out.findings.count_of("US_SSN"), 100);
        assert_eq!(out.findings.count_of("FIELD"), 100);
        let v: Value = serde_json::from_slice(&out.bytes).unwrap();
        assert_eq!(v[99]["k99"], 536221234u64);
    }

    #[test]
    fn escapes_in_masks_and_strings_are_json() {
        let r = Redactor::builder()
            .pattern("QUOTE", "q\"[a-z]+")
            .build()
            .unwrap();
        let out = r
            .redact_json_bytes(br#"{"a":"say q\"hello\" to x@example.com\n"}"#)
            .unwrap()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.bytes).unwrap();
        assert_eq!(v["a"], "say [REDACTED:QUOTE]\" to [REDACTED:EMAIL]\n");
    }

    #[test]
    fn json_in_strings_keeps_its_escapes_at_every_level() {
        let r = Redactor::default();
        // One level: `\u00e9`, `\/` and the escaped newline in the inner JSON's
        // whitespace stay as they were.
        let doc = br#"{"t":"{\"a\":\"x@example.com\",\n \"b\":\"caf\u00e9 \/\"}","z":1}"#;
        let out = r.redact_json_bytes(doc).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            r#"{"t":"{\"a\":\"[REDACTED:EMAIL]\",\n \"b\":\"caf\u00e9 \/\"}","z":1}"#
        );
        assert_eq!(
            out.findings
                .iter()
                .map(|f| f.location.as_str())
                .collect::<Vec<_>>(),
            ["/t/a"]
        );
        // Two levels: the mask's quotes are escaped twice over.
        let doc = br#"["{\"u\":\"{\\\"e\\\":\\\"x@example.com\\\"}\"}"]"#;
        let out = r.redact_json_bytes(doc).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(out.bytes).unwrap(),
            r#"["{\"u\":\"{\\\"e\\\":\\\"[REDACTED:EMAIL]\\\"}\"}"]"#
        );
        assert_same(&r, doc);
    }

    #[test]
    fn json_in_a_string_handed_back_after_a_mask_is_redone_whole() {
        let r = Redactor::default();
        // The inner walk masks the card, then meets a key holding PII: what it wrote is
        // undone and the `Value` walk redoes the string.
        let doc = br#"{"t":"{\"b\":\"4111111111111111\",\"x@example.com\":1}","z":"after"}"#;
        assert_same(&r, doc);
        let out = r.redact_json_bytes(doc).unwrap().unwrap();
        let text = String::from_utf8(out.bytes).unwrap();
        assert!(!text.contains("4111111111111111") && !text.contains("x@example.com"));
        assert!(text.ends_with(r#","z":"after"}"#), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        let inner: Value = serde_json::from_str(v["t"].as_str().unwrap()).unwrap();
        assert_eq!(inner["b"], "[REDACTED:CREDIT_CARD]");
        assert_eq!(inner["[REDACTED:EMAIL]"], 1);
    }

    #[test]
    fn keywords_are_found_wherever_they_hide() {
        let r = Redactor::default();
        let masked = |doc: &[u8]| {
            let out = r.redact_json_counts(doc).unwrap().unwrap();
            assert_same(&r, doc);
            (String::from_utf8(out.bytes).unwrap(), out.findings)
        };
        // In one string among others, at the top and in JSON in a string.
        let (text, found) = masked(
            br#"{"a":"4111111111111111","b":"note: password=Tr0ub4dor&3xK9!","c":"{\"d\":\"token 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\"}"}"#,
        );
        assert!(
            !text.contains("Tr0ub4dor") && !text.contains("ghp_Zq8"),
            "{text}"
        );
        assert_eq!(found.count_of("GENERIC_SECRET"), 1);
        assert_eq!(found.count_of("GITHUB_TOKEN"), 1);
        // Spelled with `\u` escapes (one level and two): every string is looked at.
        for doc in [
            &br#"["4111111111111111","\u0070assword=Tr0ub4dor&3xK9!"]"#[..],
            br#"["4111111111111111","[\"\\u0070assword=Tr0ub4dor&3xK9!\"]"]"#,
        ] {
            let (text, found) = masked(doc);
            assert_eq!(found.count_of("GENERIC_SECRET"), 1, "{text}");
        }
        // Across the edge of the chunks the document is searched in.
        for pad in 4050..4100 {
            let doc = format!(
                r#"["4111111111111111","{}","x password=Tr0ub4dor&3xK9!"]"#,
                "y".repeat(pad)
            );
            let (text, _) = masked(doc.as_bytes());
            assert!(!text.contains("Tr0ub4dor"), "{pad}");
        }
    }

    #[test]
    fn a_secret_word_before_a_hash_mask_finds_nothing_new() {
        // Found by the `redact` fuzz target: the text after `secret0:` was too short to
        // be a secret, but ran into the IP address's hash mask on a second pass.
        let r = Redactor::builder()
            .style(crate::redact::MaskStyle::Hash)
            .hash_key(b"fuzz".to_vec())
            .build()
            .unwrap();
        let doc = br#"{"p::%tord":"Tr0ub4dsecret0::1%fe80::% e10h"}"#;
        let once = r.redact_json_bytes(doc).unwrap().unwrap();
        assert_eq!(once.findings.count_of("IP_ADDRESS"), 1);
        assert!(r.redact_json_bytes(&once.bytes).unwrap().is_none());
    }

    #[test]
    fn the_tail_of_a_match_cut_by_an_overlap_is_masked_too() {
        // Found by the `redact` fuzz target: the second address's local part starts
        // inside the first one's domain, so it was dropped, and only a second pass
        // over the masked text found what was left of it.
        let r = Redactor::builder()
            .style(crate::redact::MaskStyle::Partial)
            .decode_base64(true)
            .build()
            .unwrap();
        let doc = br#"{"c}rsoz":"`3VzghuW_6JzI@DUzNi.yMiapihu_6JzI@DUzNi.yMiapkeyIGZp&GU="}"#;
        let once = r.redact_json_bytes(doc).unwrap().unwrap();
        assert_eq!(once.findings.count_of("EMAIL"), 2);
        assert!(r.redact_json_bytes(&once.bytes).unwrap().is_none());
        let mut v: Value = serde_json::from_slice(doc).unwrap();
        r.redact_value(&mut v, "");
        let again = v.clone();
        r.redact_value(&mut v, "");
        assert_eq!(v, again);
        assert_same(&r, doc);
        // Also found by it: two IPv6 addresses run together; the second only became
        // one once the first was masked.
        let r = Redactor::builder()
            .style(crate::redact::MaskStyle::Hash)
            .hash_key(b"fuzz".to_vec())
            .build()
            .unwrap();
        let doc = br#"{"ip":"fe:80::1%eth0::1%eth0"}"#;
        let once = r.redact_json_bytes(doc).unwrap().unwrap();
        assert_eq!(once.findings.count_of("IP_ADDRESS"), 2);
        assert!(r.redact_json_bytes(&once.bytes).unwrap().is_none());
        assert_same(&r, doc);
    }

    #[test]
    fn quotes_are_escaped_once_per_level() {
        for levels in 0..=super::MAX_NESTED_JSON {
            let mut escaped = Vec::new();
            super::push_escaped(&mut escaped, b"\"", levels);
            assert_eq!(super::quote(levels), escaped.as_slice(), "{levels}");
        }
    }

    /// How often a value took the redaction of a string that copied it, on this thread.
    fn repeats_taken() -> usize {
        super::REPEATS_TAKEN.with(std::cell::Cell::get)
    }

    /// A tool result as rmcp sends one: `structuredContent` and its text copy.
    fn tool_result(structured: &Value) -> Vec<u8> {
        let doc = json!({
            "jsonrpc": "2.0",
            "id": 7,
            "result": {
                "content": [{"type": "text", "text": structured.to_string()}],
                "structuredContent": structured,
                "isError": false
            }
        });
        serde_json::to_vec(&doc).unwrap()
    }

    #[test]
    fn structured_content_takes_the_redaction_of_its_text_copy() {
        let r = Redactor::default();
        let structured = json!({"rows": [
            {"card": "4111 1111 1111 1111", "ssn": "536-22-1234", "note": "say \"hi\"\n"},
            {"card": 5555555555554444u64, "email": "ann@example.com", "id": 12}
        ]});
        let doc = tool_result(&structured);
        let before = repeats_taken();
        let out = r.redact_json_bytes(&doc).unwrap().unwrap();
        assert_eq!(repeats_taken(), before + 1);
        let v: Value = serde_json::from_slice(&out.bytes).unwrap();
        let sc = &v["result"]["structuredContent"];
        assert_eq!(sc["rows"][0]["card"], "[REDACTED:CREDIT_CARD]");
        assert_eq!(sc["rows"][1]["card"], "[REDACTED:CREDIT_CARD]");
        assert_eq!(sc["rows"][0]["note"], "say \"hi\"\n");
        let text = v["result"]["content"][0]["text"].as_str().unwrap();
        assert_eq!(serde_json::from_str::<Value>(text).unwrap(), *sc);
        // Each copy is counted where it is.
        let mut found = sorted(&out.findings);
        found.sort();
        let at = |loc: &str| found.iter().filter(|f| f.1.starts_with(loc)).count();
        assert_eq!(at("/result/structuredContent/rows/"), 4);
        assert_eq!(at("/result/content/0/text/rows/"), 4);
        assert!(
            found
                .iter()
                .any(|f| f.1 == "/result/structuredContent/rows/1/email")
        );
        assert_same(&r, &doc);
        assert_eq!(repeats_taken(), before + 3);
    }

    #[test]
    fn a_copy_that_is_not_spelled_as_the_walk_escapes_is_walked_as_usual() {
        let r = Redactor::default();
        let structured = json!({"url": "a/b", "card": "4111 1111 1111 1111"});
        let doc = String::from_utf8(tool_result(&structured)).unwrap();
        // `\/` is a valid escape the walk never writes.
        let doc = doc.replacen("a/b", "a\\/b", 1);
        let before = repeats_taken();
        assert_same(&r, doc.as_bytes());
        assert_eq!(repeats_taken(), before);
    }

    #[test]
    fn a_copy_under_another_context_or_holding_json_is_not_reused() {
        let r = Redactor::default();
        let before = repeats_taken();
        // An array takes the context of its key: a bare 9-digit number is an SSN under
        // `ssn` only.
        let doc = br#"{"ssn":"[536221234]","other":[536221234]}"#;
        assert_same(&r, doc);
        let out = r.redact_json_bytes(doc).unwrap().unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&out.bytes).unwrap(),
            json!({"ssn": "[\"[REDACTED:US_SSN]\"]", "other": [536221234u64]})
        );
        // JSON in a string of the copy sits one string deeper than in the value.
        let inner = json!({"t": json!({"card": "4111 1111 1111 1111"}).to_string()});
        assert_same(&r, &tool_result(&inner));
        assert_eq!(repeats_taken(), before);
    }

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!("4111 1111 1111 1111")),
            Just(json!(4111111111111111u64)),
            Just(json!(536221234u64)),
            Just(json!(4155550123u64)),
            Just(json!("536-22-1234")),
            Just(json!("mail x@example.com now")),
            Just(json!("10.0.0.1")),
            Just(json!("AKIAQWERTYUIOPASDFGH")),
            Just(json!("Tr0ub4dor&3xK9!")),
            Just(json!(
                "see password=Tr0ub4dor&3xK9! or 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"
            )),
            Just(json!("[REDACTED:EMAIL]")),
            Just(json!("\u{200b}4\u{200b}111111111111111")),
            Just(json!("\u{ff14}111111111111111")),
            Just(json!(1.5)),
            Just(json!(-42)),
            Just(json!(null)),
            Just(json!(true)),
            "[a-z0-9 .@:-]{0,12}".prop_map(Value::from),
        ]
    }

    fn doc() -> impl Strategy<Value = Value> {
        let keys = prop_oneof![
            Just("ssn"),
            Just("phone"),
            Just("password"),
            Just("version"),
            Just("note"),
            Just("aws_secret_access_key"),
            Just("secret_x"),
            Just("id"),
            Just("text"),
        ];
        leaf().prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec((keys.clone(), inner.clone()), 0..5).prop_map(|kv| {
                    Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
                // JSON inside a string.
                inner.prop_map(|v| Value::String(v.to_string())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_value_after_its_copy_in_a_string_is_redacted_as_both_would_be(
            v in doc(),
            copy_key in prop_oneof![Just("a"), Just("ssn"), Just("text")],
            value_key in prop_oneof![Just("b"), Just("phone"), Just("z")],
        ) {
            let doc = json!({ copy_key: v.to_string(), value_key: v });
            for r in [
                Redactor::default(),
                Redactor::builder().field("secret*").pattern("WORD", "ex[a-z]+").build().unwrap(),
            ] {
                assert_same(&r, &serde_json::to_vec(&doc).unwrap());
                assert_same(&r, &tool_result(&v));
            }
        }

        #[test]
        fn byte_walk_agrees_with_the_value_walk(v in doc(), pretty in any::<bool>()) {
            for r in [
                Redactor::default(),
                Redactor::builder().field("secret*").pattern("WORD", "ex[a-z]+").build().unwrap(),
            ] {
                let doc = if pretty {
                    serde_json::to_vec_pretty(&v).unwrap()
                } else {
                    serde_json::to_vec(&v).unwrap()
                };
                assert_same(&r, &doc);
            }
        }
    }
}
