//! The canonical form of an event, the bytes its `hash` covers.
//!
//! The event is converted to a JSON value, its `hash` member is removed, and the value
//! is written compactly with:
//!
//! * object members sorted by key, comparing the keys' UTF-8 bytes;
//! * no whitespace;
//! * strings escaped as `serde_json` escapes them: `"` `\` and control characters
//!   (`\n`, `\r`, `\t`, `\b`, `\f`, others as `\u00XX`), everything else literal UTF-8;
//! * numbers as `serde_json` writes them (integers in decimal, floats in their
//!   shortest round-trip form).
//!
//! Because the hash is computed over this form of the *parsed* line, a verifier does
//! not depend on member order or whitespace in the file, only on content.

use serde_json::Value;

/// Appends the canonical form of `value` to `out`, leaving out a top-level member named
/// `skip_top_level` (the `hash`) when given.
pub fn write_canonical(value: &Value, skip_top_level: Option<&str>, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(key, _)| Some(key.as_str()) != skip_top_level)
                .collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(member, None, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, None, out);
            }
            out.push(b']');
        }
        Value::String(text) => write_string(text, out),
        // Scalars: serde_json's own (deterministic) formatting.
        other => {
            // Writing a scalar to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, other);
        }
    }
}

fn write_string(text: &str, out: &mut Vec<u8>) {
    // Writing a string to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// The canonical form of `value` (without its top-level `hash`), as bytes.
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    write_canonical(value, Some("hash"), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_order_and_whitespace_do_not_matter() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2.5,"x"],"x":null}}"#).unwrap();
        let b: Value =
            serde_json::from_str("{ \"a\" : { \"x\":null, \"y\":[1, 2.5, \"x\"] }, \"b\" : 1 }")
                .unwrap();
        assert_eq!(canonical_bytes(&a), canonical_bytes(&b));
        assert_eq!(
            String::from_utf8(canonical_bytes(&a)).unwrap(),
            r#"{"a":{"x":null,"y":[1,2.5,"x"]},"b":1}"#
        );
    }

    #[test]
    fn only_the_top_level_hash_is_left_out() {
        let value = json!({"hash": "h", "seq": 1, "inner": {"hash": "kept"}});
        assert_eq!(
            String::from_utf8(canonical_bytes(&value)).unwrap(),
            r#"{"inner":{"hash":"kept"},"seq":1}"#
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        let value = json!({"s": "a\u{1b}[31m\n\""});
        assert_eq!(
            String::from_utf8(canonical_bytes(&value)).unwrap(),
            r#"{"s":"a\u001b[31m\n\""}"#
        );
    }
}
