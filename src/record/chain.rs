//! The hash chain and checkpoints shared by the chained sinks and the verifier.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::canonical::canonical_bytes;
use super::event::{CheckpointRecord, Event, EventBody};
use super::sink::SinkError;

/// The `prev` of the first event of a chain: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            out.extend(char::from_digit(u32::from(nibble), 16));
        }
    }
    out
}

/// The hash of a parsed event (any JSON object): SHA-256 over its canonical form
/// without `hash`, as lowercase hex.
pub fn hash_value(value: &Value) -> String {
    hex(&Sha256::digest(canonical_bytes(value)))
}

/// The bytes the checkpoint HMAC covers.
fn checkpoint_message(seq: u64, head: &str) -> String {
    format!("tollgate-checkpoint-v1\n{seq}\n{head}")
}

/// The checkpoint HMAC of (`seq`, `head`) under `key`, as lowercase hex.
pub(crate) fn checkpoint_hmac(key: &[u8], seq: u64, head: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(checkpoint_message(seq, head).as_bytes());
            hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Whether `hmac_hex` is the checkpoint HMAC of (`seq`, `head`) under `key`,
/// compared in constant time.
pub(crate) fn checkpoint_hmac_matches(key: &[u8], seq: u64, head: &str, hmac_hex: &str) -> bool {
    let Some(expected) = unhex(hmac_hex) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(checkpoint_message(seq, head).as_bytes());
    mac.verify_slice(&expected).is_ok()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| char::from(b).to_digit(16);
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((digit(*hi)? * 16 + digit(*lo)?) as u8),
            _ => None,
        })
        .collect()
}

/// The state of one chain: the last hash, the last seq, and counts for checkpoints.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    /// The hash of the last event written (or [`GENESIS`]).
    pub head: String,
    /// The seq of the last event written (0 before any).
    pub last_seq: u64,
    /// Events since the last checkpoint.
    pub since_checkpoint: u64,
    /// Whether the last line written was a checkpoint.
    pub at_checkpoint: bool,
}

impl Chain {
    /// A chain that starts at genesis.
    pub fn genesis() -> Self {
        Chain {
            head: GENESIS.to_owned(),
            last_seq: 0,
            since_checkpoint: 0,
            at_checkpoint: false,
        }
    }

    /// Links `event` (setting `prev` and `hash`) and appends its JSON line (with the
    /// trailing newline) to `out`.
    pub fn append(&mut self, event: &Event, out: &mut Vec<u8>) -> Result<String, SinkError> {
        let start = out.len();
        if super::canonical_writer::write_event(event, &self.head, out).is_err() {
            // Something the direct writer does not reproduce exactly: the `Value` path.
            let mut value =
                serde_json::to_value(event).map_err(|e| SinkError::Encode(e.to_string()))?;
            let Value::Object(map) = &mut value else {
                return Err(SinkError::Encode("an event is not a JSON object".into()));
            };
            map.insert("prev".into(), Value::String(self.head.clone()));
            map.remove("hash");
            super::canonical::write_canonical(&value, None, out);
        }
        let hash = hex(&Sha256::digest(out.get(start..).unwrap_or_default()));
        // The line is the canonical form with the hash appended as the last member.
        out.pop();
        out.extend_from_slice(b",\"hash\":\"");
        out.extend_from_slice(hash.as_bytes());
        out.extend_from_slice(b"\"}\n");
        self.head.clone_from(&hash);
        if matches!(event.body, EventBody::Checkpoint(_)) {
            self.since_checkpoint = 0;
            self.at_checkpoint = true;
        } else {
            self.last_seq = event.seq;
            self.since_checkpoint += 1;
            self.at_checkpoint = false;
        }
        Ok(hash)
    }

    /// A checkpoint over the current head, signed with `key` when given.
    pub fn checkpoint(&self, key: Option<&[u8]>) -> Event {
        let hmac = key.map(|k| checkpoint_hmac(k, self.last_seq, &self.head));
        Event::unattached(
            EventBody::Checkpoint(CheckpointRecord {
                head: self.head.clone(),
                hmac,
            }),
            self.last_seq,
        )
    }

    /// The chain continued after a written line, as read back from a file or table.
    pub fn resume(line: &Value) -> Option<Self> {
        let head = line.get("hash")?.as_str()?.to_owned();
        let seq = line.get("seq")?.as_u64()?;
        let at_checkpoint = line.get("kind")?.as_str()? == "checkpoint";
        Some(Chain {
            head,
            last_seq: seq,
            since_checkpoint: 0,
            at_checkpoint,
        })
    }
}
