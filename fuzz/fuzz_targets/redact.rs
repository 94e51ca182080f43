//! Fuzz target: the redactor over arbitrary bytes.
//!
//! Input: the first byte picks the settings (style, base64 decoding, a user pattern),
//! the rest is a document — JSON when it parses, text otherwise.
//!
//! Oracles:
//! * nothing panics, whatever the input;
//! * redacting JSON gives valid JSON, and redacting that again changes nothing;
//! * `redact_json_bytes` (the byte walk) agrees with `redact_value` (the same values
//!   masked; strings holding JSON compared as the JSON they hold, since the byte walk
//!   keeps their formatting), errors only on invalid JSON, and its output redacts to
//!   nothing more;
//! * when the prefilter says nothing can match, text redaction changes nothing.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::redact::MaskStyle;
use tollgate::Redactor;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let style = match selector % 3 {
        0 => MaskStyle::Full,
        1 => MaskStyle::Partial,
        _ => MaskStyle::Hash,
    };
    let mut builder = Redactor::builder()
        .style(style)
        .hash_key(b"fuzz".to_vec())
        .decode_base64(selector & 4 != 0)
        .field("pass*");
    if selector & 8 != 0 {
        builder = builder.pattern("EMPLOYEE_ID", r"\bE-\d{6}\b");
    }
    let Ok(redactor) = builder.build() else {
        return;
    };
    match serde_json::from_slice::<serde_json::Value>(rest) {
        Ok(value) => {
            let mut once = value.clone();
            redactor.redact_value(&mut once, "");
            let text = serde_json::to_string(&once).expect("serializes");
            let mut twice: serde_json::Value = serde_json::from_str(&text).expect("valid JSON out");
            let reparsed = twice.clone();
            redactor.redact_value(&mut twice, "");
            assert_eq!(twice, reparsed, "not idempotent");
            let via_bytes = redactor.redact_json_bytes(rest).expect("valid JSON is not an error");
            match via_bytes {
                Some(out) => {
                    let v: serde_json::Value = serde_json::from_slice(&out.bytes).expect("valid JSON out");
                    assert_eq!(unnest(v), unnest(once));
                    let again = redactor.redact_json_bytes(&out.bytes).expect("valid JSON out");
                    assert!(again.is_none(), "byte walk not idempotent");
                }
                None => assert_eq!(unnest(value), unnest(once)),
            }
        }
        Err(_) => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let (out, findings) = redactor.redact_text(text);
                if !redactor.may_match(rest) {
                    assert_eq!(out, text);
                    assert!(findings.is_empty());
                }
            }
        }
    }
});

/// `value` with every string that holds a JSON object or array replaced by that JSON
/// (marked), recursively: two spellings of one nested document compare equal.
fn unnest(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => {
                serde_json::json!({ "nested json": unnest(inner) })
            }
            _ => Value::String(s),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(unnest).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, unnest(v))).collect()),
        other => other,
    }
}
