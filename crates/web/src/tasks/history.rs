//! What a task's page shows of its history: the commits, a change shown once however many
//! copies of it were rebased or cherry-picked; the time spent; the comments.

use crate::i18n::Locale;
use shtab_core::config::Config;
use shtab_core::tasks::{TaskComment, TaskCommit, TaskTime};
use shtab_core::time::format_ms;

use super::texts::TasksTexts;

/// Enough of a hash to tell commits apart on a page, as forges show it.
fn short_sha(sha: &str) -> String {
    sha.chars().take(7).collect()
}

/// Another copy of a change already shown: its hash, repository and forge link.
pub struct OtherCopy {
    pub short: String,
    pub sha: String,
    pub repository: String,
    pub url: Option<String>,
    pub branches: Vec<String>,
    pub unreachable: bool,
}

pub struct CommitView {
    pub short: String,
    pub sha: String,
    pub url: Option<String>,
    pub repository: String,
    /// The person the author is, linked to their page.
    pub person: Option<(i64, String)>,
    pub author_name: String,
    pub author_email: String,
    pub time: String,
    pub subject: String,
    /// The message after its first line, when there is more.
    pub body: Option<String>,
    pub branches: Vec<String>,
    /// No branch reaches it any more: marked, not hidden.
    pub unreachable: bool,
    pub also: Vec<OtherCopy>,
    /// It names the task but waits for it (a task of another system that Shtab could not
    /// see when the commit came).
    pub waiting: bool,
}

/// Commits in the order given (oldest first), each change once: later copies with the same
/// change key are listed under the first as "also".
pub fn commits(commits: Vec<TaskCommit>, config: &Config, link_people: bool) -> Vec<CommitView> {
    let tz = config.time_zone();
    let mut views: Vec<CommitView> = Vec::new();
    let mut first_of: Vec<(String, usize)> = Vec::new();
    for c in commits {
        let seen = (!c.change_key.is_empty())
            .then(|| first_of.iter().find(|(k, _)| *k == c.change_key))
            .flatten()
            .map(|(_, i)| *i);
        if let Some(i) = seen {
            views[i].also.push(OtherCopy {
                short: short_sha(&c.sha),
                sha: c.sha,
                repository: c.repository,
                url: c.url,
                branches: c.branches,
                unreachable: c.unreachable,
            });
            continue;
        }
        if !c.change_key.is_empty() {
            first_of.push((c.change_key.clone(), views.len()));
        }
        let (subject, body) = match c.message.trim().split_once('\n') {
            Some((first, rest)) => (first.trim().to_string(), Some(rest.trim().to_string())),
            None => (c.message.trim().to_string(), None),
        };
        views.push(CommitView {
            short: short_sha(&c.sha),
            url: c.url,
            repository: c.repository,
            person: c
                .author_id
                .zip(c.author_person)
                .filter(|_| link_people)
                .map(|(id, name)| (id.0, name)),
            author_name: c.author_name,
            author_email: c.author_email,
            time: format_ms(c.committed_at, tz),
            subject,
            body: body.filter(|b| !b.is_empty()),
            branches: c.branches,
            unreachable: c.unreachable,
            also: Vec::new(),
            waiting: false,
            sha: c.sha,
        });
    }
    views
}

pub struct TimeView {
    pub person: (i64, String),
    pub when: String,
    pub duration: String,
    pub note: String,
}

pub fn time(t: &TasksTexts, entries: Vec<TaskTime>, config: &Config) -> Vec<TimeView> {
    let tz = config.time_zone();
    entries
        .into_iter()
        .map(|e| TimeView {
            person: (e.person_id.0, e.person_name),
            when: format_ms(e.spent_at, tz),
            duration: t.duration(e.minutes),
            note: e.note,
        })
        .collect()
}

pub struct CommentView {
    /// `None` when a robot wrote it (a commit that closed the task, say).
    pub author: Option<(i64, String)>,
    pub when: String,
    pub body: String,
}

/// The comments; those Shtab wrote itself ("closed by commit…") in the reader's language.
pub fn comments(comments: Vec<TaskComment>, config: &Config, locale: Locale) -> Vec<CommentView> {
    let tz = config.time_zone();
    comments
        .into_iter()
        .map(|c| CommentView {
            author: c.author_id.zip(c.author_name).map(|(id, n)| (id.0, n)),
            when: format_ms(c.created_at, tz),
            // Only Shtab's own comment is translated, never what a person wrote.
            body: if c.body.starts_with("closed by commit:") {
                crate::words::notes::in_language(&c.body, locale)
            } else {
                c.body
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(sha: &str, repo: &str, key: &str, message: &str) -> TaskCommit {
        TaskCommit {
            repository: repo.into(),
            sha: sha.into(),
            change_key: key.into(),
            message: message.into(),
            author_id: None,
            author_person: None,
            author_name: "Ivan".into(),
            author_email: "ivan@agency.test".into(),
            authored_at: 0,
            committed_at: 0,
            url: None,
            branches: Vec::new(),
            unreachable: false,
            linked_at: 0,
        }
    }

    #[test]
    fn copies_of_a_change_are_shown_once_and_messages_split_at_the_first_line() {
        let views = commits(
            vec![
                commit("aaaaaaaaaa", "web", "k1", "Fix login #1\n\nLonger story"),
                commit("bbbbbbbbbb", "web", "", "Other #1"),
                commit("cccccccccc", "mobile", "k1", "Fix login #1\n\nLonger story"),
                commit("dddddddddd", "web", "", "Third #1"),
            ],
            &Config::default(),
            true,
        );
        let shas: Vec<&str> = views.iter().map(|v| v.short.as_str()).collect();
        assert_eq!(
            shas,
            ["aaaaaaa", "bbbbbbb", "ddddddd"],
            "empty keys never group"
        );
        assert_eq!(views[0].also.len(), 1);
        assert_eq!(views[0].also[0].repository, "mobile");
        assert_eq!(views[0].subject, "Fix login #1");
        assert_eq!(views[0].body.as_deref(), Some("Longer story"));
        assert_eq!(views[1].body, None);
    }
}
