//! What a forge sent, in one normal form for GitHub, GitLab and Gitea/Forgejo.
//!
//! A webhook body is parsed once, here, at the edge: each forge's JSON goes through one serde
//! pass into typed structs that name only the fields we use (payloads with thousands of
//! commits stay fast), then every value a later step relies on is checked and the first bad
//! one is reported by its path (`commits[3].id`). Later steps get [`Hook`] and never see the
//! forge's JSON again.

mod cap;
mod commit;
mod delivery;
mod gitea;
mod github;
mod gitlab;
mod repo;
#[cfg(test)]
mod tests;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use shtab_core::people::Forge;

pub use cap::payload_cap;
pub use delivery::delivery_id;
pub use repo::{RepoIdent, forge_key_of_url};

/// One webhook delivery, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    /// GitHub's "the hook works" message, sent when a webhook is created.
    Ping {
        repository: Option<RepoIdent>,
    },
    Push(Push),
    /// A well-formed delivery we have no use for; answered 2xx so the forge does not retry
    /// or, worse, disable the hook.
    Ignored {
        event: String,
        reason: &'static str,
    },
}

/// A push to one ref, as every forge describes it. Serializable so a queued job can carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    pub repository: RepoIdent,
    /// The full ref: `refs/heads/main`, `refs/tags/v1.0`.
    pub git_ref: String,
    /// The branch name for `refs/heads/*`, `None` for tags and other refs.
    pub branch: Option<String>,
    pub is_tag: bool,
    /// Object ids, lower-case hex; all zeros when the ref was created (`before`) or
    /// deleted (`after`).
    pub before: String,
    pub after: String,
    /// From the forge's flag where it sends one (GitHub), else from an all-zero `before`.
    pub created: bool,
    /// From the forge's flag where it sends one (GitHub), else from an all-zero `after`.
    pub deleted: bool,
    /// Only GitHub says so; `false` elsewhere, which is why the sweep robot, not this flag,
    /// is what catches rewritten history.
    pub forced: bool,
    /// In the forge's order (oldest first on every forge we know).
    pub commits: Vec<PushCommit>,
    /// The forge's own count of commits in the push where it sends one (GitLab
    /// `total_commits_count`, Gitea/Forgejo `total_commits`). When it is larger than
    /// `commits.len()` the list was truncated (see [`Push::is_truncated`]).
    pub total_commits: Option<u64>,
}

impl Push {
    /// The forge sent fewer commits than the push holds (GitLab keeps the newest 20, Gitea
    /// its feed limit); the rest must come from the sweep.
    pub fn is_truncated(&self) -> bool {
        self.total_commits
            .is_some_and(|total| total > self.commits.len() as u64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushCommit {
    /// 40 (SHA-1) or 64 (SHA-256) hex digits, lower-case.
    pub sha: String,
    pub message: String,
    /// The commit's timestamp (GitHub, GitLab and Gitea all send the author date), in
    /// milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    /// The commit's page on the forge; only `http(s)` links are kept, as it becomes a link.
    pub url: Option<String>,
    pub author: Identity,
    /// GitLab does not send one.
    pub committer: Option<Identity>,
    /// GitHub's flag: `false` when the commit was already pushed to another ref. Always
    /// `true` on the other forges, which do not say.
    pub distinct: bool,
}

/// A name and address as git recorded them, plus the forge account if the forge knew it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    /// Lower-cased for matching (see [`super::author::normalize_email`]); `None` when the
    /// forge sent none, an empty one or GitLab's `[REDACTED]`. Undeliverable addresses git
    /// still recorded, such as `gitlabdev@dv6700.(none)`, are kept: they identify the author.
    pub email: Option<String>,
    /// The forge login, when the forge matched the address to an account.
    pub username: Option<String>,
}

/// Why a delivery's body could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON, not UTF-8, or a value of the wrong type; serde's message says where
    /// (line and column).
    #[error("the payload is not valid JSON: {0}")]
    Json(String),
    /// Well-formed JSON, but a value we rely on is missing or wrong. `field` is its path in
    /// the payload (`commits[3].id`) or the header's name.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

impl PayloadError {
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> PayloadError {
        PayloadError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    fn json(err: &serde_json::Error) -> PayloadError {
        PayloadError::Json(err.to_string())
    }
}

/// Understands one delivery from `forge`: which event it is (from the headers), and for a
/// push, its repository, ref and commits. Verify the signature first: this trusts nothing,
/// but it also cannot tell a forged payload from a real one.
pub fn parse(forge: Forge, headers: &HeaderMap, body: &[u8]) -> Result<Hook, PayloadError> {
    match forge {
        Forge::Github => github::parse(headers, body),
        Forge::Gitlab => gitlab::parse(headers, body),
        Forge::Gitea => gitea::parse(headers, body),
    }
}

/// The first of `names` present, as text. A header that is not visible ASCII is an error
/// rather than absent, so a mangled event name is reported, not silently guessed around.
fn header_text<'h>(
    headers: &'h HeaderMap,
    names: &[&'static str],
) -> Result<Option<&'h str>, PayloadError> {
    for &name in names {
        if let Some(value) = headers.get(name) {
            let text = value.to_str().map_err(|_| {
                PayloadError::invalid(name, "the header holds characters other than visible ASCII")
            })?;
            return Ok(Some(text.trim()));
        }
    }
    Ok(None)
}

/// An event name fit to show and log: visible ASCII and spaces only, at most 64 characters.
fn shown_event(event: &str) -> String {
    event
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}
