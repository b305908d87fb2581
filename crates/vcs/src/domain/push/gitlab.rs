//! GitLab: the event is in `X-Gitlab-Event` (`Push Hook`, `Tag Push Hook`, …); system
//! hooks say `System Hook` there and the body's `object_kind` tells what happened, which is
//! also where we look when the header is absent.

use axum::http::HeaderMap;
use serde::Deserialize;

use super::commit::{RawCommit, RawPush};
use super::{Hook, PayloadError, RepoIdent, header_text, shown_event};

const TAG_REASON: &str = "tag pushes carry no new commits to link";
const OTHER_REASON: &str = "only push events carry commits";

/// Just enough to learn the event when the header does not say. Project hooks name it in
/// `object_kind`; some system hook payloads only in `event_name`.
#[derive(Deserialize)]
struct Kind {
    object_kind: Option<String>,
    event_name: Option<String>,
}

#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    before: Option<String>,
    after: Option<String>,
    commits: Option<Vec<RawCommit>>,
    total_commits_count: Option<u64>,
    project: Option<Project>,
    /// Deprecated by GitLab in favour of `project`, still sent; used when `project` is not.
    repository: Option<LegacyRepository>,
}

#[derive(Deserialize)]
struct Project {
    web_url: Option<String>,
    path_with_namespace: Option<String>,
    git_http_url: Option<String>,
    git_ssh_url: Option<String>,
}

#[derive(Deserialize)]
struct LegacyRepository {
    homepage: Option<String>,
    git_http_url: Option<String>,
    git_ssh_url: Option<String>,
}

pub(super) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Hook, PayloadError> {
    let event = header_text(headers, &["X-Gitlab-Event"])?;
    match event {
        Some("Push Hook") => push(body),
        Some("Tag Push Hook") => Ok(ignored("Tag Push Hook", TAG_REASON)),
        None | Some("System Hook") => {
            let kind: Kind = serde_json::from_slice(body).map_err(|e| PayloadError::json(&e))?;
            match kind.object_kind.or(kind.event_name).as_deref() {
                Some("push") => push(body),
                Some("tag_push") => Ok(ignored("tag_push", TAG_REASON)),
                Some(other) => Ok(ignored(other, OTHER_REASON)),
                None if event.is_some() => Ok(ignored("System Hook", OTHER_REASON)),
                None => Err(PayloadError::invalid(
                    "X-Gitlab-Event",
                    "the header is missing and the body has no object_kind or event_name, so the event is unknown",
                )),
            }
        }
        Some(other) => Ok(ignored(other, OTHER_REASON)),
    }
}

fn ignored(event: &str, reason: &'static str) -> Hook {
    Hook::Ignored {
        event: shown_event(event),
        reason,
    }
}

fn push(body: &[u8]) -> Result<Hook, PayloadError> {
    let raw: Push = serde_json::from_slice(body).map_err(|e| PayloadError::json(&e))?;
    let repository = match (raw.project, raw.repository) {
        (Some(p), _) => RepoIdent::from_parts(
            p.web_url,
            p.path_with_namespace,
            [p.git_http_url, p.git_ssh_url],
        ),
        (None, Some(r)) => RepoIdent::from_parts(r.homepage, None, [r.git_http_url, r.git_ssh_url]),
        (None, None) => return Err(PayloadError::invalid("project", "is missing")),
    };
    let push = RawPush {
        git_ref: raw.git_ref,
        before: raw.before,
        after: raw.after,
        // GitLab has no flags; created/deleted follow from the zero ids, forced is unknown.
        created: None,
        deleted: None,
        forced: None,
        commits: raw.commits,
        total_commits: raw.total_commits_count,
    };
    Ok(Hook::Push(push.check(repository)?))
}
