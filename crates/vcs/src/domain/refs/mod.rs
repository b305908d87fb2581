//! Task references and commands in commit messages.
//!
//! A message names tasks (`#123`, `PROJ-123`, `task 123`, `задача 123`, or a repository's
//! own patterns) and may ask for something: close them (`Fixes #12`, `исправлено #12`,
//! `PROJ-12 #close`) or log time (`#12 @2h30m`, `PROJ-12 #time 1h 30m`). Precision comes
//! before recall: a commit wrongly attached to a task, or a task wrongly closed, costs a
//! person more than a missed link, which the author can add by hand. So hex hashes, links,
//! e-mail addresses, the forge's own numbers (`owner/repo#1`, `!12`, `pull request #3`) and
//! standard names (`UTF-8`, `SHA-256`, `CVE-2024-1234`) are not tasks.
//!
//! ```
//! use shtab_vcs::domain::refs::RefRules;
//!
//! let scan = RefRules::defaults().scan("Fixes #12 @1h30m, see PROJ-4\n\nhttps://x.test/issues/9");
//! assert_eq!(scan.to_string(), "ref #12\nref PROJ-4\nclose #12\ntime #12 1h30m\n");
//! assert_eq!(RefRules::defaults().scan("Bump deps").to_string(), "no references\n");
//! ```

mod command;
mod commands;
mod defaults;
mod duration;
mod keys;
mod opaque;
mod pattern;
mod task_ref;
mod text;
mod time;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

pub use command::Command;
pub use pattern::PatternError;
pub use task_ref::TaskRef;

use keys::KeyFilter;
use opaque::Opaque;
use pattern::Patterns;

/// What one message names and asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Deduplicated, in the order they first appear.
    pub refs: Vec<TaskRef>,
    /// In the order they appear; each names a task that is also in `refs`.
    pub commands: Vec<Command>,
}

/// The lines `shtab vcs refs` prints: `ref #12`, then `close #12`, `time #12 1h30m`.
impl fmt::Display for Scan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.refs.is_empty() {
            return writeln!(f, "no references");
        }
        for r in &self.refs {
            writeln!(f, "ref {r}")?;
        }
        for c in &self.commands {
            writeln!(f, "{c}")?;
        }
        Ok(())
    }
}

/// Compiled rules of one repository. Cheap to clone (Arc inside) and Send + Sync.
#[derive(Clone, Debug)]
pub struct RefRules {
    inner: Arc<Rules>,
}

#[derive(Debug)]
struct Rules {
    /// Empty means the built-in syntax.
    patterns: Patterns,
    keys: KeyFilter,
}

/// A reference found at `start..end` (the whole written form, `#12`, `task 12`'s `12`,
/// or a custom pattern's whole match), which commands look around.
#[derive(Clone, Debug)]
struct Hit {
    start: usize,
    end: usize,
    task: TaskRef,
}

impl RefRules {
    pub fn defaults() -> RefRules {
        RefRules {
            inner: Arc::new(Rules {
                patterns: Patterns::default(),
                keys: KeyFilter::default(),
            }),
        }
    }

    /// `patterns`: custom reference patterns, one regular expression per line (blank lines
    /// ignored), each with a capture group named `task` that captures digits or KEY-digits;
    /// when non-empty they replace the default reference patterns. `project_keys`: when
    /// non-empty, only KEY-123 references whose key is listed count (case-insensitive).
    pub fn new(patterns: &str, project_keys: &[String]) -> Result<RefRules, PatternError> {
        Ok(RefRules {
            inner: Arc::new(Rules {
                patterns: Patterns::compile(patterns)?,
                keys: KeyFilter::new(project_keys),
            }),
        })
    }

    pub fn scan(&self, message: &str) -> Scan {
        // Every reference has digits, and most commit messages have none.
        if !message.bytes().any(|b| b.is_ascii_digit()) {
            return Scan::default();
        }
        let opaque = Opaque::find(message);
        let rules = &self.inner;
        let hits = if rules.patterns.is_empty() {
            defaults::find(message, &rules.keys, &opaque)
        } else {
            rules.patterns.find(message, &rules.keys, &opaque)
        };
        if hits.is_empty() {
            return Scan::default();
        }
        let commands = commands::find(message, &hits);
        let mut seen = HashSet::new();
        let refs = hits
            .into_iter()
            .map(|h| h.task)
            .filter(|t| seen.insert(t.clone()))
            .collect();
        Scan { refs, commands }
    }
}

impl Default for RefRules {
    fn default() -> RefRules {
        RefRules::defaults()
    }
}
