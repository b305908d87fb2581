//! `/robots…` pages.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::robots::{self, LogLine, ScheduleChange};
use shtab_core::time::format_ms;

use super::Robots;
use super::texts::{RobotsTexts, texts};
use super::view::{RobotView, RunView};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::{PagePath, Saved};
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "robots/list.html")]
pub struct ListPage {
    shell: Shell,
    t: &'static RobotsTexts,
    robots: Vec<RobotView>,
    can_manage: bool,
    busy: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    busy: Option<String>,
    /// Only the robots whose last run failed (the home page's link).
    #[serde(default)]
    failed: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Robots(set): Robots,
    query: axum::extract::Query<ListQuery>,
) -> Result<ListPage, PageError> {
    user.require(Permission::RobotsRead)?;
    let t = texts(lang.0);
    let tz = state.config.time_zone();
    let time = move |ms| format_ms(ms, tz);
    let only_failed = query.failed.as_deref().is_some_and(|f| !f.is_empty());
    let mut views = Vec::new();
    for row in robots::list(&state.db).await? {
        let last = robots::last_run(&state.db, &row.name).await?;
        if only_failed
            && last
                .as_ref()
                .is_none_or(|r| r.status() != robots::RunStatus::Failed)
        {
            continue;
        }
        let last = last.map(|r| RunView::new(t, &time, &r));
        views.push(RobotView::new(t, &set, lang.0, row, last));
    }
    Ok(ListPage {
        shell: Shell::new(&state, &user, lang, t.title, "/robots"),
        t,
        robots: views,
        can_manage: user.can(Permission::RobotsManage),
        busy: query.busy.is_some(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "robots/show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static RobotsTexts,
    r: RobotView,
    runs: Vec<RunView>,
    can_manage: bool,
    saved: bool,
    busy: bool,
    /// The form's values, as typed when it was rejected.
    cron: String,
    time_zone: String,
    enabled: bool,
    errors: FormErrors,
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    set: &shtab_core::robots::RobotSet,
    name: &str,
    saved: bool,
    form: Option<ScheduleForm>,
    errors: FormErrors,
) -> Result<ShowPage, PageError> {
    user.require(Permission::RobotsRead)?;
    let t = texts(lang.0);
    let tz = state.config.time_zone();
    let time = move |ms| format_ms(ms, tz);
    let row = robots::get(&state.db, name).await?;
    let runs: Vec<RunView> = robots::runs(&state.db, name, 50)
        .await?
        .iter()
        .map(|r| RunView::new(t, &time, r))
        .collect();
    let (cron, time_zone, enabled) = match form {
        Some(f) => (f.cron, f.time_zone, f.enabled.is_some()),
        None => (row.cron.clone(), row.time_zone.clone(), row.is_enabled()),
    };
    let busy = runs.first().is_some_and(|r| r.live);
    let r = RobotView::new(t, set, lang.0, row, None);
    Ok(ShowPage {
        shell: Shell::new(state, user, lang, r.title.clone(), "/robots"),
        t,
        r,
        runs,
        can_manage: user.can(Permission::RobotsManage),
        saved,
        busy,
        cron,
        time_zone,
        enabled,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Robots(set): Robots,
    PagePath(name): PagePath<String>,
    Saved(saved): Saved,
) -> Result<ShowPage, PageError> {
    show_page(
        &state,
        &user,
        lang,
        &set,
        &name,
        saved,
        None,
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    cron: String,
    #[serde(default)]
    time_zone: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    enabled: Option<String>,
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Robots(set): Robots,
    PagePath(name): PagePath<String>,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, PageError> {
    user.require(Permission::RobotsManage)?;
    let change = ScheduleChange {
        cron: Some(form.cron.clone()),
        time_zone: Some(form.time_zone.clone()),
        enabled: Some(form.enabled.is_some()),
    };
    match robots::update_schedule(&state.db, &user.actor(), &name, &change).await {
        Ok(_) => Ok(Redirect::to(&format!("/robots/{}?saved=1", urlencode(&name))).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page =
                show_page(&state, &user, lang, &set, &name, false, Some(form), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// "Run now": queues a run and opens its page; when the robot is already queued or
/// running, opens that run instead, saying no new run was queued.
pub async fn run_now(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(name): PagePath<String>,
) -> Result<Response, PageError> {
    user.require(Permission::RobotsManage)?;
    match robots::request_run(&state.db, &user.actor(), &name).await {
        Ok(run) => Ok(Redirect::to(&format!("/robots/runs/{}", run.id)).into_response()),
        Err(CoreError::Conflict(_)) => match robots::active_run(&state.db, &name).await? {
            Some(run) => {
                Ok(Redirect::to(&format!("/robots/runs/{}?already=1", run.id)).into_response())
            }
            None => Ok(Redirect::to("/robots?busy=1").into_response()),
        },
        Err(e) => Err(e.into()),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub struct LogView {
    at: String,
    /// `info`, `warn`, `error`: the line's class.
    level: String,
    level_label: &'static str,
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "robots/run_live.html")]
pub struct RunFragment {
    t: &'static RobotsTexts,
    run: RunView,
    log: Vec<LogView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "robots/run.html")]
pub struct RunPage {
    shell: Shell,
    t: &'static RobotsTexts,
    robot_title: String,
    live: RunFragment,
    /// Opened by a "Run now" that found this run already queued or running.
    already: bool,
}

#[derive(Deserialize)]
pub struct RunQuery {
    #[serde(default)]
    already: Option<String>,
}

async fn fragment(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
) -> Result<RunFragment, PageError> {
    user.require(Permission::RobotsRead)?;
    let t = texts(lang.0);
    let tz = state.config.time_zone();
    let run = robots::get_run(&state.db, id).await?;
    let log = robots::logs(&state.db, id)
        .await?
        .into_iter()
        .map(|l: LogLine| LogView {
            at: format_ms(l.at, tz),
            level_label: t.level(&l.level),
            message: crate::words::notes::in_language(&l.message, lang.0),
            level: l.level,
        })
        .collect();
    Ok(RunFragment {
        t,
        run: RunView::new(t, &move |ms| format_ms(ms, tz), &run),
        log,
    })
}

pub async fn run(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Robots(set): Robots,
    PagePath(id): PagePath<i64>,
    query: axum::extract::Query<RunQuery>,
) -> Result<RunPage, PageError> {
    let live = fragment(&state, &user, lang, id).await?;
    let t = live.t;
    let robot_title = match set.title(&live.run.robot, lang.0) {
        title if title.trim().is_empty() => live.run.robot.clone(),
        title => title,
    };
    Ok(RunPage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            format!("{} #{} — {}", t.run, id, robot_title),
            "/robots",
        ),
        t,
        robot_title,
        live,
        already: query.already.is_some(),
    })
}

/// The part of the run page that changes while it runs.
pub async fn run_live(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<RunFragment, PageError> {
    fragment(&state, &user, lang, id).await
}
