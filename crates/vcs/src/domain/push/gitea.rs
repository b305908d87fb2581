//! Gitea and its forks: the event is in `X-Gitea-Event`, `X-Forgejo-Event` or
//! `X-Gogs-Event`; only `push` is used. The payload follows GitHub's shape without the
//! created/deleted/forced flags and with a `total_commits` count.

use axum::http::HeaderMap;
use serde::Deserialize;

use super::commit::{RawCommit, RawPush};
use super::{Hook, PayloadError, RepoIdent, header_text, shown_event};

const EVENT_HEADERS: [&str; 3] = ["X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event"];

#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    before: Option<String>,
    after: Option<String>,
    commits: Option<Vec<RawCommit>>,
    total_commits: Option<u64>,
    repository: Option<Repository>,
}

/// `repository.url` is the API address on Gitea, not the page.
#[derive(Deserialize)]
struct Repository {
    html_url: Option<String>,
    full_name: Option<String>,
    clone_url: Option<String>,
    ssh_url: Option<String>,
}

pub(super) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Hook, PayloadError> {
    let event = header_text(headers, &EVENT_HEADERS)?.ok_or_else(|| {
        PayloadError::invalid(
            "X-Gitea-Event",
            "the header (or X-Forgejo-Event, X-Gogs-Event) is missing, so this is not a Gitea or Forgejo webhook delivery",
        )
    })?;
    if !event.eq_ignore_ascii_case("push") {
        return Ok(Hook::Ignored {
            event: shown_event(event),
            reason: "only push events carry commits",
        });
    }
    let raw: Push = serde_json::from_slice(body).map_err(|e| PayloadError::json(&e))?;
    let repository = raw
        .repository
        .ok_or_else(|| PayloadError::invalid("repository", "is missing"))?;
    let repository = RepoIdent::from_parts(
        repository.html_url,
        repository.full_name,
        [repository.clone_url, repository.ssh_url],
    );
    let push = RawPush {
        git_ref: raw.git_ref,
        before: raw.before,
        after: raw.after,
        created: None,
        deleted: None,
        forced: None,
        commits: raw.commits,
        total_commits: raw.total_commits,
    };
    Ok(Hook::Push(push.check(repository)?))
}
