//! The binding of an approval to exactly one call: SHA-256 over the requester (subject
//! and issuer), the tool name, the canonical JSON of the arguments and the tool's
//! definition hash. An approval applies only to a call with the same binding, so
//! changed arguments or a changed tool definition need a new approval.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::ApprovalError;

/// How deeply nested arguments may be; deeper ones are refused (fail closed).
const MAX_DEPTH: usize = 128;

/// The SHA-256 binding of a ticket to one call.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingHash(pub [u8; 32]);

impl BindingHash {
    /// Computes the binding of a call by `subject` (from `issuer`) to `tool` with
    /// `arguments`, whose tool definition hashed to `definition` when last listed.
    ///
    /// ```
    /// use serde_json::json;
    /// use tollgate::approval::BindingHash;
    ///
    /// let a = BindingHash::compute("alice", None, "db.query", &json!({"sql": "x", "n": 1}), None)?;
    /// let b = BindingHash::compute("alice", None, "db.query", &json!({"n": 1, "sql": "x"}), None)?;
    /// let c = BindingHash::compute("alice", None, "db.query", &json!({"n": 2, "sql": "x"}), None)?;
    /// assert_eq!(a, b); // key order does not matter
    /// assert_ne!(a, c); // values do
    /// # Ok::<(), tollgate::approval::ApprovalError>(())
    /// ```
    pub fn compute(
        subject: &str,
        issuer: Option<&str>,
        tool: &str,
        arguments: &Value,
        definition: Option<&[u8; 32]>,
    ) -> Result<BindingHash, ApprovalError> {
        let args = canonical_json(arguments)?;
        let mut h = Sha256::new();
        h.update(b"tollgate.approval.binding.v1");
        field(&mut h, subject.as_bytes());
        match issuer {
            Some(i) => {
                h.update([1]);
                field(&mut h, i.as_bytes());
            }
            None => h.update([0]),
        }
        field(&mut h, tool.as_bytes());
        field(&mut h, args.as_bytes());
        match definition {
            Some(d) => {
                h.update([1]);
                h.update(d);
            }
            None => h.update([0]),
        }
        Ok(BindingHash(h.finalize().into()))
    }
}

/// A length-prefixed field, so no two field lists hash the same input.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

impl fmt::Display for BindingHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for BindingHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BindingHash({self})")
    }
}

impl Serialize for BindingHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// The canonical JSON text of `value`: object keys sorted by their UTF-8 bytes, no
/// whitespace, strings and numbers as serde_json writes them. Strings are not
/// normalised: two calls whose arguments differ in any byte bind differently.
///
/// ```
/// use serde_json::json;
/// use tollgate::approval::canonical_json;
///
/// assert_eq!(canonical_json(&json!({"b": [1, {"d": 1, "c": null}], "a": "x"}))?,
///            r#"{"a":"x","b":[1,{"c":null,"d":1}]}"#);
/// # Ok::<(), tollgate::approval::ApprovalError>(())
/// ```
pub fn canonical_json(value: &Value) -> Result<String, ApprovalError> {
    let mut out = String::new();
    write_canonical(value, &mut out, 0)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String, depth: usize) -> Result<(), ApprovalError> {
    if depth > MAX_DEPTH {
        return Err(ApprovalError::InvalidArguments(format!(
            "nested deeper than {MAX_DEPTH} levels"
        )));
    }
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out, depth + 1)?;
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bind(
        subject: &str,
        issuer: Option<&str>,
        tool: &str,
        args: Value,
        def: Option<[u8; 32]>,
    ) -> BindingHash {
        BindingHash::compute(subject, issuer, tool, &args, def.as_ref()).unwrap()
    }

    #[test]
    fn every_part_of_the_call_changes_the_binding() {
        let base = bind(
            "alice",
            Some("idp"),
            "db.query",
            json!({"sql": "x"}),
            Some([1; 32]),
        );
        assert_eq!(
            base,
            bind(
                "alice",
                Some("idp"),
                "db.query",
                json!({"sql": "x"}),
                Some([1; 32])
            )
        );
        let others = [
            bind(
                "bob",
                Some("idp"),
                "db.query",
                json!({"sql": "x"}),
                Some([1; 32]),
            ),
            bind(
                "alice",
                Some("other"),
                "db.query",
                json!({"sql": "x"}),
                Some([1; 32]),
            ),
            bind(
                "alice",
                None,
                "db.query",
                json!({"sql": "x"}),
                Some([1; 32]),
            ),
            bind(
                "alice",
                Some("idp"),
                "db.exec",
                json!({"sql": "x"}),
                Some([1; 32]),
            ),
            bind(
                "alice",
                Some("idp"),
                "db.query",
                json!({"sql": "y"}),
                Some([1; 32]),
            ),
            bind(
                "alice",
                Some("idp"),
                "db.query",
                json!({"sql": "x"}),
                Some([2; 32]),
            ),
            bind("alice", Some("idp"), "db.query", json!({"sql": "x"}), None),
            bind(
                "alice",
                Some("idp"),
                "db.query",
                json!({"sql": "x", "n": 1}),
                Some([1; 32]),
            ),
        ];
        for other in others {
            assert_ne!(base, other);
        }
        // Length prefixes: moving a byte between fields changes the hash.
        assert_ne!(
            bind("ab", None, "c", json!(null), None),
            bind("a", None, "bc", json!(null), None)
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level_and_caps_depth() {
        let a = json!({"z": {"b": 1, "a": [true, {"y": 1, "x": 2}]}, "é": "\n"});
        assert_eq!(
            canonical_json(&a).unwrap(),
            r#"{"z":{"a":[true,{"x":2,"y":1}],"b":1},"é":"\n"}"#
        );
        let mut deep = json!(1);
        for _ in 0..200 {
            deep = json!([deep]);
        }
        assert!(matches!(
            canonical_json(&deep),
            Err(ApprovalError::InvalidArguments(_))
        ));
    }
}
