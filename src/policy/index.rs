//! The tool index: one [`GlobSet`] over the tool globs of every rule, so finding the
//! rules that can apply to a call costs one set match instead of a pass over all rules.

use std::cell::RefCell;

use globset::{Candidate, Glob, GlobSet, GlobSetBuilder};

thread_local! {
    /// Reused buffer for the pattern indices a tool name matches, so the hot path does
    /// not allocate.
    static HITS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Maps a tool name to the rules whose `tools` globs match it, plus the rules that
/// have no `tools` and so are candidates for every call.
#[derive(Debug, Clone)]
pub(crate) struct ToolIndex {
    set: GlobSet,
    /// Pattern index in `set` → rule index.
    owners: Vec<usize>,
    /// Pattern index in `set` → the glob as written.
    patterns: Vec<String>,
    /// Rules without `tools`.
    always: Vec<usize>,
}

/// Collects rules' tool globs into a [`ToolIndex`].
#[derive(Debug)]
pub(crate) struct ToolIndexBuilder {
    builder: GlobSetBuilder,
    owners: Vec<usize>,
    patterns: Vec<String>,
    always: Vec<usize>,
}

impl Default for ToolIndexBuilder {
    fn default() -> Self {
        ToolIndexBuilder {
            builder: GlobSetBuilder::new(),
            owners: Vec::new(),
            patterns: Vec::new(),
            always: Vec::new(),
        }
    }
}

impl ToolIndexBuilder {
    /// Adds rule `rule` with its compiled tool globs; `None` means "every tool".
    pub(crate) fn add(&mut self, rule: usize, tools: Option<Vec<Glob>>) {
        match tools {
            None => self.always.push(rule),
            Some(globs) => {
                for g in globs {
                    self.patterns.push(g.glob().to_owned());
                    self.owners.push(rule);
                    self.builder.add(g);
                }
            }
        }
    }

    /// Builds the index.
    pub(crate) fn build(self) -> Result<ToolIndex, globset::Error> {
        Ok(ToolIndex {
            set: self.builder.build()?,
            owners: self.owners,
            patterns: self.patterns,
            always: self.always,
        })
    }
}

impl ToolIndex {
    /// An index with no rules.
    pub(crate) fn empty() -> ToolIndex {
        ToolIndex {
            set: GlobSet::empty(),
            owners: Vec::new(),
            patterns: Vec::new(),
            always: Vec::new(),
        }
    }

    /// Calls `f` with every rule that may apply to `tool`: the rules without `tools`,
    /// then those with a matching glob (a rule with several matching globs is passed
    /// once per glob). Order is unspecified.
    pub(crate) fn for_each_candidate(&self, tool: &str, mut f: impl FnMut(usize)) {
        self.always.iter().for_each(|&r| f(r));
        if self.set.is_empty() {
            return;
        }
        let candidate = Candidate::from_bytes(tool.as_bytes());
        let mut emit = |hits: &[usize]| {
            for &p in hits {
                if let Some(&r) = self.owners.get(p) {
                    f(r);
                }
            }
        };
        let reused = HITS.try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut hits) => {
                self.set.matches_candidate_into(&candidate, &mut hits);
                emit(&hits);
                true
            }
            Err(_) => false,
        });
        if !matches!(reused, Ok(true)) {
            // Re-entered, or the thread is shutting down: use a fresh buffer.
            emit(&self.set.matches_candidate(&candidate));
        }
    }

    /// Every candidate rule for `tool`, sorted and without duplicates.
    pub(crate) fn candidates(&self, tool: &str) -> Vec<usize> {
        let mut out = Vec::new();
        self.for_each_candidate(tool, |r| out.push(r));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The globs of rule `rule` that match `tool`, in file order.
    pub(crate) fn matching_globs(&self, tool: &str, rule: usize) -> Vec<&str> {
        self.set
            .matches_candidate(&Candidate::from_bytes(tool.as_bytes()))
            .into_iter()
            .filter(|&p| self.owners.get(p) == Some(&rule))
            .filter_map(|p| self.patterns.get(p).map(String::as_str))
            .collect()
    }
}
