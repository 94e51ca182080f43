//! Redaction throughput in MB/s, one core:
//! * `clean_json_64k`: a 64 KB MCP tool result with no PII (ids, prices, ISO dates,
//!   UUIDs, words) through `redact_json_bytes` — the prefilter's fast path;
//! * `pii_dense_64k`: a 64 KB tool result of customer records, every record with a card,
//!   an SSN, an e-mail, a phone and an IP, as `structuredContent` plus its text copy,
//!   through `redact_json_bytes` (the byte walk: read, scan, mask, splice into a copy);
//! * `pii_dense_64k_counts`: the same through `redact_json_counts` (findings counted by
//!   type, no JSON pointers), which is what the layer runs;
//! * `pii_dense_64k_no_copy_counts`: 64 KB of the same records as `structuredContent`
//!   only, with a one-line text summary instead of the copy (a server that sends no
//!   copy, or one spelled differently, such as pretty-printed), counted by type;
//! * `sse_event_4k`: one 4 KB SSE-sized JSON-RPC result with a few values to mask.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use tollgate::Redactor;

fn clean_record(i: usize) -> Value {
    json!({
        "id": 100_000 + i,
        "sku": format!("WID-{:05}", i % 99_999),
        "uuid": format!("550e8400-e29b-41d4-a716-{:012x}", i),
        "name": "Widget deluxe with extended warranty",
        "price": 19.99 + (i % 50) as f64,
        "in_stock": !i.is_multiple_of(3),
        "updated": "2024-01-15T10:00:00Z",
        "tags": ["hardware", "outdoor", "garden"],
    })
}

fn pii_record(i: usize) -> Value {
    let cards = [
        "4111 1111 1111 1111",
        "5555555555554444",
        "3782 822463 10005",
        "6011-1111-1111-1117",
    ];
    json!({
        "customer_id": 100_000 + i,
        "name": "Ann Example",
        "email": format!("customer{i}@example.com"),
        "phone": format!("(415) 555-{:04}", 1000 + i % 9000),
        "ssn": "536-22-1234",
        "card": cards[i % cards.len()],
        "ip": format!("10.{}.{}.{}", i % 250, (i / 250) % 250, 1 + i % 250),
        "note": "Called about order 123456 on 2024-01-15; prefers e-mail.",
    })
}

/// An MCP `tools/call` result of at least `size` bytes: records as structuredContent and
/// the serialized copy as text content (as rmcp's `CallToolResult::structured` sends
/// it), or a one-line summary instead of the copy.
fn tool_result(size: usize, record: fn(usize) -> Value, copy: bool) -> Vec<u8> {
    let mut rows = Vec::new();
    let mut i = 0;
    loop {
        rows.push(record(i));
        i += 1;
        let structured = json!({ "rows": rows });
        let text = if copy {
            structured.to_string()
        } else {
            format!("{i} rows")
        };
        let doc = json!({
            "jsonrpc": "2.0",
            "id": 7,
            "result": {
                "content": [{"type": "text", "text": text}],
                "structuredContent": structured,
                "isError": false
            }
        });
        let bytes = serde_json::to_vec(&doc).unwrap();
        if bytes.len() >= size {
            return bytes;
        }
    }
}

fn bench(c: &mut Criterion) {
    let redactor = Redactor::default();
    let mut group = c.benchmark_group("redact");
    let cases = [
        ("clean_json_64k", tool_result(64 * 1024, clean_record, true)),
        ("pii_dense_64k", tool_result(64 * 1024, pii_record, true)),
        ("sse_event_4k", tool_result(4 * 1024, pii_record, true)),
    ];
    for (name, doc) in &cases {
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| redactor.redact_json_bytes(black_box(doc)).unwrap());
        });
        if *name == "pii_dense_64k" {
            group.bench_function("pii_dense_64k_counts", |b| {
                b.iter(|| redactor.redact_json_counts(black_box(doc)).unwrap());
            });
        }
    }
    let no_copy = tool_result(64 * 1024, pii_record, false);
    group.throughput(Throughput::Bytes(no_copy.len() as u64));
    group.bench_function("pii_dense_64k_no_copy_counts", |b| {
        b.iter(|| redactor.redact_json_counts(black_box(&no_copy)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
