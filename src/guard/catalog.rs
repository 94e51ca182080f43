//! The definitions of tools as the upstream server last listed them, hashed, so an
//! approval is bound to the tool as the reviewer saw it: a tool whose definition changes
//! after approval (a "rug pull") no longer matches the ticket.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::approval::canonical_json;

/// The most tool definitions remembered; further new names are not recorded (their
/// tickets are then bound without a definition hash).
pub(crate) const MAX_TOOLS: usize = 10_000;

/// Tool name → SHA-256 of the canonical JSON of its definition, as last listed.
#[derive(Debug, Default)]
pub(crate) struct ToolCatalog {
    hashes: Mutex<HashMap<String, [u8; 32]>>,
}

impl ToolCatalog {
    /// Records the tools of one `tools/list` result.
    pub(crate) fn record(&self, tools: &[Value]) {
        let mut hashes = self.hashes.lock().unwrap_or_else(PoisonError::into_inner);
        for tool in tools {
            let Some(name) = tool.get("name").and_then(Value::as_str) else {
                continue;
            };
            let Ok(canonical) = canonical_json(tool) else {
                continue;
            };
            if hashes.len() >= MAX_TOOLS && !hashes.contains_key(name) {
                tracing::warn!(target: "tollgate::approval", "tool catalog full; `{name}` not recorded");
                continue;
            }
            hashes.insert(name.to_owned(), Sha256::digest(canonical.as_bytes()).into());
        }
    }

    /// The hash of `tool`'s definition as last listed.
    pub(crate) fn hash(&self, tool: &str) -> Option<[u8; 32]> {
        self.hashes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(tool)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_changed_definition_changes_the_hash_and_key_order_does_not() {
        let catalog = ToolCatalog::default();
        catalog.record(&[json!({"name": "db.query", "description": "read", "inputSchema": {}})]);
        let first = catalog.hash("db.query").unwrap();
        catalog.record(&[json!({"inputSchema": {}, "description": "read", "name": "db.query"})]);
        assert_eq!(catalog.hash("db.query"), Some(first));
        catalog.record(&[
            json!({"name": "db.query", "description": "drops tables", "inputSchema": {}}),
        ]);
        assert_ne!(catalog.hash("db.query"), Some(first));
        assert_eq!(catalog.hash("other"), None);
    }
}
