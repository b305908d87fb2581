//! `GET /tenders` (the inbox), `GET /tenders/{id}` (one tender), and the inbox's two buttons
//! `POST /tenders/{id}/take` and `POST /tenders/{id}/dismiss`. A stage rule of the CRM that
//! refuses the move is shown on the tender's page with its message.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::time::format_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::{TenderView, Texts, crm, texts};
use crate::service::inbox::{self, Answer};
use crate::store::tenders;

#[derive(Template, WebTemplate)]
#[template(path = "tenders/inbox.html")]
pub struct InboxPage {
    shell: Shell,
    t: &'static Texts,
    tenders: Vec<TenderView>,
    can_write: bool,
    flash: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Flash {
    done: String,
}

fn flash_text(t: &Texts, done: &str) -> String {
    match done {
        "take" => t.taken.into(),
        "dismiss" => t.dismissed.into(),
        _ => String::new(),
    }
}

pub async fn inbox(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(flash): Query<Flash>,
) -> Result<InboxPage, PageError> {
    user.require(Permission::TendersRead)?;
    let t = texts(lang.0);
    let list = inbox::inbox(&state.db, &crm(&state)).await?;
    Ok(InboxPage {
        shell: Shell::new(&state, &user, lang, t.inbox_title, "/tenders"),
        t,
        tenders: list.iter().map(|x| TenderView::new(x, &state)).collect(),
        can_write: user.can(Permission::TendersWrite),
        flash: flash_text(t, &flash.done),
    })
}

pub struct HitView {
    pub search_id: i64,
    pub name: String,
    pub first_found: String,
}

pub struct VersionView {
    pub version: i64,
    pub source: String,
    pub recorded: String,
    pub price: String,
    pub deadline: String,
    pub cancelled: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "tenders/show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static Texts,
    tender: TenderView,
    hits: Vec<HitView>,
    versions: Vec<VersionView>,
    can_write: bool,
    error: String,
}

async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    error: String,
) -> Result<ShowPage, PageError> {
    let t = texts(lang.0);
    let tender = tenders::get(&state.db, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let tz = state.config.time_zone();
    let hits = tenders::hits(&state.db, id)
        .await?
        .into_iter()
        .map(|h| HitView {
            search_id: h.search_id,
            name: h.search_name,
            first_found: format_ms(h.first_found_at, tz),
        })
        .collect();
    let versions = tenders::versions(&state.db, id)
        .await?
        .into_iter()
        .map(|v| VersionView {
            version: v.version,
            source: v.source,
            recorded: format_ms(v.recorded_at, tz),
            price: v.facts.max_price.map(|p| p.to_string()).unwrap_or_default(),
            deadline: v
                .facts
                .deadline
                .map(|d| format_ms(d.timestamp_millis(), tz))
                .unwrap_or_default(),
            cancelled: v.facts.cancelled,
        })
        .collect();
    Ok(ShowPage {
        shell: Shell::new(state, user, lang, tender.facts.title.clone(), "/tenders"),
        t,
        tender: TenderView::new(&tender, state),
        hits,
        versions,
        can_write: user.can(Permission::TendersWrite),
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<ShowPage, PageError> {
    user.require(Permission::TendersRead)?;
    show_page(&state, &user, lang, id, String::new()).await
}

async fn answer(
    state: AppState,
    user: CurrentUser,
    lang: Lang,
    id: i64,
    what: Answer,
) -> Result<Response, PageError> {
    user.require(Permission::TendersWrite)?;
    let taker = Some(user.user().person_id);
    match inbox::answer(&state.db, &crm(&state), id, what, &user.actor(), taker).await {
        Ok(_) => {
            let done = match what {
                Answer::Take => "take",
                Answer::NotInteresting => "dismiss",
            };
            Ok(Redirect::to(&format!("/tenders?done={done}")).into_response())
        }
        // A stage rule refused: say which fields are missing, on the tender's page.
        Err(CoreError::Invalid(fields)) => {
            let message = fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join("; ");
            let page = show_page(&state, &user, lang, id, message).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CoreError::Conflict(message)) => {
            let page = show_page(&state, &user, lang, id, message).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn take(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    answer(state, user, lang, id, Answer::Take).await
}

pub async fn dismiss(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    answer(state, user, lang, id, Answer::NotInteresting).await
}
