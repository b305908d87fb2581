//! `POST /hooks/{github,gitlab,gitea}`: push webhooks. The body is checked against the
//! repository's secret byte for byte, the delivery is recorded once (a redelivery is a
//! no-op), and the linking is queued, so the forge gets its answer in milliseconds even for
//! a push of thousands of commits.
//!
//! The repository is found by the web address in the payload (or `?repository=ID`, for a
//! forge whose payload names it differently); only then can the signature be checked, with
//! that repository's secret. So that unauthenticated calls cost little, a body larger than
//! the forge ever sends is refused before it is read, and refused calls of a repository are
//! logged only as the newest few (see [`deliveries::REJECTED_KEPT`]).

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use shtab_core::db::Db;
use shtab_core::jobs;
use shtab_core::people::Forge;
use shtab_web::AppState;
use shtab_web::error::ErrorBody;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::push::{self, Hook, Push};
use crate::domain::repository::RepoForge;
use crate::domain::signature;
use crate::jobs::{IngestDelivery, QueuedCommit, QueuedPush};
use crate::store::deliveries::{self, DeliveryStatus, NewDelivery};
use crate::store::{Repository, RepositoryId, repositories};

/// The forges' routes, described in the OpenAPI document; the application serves them
/// outside the users' authentication (the signature is the credential).
pub fn routes() -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new()
        .routes(routes!(github))
        .routes(routes!(gitlab))
        .routes(routes!(gitea));
    // Named by `HookAnswers`, which (unlike a handler's `body = …`) does not register it.
    router
        .get_openapi_mut()
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .insert(HookAnswer::name().into_owned(), HookAnswer::schema());
    router
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Target {
    /// The repository's id in Shtab, for a forge whose payload names the repository
    /// differently from its web address.
    repository: Option<i64>,
}

/// What a forge's delivery log shows for an accepted delivery.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HookAnswer)]
pub struct HookAnswer {
    /// `queued`, `ignored`, `duplicate`.
    #[schema(example = "queued")]
    status: String,
    message: String,
}

/// The answers of every forge's route, described once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its description is used.
enum HookAnswers {
    #[response(
        status = 200,
        description = "Recorded and not queued (a ping, an event Shtab does not read, a tag, another branch) or a redelivery"
    )]
    Recorded(HookAnswer),
    #[response(
        status = 202,
        description = "Recorded; its commits are queued for linking"
    )]
    Queued(HookAnswer),
    #[response(
        status = 400,
        description = "Not a payload of this forge (`invalid_payload`)"
    )]
    Invalid(ErrorBody),
    #[response(
        status = 401,
        description = "The signature or token does not match the repository's secret (`bad_signature`); the refusal is listed on the repository's page"
    )]
    BadSignature(ErrorBody),
    #[response(
        status = 404,
        description = "No repository in Shtab has this web address or id (`unknown_repository`)"
    )]
    UnknownRepository(ErrorBody),
    #[response(
        status = 503,
        description = "Shtab cannot store the delivery now; the forge should redeliver it"
    )]
    Unavailable(ErrorBody),
}

/// A push webhook of GitHub. Headers read: `X-Hub-Signature-256` (HMAC-SHA256 of the body with the secret), `X-GitHub-Event`, `X-GitHub-Delivery`.
#[utoipa::path(
    post,
    path = "/hooks/github",
    tag = "webhooks",
    params(
        Target,
        ("X-GitHub-Event" = String, Header, description = "`push` or `ping`; other events are answered and ignored"),
        ("X-Hub-Signature-256" = Option<String>, Header, description = "`sha256=` and the hex HMAC-SHA256 of the body with the repository's secret"),
        ("X-GitHub-Delivery" = Option<String>, Header, description = "The delivery's id: a redelivery is recognised by it"),
    ),
    request_body(content = Object, description = "The forge's push (or ping) payload, as it sends it"),
    responses(HookAnswers)
)]
async fn github(
    State(s): State<AppState>,
    Query(t): Query<Target>,
    h: HeaderMap,
    body: Body,
) -> Response {
    receive(&s.db, Forge::Github, t, &h, body).await
}

/// A push webhook of GitLab. Headers read: `X-Gitlab-Token` (the secret itself), `X-Gitlab-Event`, `X-Gitlab-Event-UUID`.
#[utoipa::path(
    post,
    path = "/hooks/gitlab",
    tag = "webhooks",
    params(
        Target,
        ("X-Gitlab-Event" = Option<String>, Header, description = "`Push Hook`, `Tag Push Hook`…; without it the body's `object_kind` says"),
        ("X-Gitlab-Token" = Option<String>, Header, description = "The repository's secret itself"),
        ("X-Gitlab-Event-UUID" = Option<String>, Header, description = "The delivery's id: a redelivery is recognised by it"),
    ),
    request_body(content = Object, description = "The forge's push (or ping) payload, as it sends it"),
    responses(HookAnswers)
)]
async fn gitlab(
    State(s): State<AppState>,
    Query(t): Query<Target>,
    h: HeaderMap,
    body: Body,
) -> Response {
    receive(&s.db, Forge::Gitlab, t, &h, body).await
}

/// A push webhook of Gitea and Forgejo. Headers read: `X-Gitea-Signature` (HMAC-SHA256 of the body with the secret), `X-Gitea-Event`, `X-Gitea-Delivery`.
#[utoipa::path(
    post,
    path = "/hooks/gitea",
    tag = "webhooks",
    params(
        Target,
        ("X-Gitea-Event" = String, Header, description = "`push`…; Forgejo's `X-Forgejo-Event` and Gogs' `X-Gogs-Event` are read too"),
        ("X-Gitea-Signature" = Option<String>, Header, description = "The hex HMAC-SHA256 of the body with the repository's secret"),
        ("X-Gitea-Delivery" = Option<String>, Header, description = "The delivery's id: a redelivery is recognised by it"),
    ),
    request_body(content = Object, description = "The forge's push (or ping) payload, as it sends it"),
    responses(HookAnswers)
)]
async fn gitea(
    State(s): State<AppState>,
    Query(t): Query<Target>,
    h: HeaderMap,
    body: Body,
) -> Response {
    receive(&s.db, Forge::Gitea, t, &h, body).await
}

/// The answer a forge shows in its delivery log: a status word and a sentence.
fn answer(status: StatusCode, word: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    if status.is_success() {
        let body = HookAnswer {
            status: word.into(),
            message,
        };
        (status, axum::Json(body)).into_response()
    } else {
        let body = serde_json::json!({ "error": { "code": word, "message": message } });
        (status, axum::Json(body)).into_response()
    }
}

async fn receive(
    db: &Db,
    forge: Forge,
    target: Target,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let body = match read_capped(forge, headers, body).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match handle(db, forge, target, headers, &body).await {
        Ok(r) | Err(r) => r,
    }
}

/// The body, when it is no larger than `forge` ever sends: a declared length over the cap
/// is refused before a byte is read, a body that grows past it as soon as it does.
async fn read_capped(forge: Forge, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let cap = push::payload_cap(forge);
    let too_large = || {
        answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "{} sends webhook bodies of at most {} MiB; this one is larger",
                forge.as_str(),
                cap / (1024 * 1024)
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > cap as u64) {
        return Err(too_large());
    }
    let mut read = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            answer(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                format!("the body could not be read: {e}"),
            )
        })?;
        if read.len() + chunk.len() > cap {
            return Err(too_large());
        }
        read.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(read))
}

async fn handle(
    db: &Db,
    forge: Forge,
    target: Target,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Response> {
    let unavailable = |e: shtab_core::CoreError| {
        tracing::error!(error = %e, "webhook: storage failed");
        answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Shtab cannot store the delivery now; redeliver it later",
        )
    };
    let hook = push::parse(forge, headers, body)
        .map_err(|e| answer(StatusCode::BAD_REQUEST, "invalid_payload", e.to_string()))?;
    let repository = find_repository(db, forge, &target, &hook)
        .await
        .map_err(unavailable)?;
    if let (None, Hook::Ignored { reason, .. }) = (&repository, &hook) {
        // Events Shtab does not read carry nothing to store; refusing them would only make
        // GitLab disable the whole hook after a few 4xx answers.
        return Ok(answer(StatusCode::OK, "ignored", *reason));
    }
    let repository = repository.ok_or_else(|| {
        answer(
            StatusCode::NOT_FOUND,
            "unknown_repository",
            "no repository in Shtab has this web address; add it, or append ?repository=ID to the hook URL",
        )
    })?;
    let claimed = push::delivery_id(forge, headers, body);
    let event = event_name(&hook);
    if let Err(e) = signature::verify(forge, repository.webhook_secret.as_bytes(), body, headers) {
        let reason = e.to_string();
        tracing::warn!(repository = %repository.name, %reason, "webhook refused");
        deliveries::insert_rejected(db, repository.id, &claimed, event, &reason)
            .await
            .map_err(unavailable)?;
        return Err(answer(StatusCode::UNAUTHORIZED, "bad_signature", reason));
    }
    let (status, reason, queued) = triage(&repository, &hook);
    let payload = queued
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| answer(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let git_ref = match &hook {
        Hook::Push(p) => p.git_ref.as_str(),
        _ => "",
    };
    let record = NewDelivery {
        repository: repository.id,
        claimed_id: &claimed,
        event,
        status,
        reason: &reason,
        git_ref,
        commits: queued.as_ref().map_or(0, |q| q.commits.len() as i64),
        payload: payload.as_deref(),
    };
    let mut tx = db.begin().await.map_err(|e| unavailable(e.into()))?;
    let Some(id) = deliveries::insert_accepted(&mut tx, &record)
        .await
        .map_err(unavailable)?
    else {
        return Ok(answer(
            StatusCode::OK,
            "duplicate",
            format!("delivery {claimed} was received before"),
        ));
    };
    if queued.is_some() {
        jobs::enqueue_in(&mut tx, &IngestDelivery { delivery: id }, None)
            .await
            .map_err(unavailable)?;
    }
    if truncated(&hook) {
        // The forge sent only part of the push: the sweep reads the rest from git.
        if let Err(e) = shtab_core::robots::queue_run_if_idle(&mut tx, "vcs.sweep").await {
            tracing::warn!(error = %e, "could not queue a sweep for a truncated push");
        }
    }
    tx.commit().await.map_err(|e| unavailable(e.into()))?;
    Ok(match status {
        DeliveryStatus::Queued => answer(StatusCode::ACCEPTED, "queued", reason),
        _ => answer(StatusCode::OK, status.as_str(), reason),
    })
}

async fn find_repository(
    db: &Db,
    forge: Forge,
    target: &Target,
    hook: &Hook,
) -> shtab_core::error::CoreResult<Option<Repository>> {
    let wanted = RepoForge::from_hook_forge(forge);
    if let Some(id) = target.repository {
        return match repositories::get(db, RepositoryId(id)).await {
            Ok(r) if r.forge == wanted => Ok(Some(r)),
            Ok(_) | Err(shtab_core::CoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        };
    }
    let ident = match hook {
        Hook::Push(p) => Some(&p.repository),
        Hook::Ping { repository } => repository.as_ref(),
        Hook::Ignored { .. } => None,
    };
    let Some(key) = ident.and_then(|i| i.forge_key()) else {
        return Ok(None);
    };
    repositories::find_by_forge_key(db, wanted, &key).await
}

fn event_name(hook: &Hook) -> &str {
    match hook {
        Hook::Ping { .. } => "ping",
        Hook::Push(_) => "push",
        Hook::Ignored { event, .. } => event,
    }
}

/// What to do with an authentic hook: queue its commits, or say why not.
fn triage(repository: &Repository, hook: &Hook) -> (DeliveryStatus, String, Option<QueuedPush>) {
    let ignored = |why: &str| (DeliveryStatus::Ignored, why.to_string(), None);
    let push = match hook {
        Hook::Ping { .. } => return ignored("ping: the hook is set up"),
        Hook::Ignored { reason, .. } => return ignored(reason),
        Hook::Push(p) => p,
    };
    if !repository.enabled {
        return ignored("the repository is disabled in Shtab");
    }
    if push.is_tag {
        return ignored("tag pushes carry no new commits to link");
    }
    if push.deleted {
        return ignored("a deleted branch carries no commits");
    }
    let Some(branch) = &push.branch else {
        return ignored("not a branch");
    };
    if !repository.branch_filter().accepts(branch) {
        return ignored("the branch is not among the repository's branches");
    }
    if push.commits.is_empty() {
        return ignored("the push has no commits");
    }
    let queued = queue(push, branch);
    let reason = format!("{} commits queued", queued.commits.len());
    (DeliveryStatus::Queued, reason, Some(queued))
}

fn queue(push: &Push, branch: &str) -> QueuedPush {
    QueuedPush {
        branch: Some(branch.to_string()),
        commits: push
            .commits
            .iter()
            .map(|c| QueuedCommit {
                sha: c.sha.clone(),
                message: c.message.clone(),
                author_name: c.author.name.clone(),
                author_email: c.author.email.clone(),
                timestamp_ms: c.timestamp_ms,
            })
            .collect(),
    }
}

/// GitLab sends the newest 20 commits, Gitea a configured number, GitHub at most 2048.
fn truncated(hook: &Hook) -> bool {
    match hook {
        Hook::Push(p) => {
            let sent = p.commits.len() as u64;
            p.total_commits.is_some_and(|total| total > sent) || sent >= 2048
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(sizes: &[usize]) -> Body {
        let parts: Vec<Result<Vec<u8>, std::io::Error>> =
            sizes.iter().map(|&n| Ok(vec![b' '; n])).collect();
        Body::from_stream(futures_util::stream::iter(parts))
    }

    #[tokio::test]
    async fn a_body_without_a_length_is_cut_off_as_soon_as_it_passes_the_cap() {
        let cap = push::payload_cap(Forge::Gitlab);
        let refused = read_capped(
            Forge::Gitlab,
            &HeaderMap::new(),
            chunks(&[cap / 2, cap / 2, 1]),
        )
        .await
        .expect_err("one byte over the cap");
        assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let taken = read_capped(
            Forge::Gitlab,
            &HeaderMap::new(),
            chunks(&[cap / 2, cap / 2]),
        )
        .await
        .expect("exactly the cap");
        assert_eq!(taken.len(), cap);
    }

    #[tokio::test]
    async fn a_declared_length_over_the_cap_is_refused_unread() {
        let mut headers = HeaderMap::new();
        let over = push::payload_cap(Forge::Github) + 1;
        headers.insert(header::CONTENT_LENGTH, over.to_string().parse().unwrap());
        // A body that fails if read: refusing must not touch it.
        let unread = Body::from_stream(futures_util::stream::iter([Err::<Vec<u8>, _>(
            std::io::Error::other("the body was read"),
        )]));
        let refused = read_capped(Forge::Github, &headers, unread)
            .await
            .expect_err("too long");
        assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
