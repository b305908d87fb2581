//! GitHub: the event is in `X-GitHub-Event`; `push` and `ping` are used.

use axum::http::HeaderMap;
use serde::Deserialize;

use super::commit::{RawCommit, RawPush};
use super::{Hook, PayloadError, RepoIdent, header_text, shown_event};

#[derive(Deserialize)]
struct Ping {
    repository: Option<Repository>,
}

#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    before: Option<String>,
    after: Option<String>,
    created: Option<bool>,
    deleted: Option<bool>,
    forced: Option<bool>,
    commits: Option<Vec<RawCommit>>,
    repository: Option<Repository>,
}

/// `repository.url` is not used: it is the web page in a push but the API address in a ping.
#[derive(Deserialize)]
struct Repository {
    html_url: Option<String>,
    full_name: Option<String>,
    clone_url: Option<String>,
    ssh_url: Option<String>,
    git_url: Option<String>,
}

impl Repository {
    fn ident(self) -> RepoIdent {
        RepoIdent::from_parts(
            self.html_url,
            self.full_name,
            [self.clone_url, self.ssh_url, self.git_url],
        )
    }
}

pub(super) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Hook, PayloadError> {
    let event = header_text(headers, &["X-GitHub-Event"])?.ok_or_else(|| {
        PayloadError::invalid(
            "X-GitHub-Event",
            "the header is missing, so this is not a GitHub webhook delivery",
        )
    })?;
    match event {
        "push" => {
            let raw: Push = serde_json::from_slice(body).map_err(|e| PayloadError::json(&e))?;
            let repository = raw
                .repository
                .ok_or_else(|| PayloadError::invalid("repository", "is missing"))?
                .ident();
            let push = RawPush {
                git_ref: raw.git_ref,
                before: raw.before,
                after: raw.after,
                created: raw.created,
                deleted: raw.deleted,
                forced: raw.forced,
                commits: raw.commits,
                // GitHub sends up to 2048 commits and no count beyond them.
                total_commits: None,
            };
            Ok(Hook::Push(push.check(repository)?))
        }
        "ping" => {
            let raw: Ping = serde_json::from_slice(body).map_err(|e| PayloadError::json(&e))?;
            Ok(Hook::Ping {
                repository: raw.repository.map(Repository::ident),
            })
        }
        other => Ok(Hook::Ignored {
            event: shown_event(other),
            reason: "only push and ping events are used",
        }),
    }
}
