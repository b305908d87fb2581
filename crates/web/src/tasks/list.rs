//! `GET /tasks`: the tasks with search, a status filter and paging, and a one-line form to
//! add a task. An htmx request (live search) gets only the results, swapped in place.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::tasks::{self, ListFilter, ListPage, TaskStatus, TaskSummary};
use shtab_core::time::format_ms;

use super::texts::{TasksTexts, texts};
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

/// The status filter; the list opens on the work still to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    Active,
    Is(TaskStatus),
    All,
}

impl StatusFilter {
    fn parse(s: &str) -> StatusFilter {
        match s {
            "all" => StatusFilter::All,
            s => TaskStatus::parse(s).map_or(StatusFilter::Active, StatusFilter::Is),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Active => "active",
            StatusFilter::Is(s) => s.as_str(),
            StatusFilter::All => "all",
        }
    }
}

pub struct StatusOption {
    value: &'static str,
    label: &'static str,
}

pub struct Row {
    id: i64,
    reference: String,
    title: String,
    status: &'static str,
    status_class: &'static str,
    assignee: Option<(i64, String)>,
    updated: String,
}

/// The badge colour of a status, shared with the task's page.
pub fn status_class(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Open => "badge-warn",
        TaskStatus::InProgress => "badge-ok",
        TaskStatus::Closed => "badge-muted",
    }
}

impl Row {
    fn new(t: &TasksTexts, state: &AppState, s: TaskSummary) -> Row {
        Row {
            id: s.id.0,
            reference: match &s.key {
                Some(k) => k.to_string(),
                None => format!("#{}", s.id),
            },
            title: s.title,
            status: t.status(s.status),
            status_class: status_class(s.status),
            assignee: s.assignee_id.zip(s.assignee_name).map(|(id, n)| (id.0, n)),
            updated: format_ms(s.updated_at, state.config.time_zone()),
        }
    }
}

/// The part live search replaces: the table and the pager.
#[derive(Template, WebTemplate)]
#[template(path = "tasks/results.html")]
pub struct Results {
    t: &'static TasksTexts,
    nav: &'static ShellTexts,
    rows: Vec<Row>,
    /// "1–50 of 10 000".
    range: String,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "tasks/list.html")]
pub struct ListPageView {
    shell: Shell,
    t: &'static TasksTexts,
    can_write: bool,
    q: String,
    status: &'static str,
    statuses: Vec<StatusOption>,
    r: Results,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Permission::TasksRead)?;
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
        status: match status {
            StatusFilter::Is(s) => Some(s),
            _ => None,
        },
        unfinished: status == StatusFilter::Active,
        assignee_id: None,
        offset: query.offset.parse().unwrap_or(0).max(0),
        limit,
    };
    let page = tasks::list(&state.db, &filter).await?;
    let results = results(&state, t, shell::texts(lang.0), &query.q, status, page);

    let mut response = if headers.contains_key("hx-request") {
        results.into_response()
    } else {
        let mut statuses = vec![StatusOption {
            value: "active",
            label: t.filter_active,
        }];
        statuses.extend(TaskStatus::ALL.into_iter().map(|s| StatusOption {
            value: s.as_str(),
            label: t.status(s),
        }));
        statuses.push(StatusOption {
            value: "all",
            label: t.filter_all,
        });
        ListPageView {
            shell: Shell::new(&state, &user, lang, t.title, "/tasks"),
            t,
            can_write: user.can(Permission::TasksWrite),
            q: query.q,
            status: status.as_str(),
            statuses,
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
    state: &AppState,
    t: &'static TasksTexts,
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
            "/tasks?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    };
    let paging = Paging::new(offset, limit, shown, total, t.of, |n| t.number(n), href);
    Results {
        t,
        nav,
        rows: items.into_iter().map(|s| Row::new(t, state, s)).collect(),
        range: paging.range,
        prev: paging.prev,
        next: paging.next,
    }
}
