//! A repository's own reference patterns: one regular expression per line, each with a
//! group named `task` (`#(?<task>\d+)`, `(?i)ticket\s+(?<task>[a-z]+-\d+)`).

use std::fmt;

use regex::{Regex, RegexBuilder};

use super::Hit;
use super::keys::KeyFilter;
use super::opaque::Opaque;
use super::task_ref::TaskRef;

/// Patterns come from a form; bound what one may cost to compile and to run.
const MAX_COMPILED_BYTES: usize = 1 << 20;
const MAX_DFA_BYTES: usize = 4 << 20;
const GROUP: &str = "task";

/// Names the line (1-based) and what is wrong, e.g. "line 2: no group named `task`".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for PatternError {}

#[derive(Clone, Debug, Default)]
pub(super) struct Patterns(Vec<Regex>);

impl Patterns {
    /// Blank lines are skipped but still counted, so line numbers match the text the
    /// user sees. Surrounding blanks (and a `\r` from a browser's textarea) are trimmed.
    pub(super) fn compile(patterns: &str) -> Result<Patterns, PatternError> {
        let mut compiled = Vec::new();
        for (i, line) in patterns.lines().enumerate() {
            let line_no = i + 1;
            let pattern = line.trim();
            if pattern.is_empty() {
                continue;
            }
            let regex = RegexBuilder::new(pattern)
                .size_limit(MAX_COMPILED_BYTES)
                .dfa_size_limit(MAX_DFA_BYTES)
                .build()
                .map_err(|e| PatternError {
                    line: line_no,
                    message: regex_message(&e),
                })?;
            if !regex.capture_names().any(|name| name == Some(GROUP)) {
                return Err(PatternError {
                    line: line_no,
                    message: format!("no group named `{GROUP}`"),
                });
            }
            compiled.push(regex);
        }
        Ok(Patterns(compiled))
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Matches of all patterns, in text order; where two overlap the earlier (then the
    /// longer) wins, so two patterns that both see `#12` give one reference.
    pub(super) fn find(&self, text: &str, keys: &KeyFilter, opaque: &Opaque) -> Vec<Hit> {
        let mut hits = Vec::new();
        for regex in &self.0 {
            for caps in regex.captures_iter(text) {
                let (Some(whole), Some(task)) = (caps.get(0), caps.name(GROUP)) else {
                    continue;
                };
                // A pattern written to match whole links (`https://tracker/issues/(?<task>\d+)`)
                // starts where the link starts; one that merely lands inside a link does not.
                if opaque
                    .containing(task.start())
                    .is_some_and(|link| whole.start() > link.start)
                {
                    continue;
                }
                let Some(task) = TaskRef::parse(task.as_str()).filter(|t| keys.allows(t)) else {
                    continue;
                };
                hits.push(Hit {
                    start: whole.start(),
                    end: whole.end(),
                    task,
                });
            }
        }
        hits.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        let mut kept: Vec<Hit> = Vec::with_capacity(hits.len());
        for hit in hits {
            if kept.last().is_none_or(|last| hit.start >= last.end) {
                kept.push(hit);
            }
        }
        kept
    }
}

/// The regex crate's syntax errors are a small ASCII diagram ending in "error: …"; a form
/// field shows one line, and the line number already says where.
fn regex_message(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or(text)
            .to_string(),
        regex::Error::CompiledTooBig(_) => "pattern too large".to_string(),
        other => other.to_string(),
    }
}
