//! [`Findings`]: what a redaction masked, by type and location — never the value.

use std::borrow::Cow;

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::fast::RandomState;

use serde::{Deserialize, Serialize};

/// Distinct `(kind, location)` entries kept; further ones are counted under
/// [`OVERFLOW_LOCATION`] so memory stays bounded.
pub const MAX_FINDING_ENTRIES: usize = 1024;

/// Up to this many entries, `add` compares entries instead of hashing.
const SCANNED_ENTRIES: usize = 16;

/// The location findings are counted under once [`MAX_FINDING_ENTRIES`] is reached.
pub const OVERFLOW_LOCATION: &str = "*";

/// One entry of [`Findings`]: how many values of one type were masked at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionFinding {
    /// The type name: a built-in detector's (`CREDIT_CARD`), a user pattern's name, or
    /// `FIELD` for a field rule.
    pub kind: Cow<'static, str>,
    /// How many values were masked.
    pub count: u64,
    /// JSON pointer of the masked string, number or field, prefixed by the caller's
    /// location prefix. Inside a string that held JSON, the pointer continues into that
    /// JSON (`/content/0/text/ssn`). Empty for plain text.
    pub location: String,
}

/// Every redaction of one call, aggregated by type and location. Serializes as a JSON
/// array of [`RedactionFinding`]s (for audit records).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Findings {
    entries: Vec<RedactionFinding>,
    /// A keyed hash of each `(kind, location)` → its first position in `entries`. Two
    /// keys with one hash are told apart by comparing the entry (then a linear search).
    /// The hash is foldhash with a per-instance random seed: fast on short pointers,
    /// and the entries are capped, so even a forced collision costs one bounded scan.
    #[serde(skip)]
    index: HashMap<u64, usize, BuildHasherDefault<AlreadyHashed>>,
    /// How many leading entries are in `index` (fewer after deserializing).
    #[serde(skip)]
    indexed: usize,
    #[serde(skip)]
    hasher: RandomState,
}

impl Findings {
    /// No findings.
    pub fn new() -> Findings {
        Findings::default()
    }

    /// Whether nothing was masked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number of `(kind, location)` entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The entries, in the order first seen.
    pub fn iter(&self) -> std::slice::Iter<'_, RedactionFinding> {
        self.entries.iter()
    }

    /// The total number of masked values.
    pub fn total(&self) -> u64 {
        self.entries.iter().map(|e| e.count).sum()
    }

    /// The number of masked values of type `kind`.
    pub fn count_of(&self, kind: &str) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.count)
            .sum()
    }

    /// Adds `count` values of `kind` at `location`.
    pub fn add(&mut self, kind: Cow<'static, str>, location: &str, count: u64) {
        if let Some(e) = self.entries.last_mut()
            && e.kind == kind
            && e.location == location
        {
            e.count = e.count.saturating_add(count);
            return;
        }
        if self.entries.len() <= SCANNED_ENTRIES {
            // A few entries (one per type when locations are off): comparing them costs
            // less than hashing. The index catches up once there are more.
            match self
                .entries
                .iter_mut()
                .find(|e| e.kind == kind && e.location == location)
            {
                Some(e) => e.count = e.count.saturating_add(count),
                None => self.entries.push(RedactionFinding {
                    kind,
                    count,
                    location: location.to_owned(),
                }),
            }
            return;
        }
        while let Some(e) = self.entries.get(self.indexed) {
            let h = self.hash(&e.kind, &e.location);
            self.index.entry(h).or_insert(self.indexed);
            self.indexed += 1;
        }
        let mut location = location;
        let mut h = self.hash(&kind, location);
        let mut found = self.position(h, &kind, location);
        if found.is_none() && self.entries.len() >= MAX_FINDING_ENTRIES {
            location = OVERFLOW_LOCATION;
            h = self.hash(&kind, location);
            found = self.position(h, &kind, location);
        }
        if let Some(e) = found.and_then(|i| self.entries.get_mut(i)) {
            e.count = e.count.saturating_add(count);
            return;
        }
        self.index.entry(h).or_insert(self.entries.len());
        self.entries.push(RedactionFinding {
            kind,
            count,
            location: location.to_owned(),
        });
        self.indexed = self.entries.len();
    }

    fn hash(&self, kind: &str, location: &str) -> u64 {
        self.hasher.hash_one((kind, location))
    }

    /// Where `(kind, location)` is, given its hash.
    fn position(&self, h: u64, kind: &str, location: &str) -> Option<usize> {
        let is = |e: &RedactionFinding| e.kind == kind && e.location == location;
        let i = *self.index.get(&h)?;
        if self.entries.get(i).is_some_and(is) {
            return Some(i);
        }
        self.entries.iter().position(is)
    }

    /// Adds every entry of `other`.
    pub fn merge(&mut self, other: Findings) {
        for e in other.entries {
            self.add(e.kind, &e.location, e.count);
        }
    }
}

/// The index's hasher: its keys are already keyed hashes, so hashing them again (std's
/// SipHash) is wasted work.
#[derive(Debug, Default, Clone, Copy)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl PartialEq for Findings {
    fn eq(&self, other: &Findings) -> bool {
        self.entries == other.entries
    }
}

impl Eq for Findings {}

impl IntoIterator for Findings {
    type Item = RedactionFinding;
    type IntoIter = std::vec::IntoIter<RedactionFinding>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a RedactionFinding;
    type IntoIter = std::slice::Iter<'a, RedactionFinding>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_by_kind_and_location_and_merges() {
        let mut a = Findings::new();
        a.add("EMAIL".into(), "/a", 1);
        a.add("EMAIL".into(), "/a", 2);
        a.add("PHONE".into(), "/a", 1);
        let mut b = Findings::new();
        b.add("EMAIL".into(), "/a", 1);
        b.add("EMAIL".into(), "/b", 1);
        a.merge(b);
        assert_eq!(a.len(), 3);
        assert_eq!(a.count_of("EMAIL"), 5);
        assert_eq!(a.total(), 6);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json[0]["kind"], "EMAIL");
        assert_eq!(json[0]["count"], 4);
        assert_eq!(json[0]["location"], "/a");
    }

    #[test]
    fn entries_are_capped() {
        let mut f = Findings::new();
        for i in 0..MAX_FINDING_ENTRIES + 10 {
            f.add("EMAIL".into(), &format!("/{i}"), 1);
        }
        assert_eq!(f.len(), MAX_FINDING_ENTRIES + 1);
        assert_eq!(f.total(), (MAX_FINDING_ENTRIES + 10) as u64);
    }

    /// Entries added while they were few (compared, not indexed) are still found once
    /// the index takes over.
    #[test]
    fn aggregation_holds_across_the_switch_to_the_index() {
        let mut f = Findings::new();
        for round in 0..3u64 {
            for i in 0..40 {
                let kind = if i % 2 == 0 { "EMAIL" } else { "PHONE" };
                f.add(kind.into(), &format!("/{i}"), round + 1);
            }
        }
        assert_eq!(f.len(), 40);
        assert!(f.iter().all(|e| e.count == 6));
        assert_eq!(f.count_of("EMAIL"), 20 * 6);
    }

    #[test]
    fn deserialized_findings_keep_aggregating() {
        let mut f: Findings = serde_json::from_str(
            r#"[{"kind":"EMAIL","count":2,"location":"/a"},{"kind":"PHONE","count":1,"location":"/b"}]"#,
        )
        .unwrap();
        f.add("EMAIL".into(), "/a", 1);
        f.add("PHONE".into(), "/c", 1);
        f.add("PHONE".into(), "/b", 1);
        assert_eq!(f.len(), 3);
        assert_eq!(f.iter().map(|e| e.count).collect::<Vec<_>>(), [3, 2, 1]);
    }
}
