//! Split-invariance of the SSE parser over captured MCP response bodies.
//!
//! The rmcp bodies are the captures of `mcp-wire.md` §14 (rmcp 3.11.0, bare-LF lines,
//! note the trailing space in the priming event's `data: `); the others are synthetic
//! CRLF, CR and TypeScript-SDK variants. For every input:
//!
//! * every split into two chunks gives the events of the whole input (exhaustive);
//! * arbitrary multi-way splits give the same events (proptest);
//! * the concatenation of `raw()` reproduces the input, minus a byte order mark and an
//!   unterminated tail.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use tollgate::mcp::sse::{SseError, SseEvent, SseParser, parse_all};

const CAP: usize = 1 << 16;

/// Capture 07_call_progress, byte-exact (mcp-wire.md §14, "Byte-exact body of 07").
const CALL_PROGRESS_07: &[u8] = b"data: \nid: 0/3\nretry: 3000\n\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"step 1\",\"progress\":1.0,\"progressToken\":\"tok-1\",\"total\":2.0}}\nid: 1/3\n\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"step 2\",\"progress\":2.0,\"progressToken\":\"tok-1\",\"total\":2.0}}\nid: 2/3\n\ndata: {\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"done\"}],\"isError\":false}}\nid: 3/3\n\n";

/// Capture 01_initialize (mcp-wire.md §14).
const INITIALIZE_01: &[u8] = concat!(
    "data: \n",
    "id: 0\n",
    "retry: 3000\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"demo\",\"version\":\"0.1.0\"}}}\n",
    "\n",
).as_bytes();

/// Capture 03_tools_list (mcp-wire.md §14).
const TOOLS_LIST_03: &[u8] = concat!(
    "data: \n",
    "id: 0/0\n",
    "retry: 3000\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"delete_everything\",\"description\":\"Dangerous tool (policy should block)\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"}},{\"name\":\"echo\",\"description\":\"Echo text back\",\"inputSchema\":{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"properties\":{\"text\":{\"type\":\"string\"}},\"required\":[\"text\"],\"type\":\"object\"}},{\"name\":\"fails\",\"description\":\"Tool-level failure reported in-band\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"}},{\"name\":\"get_secret\",\"description\":\"Return a fake credential (redaction target)\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"}},{\"name\":\"slow\",\"description\":\"Slow tool emitting progress notifications\",\"inputSchema\":{\"properties\":{},\"type\":\"object\"}}]}}\n",
    "id: 1/0\n",
    "\n",
).as_bytes();

/// Capture 04_call_echo (mcp-wire.md §14).
const CALL_ECHO_04: &[u8] = concat!(
    "data: \n",
    "id: 0/1\n",
    "retry: 3000\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hello\"}],\"isError\":false}}\n",
    "id: 1/1\n",
    "\n",
).as_bytes();

/// Capture 11_get_standalone (mcp-wire.md §14).
const GET_STANDALONE_11: &[u8] = concat!("data: \n", "id: 0\n", "retry: 3000\n", "\n",).as_bytes();

/// Capture 16_ping (mcp-wire.md §14).
const PING_16: &[u8] = concat!(
    "data: \n",
    "id: 0/7\n",
    "retry: 3000\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":25,\"result\":{}}\n",
    "id: 1/7\n",
    "\n",
)
.as_bytes();

/// Capture 32_sl_json_progress_fallback_sse (mcp-wire.md §14).
const PROGRESS_FALLBACK_32: &[u8] = concat!(
    "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"step 1\",\"progress\":1.0,\"progressToken\":7,\"total\":2.0}}\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"step 2\",\"progress\":2.0,\"progressToken\":7,\"total\":2.0}}\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"done\"}],\"isError\":false}}\n",
    "\n",
).as_bytes();

/// Capture 41_sl_sse_2026_tools_call (mcp-wire.md §14).
const TOOLS_CALL_2026_41: &[u8] = concat!(
    "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"step 1\",\"progress\":1.0,\"progressToken\":\"p1\",\"total\":2.0}}\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"message\":\"step 2\",\"progress\":2.0,\"progressToken\":\"p1\",\"total\":2.0}}\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"resultType\":\"complete\",\"content\":[{\"type\":\"text\",\"text\":\"done\"}],\"isError\":false}}\n",
    "\n",
).as_bytes();

/// Capture 52_call_ask_roots (mcp-wire.md §14).
const ASK_ROOTS_52: &[u8] = concat!(
    "data: \n",
    "id: 0/0\n",
    "retry: 3000\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"roots/list\",\"params\":{\"_meta\":{\"progressToken\":0}}}\n",
    "id: 1/0\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"1 roots\"}],\"isError\":false}}\n",
    "id: 2/0\n",
    "\n",
).as_bytes();

/// `input` with CRLF line endings.
fn crlf(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 2);
    for &b in input {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// `input` with CR line endings.
fn cr(input: &[u8]) -> Vec<u8> {
    input
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect()
}

/// A TypeScript-SDK stream: `event: message`, `id`, then `data`, with keep-alives.
const TYPESCRIPT: &[u8] = concat!(
    ":\n",
    "\n",
    "event: message\n",
    "id: 1\n",
    "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1,\"progressToken\":\"t\"}}\n",
    "\n",
    ":\n",
    "\n",
    "event: message\n",
    "id: 2\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"caf\u{e9} \u{1F600}\"}]}}\n",
    "\n",
)
.as_bytes();

/// Legacy HTTP+SSE (2024-11-05) with a BOM, an `endpoint` event, a comment inside an
/// event, a multi-line `data`, no-space fields, mixed line endings and an unterminated tail.
const LEGACY_MIXED: &[u8] = concat!(
    "\u{feff}",
    "event: endpoint\r\n",
    "data: /messages?sessionId=abc\r\n",
    "\r\n",
    ": keep-alive\r",
    "\r",
    "event:message\n",
    ": a comment inside an event\n",
    "data:{\"jsonrpc\":\"2.0\",\n",
    "data: \"id\":1,\"result\":{}}\r\n",
    "retry: 10s\n",
    "unknown: field\n",
    "\n",
    "data: {\"jsonrpc\":\"2.0\",\"id\":2",
)
.as_bytes();

/// The unterminated tail of [`LEGACY_MIXED`].
const LEGACY_TAIL: &[u8] = b"data: {\"jsonrpc\":\"2.0\",\"id\":2";

/// One input: its name, its bytes, the events it holds, and the bytes the events do not
/// reproduce (a leading byte order mark and an unterminated tail).
struct Case {
    name: &'static str,
    body: Vec<u8>,
    events: usize,
    bom: usize,
    tail: usize,
}

impl Case {
    /// What the concatenated `raw()` of the events must equal.
    fn expected_raw(&self) -> &[u8] {
        &self.body[self.bom..self.body.len() - self.tail]
    }
}

fn corpus() -> Vec<Case> {
    let case = |name, body: &[u8], events| Case {
        name,
        body: body.to_vec(),
        events,
        bom: 0,
        tail: 0,
    };
    vec![
        case("01", INITIALIZE_01, 2),
        case("03", TOOLS_LIST_03, 2),
        case("04", CALL_ECHO_04, 2),
        case("07", CALL_PROGRESS_07, 4),
        case("11", GET_STANDALONE_11, 1),
        case("16", PING_16, 2),
        case("32", PROGRESS_FALLBACK_32, 3),
        case("41", TOOLS_CALL_2026_41, 3),
        case("52", ASK_ROOTS_52, 3),
        case("07 crlf", &crlf(CALL_PROGRESS_07), 4),
        case("07 cr", &cr(CALL_PROGRESS_07), 4),
        case("03 crlf", &crlf(TOOLS_LIST_03), 2),
        case("typescript", TYPESCRIPT, 4),
        case("typescript crlf", &crlf(TYPESCRIPT), 4),
        Case {
            bom: 3,
            tail: LEGACY_TAIL.len(),
            ..case("legacy mixed", LEGACY_MIXED, 3)
        },
    ]
}

/// The events of `input` pushed in chunks ending at `cuts`, draining after each push, and
/// the error that stopped parsing, if any.
fn parse_split(input: &[u8], cuts: &[usize], cap: usize) -> (Vec<SseEvent>, Option<SseError>) {
    let mut parser = SseParser::new(cap);
    let mut events = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        parser.push(&input[start..cut]);
        start = cut;
        loop {
            match parser.next_event() {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(err) => return (events, Some(err)),
            }
        }
    }
    loop {
        match parser.finish() {
            Ok(Some(event)) => events.push(event),
            Ok(None) => return (events, None),
            Err(err) => return (events, Some(err)),
        }
    }
}

fn raw_concat(events: &[SseEvent]) -> Vec<u8> {
    events.iter().flat_map(|e| e.raw().to_vec()).collect()
}

/// Sorted cut points in `0..=len` from proptest indices.
fn cuts(len: usize, indices: &[Index]) -> Vec<usize> {
    let mut cuts: Vec<usize> = indices.iter().map(|i| i.index(len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

#[test]
fn capture_07_events() {
    let events = parse_all(CALL_PROGRESS_07, CAP).unwrap();
    assert_eq!(events.len(), 4);
    let ids: Vec<_> = events.iter().map(|e| e.id.as_deref()).collect();
    assert_eq!(ids, [Some("0/3"), Some("1/3"), Some("2/3"), Some("3/3")]);
    assert_eq!(events[0].data.as_deref(), Some(""));
    assert_eq!(events[0].retry, Some(3000));
    assert!(
        events
            .iter()
            .skip(1)
            .all(|e| e.retry.is_none() && e.event.is_none())
    );
    assert_eq!(
        events[1].data.as_deref(),
        Some(
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"message":"step 1","progress":1.0,"progressToken":"tok-1","total":2.0}}"#
        )
    );
    assert_eq!(
        events[2].data.as_deref(),
        Some(
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"message":"step 2","progress":2.0,"progressToken":"tok-1","total":2.0}}"#
        )
    );
    assert_eq!(
        events[3].data.as_deref(),
        Some(
            r#"{"jsonrpc":"2.0","id":6,"result":{"content":[{"type":"text","text":"done"}],"isError":false}}"#
        )
    );
    assert_eq!(&events[0].raw()[..], b"data: \nid: 0/3\nretry: 3000\n\n");
}

#[test]
fn capture_contents() {
    // Priming events (stateful captures) and JSON-RPC payloads.
    for (name, body, ids) in [
        ("01", INITIALIZE_01, &[Some("0"), None][..]),
        ("03", TOOLS_LIST_03, &[Some("0/0"), Some("1/0")]),
        ("04", CALL_ECHO_04, &[Some("0/1"), Some("1/1")]),
        ("11", GET_STANDALONE_11, &[Some("0")]),
        ("16", PING_16, &[Some("0/7"), Some("1/7")]),
        ("32", PROGRESS_FALLBACK_32, &[None, None, None]),
        ("41", TOOLS_CALL_2026_41, &[None, None, None]),
        ("52", ASK_ROOTS_52, &[Some("0/0"), Some("1/0"), Some("2/0")]),
    ] {
        let events = parse_all(body, CAP).unwrap();
        let got: Vec<_> = events.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(got, ids, "{name}");
        for event in &events {
            let data = event.data.as_deref().unwrap();
            if data.is_empty() {
                // The priming event.
                assert_eq!(event.retry, Some(3000), "{name}");
                continue;
            }
            let value: Value = serde_json::from_str(data).unwrap();
            assert_eq!(value["jsonrpc"], "2.0", "{name}");
        }
    }
    let tools = parse_all(TOOLS_LIST_03, CAP).unwrap();
    let value: Value = serde_json::from_str(tools[1].data.as_deref().unwrap()).unwrap();
    let names: Vec<_> = value["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["delete_everything", "echo", "fails", "get_secret", "slow"]
    );
}

#[test]
fn rmcp_captures_encode_to_their_own_bytes() {
    for case in corpus().iter().take(9) {
        for event in parse_all(&case.body, CAP).unwrap() {
            assert_eq!(event.encode(), event.raw(), "{}", case.name);
        }
    }
}

#[test]
fn synthetic_variants() {
    let lf = parse_all(CALL_PROGRESS_07, CAP).unwrap();
    for variant in [crlf(CALL_PROGRESS_07), cr(CALL_PROGRESS_07)] {
        let events = parse_all(&variant, CAP).unwrap();
        assert_eq!(events.len(), lf.len());
        for (a, b) in events.iter().zip(&lf) {
            assert_eq!((&a.data, &a.id, a.retry), (&b.data, &b.id, b.retry));
            assert_eq!(a.encode(), b.raw());
        }
    }

    let ts = parse_all(TYPESCRIPT, CAP).unwrap();
    assert!(ts[0].is_comment_only() && ts[2].is_comment_only());
    assert_eq!(ts[1].event.as_deref(), Some("message"));
    assert_eq!(ts[3].id.as_deref(), Some("2"));
    let value: Value = serde_json::from_str(ts[3].data.as_deref().unwrap()).unwrap();
    assert_eq!(value["result"]["content"][0]["text"], "caf\u{e9} \u{1F600}");

    let legacy = parse_all(LEGACY_MIXED, CAP).unwrap();
    assert_eq!(legacy[0].event.as_deref(), Some("endpoint"));
    assert_eq!(legacy[0].data.as_deref(), Some("/messages?sessionId=abc"));
    assert!(!legacy[0].raw().starts_with(b"\xEF\xBB\xBF"));
    assert!(legacy[1].is_comment_only());
    assert_eq!(legacy[2].event.as_deref(), Some("message"));
    assert_eq!(
        legacy[2].data.as_deref(),
        Some("{\"jsonrpc\":\"2.0\",\n\"id\":1,\"result\":{}}")
    );
    assert_eq!(legacy[2].retry, None);
}

#[test]
fn raw_reproduces_input() {
    for case in corpus() {
        let events = parse_all(&case.body, CAP).unwrap();
        assert_eq!(events.len(), case.events, "{}", case.name);
        assert_eq!(raw_concat(&events), case.expected_raw(), "{}", case.name);
    }
    // The check can fail: the unterminated tail is really dropped.
    let legacy = parse_all(LEGACY_MIXED, CAP).unwrap();
    assert!(!raw_concat(&legacy).ends_with(LEGACY_TAIL));
}

#[test]
fn every_two_way_split() {
    for case in corpus() {
        let (whole, err) = parse_split(&case.body, &[], CAP);
        assert!(err.is_none(), "{}", case.name);
        assert_eq!(whole.len(), case.events, "{}", case.name);
        for at in 0..=case.body.len() {
            let (events, err) = parse_split(&case.body, &[at], CAP);
            assert!(err.is_none(), "{} split at {at}", case.name);
            assert_eq!(events, whole, "{} split at {at}", case.name);
            assert_eq!(
                raw_concat(&events),
                case.expected_raw(),
                "{} split at {at}",
                case.name
            );
        }
    }
}

#[test]
fn every_two_way_split_with_tight_cap() {
    // With a cap one byte below the largest event, every split fails at the same event.
    for case in corpus() {
        let (whole, _) = parse_split(&case.body, &[], CAP);
        let largest = whole.iter().map(|e| e.raw().len()).max().unwrap();
        let (fits, err) = parse_split(&case.body, &[], largest);
        assert!(err.is_none(), "{}", case.name);
        assert_eq!(fits, whole, "{}", case.name);
        let (before, err) = parse_split(&case.body, &[], largest - 1);
        assert_eq!(
            err,
            Some(SseError::EventTooLarge { limit: largest - 1 }),
            "{}",
            case.name
        );
        assert!(before.len() < whole.len(), "{}", case.name);
        for at in 0..=case.body.len() {
            assert_eq!(
                parse_split(&case.body, &[at], largest - 1),
                (before.clone(), err.clone()),
                "{} split at {at}",
                case.name
            );
        }
    }
}

proptest! {
    #[test]
    fn multi_way_splits(input in any::<Index>(), indices in prop::collection::vec(any::<Index>(), 0..40)) {
        let corpus = corpus();
        let case = &corpus[input.index(corpus.len())];
        let (whole, _) = parse_split(&case.body, &[], CAP);
        let cuts = cuts(case.body.len(), &indices);
        let (events, err) = parse_split(&case.body, &cuts, CAP);
        prop_assert!(err.is_none(), "{}", case.name);
        prop_assert_eq!(events.len(), case.events);
        prop_assert_eq!(&events, &whole, "{} cuts {:?}", case.name, cuts);
        prop_assert_eq!(raw_concat(&events), case.expected_raw());
    }

    #[test]
    fn small_even_chunks(input in any::<Index>(), chunk in 1..8usize) {
        let corpus = corpus();
        let case = &corpus[input.index(corpus.len())];
        let (whole, _) = parse_split(&case.body, &[], CAP);
        let cuts: Vec<usize> = (0..case.body.len()).step_by(chunk).collect();
        prop_assert_eq!(parse_split(&case.body, &cuts, CAP).0, whole);
    }

    /// Random streams over the bytes that matter to the grammar.
    #[test]
    fn random_streams(
        input in prop::collection::vec(
            prop::sample::select(&b"\r\n\n\n: :datidevnretryx0159\xEF\xBB\xBF\xC3\xA9\xF0\x9F\x98\x80\x00"[..]),
            0..300,
        ),
        indices in prop::collection::vec(any::<Index>(), 0..20),
        cap in prop_oneof![Just(CAP), 1..64usize],
    ) {
        let (whole, whole_err) = parse_split(&input, &[], cap);
        let cuts = cuts(input.len(), &indices);
        let (events, err) = parse_split(&input, &cuts, cap);
        prop_assert_eq!(&events, &whole);
        prop_assert_eq!(&err, &whole_err);
        let concat = raw_concat(&events);
        let start = if input.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        prop_assert_eq!(&concat[..], &input[start..start + concat.len()]);
        if err.is_none() {
            // Whatever was not returned is the unterminated tail, reported as pending.
            let mut parser = SseParser::new(cap);
            parser.push(&input);
            while parser.finish().unwrap().is_some() {}
            prop_assert_eq!(start + concat.len() + parser.pending_bytes(), input.len());
            // And re-encoding each event parses back to the same fields.
            for event in &events {
                let again = parse_all(&event.encode(), usize::MAX).unwrap();
                prop_assert_eq!(again.len(), 1);
                prop_assert_eq!(
                    (&again[0].event, &again[0].data, &again[0].id, again[0].retry),
                    (&event.event, &event.data, &event.id, event.retry)
                );
            }
        }
    }
}
