//! A JSON document in a string that a later value of the same document spells out
//! again, redacted once for both. MCP servers send a tool result's `structuredContent`
//! with a serialized copy of it as text content (the specification asks for it, for
//! clients that read only `content`), so every structured result would otherwise be
//! read and scanned twice, and the copy, one string deeper, costs more than the value.
//!
//! The byte walk meets the copy first. When its raw content is the later value's bytes
//! escaped exactly as the walk escapes text ([`escaped_copy`]), it walks the value's
//! bytes as a document of their own, writes that redaction escaped into the string, and
//! remembers it here; at the value, it writes the redaction again and counts the
//! findings again under the value's location.
//!
//! Redacting a document depends on its bytes, the context of the key it sits under, and
//! how deep it sits. The copy is walked as the string would have been walked (under
//! its context, its depth counted from the string), and it is kept only when the
//! difference in depth cannot matter: no string in it was walked as JSON (that stops
//! [`MAX_NESTED_JSON`] strings deep), the value sits where its containers stay within
//! the depth limit, and the value's context is the string's. Otherwise the value is
//! walked as usual.
//!
//! [`escaped_copy`]: super::json_string::escaped_copy
//! [`MAX_NESTED_JSON`]: super::walk::MAX_NESTED_JSON

use super::key_context::KeyContext;
use super::walk::FoundRecord;

/// A document redacted at a string that copies a later value.
#[derive(Debug)]
pub(crate) struct RepeatedDocument {
    /// Where the value starts in the root input.
    pub(crate) at: usize,
    /// Its length in bytes.
    pub(crate) len: usize,
    /// The context of the key the string sat under.
    pub(crate) ctx: KeyContext,
    /// How deep its objects and arrays nest.
    pub(crate) deepest: usize,
    /// The value redacted; `None` when nothing in it changed.
    pub(crate) redacted: Option<Vec<u8>>,
    /// What its redaction found.
    pub(crate) found: FoundRecord,
}

impl RepeatedDocument {
    /// Whether the value starting at `pos`, under `ctx` and inside containers `depth`
    /// deep, is the document and takes its redaction as it is.
    pub(crate) fn is_at(&self, pos: usize, ctx: &KeyContext, depth: usize, max: usize) -> bool {
        self.at == pos && self.ctx == *ctx && depth + self.deepest <= max
    }
}
