//! Which commits are "the same change": a commit and its rebased or cherry-picked copies
//! keep the author and the message (cherry-pick -x only appends a line) but get new shas
//! and committer times. Webhooks do not say which of their timestamps is the author's, so
//! time is left out: the same author writing the same message twice on one task is shown
//! as one change with two commits, which loses nothing.
//!
//! What a commit's message asks of a task (`fixes #12`, `@2h`) belongs to the change, not to
//! one of its copies: the change ledger ([`crate::store::ledger`]) holds each
//! [`ChangeAction`] once per task and change.

use sha2::{Digest, Sha256};

/// A short stable key over the author's e-mail and the message without cherry-pick notes.
pub fn change_key(author_email: &str, message: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(author_email.trim().to_lowercase().as_bytes());
    hasher.update([0u8]);
    let mut lines: Vec<&str> = message
        .lines()
        .map(str::trim_end)
        .filter(|l| !is_cherry_pick_note(l))
        .collect();
    // The note comes after a blank line, which goes with it.
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        hasher.update(line.as_bytes());
        hasher.update([b'\n']);
    }
    hex::encode(&hasher.finalize()[..12])
}

/// Something Shtab does on a task once per change, whichever copy of it came first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeAction {
    /// `fixes #12`: the task is closed.
    Close,
    /// `#12 @2h`: the time is logged.
    LogTime,
}

impl ChangeAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Close => "close",
            ChangeAction::LogTime => "log_time",
        }
    }
}

fn is_cherry_pick_note(line: &str) -> bool {
    line.trim()
        .strip_prefix("(cherry picked from commit ")
        .and_then(|rest| rest.strip_suffix(')'))
        .is_some_and(|sha| !sha.is_empty() && sha.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cherry_picked_copy_is_the_same_change() {
        let original = change_key("Ann@Agency.test", "Fix login #12\n\nDetails\n");
        let picked = change_key(
            "ann@agency.test",
            "Fix login #12\r\n\r\nDetails\n\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)",
        );
        assert_eq!(original, picked);
    }

    #[test]
    fn another_author_or_message_is_another_change() {
        let a = change_key("ann@agency.test", "Fix login #12");
        assert_ne!(a, change_key("bob@agency.test", "Fix login #12"));
        assert_ne!(a, change_key("ann@agency.test", "Fix logout #12"));
    }
}
