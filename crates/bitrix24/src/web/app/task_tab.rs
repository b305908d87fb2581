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
}

#[derive(Template)]
#[template(path = "bitrix24/tab_task.html")]
struct TaskTab {
    t: &'static TabTexts,
    shtab_url: String,
    commits: Vec<CommitLine>,
}

pub async fn show(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    uri: Uri,
    body: Bytes,
) -> Response {
    let (placement, viewer) =
        match viewer::open(&state, &portal, uri.query(), &body, Permission::TasksRead).await {
            Ok(opened) => opened,
            Err(refused) => return refused,
        };
    let page = render(&state, &placement, &viewer).await;
    viewer::answer(&viewer, placement.locale, page)
}

async fn render(
    state: &AppState,
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
    let tz = state.config.time_zone();
    let commits = naming
        .into_iter()
        .map(|n| {
            let c = n.commit;
            CommitLine {
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
    let page = TaskTab {
        t: texts(placement.locale),
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
