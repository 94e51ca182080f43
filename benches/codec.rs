//! Codec throughput: strict parsing of tools/call results (1 KB and 64 KB) as JSON bodies
//! and as SSE streams.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tollgate::mcp::Payload;
use tollgate::mcp::sse::SseParser;

/// A `tools/call` result of about `size` bytes: rows of customer-like records.
fn tool_result(size: usize) -> Vec<u8> {
    let mut rows = Vec::new();
    let mut body = Vec::new();
    let mut i = 0;
    while body.len() < size {
        rows.push(json!({"id": i, "name": format!("Customer {i}"), "tier": "gold", "note": "renewal due in March"}));
        let text = serde_json::to_string(&rows).unwrap_or_default();
        let message = json!({
            "jsonrpc": "2.0",
            "id": 7,
            "result": {"content": [{"type": "text", "text": text}], "structuredContent": {"rows": rows}, "isError": false}
        });
        body = serde_json::to_vec(&message).unwrap_or_default();
        i += 1;
    }
    body
}

fn sse_stream(message: &[u8]) -> Vec<u8> {
    let mut out = b"data: \nid: 0/1\nretry: 3000\n\ndata: ".to_vec();
    out.extend_from_slice(message);
    out.extend_from_slice(b"\nid: 1/1\n\n");
    out
}

fn bench_codec(c: &mut Criterion) {
    let mut group = c.benchmark_group("codec");
    for size in [1024usize, 64 * 1024] {
        let body = tool_result(size);
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("json_parse", size), &body, |b, body| {
            b.iter(|| Payload::parse(black_box(body)).map(|p| p.messages().len()))
        });
        let stream = sse_stream(&body);
        group.bench_with_input(
            BenchmarkId::new("sse_parse_16k_chunks", size),
            &stream,
            |b, stream| {
                b.iter(|| {
                    let mut parser = SseParser::new(1 << 22);
                    let mut events = 0usize;
                    for chunk in stream.chunks(16 * 1024) {
                        parser.push(black_box(chunk));
                        while let Ok(Some(_)) = parser.next_event() {
                            events += 1;
                        }
                    }
                    events
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_codec);
criterion_main!(benches);
