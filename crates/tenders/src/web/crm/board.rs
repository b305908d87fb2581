//! `GET /deals`: the pipeline board. A column per stage, a card per deal; people who may
//! change deals drag cards between columns (`board.js` posts the move to
//! `/deals/{id}/move`; a refused move leaves the card where it was and says why).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::focus::{Focus, caption};
use super::texts::{DealsTexts, texts};
use super::{crm, deals};
use crate::crm::domain::{FieldKind, display_value};
use crate::crm::{DEFAULT_PIPELINE, DealRecord};

/// How many deals a board shows per pipeline; older ones are reached through the API.
pub(crate) const BOARD_LIMIT: i64 = 1000;

pub struct Card {
    pub id: i64,
    pub title: String,
    pub customer: String,
    pub max_price: String,
    pub deadline: String,
}

pub struct Column {
    pub id: String,
    pub name: String,
    pub cards: Vec<Card>,
}

#[derive(Template, WebTemplate)]
#[template(path = "crm/board.html")]
pub struct BoardPage {
    pub shell: Shell,
    pub t: &'static DealsTexts,
    pub pipeline: String,
    pub pipelines: Vec<(String, String)>,
    pub columns: Vec<Column>,
    pub can_write: bool,
    pub can_configure: bool,
    /// What the board is narrowed to, and the link text back to all deals.
    pub focus: Option<(&'static str, &'static str)>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    pipeline: String,
    /// `1`: only the open deals the user is responsible for.
    mine: String,
    /// `week`: only the open deals whose deadline is in the next seven days.
    deadline: String,
}

fn card(d: &DealRecord, locale: shtab_core::types::Locale) -> Card {
    let text = |name: &str, kind| display_value(Some(kind), d.fields.get(name), locale);
    Card {
        id: d.id,
        title: d.title.clone(),
        customer: text("customer", FieldKind::Text),
        max_price: text("max_price", FieldKind::Money),
        deadline: text("deadline", FieldKind::Datetime),
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(q): Query<BoardQuery>,
) -> Result<Response, PageError> {
    user.require(Permission::TendersRead)?;
    let t = texts(lang.0);
    let crm = crm(&state);
    let id = if q.pipeline.trim().is_empty() {
        DEFAULT_PIPELINE
    } else {
        q.pipeline.trim()
    };
    // Deals kept on a portal are shown on its own board.
    if let Some(board) = deals(&state).board_elsewhere(id).await? {
        return Ok(Redirect::to(&board).into_response());
    }
    let pipeline = crm.pipeline(id).await?;
    let focus = Focus::parse(
        &q.mine,
        &q.deadline,
        user.user().person_id,
        chrono::Utc::now(),
    );
    let mut deals = crm.deals(id, None, BOARD_LIMIT).await?;
    deals.retain(|d| focus.keeps(d));
    let columns = pipeline
        .stages
        .iter()
        .map(|s| Column {
            id: s.id.clone(),
            name: s.name(lang.0).to_string(),
            cards: deals
                .iter()
                .filter(|d| d.stage == s.id)
                .map(|d| card(d, lang.0))
                .collect(),
        })
        .collect();
    let pipelines = crm
        .pipelines()
        .await?
        .into_iter()
        .map(|(id, ru, en)| {
            (
                id,
                if lang.0 == shtab_core::types::Locale::En {
                    en
                } else {
                    ru
                },
            )
        })
        .collect();
    Ok(BoardPage {
        shell: Shell::new(&state, &user, lang, t.board_title, "/deals"),
        t,
        pipeline: pipeline.id.clone(),
        pipelines,
        columns,
        can_write: user.can(Permission::TendersWrite),
        can_configure: user.can(Permission::PipelinesManage),
        focus: caption(focus, lang.0),
    }
    .into_response())
}

/// The board's script: ours, served by the binary like every asset (no CDN).
pub async fn script() -> impl axum::response::IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("board.js"),
    )
}
