//! `POST /bitrix24/tabs/task`: the task card's tab «Коммиты» (`TASK_VIEW_TAB`): the commits
//! naming the task, oldest first, with author, branches, time and a link to the forge. For a
//! viewer with `tasks.read` in Shtab who can see the task on the portal (asked with their own
//! token: a task hidden from them shows nothing).

use askama::Template;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use shtab_core::auth::Permission;
use shtab_web::AppState;

use super::texts::{TabTexts, texts};
use super::viewer::{self, Placement, Refusal, Viewer};
use crate::app::cards::Cards;
use crate::hub::Configured;

pub struct CommitLine {
    pub short: String,
    pub url: Option<String>,
    pub subject: String,
    pub author: String,
    pub repository: String,
    pub branches: Vec<String>,
    pub time: String,
    pub linked: bool,
    pub unreachable: bool,
    /// The time it logged on the task («1 ч 30 мин»).
    pub logged: Option<String>,
}

#[derive(Template)]
#[template(path = "bitrix24/tab_task.html")]
struct TaskTab {
    t: &'static TabTexts,
    shtab_url: String,
    commits: Vec<CommitLine>,
    /// All the time the commits logged, when they logged any.
    total: Option<String>,
}

/// «1 ч 30 мин», «45 мин», «2 ч».
fn duration(t: &TabTexts, minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} {}", t.min),
        (h, 0) => format!("{h} {}", t.h),
        (h, m) => format!("{h} {} {m} {}", t.h, t.min),
    }
}

/// The task card's tab «Коммиты» (`TASK_VIEW_TAB`), as the Bitrix24 portal opens it: a form POST into an iframe (`AUTH_ID`, `member_id`, `PLACEMENT`, `PLACEMENT_OPTIONS` `{"taskId": …}`; `LANG` in the query). An HTML page framed only by the portal.
#[utoipa::path(
    post,
    path = "/bitrix24/tabs/task",
    tag = "webhooks",
    request_body(content = inline(std::collections::HashMap<String, String>),
        content_type = "application/x-www-form-urlencoded",
        description = "The placement's form as the portal posts it"),
    responses(
        (status = 200, description = "The tab", content_type = "text/html", body = String),
        (status = 400, description = "Not a placement's form Shtab can read (no `AUTH_ID`, no card id, over 64 KiB)", content_type = "text/html", body = String),
        (status = 401, description = "The portal did not confirm the `AUTH_ID` (forged, expired)", content_type = "text/html", body = String),
        (status = 403, description = "Another portal's `member_id`; a viewer without a Shtab account or without `tasks.read`; a card the portal hides from them", content_type = "text/html", body = String),
        (status = 409, description = "Shtab is not installed on a portal (or the tab's system does not live there)", content_type = "text/html", body = String),
        (status = 502, description = "The portal could not be asked", content_type = "text/html", body = String),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(cards): Extension<Cards>,
    uri: Uri,
    body: Bytes,
) -> Response {
    viewer::serve(
        &state,
        &portal,
        (uri.query(), &body),
        Permission::TasksRead,
        async |placement, viewer| render(&state, &cards, placement, viewer).await,
    )
    .await
}

async fn render(
    state: &AppState,
    cards: &Cards,
    placement: &Placement,
    viewer: &Viewer,
) -> Result<String, Refusal> {
    let Some(outside) = &state.outside_tasks else {
        return Err(Refusal::TasksElsewhere);
    };
    let task_id = placement
        .option_id(&["taskId", "TASK_ID", "ID"])
        .ok_or(Refusal::BadRequest)?;
    // The portal says whether this viewer may see the task: a task hidden from them answers
    // an empty result, as for a task that does not exist.
    viewer
        .sees(
            "tasks.task.get",
            &serde_json::json!({"taskId": task_id, "select": ["ID"]}),
        )
        .await?;
    let naming = outside
        .commits
        .naming(&task_id.to_string())
        .await
        .map_err(|_| Refusal::PortalFailed)?;
    let logged = cards
        .commit_time
        .logged(&task_id.to_string())
        .await
        .map_err(|_| Refusal::PortalFailed)?;
    let t = texts(placement.locale);
    let tz = state.config.time_zone();
    let commits = naming
        .into_iter()
        .map(|n| {
            let c = n.commit;
            CommitLine {
                logged: logged
                    .get(&c.sha)
                    .filter(|m| **m > 0)
                    .map(|m| duration(t, *m)),
                short: c.sha.chars().take(9).collect(),
                url: c.url,
                subject: c.message.lines().next().unwrap_or_default().to_owned(),
                author: c.author_person.unwrap_or(c.author_name),
                repository: c.repository,
                branches: c.branches,
                time: shtab_core::time::format_ms(c.committed_at, tz),
                linked: n.linked,
                unreachable: c.unreachable,
            }
        })
        .collect();
    let total: i64 = logged.values().sum();
    let page = TaskTab {
        t,
        total: (total > 0).then(|| duration(t, total)),
        shtab_url: format!(
            "{}/tasks/{task_id}",
            state.config.server.public_url.trim_end_matches('/')
        ),
        commits,
    };
    page.render().map_err(|e| {
        tracing::error!(error = %e, "the task tab could not be rendered");
        Refusal::PortalFailed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shtab_web::i18n::Locale;

    #[test]
    fn durations_read_as_people_write_them() {
        let ru = texts(Locale::Ru);
        assert_eq!(duration(ru, 90), "1 ч 30 мин");
        assert_eq!(duration(ru, 45), "45 мин");
        assert_eq!(duration(texts(Locale::En), 120), "2 h");
    }
}
