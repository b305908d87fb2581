//! `GET /repositories`: every repository with its forge, whether it is on, how its last
//! sweep went and how many webhooks it received in the last day; "Add repository" and
//! "Sweep now" for those who manage repositories.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::time::now_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::texts::{VcsTexts, texts};
use super::view::when;
use crate::store::deliveries;
use crate::store::{Repository, repositories};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Deliveries counted per repository; a busier one shows "500+". The count is a sign of
/// life, not an exact figure, and reading more rows for it is not worth a page load.
const DELIVERIES_COUNTED: i64 = 500;

/// What the redirects after an action leave in the address.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    sweep: String,
    deleted: Option<String>,
}

pub struct Row {
    id: i64,
    name: String,
    forge: &'static str,
    web_url: String,
    enabled: bool,
    sweep_at: String,
    /// (label, badge class) once a sweep has run.
    sweep_status: Option<(&'static str, &'static str)>,
    deliveries_day: String,
}

impl Row {
    async fn new(state: &AppState, t: &VcsTexts, r: Repository) -> Result<Row, PageError> {
        let since = now_ms() - DAY_MS;
        let recent = deliveries::recent(&state.db, r.id, DELIVERIES_COUNTED).await?;
        let day = recent.iter().filter(|d| d.received_at >= since).count() as i64;
        Ok(Row {
            id: r.id.0,
            forge: t.forge(r.forge),
            enabled: r.enabled,
            sweep_at: when(state, r.last_sweep_at, t.never),
            sweep_status: match r.last_sweep_status.as_str() {
                "ok" => Some((t.sweep_ok, "badge-ok")),
                "failed" => Some((t.sweep_failed, "badge-danger")),
                _ => None,
            },
            deliveries_day: if day >= DELIVERIES_COUNTED {
                format!("{DELIVERIES_COUNTED}+")
            } else {
                day.to_string()
            },
            name: r.name,
            web_url: r.web_url,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "vcs/list.html")]
pub struct ListPage {
    shell: Shell,
    t: &'static VcsTexts,
    rows: Vec<Row>,
    can_manage: bool,
    /// A message after "Sweep now" or a deletion.
    notice: Option<&'static str>,
    /// The message is a problem, not a success.
    notice_is_warning: bool,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(notice): Query<Notice>,
) -> Result<ListPage, PageError> {
    user.require(Permission::RepositoriesRead)?;
    let t = texts(lang.0);
    let mut rows = Vec::new();
    for r in repositories::list(&state.db).await? {
        rows.push(Row::new(&state, t, r).await?);
    }
    let (message, is_warning) = match notice.sweep.as_str() {
        "queued" => (Some(t.sweep_queued), false),
        "busy" => (Some(t.sweep_busy), true),
        "unavailable" => (Some(t.sweep_unavailable), true),
        _ if notice.deleted.is_some() => (Some(t.deleted), false),
        _ => (None, false),
    };
    Ok(ListPage {
        shell: Shell::new(&state, &user, lang, t.title, "/repositories"),
        t,
        rows,
        can_manage: user.can(Permission::RepositoriesManage),
        notice: message,
        notice_is_warning: is_warning,
    })
}
