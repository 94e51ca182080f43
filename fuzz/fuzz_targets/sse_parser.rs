//! Fuzz target: the incremental SSE parser (`tollgate::mcp::sse::SseParser`).
//!
//! Input layout: `[cap] [split seed] stream...`
//! * byte 0 picks the event cap: below 0x80 (any printable ASCII) a cap of 1 MiB, which
//!   a fuzz input never reaches; from 0x80 on a cap of `byte & 0x7f` bytes (0..=127), to
//!   exercise `SseError::EventTooLarge`;
//! * byte 1 seeds the pseudo-random chunk sizes;
//! * the rest is the `text/event-stream` body.
//!
//! The committed seeds start with two printable bytes (e.g. `#7`) so that they stay
//! readable SSE files.
//!
//! Oracles:
//! * the parser never panics;
//! * the stream parsed whole, one byte at a time, and in seeded random chunks gives the
//!   same events (fields *and* raw bytes), the same error if any, and the same discarded
//!   tail;
//! * byte-exactness: without an error, the raw bytes of the events, followed by the
//!   discarded tail, are the input minus a leading byte order mark;
//! * re-encoding: parsing the concatenated `encode()` of every event gives events with
//!   equal `event`, `data`, `id` and `retry`, each with `raw() == encode()`, and nothing
//!   left over.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::mcp::sse::{SseError, SseEvent, SseParser};

const BOM: &[u8] = b"\xEF\xBB\xBF";

fuzz_target!(|data: &[u8]| {
    let [cap_byte, seed, stream @ ..] = data else {
        return;
    };
    let cap = if cap_byte & 0x80 == 0 {
        1 << 20
    } else {
        usize::from(cap_byte & 0x7f)
    };

    let whole = parse(cap, std::iter::once(stream));
    let bytewise = parse(cap, stream.chunks(1));
    assert_eq!(bytewise, whole, "one byte at a time differs from whole");
    let chunked = parse(cap, RandomChunks::new(stream, *seed));
    assert_eq!(chunked, whole, "seeded chunks differ from whole");

    if whole.error.is_some() {
        return;
    }

    // Byte-exactness.
    let body = stream.strip_prefix(BOM).unwrap_or(stream);
    let raw: Vec<u8> = whole
        .events
        .iter()
        .flat_map(|e| e.raw().iter().copied())
        .collect();
    assert_eq!(
        raw.len() + whole.discarded,
        body.len(),
        "raw bytes plus discarded tail do not add up to the input"
    );
    assert!(
        body.starts_with(&raw),
        "raw bytes are not the input's prefix"
    );

    // Re-encoding.
    let encoded: Vec<u8> = whole
        .events
        .iter()
        .flat_map(|e| e.encode().to_vec())
        .collect();
    let reparsed = parse(usize::MAX, std::iter::once(&encoded[..]));
    assert_eq!(reparsed.error, None, "re-encoded stream fails to parse");
    assert_eq!(reparsed.discarded, 0, "re-encoded stream leaves a tail");
    assert_eq!(
        reparsed.events.len(),
        whole.events.len(),
        "re-encoded stream has a different number of events\nencoded: {:?}",
        String::from_utf8_lossy(&encoded)
    );
    for (again, first) in reparsed.events.iter().zip(&whole.events) {
        assert_eq!(again.event, first.event, "event differs after re-encoding");
        assert_eq!(again.data, first.data, "data differs after re-encoding");
        assert_eq!(again.id, first.id, "id differs after re-encoding");
        assert_eq!(again.retry, first.retry, "retry differs after re-encoding");
        assert_eq!(again.raw(), &first.encode(), "encode() is not canonical");
    }
});

/// What one parse produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    /// Every event, in order, up to the error if there was one.
    events: Vec<SseEvent>,
    /// The error that stopped the parse.
    error: Option<SseError>,
    /// `pending_bytes()` after `finish`: the discarded unterminated tail.
    discarded: usize,
}

/// Feeds `chunks` to a parser, taking every event after each push, then finishes it.
fn parse<'a>(cap: usize, chunks: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = SseParser::new(cap);
    let mut events = Vec::new();
    let mut drain = |parser: &mut SseParser, end: bool| -> Result<(), SseError> {
        loop {
            let next = if end {
                parser.finish()?
            } else {
                parser.next_event()?
            };
            match next {
                Some(event) => events.push(event),
                None => return Ok(()),
            }
        }
    };
    let mut result = Ok(());
    for chunk in chunks {
        parser.push(chunk);
        result = drain(&mut parser, false);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = drain(&mut parser, true);
    }
    match result {
        Ok(()) => Outcome {
            events,
            error: None,
            discarded: parser.pending_bytes(),
        },
        // After an error the parser is dead and its buffer freed: nothing to compare.
        Err(error) => Outcome {
            events,
            error: Some(error),
            discarded: 0,
        },
    }
}

/// Splits a slice into chunks of pseudo-random sizes (xorshift32), mostly tiny so that
/// CRLF pairs, BOMs, UTF-8 sequences and field names get cut, sometimes larger.
struct RandomChunks<'a> {
    rest: &'a [u8],
    state: u32,
}

impl<'a> RandomChunks<'a> {
    fn new(bytes: &'a [u8], seed: u8) -> Self {
        RandomChunks {
            rest: bytes,
            state: (u32::from(seed) + 1).wrapping_mul(0x9E37_79B9),
        }
    }
}

impl<'a> Iterator for RandomChunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        let r = self.state as usize;
        let size = match r % 4 {
            0 => 1,
            1 => 2,
            2 => 1 + (r >> 8) % 16,
            _ => 1 + (r >> 8) % 256,
        };
        let (chunk, rest) = self.rest.split_at(size.min(self.rest.len()));
        self.rest = rest;
        Some(chunk)
    }
}
