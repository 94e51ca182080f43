//! Incremental Server-Sent Events (SSE) parsing and writing.
//!
//! MCP servers answer on `text/event-stream` bodies, and the layer rewrites those streams
//! event by event. HTTP body frames do not line up with events, so [`SseParser`] is fed
//! arbitrary chunks ([`SseParser::push`]) and yields complete event blocks
//! ([`SseParser::next_event`]). Each [`SseEvent`] keeps the exact bytes it was parsed from
//! ([`SseEvent::raw`]), so an event that is not modified can be passed on byte for byte; a
//! modified event is written canonically with [`SseEvent::encode`].
//!
//! The grammar is the WHATWG `text/event-stream` interpretation:
//!
//! * lines end in CRLF, LF or CR (a CRLF split across two chunks is one line ending);
//! * a blank line ends a block;
//! * lines starting with `:` are comments;
//! * `name:value` sets a field, with one optional space after the colon removed; a line
//!   without a colon is a field name with an empty value;
//! * `event`, `data`, `id` and `retry` are understood, other fields are ignored (they stay
//!   in [`SseEvent::raw`]); several `data` lines join with `"\n"`; `retry` counts only if
//!   it is all ASCII digits; an `id` containing NUL is ignored;
//! * a UTF-8 byte order mark at the very start of the stream is stripped; invalid UTF-8
//!   is decoded lossily (U+FFFD).
//!
//! Unlike a browser, the parser yields *every* block, including blocks without `data`
//! (rmcp's priming event has an empty `data`, keep-alives are bare comments), so that a
//! rewriter passes everything through.
//!
//! ```
//! use tollgate::mcp::sse::SseParser;
//!
//! let mut parser = SseParser::new(1 << 20);
//! // Chunks may split anywhere, here inside the field name and between CR and LF.
//! parser.push(b"da");
//! parser.push(b"ta: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\r");
//! assert!(parser.next_event()?.is_none());
//! parser.push(b"\nid: 1/0\r\n\r\n:\n\n");
//!
//! let event = parser.next_event()?.expect("a complete event");
//! assert_eq!(event.data.as_deref(), Some(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#));
//! assert_eq!(event.id.as_deref(), Some("1/0"));
//! // Unmodified events pass through byte for byte ...
//! assert_eq!(&event.raw()[..], &b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\r\nid: 1/0\r\n\r\n"[..]);
//! // ... modified ones are re-encoded with LF line endings.
//! let rewritten = event.with_data(r#"{"jsonrpc":"2.0","id":1,"result":{"x":1}}"#.to_owned());
//! assert_eq!(&rewritten.raw()[..], &b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"x\":1}}\nid: 1/0\n\n"[..]);
//!
//! // The keep-alive comment is an event too.
//! let keep_alive = parser.next_event()?.expect("a keep-alive");
//! assert!(keep_alive.is_comment_only());
//! assert_eq!(&keep_alive.raw()[..], b":\n\n");
//!
//! assert!(parser.next_event()?.is_none());
//! assert!(parser.finish()?.is_none());
//! assert_eq!(parser.pending_bytes(), 0);
//! # Ok::<(), tollgate::mcp::sse::SseError>(())
//! ```

use bytes::{BufMut, Bytes, BytesMut};

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One SSE event block: the fields it set and the exact bytes it was read from.
///
/// Blocks without `data` are events too (comment-only keep-alives, blocks with only an
/// `id` or unknown fields, a stray blank line): the parser yields every block so that a
/// rewriter can pass it on.
///
/// The public fields may be changed, but [`SseEvent::raw`] keeps the bytes the event was
/// built from; after changing a field, write the event with [`SseEvent::encode`] (or build
/// the copy with [`SseEvent::with_data`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent {
    /// The value of the last `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `"\n"`; `None` when the block had no `data` field.
    /// rmcp's priming event (`data: ` with nothing after the space) gives `Some("")`.
    pub data: Option<String>,
    /// The value of the last `id:` field that contained no NUL, if any (`Some("")` for an
    /// `id` field with an empty value, which per WHATWG resets the last event id).
    pub id: Option<String>,
    /// The value of the last `retry:` field made only of ASCII digits (and fitting a
    /// `u64`), if any.
    pub retry: Option<u64>,
    /// The exact bytes of the block, including its terminating blank line and any comment
    /// and unknown-field lines in it.
    raw: Bytes,
}

impl SseEvent {
    /// An event carrying only `data`, e.g. a JSON-RPC message the layer writes itself.
    /// Its [`raw`](SseEvent::raw) bytes are its [`encode`](SseEvent::encode)d form.
    ///
    /// ```
    /// use tollgate::mcp::sse::SseEvent;
    ///
    /// let event = SseEvent::from_data(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#.to_owned());
    /// assert_eq!(&event.raw()[..], &b"data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"[..]);
    /// ```
    pub fn from_data(data: String) -> SseEvent {
        let mut event = SseEvent {
            event: None,
            data: Some(data),
            id: None,
            retry: None,
            raw: Bytes::new(),
        };
        event.raw = event.encode();
        event
    }

    /// The exact bytes this event was parsed from, including its terminating blank line
    /// and any comment lines. For an event built by [`SseEvent::with_data`] or
    /// [`SseEvent::from_data`] this is its [`encode`](SseEvent::encode)d form.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// The canonical encoding of the fields: `event: x\n` if set, one `data: line\n` per
    /// line of `data`, `id: x\n`, `retry: n\n`, then the blank line `\n`. Line endings are
    /// LF and there is always one space after the colon, so `data` of `Some("")` is written
    /// `data: \n` exactly as rmcp does. Comments and unknown fields are not written.
    ///
    /// SSE cannot carry a CR inside a value: in `data`, CRLF and CR are treated as line
    /// breaks like LF; in `event` and `id`, CR and LF are dropped, so the output is always
    /// exactly one well-formed event.
    ///
    /// ```
    /// use tollgate::mcp::sse::parse_all;
    ///
    /// let rmcp = b"data: \nid: 0/3\nretry: 3000\n\n";
    /// let events = parse_all(rmcp, 1024)?;
    /// assert_eq!(&events[0].encode()[..], &rmcp[..]);
    /// # Ok::<(), tollgate::mcp::sse::SseError>(())
    /// ```
    pub fn encode(&self) -> Bytes {
        let mut capacity = 1;
        if let Some(event) = &self.event {
            capacity += b"event: \n".len() + event.len();
        }
        if let Some(data) = &self.data {
            let breaks = data.bytes().filter(|&b| b == b'\n' || b == b'\r').count();
            capacity += data.len() + (breaks + 1) * b"data: \n".len();
        }
        if let Some(id) = &self.id {
            capacity += b"id: \n".len() + id.len();
        }
        if self.retry.is_some() {
            capacity += b"retry: \n".len() + 20;
        }

        let mut out = BytesMut::with_capacity(capacity);
        if let Some(event) = &self.event {
            put_single_line(&mut out, b"event: ", event);
        }
        if let Some(data) = &self.data {
            for line in Lines::new(data.as_bytes()) {
                out.put_slice(b"data: ");
                out.put_slice(line);
                out.put_u8(b'\n');
            }
        }
        if let Some(id) = &self.id {
            put_single_line(&mut out, b"id: ", id);
        }
        if let Some(retry) = self.retry {
            out.put_slice(b"retry: ");
            out.put_slice(retry.to_string().as_bytes());
            out.put_u8(b'\n');
        }
        out.put_u8(b'\n');
        out.freeze()
    }

    /// A copy of this event with `data` replaced (`event`, `id` and `retry` are kept);
    /// its [`raw`](SseEvent::raw) bytes are its [`encode`](SseEvent::encode)d form.
    pub fn with_data(&self, data: String) -> SseEvent {
        let mut event = SseEvent {
            event: self.event.clone(),
            data: Some(data),
            id: self.id.clone(),
            retry: self.retry,
            raw: Bytes::new(),
        };
        event.raw = event.encode();
        event
    }

    /// Whether the block set none of `event`, `data`, `id` and `retry`: a keep-alive
    /// comment (`:\n\n`), a stray blank line, or a block of only unknown or ignored fields.
    pub fn is_comment_only(&self) -> bool {
        self.event.is_none() && self.data.is_none() && self.id.is_none() && self.retry.is_none()
    }
}

/// Writes `prefix`, `value` with CR and LF removed, and `\n`.
fn put_single_line(out: &mut BytesMut, prefix: &[u8], value: &str) {
    out.put_slice(prefix);
    for part in Lines::new(value.as_bytes()) {
        out.put_slice(part);
    }
    out.put_u8(b'\n');
}

/// Splits bytes into lines at CRLF, CR or LF; like `str::split('\n')`, a trailing line
/// break yields a final empty line and empty input yields one empty line.
struct Lines<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines { rest: Some(bytes) }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        let Some((line, tail)) = find_line_break(rest).and_then(|i| rest.split_at_checked(i))
        else {
            self.rest = None;
            return Some(rest);
        };
        let skip = if tail.starts_with(b"\r\n") { 2 } else { 1 };
        self.rest = Some(tail.get(skip..).unwrap_or_default());
        Some(line)
    }
}

/// The position of the first CR or LF.
fn find_line_break(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n' || b == b'\r')
}

/// Why an SSE stream could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// One event block (its raw bytes, terminating blank line included) is larger than the
    /// cap given to [`SseParser::new`], or a block still in progress already is.
    #[error("SSE event exceeds the limit of {limit} bytes")]
    EventTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
}

/// The fields of the block in progress.
#[derive(Debug, Default)]
struct Fields {
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
}

impl Fields {
    /// Applies one complete, non-blank line (without its line ending).
    fn apply_line(&mut self, line: &[u8]) {
        if line.first() == Some(&b':') {
            return;
        }
        let (name, value) = match line
            .iter()
            .position(|&b| b == b':')
            .and_then(|i| line.split_at_checked(i))
        {
            Some((name, colon_value)) => {
                let value = colon_value.get(1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            b"data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(&String::from_utf8_lossy(value));
                }
                None => self.data = Some(String::from_utf8_lossy(value).into_owned()),
            },
            // An `id` containing NUL is ignored.
            b"id" if !value.contains(&0) => {
                self.id = Some(String::from_utf8_lossy(value).into_owned());
            }
            // A `retry` that is not all ASCII digits is ignored.
            b"retry" => self.retry = parse_digits(value).or(self.retry),
            _ => {}
        }
    }
}

/// A non-empty run of ASCII digits as a `u64`; `None` for anything else or on overflow.
fn parse_digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// An incremental SSE parser with bounded memory.
///
/// Feed it body chunks with [`push`](SseParser::push), split anywhere, and after each push
/// call [`next_event`](SseParser::next_event) until it returns `Ok(None)`. At the end of
/// the body call [`finish`](SseParser::finish) until it returns `Ok(None)`.
///
/// Byte-exactness: the concatenation of the [`raw`](SseEvent::raw) bytes of all events
/// equals the input without a leading byte order mark (which is stripped and belongs to no
/// event) and without an unterminated tail (which is discarded, see
/// [`finish`](SseParser::finish)).
///
/// Memory: input is copied into one buffer and events are zero-copy slices of it. A block
/// whose raw bytes exceed the cap is an [`SseError::EventTooLarge`]; the check covers the
/// block in progress too, so a server that never sends a blank line is refused as soon as
/// the data it sent exceeds the cap, not when the block completes. The buffer thus holds
/// at most the cap plus what was pushed since `next_event` last returned `Ok(None)`.
/// The error is final: afterwards the buffer is freed, pushes are ignored and
/// `next_event` and `finish` return the same error again.
///
/// Input already scanned is not scanned again when a line or block is incomplete.
///
/// One consequence of byte-exactness: when a blank line ends in a CR that is the last byte
/// received so far, the event is held until the next byte (or [`finish`](SseParser::finish))
/// shows whether an LF belongs to it. Servers using CRLF or LF are not affected.
#[derive(Debug)]
pub struct SseParser {
    /// Input not yet returned in an event; the block in progress starts at offset 0.
    buf: BytesMut,
    /// The cap on one block's raw bytes.
    max_event_bytes: usize,
    /// Start of the current, incomplete line.
    line_start: usize,
    /// Where the search for the next line ending resumes (bytes before it are scanned).
    search_from: usize,
    /// The last line ended in a CR that was the last byte of `buf`: an LF arriving next
    /// belongs to that line ending.
    after_cr: bool,
    /// The blank line ending the block was a CR at the end of `buf` (see `after_cr`).
    block_ended: bool,
    /// Fields of the block in progress.
    fields: Fields,
    /// Whether the start of the stream has been checked for a byte order mark.
    bom_checked: bool,
    /// `finish` was called: no more input.
    finished: bool,
    /// An event was too large; the parser is dead.
    failed: bool,
    /// Bytes of an unterminated tail discarded by `finish`.
    discarded: usize,
}

impl SseParser {
    /// A parser refusing any event block larger than `max_event_bytes` (raw bytes, line
    /// endings and comments included).
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            buf: BytesMut::new(),
            max_event_bytes,
            line_start: 0,
            search_from: 0,
            after_cr: false,
            block_ended: false,
            fields: Fields::default(),
            bom_checked: false,
            finished: false,
            failed: false,
            discarded: 0,
        }
    }

    /// Appends a chunk of the stream. Chunks may split the input anywhere: inside a field
    /// name, inside a UTF-8 sequence, between a CR and its LF. Input pushed after
    /// [`finish`](SseParser::finish) or after an error is ignored.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed || self.finished {
            return;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete event block, or `Ok(None)` when more input is needed.
    ///
    /// # Errors
    ///
    /// [`SseError::EventTooLarge`] when the raw bytes of a block, complete or still in
    /// progress, exceed the cap. The error is final.
    pub fn next_event(&mut self) -> Result<Option<SseEvent>, SseError> {
        if self.failed {
            return Err(self.too_large());
        }
        if !self.bom_checked {
            if !self.finished && self.buf.len() < BOM.len() && BOM.starts_with(&self.buf) {
                // Could still become a byte order mark.
                return Ok(None);
            }
            if self.buf.starts_with(BOM) {
                let _bom = self.buf.split_to(BOM.len());
            }
            self.bom_checked = true;
        }

        loop {
            if self.after_cr {
                match self.buf.get(self.line_start) {
                    Some(&next) => {
                        if next == b'\n' {
                            self.line_start += 1;
                            self.search_from = self.line_start;
                        }
                        self.after_cr = false;
                    }
                    // A CR at the very end of the stream is a complete line ending.
                    None if self.finished => self.after_cr = false,
                    None => break,
                }
                if self.block_ended {
                    self.block_ended = false;
                    return self.dispatch();
                }
            }

            // Never search past the cap: a block that has not ended within it is too large.
            let limit = self.buf.len().min(self.max_event_bytes.saturating_add(1));
            let Some(unscanned) = self.buf.get(self.search_from..limit) else {
                break;
            };
            let Some(offset) = find_line_break(unscanned) else {
                if limit < self.buf.len() {
                    return Err(self.fail());
                }
                self.search_from = limit;
                break;
            };
            let end = self.search_from + offset;
            let line = self.buf.get(self.line_start..end).unwrap_or_default();
            let blank = line.is_empty();
            if !blank {
                self.fields.apply_line(line);
            }
            let mut next = end + 1;
            if self.buf.get(end) == Some(&b'\r') {
                match self.buf.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            self.line_start = next;
            self.search_from = next;
            if blank {
                if self.after_cr {
                    // Wait for the byte after the CR before cutting the block.
                    self.block_ended = true;
                } else {
                    return self.dispatch();
                }
            }
        }

        if self.buf.len() > self.max_event_bytes {
            return Err(self.fail());
        }
        Ok(None)
    }

    /// Ends the stream. Returns the complete events still buffered, one per call (a block
    /// whose final blank line is a lone CR at the very end of the input is complete); call
    /// it until it returns `Ok(None)`.
    ///
    /// Per WHATWG an unterminated trailing block (no blank line yet) is not dispatched: it
    /// is discarded and `Ok(None)` is returned. [`pending_bytes`](SseParser::pending_bytes)
    /// then tells how many bytes were dropped. Later pushes are ignored.
    ///
    /// # Errors
    ///
    /// [`SseError::EventTooLarge`], as for [`next_event`](SseParser::next_event).
    pub fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        self.finished = true;
        if let Some(event) = self.next_event()? {
            return Ok(Some(event));
        }
        self.discarded += self.buf.len();
        self.buf = BytesMut::new();
        self.reset_block();
        Ok(None)
    }

    /// Bytes received but not returned in an event: the block in progress plus complete
    /// events not yet taken. After [`finish`](SseParser::finish) has returned `Ok(None)`,
    /// the size of the unterminated tail it discarded (0 when the stream ended cleanly).
    /// A stripped byte order mark is not counted; after an error the buffer is freed and
    /// this is 0.
    pub fn pending_bytes(&self) -> usize {
        self.buf.len() + self.discarded
    }

    /// Cuts the block ending at `line_start` off the buffer.
    fn dispatch(&mut self) -> Result<Option<SseEvent>, SseError> {
        let end = self.line_start.min(self.buf.len());
        if end > self.max_event_bytes {
            return Err(self.fail());
        }
        let raw = self.buf.split_to(end).freeze();
        let fields = std::mem::take(&mut self.fields);
        self.reset_block();
        Ok(Some(SseEvent {
            event: fields.event,
            data: fields.data,
            id: fields.id,
            retry: fields.retry,
            raw,
        }))
    }

    /// Resets the scanning state for a block starting at offset 0.
    fn reset_block(&mut self) {
        self.line_start = 0;
        self.search_from = 0;
        self.after_cr = false;
        self.block_ended = false;
        self.fields = Fields::default();
    }

    /// Marks the parser dead and frees its buffer.
    fn fail(&mut self) -> SseError {
        self.failed = true;
        self.buf = BytesMut::new();
        self.reset_block();
        self.too_large()
    }

    fn too_large(&self) -> SseError {
        SseError::EventTooLarge {
            limit: self.max_event_bytes,
        }
    }
}

/// Parses a whole stream at once: every complete event, in order. An unterminated tail is
/// discarded, as by [`SseParser::finish`].
///
/// ```
/// use tollgate::mcp::sse::parse_all;
///
/// let events = parse_all(b"event: message\nid: 1\ndata: {}\n\n:\n\ndata: tail", 1024)?;
/// assert_eq!(events.len(), 2);
/// assert_eq!(events[0].event.as_deref(), Some("message"));
/// assert_eq!(events[0].data.as_deref(), Some("{}"));
/// assert!(events[1].is_comment_only());
/// # Ok::<(), tollgate::mcp::sse::SseError>(())
/// ```
///
/// # Errors
///
/// [`SseError::EventTooLarge`] when a block is larger than `max_event_bytes`.
pub fn parse_all(input: &[u8], max_event_bytes: usize) -> Result<Vec<SseEvent>, SseError> {
    let mut parser = SseParser::new(max_event_bytes);
    parser.push(input);
    let mut events = Vec::new();
    while let Some(event) = parser.finish()? {
        events.push(event);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: usize = 1 << 16;

    /// Parses `chunks` pushed one at a time, draining after each push, then finishing.
    fn parse_chunks(chunks: &[&[u8]], cap: usize) -> Result<Vec<SseEvent>, SseError> {
        let mut parser = SseParser::new(cap);
        let mut events = Vec::new();
        for chunk in chunks {
            parser.push(chunk);
            while let Some(event) = parser.next_event()? {
                events.push(event);
            }
        }
        while let Some(event) = parser.finish()? {
            events.push(event);
        }
        Ok(events)
    }

    fn one(input: &[u8]) -> SseEvent {
        let mut events = parse_all(input, CAP).unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        events.remove(0)
    }

    fn raw_concat(events: &[SseEvent]) -> Vec<u8> {
        events
            .iter()
            .flat_map(|e| e.raw().iter().copied())
            .collect()
    }

    /// Every split into two chunks, and byte-at-a-time, gives the same events as one chunk.
    fn assert_split_invariant(input: &[u8]) -> Vec<SseEvent> {
        let whole = parse_chunks(&[input], CAP).unwrap();
        for at in 0..=input.len() {
            let (a, b) = input.split_at(at);
            assert_eq!(parse_chunks(&[a, b], CAP).unwrap(), whole, "split at {at}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(parse_chunks(&bytes, CAP).unwrap(), whole, "byte at a time");
        whole
    }

    #[test]
    fn rmcp_events_with_ids() {
        let input = b"data: \nid: 0/3\nretry: 3000\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{}}\nid: 3/3\n\n";
        let events = assert_split_invariant(input);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].data.as_deref(), Some(""));
        assert_eq!(events[0].id.as_deref(), Some("0/3"));
        assert_eq!(events[0].retry, Some(3000));
        assert_eq!(events[0].event, None);
        assert!(!events[0].is_comment_only());
        assert_eq!(&events[0].raw()[..], b"data: \nid: 0/3\nretry: 3000\n\n");
        assert_eq!(
            events[1].data.as_deref(),
            Some("{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{}}")
        );
        assert_eq!(events[1].id.as_deref(), Some("3/3"));
        assert_eq!(events[1].retry, None);
        assert_eq!(raw_concat(&events), input);
        // encode() of rmcp events reproduces rmcp's bytes.
        for event in &events {
            assert_eq!(event.encode(), event.raw());
        }
    }

    #[test]
    fn priming_event() {
        let event = one(b"data: \nid: 0\nretry: 3000\n\n");
        assert_eq!(event.data.as_deref(), Some(""));
        assert_eq!(event.id.as_deref(), Some("0"));
        assert_eq!(event.retry, Some(3000));
        assert_eq!(&event.encode()[..], b"data: \nid: 0\nretry: 3000\n\n");
    }

    #[test]
    fn typescript_sdk_event() {
        let input =
            b"event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n";
        let events = assert_split_invariant(input);
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert_eq!(event.event.as_deref(), Some("message"));
        assert_eq!(event.id.as_deref(), Some("1"));
        assert_eq!(
            event.data.as_deref(),
            Some("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}")
        );
        assert_eq!(&event.raw()[..], input);
        // Canonical order is event, data, id.
        assert_eq!(
            &event.encode()[..],
            b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\nid: 1\n\n"
        );
    }

    #[test]
    fn keep_alive_comment() {
        let events = assert_split_invariant(b":\n\ndata: x\n\n: ping\n\n");
        assert_eq!(events.len(), 3);
        assert!(events[0].is_comment_only());
        assert_eq!(&events[0].raw()[..], b":\n\n");
        assert_eq!(events[0].data, None);
        assert_eq!(&events[0].encode()[..], b"\n");
        assert_eq!(events[1].data.as_deref(), Some("x"));
        assert!(events[2].is_comment_only());
        assert_eq!(&events[2].raw()[..], b": ping\n\n");
    }

    #[test]
    fn comment_inside_event_is_in_raw() {
        let event = one(b"data: a\n: note\ndata: b\n\n");
        assert_eq!(event.data.as_deref(), Some("a\nb"));
        assert_eq!(&event.raw()[..], b"data: a\n: note\ndata: b\n\n");
        assert_eq!(&event.encode()[..], b"data: a\ndata: b\n\n");
    }

    #[test]
    fn line_endings_crlf_cr_lf() {
        let lf = b"event: e\ndata: a\ndata: b\nid: 7\n\n";
        let crlf = b"event: e\r\ndata: a\r\ndata: b\r\nid: 7\r\n\r\n";
        let cr = b"event: e\rdata: a\rdata: b\rid: 7\r\r";
        let mixed = b"event: e\r\ndata: a\rdata: b\nid: 7\r\n\r";
        for input in [&lf[..], &crlf[..], &cr[..], &mixed[..]] {
            let events = assert_split_invariant(input);
            assert_eq!(events.len(), 1, "{input:?}");
            let event = &events[0];
            assert_eq!(event.event.as_deref(), Some("e"));
            assert_eq!(event.data.as_deref(), Some("a\nb"));
            assert_eq!(event.id.as_deref(), Some("7"));
            assert_eq!(&event.raw()[..], input);
            assert_eq!(&event.encode()[..], &lf[..]);
        }
    }

    #[test]
    fn cr_lf_split_across_chunks() {
        // CR at the end of one chunk, LF at the start of the next: one line ending.
        let events = parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"], CAP).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.as_deref(), Some("a\nb"));
        assert_eq!(&events[0].raw()[..], b"data: a\r\ndata: b\r\n\r\n");

        // The event whose blank line is a trailing CR is held until the next byte.
        let mut parser = SseParser::new(CAP);
        parser.push(b"data: a\r\r");
        assert_eq!(parser.next_event().unwrap(), None);
        parser.push(b"\n");
        let event = parser.next_event().unwrap().unwrap();
        assert_eq!(&event.raw()[..], b"data: a\r\r\n");
        // A CR followed by something else: the event is complete without it.
        parser.push(b"\r");
        assert_eq!(parser.next_event().unwrap(), None);
        parser.push(b"data: b\n\n");
        let event = parser.next_event().unwrap().unwrap();
        assert!(event.is_comment_only());
        assert_eq!(&event.raw()[..], b"\r");
        let event = parser.next_event().unwrap().unwrap();
        assert_eq!(event.data.as_deref(), Some("b"));
        assert_eq!(parser.next_event().unwrap(), None);
    }

    #[test]
    fn trailing_cr_blank_line_dispatched_at_finish() {
        let mut parser = SseParser::new(CAP);
        parser.push(b"data: a\r\r");
        assert_eq!(parser.next_event().unwrap(), None);
        let event = parser.finish().unwrap().unwrap();
        assert_eq!(event.data.as_deref(), Some("a"));
        assert_eq!(&event.raw()[..], b"data: a\r\r");
        assert_eq!(parser.finish().unwrap(), None);
        assert_eq!(parser.pending_bytes(), 0);
    }

    #[test]
    fn multi_line_data() {
        let event = one(b"data: {\ndata:   \"a\": 1\ndata: }\ndata\ndata:\n\n");
        assert_eq!(event.data.as_deref(), Some("{\n  \"a\": 1\n}\n\n"));
        assert_eq!(
            &event.encode()[..],
            b"data: {\ndata:   \"a\": 1\ndata: }\ndata: \ndata: \n\n"
        );
        let reparsed = one(&event.encode());
        assert_eq!(reparsed.data, event.data);
    }

    #[test]
    fn optional_space_after_colon() {
        assert_eq!(one(b"data:x\n\n").data.as_deref(), Some("x"));
        assert_eq!(one(b"data: x\n\n").data.as_deref(), Some("x"));
        // Only one space is removed.
        assert_eq!(one(b"data:  x\n\n").data.as_deref(), Some(" x"));
        assert_eq!(one(b"data:\tx\n\n").data.as_deref(), Some("\tx"));
        assert_eq!(one(b"data:\n\n").data.as_deref(), Some(""));
        // Only the first colon separates name and value.
        assert_eq!(one(b"data: a:b: c\n\n").data.as_deref(), Some("a:b: c"));
        assert_eq!(one(b"event:x\n\n").event.as_deref(), Some("x"));
        assert_eq!(one(b"id:x\n\n").id.as_deref(), Some("x"));
    }

    #[test]
    fn byte_order_mark_is_stripped() {
        let input = b"\xEF\xBB\xBFdata: x\n\n";
        let events = assert_split_invariant(input);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.as_deref(), Some("x"));
        assert_eq!(&events[0].raw()[..], b"data: x\n\n");
        // Only at the very start of the stream.
        let events = parse_all(b"data: x\n\n\xEF\xBB\xBFdata: y\n\n", CAP).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].data, None);
        assert!(events[1].is_comment_only());
        // A BOM prefix that is not a BOM is input.
        let events = assert_split_invariant(b"\xEF\xBBdata: y\n\n");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, None);
        assert_eq!(&events[0].raw()[..], b"\xEF\xBBdata: y\n\n");
        // Only one BOM is stripped.
        let events = parse_all(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: z\n\n", CAP).unwrap();
        assert_eq!(&events[0].raw()[..], b"\xEF\xBB\xBFdata: z\n\n");
        assert_eq!(events[0].data, None);
    }

    #[test]
    fn field_without_colon() {
        let event = one(b"data\n\n");
        assert_eq!(event.data.as_deref(), Some(""));
        let event = one(b"event\nid\n\n");
        assert_eq!(event.event.as_deref(), Some(""));
        assert_eq!(event.id.as_deref(), Some(""));
        // `retry` without a value is ignored.
        assert_eq!(one(b"retry\n\n").retry, None);
    }

    #[test]
    fn unknown_fields_are_ignored_but_kept_raw() {
        let input = b"foo: bar\nData: x\ndata : y\ndata: z\n\n";
        let event = one(input);
        assert_eq!(event.data.as_deref(), Some("z"));
        assert_eq!(&event.raw()[..], input);
        assert_eq!(&event.encode()[..], b"data: z\n\n");
        let event = one(b"foo: bar\n\n");
        assert!(event.is_comment_only());
    }

    #[test]
    fn retry_only_ascii_digits() {
        assert_eq!(one(b"retry: 3000\n\n").retry, Some(3000));
        assert_eq!(one(b"retry:0\n\n").retry, Some(0));
        assert_eq!(one(b"retry: 30s\n\n").retry, None);
        assert_eq!(one(b"retry: -1\n\n").retry, None);
        assert_eq!(one(b"retry: 1.5\n\n").retry, None);
        assert_eq!(one(b"retry:  1\n\n").retry, None);
        assert_eq!(one(b"retry: \n\n").retry, None);
        assert_eq!(one(b"retry: 99999999999999999999999\n\n").retry, None);
        // An invalid retry does not reset an earlier valid one.
        assert_eq!(one(b"retry: 5\nretry: x\n\n").retry, Some(5));
        assert!(one(b"retry: x\n\n").is_comment_only());
    }

    #[test]
    fn id_with_nul_is_ignored() {
        assert_eq!(one(b"id: a\0b\ndata: x\n\n").id, None);
        assert_eq!(one(b"id: 1\nid: a\0b\n\n").id.as_deref(), Some("1"));
        assert_eq!(one(b"id: 1\nid: 2\n\n").id.as_deref(), Some("2"));
    }

    #[test]
    fn utf8_split_across_chunks() {
        let input = "data: caf\u{e9} \u{1F600} \u{4e2d}\n\n".as_bytes();
        let events = assert_split_invariant(input);
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].data.as_deref(),
            Some("caf\u{e9} \u{1F600} \u{4e2d}")
        );
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let event = one(b"data: a\xFFb\xF0\x9F\ndata: \xC3\n\n");
        assert_eq!(event.data.as_deref(), Some("a\u{FFFD}b\u{FFFD}\n\u{FFFD}"));
        assert_eq!(&event.raw()[..], b"data: a\xFFb\xF0\x9F\ndata: \xC3\n\n");
    }

    #[test]
    fn cap_exceeded_is_an_error() {
        let input = b"data: 0123456789\n\n"; // 18 bytes
        assert_eq!(parse_all(input, 18).unwrap().len(), 1);
        assert_eq!(
            parse_all(input, 17),
            Err(SseError::EventTooLarge { limit: 17 })
        );
        // The cap is per event, not per stream.
        let two = b"data: 0123456789\n\ndata: 0123456789\n\n";
        assert_eq!(parse_all(two, 18).unwrap().len(), 2);
        // Events before the large one are still returned; the error is final.
        let mut parser = SseParser::new(18);
        parser.push(b"data: ok\n\ndata: 01234567890\n\ndata: ok\n\n");
        assert!(parser.next_event().unwrap().is_some());
        assert!(parser.next_event().is_err());
        assert!(parser.next_event().is_err());
        parser.push(b"data: x\n\n");
        assert!(parser.finish().is_err());
        assert_eq!(parser.pending_bytes(), 0);
        // Split input hits the same error.
        for at in 0..=input.len() {
            let (a, b) = input.split_at(at);
            assert!(parse_chunks(&[a, b], 17).is_err(), "split at {at}");
            assert_eq!(parse_chunks(&[a, b], 18).unwrap().len(), 1, "split at {at}");
        }
        // CRLF: the LF after the final CR counts.
        assert!(parse_all(b"data: x\r\n\r\n", 10).is_err());
        assert_eq!(parse_all(b"data: x\r\n\r\n", 11).unwrap().len(), 1);
    }

    #[test]
    fn cap_enforced_while_block_incomplete() {
        let mut parser = SseParser::new(64);
        parser.push(b"data: ");
        assert_eq!(parser.next_event().unwrap(), None);
        let mut failed = false;
        for _ in 0..100 {
            parser.push(b"xxxxxxxx");
            match parser.next_event() {
                Ok(None) => assert!(parser.pending_bytes() <= 64),
                Ok(Some(event)) => panic!("unexpected event {event:?}"),
                Err(err) => {
                    assert_eq!(err, SseError::EventTooLarge { limit: 64 });
                    failed = true;
                    break;
                }
            }
        }
        assert!(failed);
        // The buffer is freed and further input ignored.
        parser.push(&[b'x'; 1000]);
        assert_eq!(parser.pending_bytes(), 0);

        // Many complete lines but no blank line also hit the cap.
        let mut parser = SseParser::new(64);
        let mut result = Ok(None);
        for _ in 0..20 {
            parser.push(b"data: x\n");
            result = parser.next_event();
            if result.is_err() {
                break;
            }
        }
        assert!(result.is_err());

        // One large push without any line ending is refused without scanning it all.
        let mut parser = SseParser::new(64);
        parser.push(&vec![b'a'; 1 << 20]);
        assert!(parser.next_event().is_err());
    }

    #[test]
    fn finish_discards_unterminated_block() {
        let mut parser = SseParser::new(CAP);
        parser.push(b"data: a\n\ndata: b\n");
        assert!(parser.next_event().unwrap().is_some());
        assert_eq!(parser.next_event().unwrap(), None);
        assert_eq!(parser.pending_bytes(), 8);
        assert_eq!(parser.finish().unwrap(), None);
        assert_eq!(parser.pending_bytes(), 8);
        // Input after finish is ignored.
        parser.push(b"\n");
        assert_eq!(parser.next_event().unwrap(), None);
        assert_eq!(parser.finish().unwrap(), None);

        // Incomplete last line and a lone trailing CR.
        assert!(parse_all(b"data: a", CAP).unwrap().is_empty());
        assert!(parse_all(b"data: a\r", CAP).unwrap().is_empty());

        // finish returns complete events that were not yet taken, one per call.
        let mut parser = SseParser::new(CAP);
        parser.push(b"data: 1\n\ndata: 2\n\ndata: 3");
        assert_eq!(parser.finish().unwrap().unwrap().data.as_deref(), Some("1"));
        assert_eq!(parser.finish().unwrap().unwrap().data.as_deref(), Some("2"));
        assert_eq!(parser.finish().unwrap(), None);
        assert_eq!(parser.pending_bytes(), 7);

        // A clean end leaves nothing pending.
        let mut parser = SseParser::new(CAP);
        parser.push(b"data: 1\n\n");
        assert!(parser.finish().unwrap().is_some());
        assert_eq!(parser.finish().unwrap(), None);
        assert_eq!(parser.pending_bytes(), 0);
    }

    #[test]
    fn raw_is_byte_exact() {
        let body: &[u8] = b"\xEF\xBB\xBF:\n\nevent: message\r\nid: 1\r\ndata: {}\r\n\r\n\ndata: a\r: c\rfoo\r\rretry: 10\n\nid: 2\ndata: x\ndata: y\n\ndata: tail\n";
        let events = assert_split_invariant(body);
        assert_eq!(events.len(), 6);
        let without_bom = body.strip_prefix(b"\xEF\xBB\xBF").unwrap();
        let tail = b"data: tail\n";
        assert_eq!(
            raw_concat(&events),
            &without_bom[..without_bom.len() - tail.len()]
        );
        // A stray blank line is an event with no fields.
        assert!(events[2].is_comment_only());
        assert_eq!(&events[2].raw()[..], b"\n");
        assert_eq!(events[5].data.as_deref(), Some("x\ny"));
    }

    #[test]
    fn with_data_reencodes() {
        let event = one(b"event: message\r\nid: 5\r\n: c\r\ndata: old\r\n\r\n");
        let new = event.with_data("new\nlines".to_owned());
        assert_eq!(new.event.as_deref(), Some("message"));
        assert_eq!(new.id.as_deref(), Some("5"));
        assert_eq!(new.data.as_deref(), Some("new\nlines"));
        assert_eq!(
            &new.raw()[..],
            b"event: message\ndata: new\ndata: lines\nid: 5\n\n"
        );
        assert_eq!(new.raw(), &new.encode());
        // The original is untouched.
        assert_eq!(event.data.as_deref(), Some("old"));
        // An empty replacement is written like rmcp's priming data.
        assert_eq!(
            &one(b"data: x\n\n").with_data(String::new()).raw()[..],
            b"data: \n\n"
        );
    }

    #[test]
    fn encode_cannot_inject_lines() {
        let mut event = SseEvent::from_data("a\r\nb\rc".to_owned());
        event.id = Some("1\n\ndata: evil".to_owned());
        event.event = Some("m\r".to_owned());
        event.retry = Some(10);
        let encoded = event.encode();
        assert_eq!(
            &encoded[..],
            b"event: m\ndata: a\ndata: b\ndata: c\nid: 1data: evil\nretry: 10\n\n"
        );
        let reparsed = one(&encoded);
        assert_eq!(reparsed.data.as_deref(), Some("a\nb\nc"));
        assert_eq!(reparsed.id.as_deref(), Some("1data: evil"));
        assert_eq!(reparsed.retry, Some(10));
    }

    #[test]
    fn from_data_round_trips() {
        let event = SseEvent::from_data("{}".to_owned());
        assert_eq!(&event.raw()[..], b"data: {}\n\n");
        assert_eq!(one(event.raw()), event);
    }

    #[test]
    fn empty_input() {
        assert!(parse_all(b"", CAP).unwrap().is_empty());
        let mut parser = SseParser::new(CAP);
        assert_eq!(parser.next_event().unwrap(), None);
        parser.push(b"");
        assert_eq!(parser.next_event().unwrap(), None);
        assert_eq!(parser.finish().unwrap(), None);
        assert_eq!(parser.pending_bytes(), 0);
    }
}
