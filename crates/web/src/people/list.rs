//! `GET /people`: the directory with search, a status filter and paging. An htmx request
//! (live search as one types) gets only the results, which replace the old ones in place.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::people::{self, ListFilter, ListPage, PersonStatus, PersonSummary};

use super::texts::{PeopleTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::paging::Paging;
use crate::shell::{self, Shell, ShellTexts};
use crate::state::AppState;

const PAGE_SIZE: i64 = 50;

/// Every field is text, so a hand-edited URL never meets a bare 400: what does not parse
/// falls back to the default.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    offset: String,
    #[serde(default)]
    limit: String,
}

/// The status filter; the directory opens on the people who work here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    Active,
    Left,
    All,
}

impl StatusFilter {
    fn parse(s: &str) -> StatusFilter {
        match s {
            "left" => StatusFilter::Left,
            "all" => StatusFilter::All,
            _ => StatusFilter::Active,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Active => "active",
            StatusFilter::Left => "left",
            StatusFilter::All => "all",
        }
    }

    fn status(self) -> Option<PersonStatus> {
        match self {
            StatusFilter::Active => Some(PersonStatus::Active),
            StatusFilter::Left => Some(PersonStatus::Left),
            StatusFilter::All => None,
        }
    }
}

pub struct Row {
    id: i64,
    name: String,
    email: String,
    position: String,
    phone: String,
    status: &'static str,
    active: bool,
    is_user: bool,
}

impl Row {
    fn new(t: &PeopleTexts, p: PersonSummary) -> Row {
        Row {
            id: p.id.0,
            name: p.full_name,
            email: p.email.unwrap_or_default(),
            position: p.position.unwrap_or_default(),
            phone: p.phone.unwrap_or_default(),
            status: t.status(p.status),
            active: p.status == PersonStatus::Active,
            is_user: p.user_id.is_some(),
        }
    }
}

/// The part live search replaces: the table and the pager.
#[derive(Template, WebTemplate)]
#[template(path = "people/results.html")]
pub struct Results {
    t: &'static PeopleTexts,
    nav: &'static ShellTexts,
    rows: Vec<Row>,
    /// "1–50 of 10 000".
    range: String,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "people/list.html")]
pub struct ListPageView {
    shell: Shell,
    t: &'static PeopleTexts,
    can_write: bool,
    q: String,
    status: &'static str,
    r: Results,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Permission::PeopleRead)?;
    let t = texts(lang.0);
    let status = StatusFilter::parse(&query.status);
    let limit = query
        .limit
        .parse()
        .ok()
        .filter(|l| (1..=500).contains(l))
        .unwrap_or(PAGE_SIZE);
    let filter = ListFilter {
        q: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        status: status.status(),
        offset: query.offset.parse().unwrap_or(0).max(0),
        limit,
    };
    let page = people::list(&state.db, &filter).await?;
    let results = results(t, shell::texts(lang.0), &query.q, status, page);

    let mut response = if headers.contains_key("hx-request") {
        results.into_response()
    } else {
        ListPageView {
            shell: Shell::new(&state, &user, lang, t.title, "/people"),
            t,
            can_write: user.can(Permission::PeopleWrite),
            q: query.q,
            status: status.as_str(),
            r: results,
        }
        .into_response()
    };
    // The same URL answers a whole page or a fragment; caches must keep them apart.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

fn results(
    t: &'static PeopleTexts,
    nav: &'static ShellTexts,
    q: &str,
    status: StatusFilter,
    page: ListPage,
) -> Results {
    let ListPage {
        items,
        total,
        offset,
        limit,
    } = page;
    let shown = items.len() as i64;
    let href = |offset: i64| {
        let mut params = vec![("q", q.to_string()), ("status", status.as_str().into())];
        if offset > 0 {
            params.push(("offset", offset.to_string()));
        }
        if limit != PAGE_SIZE {
            params.push(("limit", limit.to_string()));
        }
        format!(
            "/people?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    };
    let paging = Paging::new(offset, limit, shown, total, t.of, |n| t.number(n), href);
    Results {
        t,
        nav,
        rows: items.into_iter().map(|p| Row::new(t, p)).collect(),
        range: paging.range,
        prev: paging.prev,
        next: paging.next,
    }
}
