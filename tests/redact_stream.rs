//! Redaction of streamed answers through the real layer body, and properties of the
//! `Redactor` on generated secrets.
//!
//! * Chunking invariance: an upstream answers a `tools/call` with an SSE stream (CRLF
//!   lines, `\u` escapes hiding card digits, multi-byte UTF-8, a keep-alive comment, a
//!   multi-line `data` field); delivered split at every byte offset — inside escapes,
//!   inside UTF-8 sequences, between CR and LF — and one byte at a time, the client
//!   receives exactly what it receives when the body arrives in one chunk, with no raw
//!   PII.
//! * Idempotence: redacting redacted output changes nothing.
//! * No leak: a generated secret of any type, plain or hidden by an encoding the matcher
//!   decodes (zero-width characters, fullwidth digits, `\u` escapes in JSON-in-string),
//!   never survives.

mod redact_generator;

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use proptest::prelude::*;
use redact_generator::{Rng, TYPES, haystack, label, phrase, present};
use serde_json::{Value, json};
use tollgate::identity::{ApiKeyAuthenticator, IdentityKind};
use tollgate::{Guard, GuardLayer, Identity, Policy, Redactor};
use tower::{Layer, ServiceExt, service_fn};

const KEY: &str = "k_stream_tester_0123456789";

fn guard() -> Guard {
    let keys = ApiKeyAuthenticator::builder()
        .key(KEY, Identity::new("sam", IdentityKind::User))
        .build()
        .unwrap();
    Guard::builder()
        .policy(Policy::from_toml_str("version = 1\n[[allow]]\ntools = [\"t\"]\n").unwrap())
        .authenticator(keys)
        .mcp_path("/mcp")
        .build()
        .unwrap()
}

/// The upstream's SSE answer to request id 7: a priming event, a log notification whose
/// card digits are `\u` escapes, a keep-alive comment, a progress notification without
/// PII, and the result (its JSON split over two `data` lines), all with CRLF endings.
fn sse_answer() -> Vec<u8> {
    let mut s = String::new();
    s.push_str("data: \r\nid: 0\r\nretry: 3000\r\n\r\n");
    s.push_str(concat!(
        r#"data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","#,
        r#""data":"Zoë Müller paid with \u0034111 1111 1111 1111 — ✓ 日本"}}"#,
        "\r\nid: 1\r\n\r\n"
    ));
    s.push_str(": keep-alive\r\n\r\n");
    s.push_str(concat!(
        r#"data: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":1,"message":"half way, café ☕"}}"#,
        "\r\n\r\n"
    ));
    let record = json!({
        "name": "Zoë Müller",
        "ssn": "536-22-1234",
        "email": "zoe.mueller@example.com",
        "card": "5555 5555 5555 4444",
        "city": "Zürich 🇨🇭",
    });
    let result = json!({
        "jsonrpc": "2.0",
        "id": 7,
        "result": {"content": [{"type": "text", "text": record.to_string()}], "structuredContent": record}
    })
    .to_string();
    // The card in the text copy is written with escapes too.
    let result = result.replacen("5555 5555", "\\u0035555 5555", 1);
    let (a, b) = result.split_at(result.find("\"structuredContent\"").unwrap());
    s.push_str(&format!("data: {a}\r\ndata: {b}\r\nid: 2\r\n\r\n"));
    s.into_bytes()
}

/// Raw values that must not reach the client, in any of the ways they were written.
const PII: &[&str] = &[
    "4111 1111 1111 1111",
    "\\u0034111",
    "1111 1111",
    "536-22-1234",
    "zoe.mueller@example.com",
    "5555 5555 5555 4444",
    "\\u0035555",
    "5555 4444",
];

type ChunkBody =
    StreamBody<futures::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>>;

/// Sends the `tools/call` through the layer to an upstream that answers with `chunks`;
/// returns the status and the whole body the client receives.
async fn through_layer(layer: &GuardLayer, chunks: Vec<Bytes>) -> (StatusCode, Vec<u8>) {
    through_layer_as(layer, "text/event-stream", chunks).await
}

/// [`through_layer`] with the upstream's answer of type `content_type`.
async fn through_layer_as(
    layer: &GuardLayer,
    content_type: &'static str,
    chunks: Vec<Bytes>,
) -> (StatusCode, Vec<u8>) {
    let upstream = service_fn(
        move |_request: Request<tollgate::layer::ForwardBody<Full<Bytes>>>| {
            let frames: Vec<Result<Frame<Bytes>, Infallible>> = chunks
                .clone()
                .into_iter()
                .map(|c| Ok(Frame::data(c)))
                .collect();
            async move {
                let body: ChunkBody = StreamBody::new(futures::stream::iter(frames));
                let mut response = Response::new(body);
                response
                    .headers_mut()
                    .insert("content-type", content_type.parse().unwrap());
                Ok::<_, Infallible>(response)
            }
        },
    );
    let request = Request::post("http://localhost/mcp")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("authorization", format!("Bearer {KEY}"))
        .body(Full::new(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":{}}}"#,
        )))
        .unwrap();
    let Ok(response) = layer.layer(upstream).oneshot(request).await;
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}

/// A masked answer differs from the upstream's only where values were masked: member
/// order, whitespace, escapes, number spellings and integers beyond 64 bits all arrive
/// as the server wrote them, in a JSON body and in an SSE event.
#[tokio::test]
async fn masked_answers_keep_every_other_byte() {
    let layer = GuardLayer::new(guard());
    let answer = concat!(
        r#"{ "result" : { "zeta": 1.50E+2, "big": 123456789012345678901234567890,"#,
        r#" "note": "caf\u00e9 \/ x@example.com",  "card": 4111111111111111,"#,
        r#" "alpha": ["\u0041", "536-22-1234"] }, "id": 7, "jsonrpc": "2.0" }"#
    );
    let masked = concat!(
        r#"{ "result" : { "zeta": 1.50E+2, "big": 123456789012345678901234567890,"#,
        r#" "note": "café / [REDACTED:EMAIL]",  "card": "[REDACTED:CREDIT_CARD]","#,
        r#" "alpha": ["\u0041", "[REDACTED:US_SSN]"] }, "id": 7, "jsonrpc": "2.0" }"#
    );
    let (status, body) =
        through_layer_as(&layer, "application/json", vec![Bytes::from(answer)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(body).unwrap(), masked);

    let event = format!("data: {answer}\nid: 3\n\n");
    let (status, body) = through_layer(&layer, vec![Bytes::from(event)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!("data: {masked}\nid: 3\n\n")
    );
}

#[tokio::test]
async fn sse_output_does_not_depend_on_chunk_boundaries() {
    let layer = GuardLayer::new(guard());
    let input = sse_answer();
    let (status, whole) = through_layer(&layer, vec![Bytes::from(input.clone())]).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(whole.clone()).expect("the output is UTF-8");

    // What the client sees: every PII value masked, everything else intact.
    for raw in PII {
        assert!(!text.contains(raw), "`{raw}` leaked: {text}");
    }
    assert_eq!(text.matches("[REDACTED:CREDIT_CARD]").count(), 3, "{text}");
    assert_eq!(text.matches("[REDACTED:US_SSN]").count(), 2, "{text}");
    assert_eq!(text.matches("[REDACTED:EMAIL]").count(), 2, "{text}");
    assert!(
        text.contains("Zoë Müller paid with [REDACTED:CREDIT_CARD] — ✓ 日本"),
        "{text}"
    );
    assert!(
        text.contains(": keep-alive\r\n\r\n"),
        "keep-alive lost: {text}"
    );
    assert!(text.contains("half way, café ☕"), "{text}");
    assert!(text.contains("Zürich 🇨🇭"), "{text}");
    let events: Vec<Value> = text
        .split("\n\n")
        .flat_map(|e| e.split("\r\n\r\n"))
        .filter_map(|e| {
            let data: Vec<&str> = e.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
            serde_json::from_str(&data.join("\n")).ok()
        })
        .collect();
    assert_eq!(events.len(), 3, "{text}");
    let result = &events[2]["result"];
    assert_eq!(
        result["structuredContent"]["card"],
        "[REDACTED:CREDIT_CARD]"
    );
    let copy: Value = serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(copy, result["structuredContent"]);

    // Every two-way split, including inside `\u0034`, inside `ë`/`日`/emoji and between
    // CR and LF, gives the same bytes.
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        let chunks = vec![Bytes::copy_from_slice(a), Bytes::copy_from_slice(b)];
        let (status, out) = through_layer(&layer, chunks).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            out == whole,
            "split at {cut} ({:?}|{:?}) changed the output:\n{}",
            String::from_utf8_lossy(&input[cut.saturating_sub(8)..cut]),
            String::from_utf8_lossy(&input[cut..(cut + 8).min(input.len())]),
            String::from_utf8_lossy(&out)
        );
    }
    // And one byte at a time.
    let bytes: Vec<Bytes> = input
        .iter()
        .map(|b| Bytes::copy_from_slice(&[*b]))
        .collect();
    let (_, out) = through_layer(&layer, bytes).await;
    assert!(out == whole, "byte-by-byte output differs");
}

/// A secret of `kind` as a phrase in free text, written in one of the encodings the
/// matcher decodes, inside a tool result. Returns the result and the raw value.
fn hidden(seed: u64, kind: &str, how: u8) -> (Value, String) {
    let mut rng = Rng::new(seed);
    let sample = label(&mut rng, kind);
    let mut text = phrase(&sample, "free");
    if kind == "AWS_SECRET_KEY" {
        text = format!(
            "{} {text}",
            phrase(&redact_generator::aws_key_id(&mut rng), "log")
        );
    }
    let value = match how {
        // Plain.
        0 => json!({"content": [{"type": "text", "text": text}]}),
        // A zero-width space after every character of the value.
        1 => {
            let spaced: String = sample.text.chars().flat_map(|c| [c, '\u{200B}']).collect();
            json!({"content": [{"type": "text", "text": text.replace(&sample.text, &spaced)}]})
        }
        // Fullwidth digits.
        2 => {
            let wide: String = sample
                .text
                .chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => char::from_u32(0xFF10 + d).unwrap(),
                    None => c,
                })
                .collect();
            json!({"structuredContent": {"note": text.replace(&sample.text, &wide)}})
        }
        // JSON inside a string, every character of the value a `\u` escape.
        _ => {
            let escaped: String = sample
                .text
                .chars()
                .map(|c| {
                    let mut buf = [0u16; 2];
                    c.encode_utf16(&mut buf)
                        .iter()
                        .map(|u| format!("\\u{u:04x}"))
                        .collect::<String>()
                })
                .collect();
            let inner = serde_json::to_string(&json!({"note": text})).unwrap();
            let needle = serde_json::to_string(&sample.text).unwrap();
            let needle = &needle[1..needle.len() - 1];
            let inner = inner.replace(needle, &escaped);
            assert!(inner.contains("\\u"), "{inner}");
            json!({"content": [{"type": "text", "text": inner}]})
        }
    };
    (value, sample.probe)
}

/// What a reader sees: strings (JSON in strings decoded), fullwidth digits folded,
/// zero-width characters dropped.
fn seen(value: &Value) -> String {
    haystack(value)
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
            )
        })
        .map(|c| match c as u32 {
            0xFF10..=0xFF19 => char::from_u32(c as u32 - 0xFF10 + u32::from(b'0')).unwrap(),
            _ => c,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_generated_secret_survives_in_any_encoding(
        seed in any::<u64>(),
        kind in 0..TYPES.len(),
        how in 0u8..4,
    ) {
        let kind = TYPES[kind];
        let (mut value, probe) = hidden(seed, kind, how);
        prop_assert!(present(&seen(&value), &probe), "generator: {} not in {}", probe, value);
        let r = Redactor::default();
        let findings = r.redact_value(&mut value, "/result");
        prop_assert!(
            !present(&seen(&value), &probe),
            "{} ({}, encoding {}) survived: {}", kind, probe, how, value
        );
        prop_assert!(findings.count_of(kind) >= 1, "{} not reported: {:?}", kind, findings);
    }

    #[test]
    fn redacting_redacted_output_changes_nothing(
        seed in any::<u64>(),
        kind in 0..TYPES.len(),
        how in 0u8..4,
    ) {
        let (mut value, _) = hidden(seed, TYPES[kind], how);
        let r = Redactor::default();
        r.redact_value(&mut value, "");
        let once = value.clone();
        let again = r.redact_value(&mut value, "");
        prop_assert!(again.is_empty(), "second pass found {:?} in {}", again, once);
        prop_assert_eq!(&value, &once);
        // The byte path too.
        let bytes = serde_json::to_vec(&once).unwrap();
        prop_assert!(r.redact_json_bytes(&bytes).unwrap().is_none());
    }
}
