//! [`Findings`]: what a redaction masked, by type and location — never the value.

use std::borrow::Cow;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Distinct `(kind, location)` entries kept; further ones are counted under
/// [`OVERFLOW_LOCATION`] so memory stays bounded.
pub const MAX_FINDING_ENTRIES: usize = 1024;

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
    /// Position of each `(kind, location)` in `entries`.
    #[serde(skip)]
    index: HashMap<(Cow<'static, str>, String), usize>,
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
        if self.index.len() != self.entries.len() {
            // Deserialized: rebuild the index.
            self.index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| ((e.kind.clone(), e.location.clone()), i))
                .collect();
        }
        let mut key = (kind, location.to_owned());
        if self.entries.len() >= MAX_FINDING_ENTRIES && !self.index.contains_key(&key) {
            key.1 = OVERFLOW_LOCATION.to_owned();
        }
        if let Some(e) = self.index.get(&key).and_then(|&i| self.entries.get_mut(i)) {
            e.count = e.count.saturating_add(count);
            return;
        }
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push(RedactionFinding {
            kind: key.0,
            count,
            location: key.1,
        });
    }

    /// Adds every entry of `other`.
    pub fn merge(&mut self, other: Findings) {
        for e in other.entries {
            self.add(e.kind, &e.location, e.count);
        }
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
}
