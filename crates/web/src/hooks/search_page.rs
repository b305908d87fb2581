//! `GET /search?q=`: the header's search. Typing in the header's box asks for the results
//! fragment (htmx) and shows it under the box; pressing Enter opens this page whole.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::search;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{Lang, Locale, pick};
use crate::shell::Shell;
use crate::state::AppState;

#[derive(Debug)]
pub struct SearchTexts {
    pub title: &'static str,
    pub placeholder: &'static str,
    pub nothing: &'static str,
    pub hint: &'static str,
}

static RU: SearchTexts = SearchTexts {
    title: "Поиск",
    placeholder: "Поиск — нажмите /",
    nothing: "Ничего не найдено.",
    hint: "Люди, задачи, репозитории, платежи (плательщик, ИНН, сумма), счета, тендеры, сделки.",
};
static EN: SearchTexts = SearchTexts {
    title: "Search",
    placeholder: "Search — press /",
    nothing: "Nothing found.",
    hint: "People, tasks, repositories, payments (payer, INN, amount), invoices, tenders, deals.",
};

pub fn texts(locale: Locale) -> &'static SearchTexts {
    pick(locale, &RU, &EN)
}

/// `q`, or `find` from the header's box (named apart from the pages' own `q` filters, so
/// a page's search field stays the one `input[name=q]` finds).
#[derive(Debug, Default, Deserialize)]
pub struct SearchQueryParams {
    #[serde(default, alias = "find")]
    q: String,
}

pub struct GroupView {
    pub key: &'static str,
    pub label: &'static str,
    pub hits: Vec<super::SearchHit>,
}

/// The results: what the header's box shows under it, and the page's body.
#[derive(Template, WebTemplate)]
#[template(path = "search_results.html")]
pub struct Results {
    t: &'static SearchTexts,
    asked: bool,
    groups: Vec<GroupView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchPage {
    shell: Shell,
    t: &'static SearchTexts,
    q: String,
    r: Results,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    headers: HeaderMap,
    Query(params): Query<SearchQueryParams>,
) -> Result<Response, PageError> {
    let t = texts(lang.0);
    let query = search::query(&params.q, search::PER_GROUP, lang.0);
    let groups = match &query {
        Some(q) => search::gather(&state, &user, q).await?,
        None => Vec::new(),
    };
    let r = Results {
        t,
        asked: query.is_some(),
        groups: groups
            .into_iter()
            .map(|g| GroupView {
                key: g.key,
                label: g.label(lang.0),
                hits: g.hits,
            })
            .collect(),
    };
    let mut response = if headers.contains_key("hx-request") {
        r.into_response()
    } else {
        SearchPage {
            shell: Shell::new(&state, &user, lang, t.title, ""),
            t,
            q: params.q,
            r,
        }
        .into_response()
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}
