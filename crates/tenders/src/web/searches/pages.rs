//! `GET/POST /tenders/searches` (the list and the form for a new one),
//! `GET/POST /tenders/searches/{id}` (the editor with the portal's URL and the last runs) and
//! `GET /tenders/searches/{id}/preview` ("run now": what the search finds, nothing stored).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::error::FieldError;
use shtab_core::time::format_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::{PagePath, Saved};
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::form::SearchForm;
use super::{Texts, ingest, texts};
use crate::store::searches::{self, SavedSearch};

const SHOWN: &[&str] = &[
    "name",
    "keywords",
    "exclude",
    "price_min",
    "price_max",
    "okpd2_prefixes",
    "regions",
    "responsible",
    "schedule",
];

pub struct SearchRow {
    pub id: i64,
    pub name: String,
    pub keywords: String,
    pub enabled: bool,
    pub schedule: String,
    pub last_run: String,
}

pub struct RunView {
    pub at: String,
    pub found: i64,
    pub new: i64,
    pub updated: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "searches/list.html")]
pub struct ListPage {
    shell: Shell,
    t: &'static Texts,
    searches: Vec<SearchRow>,
    can_write: bool,
    form: SearchForm,
    people: Vec<(String, String)>,
    errors: FormErrors,
    other_errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "searches/show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static Texts,
    id: i64,
    browser_url: String,
    rss_urls: Vec<String>,
    runs: Vec<RunView>,
    can_write: bool,
    saved: bool,
    form: SearchForm,
    people: Vec<(String, String)>,
    errors: FormErrors,
    other_errors: Vec<String>,
}

async fn people(
    state: &AppState,
    keep: Option<shtab_core::ids::PersonId>,
) -> Result<Vec<(String, String)>, PageError> {
    Ok(shtab_core::people::choices(&state.db, keep)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

fn localize(lang: Lang, fields: &[FieldError]) -> FormErrors {
    FormErrors::new(lang.0, fields)
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    form: SearchForm,
    errors: FormErrors,
) -> Result<ListPage, PageError> {
    let t = texts(lang.0);
    let tz = state.config.time_zone();
    let rows = searches::list(&state.db)
        .await?
        .into_iter()
        .map(|s| SearchRow {
            id: s.id,
            name: s.name,
            keywords: s.spec.keywords.join(", "),
            enabled: s.enabled,
            schedule: s.schedule,
            last_run: s
                .last_run_at
                .map(|ms| format_ms(ms, tz))
                .unwrap_or_default(),
        })
        .collect();
    Ok(ListPage {
        shell: Shell::new(state, user, lang, t.title, "/tenders"),
        t,
        searches: rows,
        can_write: user.can(Permission::TendersWrite),
        people: people(state, None).await?,
        other_errors: errors.other_than(SHOWN),
        form,
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<ListPage, PageError> {
    user.require(Permission::TendersRead)?;
    list_page(
        &state,
        &user,
        lang,
        SearchForm::blank(),
        FormErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<SearchForm>,
) -> Result<Response, PageError> {
    user.require(Permission::TendersWrite)?;
    let saved = match form.to_input() {
        Ok(input) => {
            searches::create(
                &state.db,
                &user.actor(),
                &input,
                &state.config.server.time_zone,
            )
            .await
        }
        Err(fields) => Err(CoreError::Invalid(fields)),
    };
    match saved {
        Ok(s) => Ok(Redirect::to(&format!("/tenders/searches/{}?saved=1", s.id)).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = localize(lang, &fields);
            let page = list_page(&state, &user, lang, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    search: &SavedSearch,
    form: SearchForm,
    errors: FormErrors,
    saved: bool,
) -> Result<ShowPage, PageError> {
    let t = texts(lang.0);
    let tz = state.config.time_zone();
    let runs = searches::runs(&state.db, search.id, 10)
        .await?
        .into_iter()
        .map(|r| RunView {
            at: format_ms(r.finished_at, tz),
            found: r.found,
            new: r.new,
            updated: r.updated,
        })
        .collect();
    Ok(ShowPage {
        shell: Shell::new(state, user, lang, search.name.clone(), "/tenders"),
        t,
        id: search.id,
        browser_url: search.spec.browser_url(),
        rss_urls: search.spec.rss_urls(),
        runs,
        can_write: user.can(Permission::TendersWrite),
        saved,
        people: people(state, search.responsible).await?,
        other_errors: errors.other_than(SHOWN),
        form,
        errors,
    })
}

async fn load(state: &AppState, id: i64) -> Result<SavedSearch, PageError> {
    searches::get(&state.db, id)
        .await?
        .ok_or(PageError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Saved(saved): Saved,
) -> Result<ShowPage, PageError> {
    user.require(Permission::TendersRead)?;
    let search = load(&state, id).await?;
    let form = SearchForm::of(&search);
    show_page(
        &state,
        &user,
        lang,
        &search,
        form,
        FormErrors::default(),
        saved,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<SearchForm>,
) -> Result<Response, PageError> {
    user.require(Permission::TendersWrite)?;
    let search = load(&state, id).await?;
    let saved = match form.to_input() {
        Ok(input) => {
            searches::update(
                &state.db,
                &user.actor(),
                id,
                &input,
                &state.config.server.time_zone,
            )
            .await
        }
        Err(fields) => Err(CoreError::Invalid(fields)),
    };
    match saved {
        Ok(s) => Ok(Redirect::to(&format!("/tenders/searches/{}?saved=1", s.id)).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = localize(lang, &fields);
            let page = show_page(&state, &user, lang, &search, form, errors, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub struct CandidateView {
    pub reg_number: String,
    pub url: String,
    pub title: String,
    pub price: String,
    pub accepted: bool,
    pub reason: String,
    pub known: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "searches/preview.html")]
pub struct PreviewPage {
    shell: Shell,
    t: &'static Texts,
    id: i64,
    name: String,
    candidates: Vec<CandidateView>,
    error: String,
}

/// "Run now": the portal is asked and the answer filtered, nothing stored. A portal fault
/// is shown as the page's message (502), not as an empty result.
pub async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    user.require(Permission::TendersRead)?;
    let search = load(&state, id).await?;
    let t = texts(lang.0);
    let (candidates, error) = match ingest(&state).preview(&search).await {
        Ok(list) => (
            list.into_iter()
                .map(|c| CandidateView {
                    reg_number: c.facts.reg_number.to_string(),
                    url: c.facts.url.clone(),
                    title: c.facts.title.clone(),
                    price: c.facts.max_price.map(|p| p.to_string()).unwrap_or_default(),
                    accepted: c.rejection.is_none(),
                    reason: c
                        .rejection
                        .as_ref()
                        .and_then(|r| serde_json::to_value(r).ok())
                        .and_then(|v| v["reason"].as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    known: c.known,
                })
                .collect(),
            String::new(),
        ),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_GATEWAY
    };
    let page = PreviewPage {
        shell: Shell::new(&state, &user, lang, t.preview_title, "/tenders"),
        t,
        id,
        name: search.name,
        candidates,
        error,
    };
    Ok((status, page).into_response())
}
