//! `GET /invoices`: invoices with search, a state filter, "overdue only", totals of what
//! was found and paging. An htmx request (live search) gets only the results.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;
use shtab_web::paging::Paging;
use shtab_web::shell::{self, Shell, ShellTexts};

use super::texts::{InvoicesTexts, state_class, texts};
use crate::invoices::{
    self, Invoice, ListFilter, ListPage, STATES, StateFilter, parse_state, state_str,
};

const PAGE_SIZE: i64 = 50;

/// Today where the agency is, not where the server's clock is set: an invoice due on
/// Monday is not overdue on Monday evening in Moscow.
pub fn today(state: &AppState) -> NaiveDate {
    Utc::now()
        .with_timezone(&state.config.time_zone())
        .date_naive()
}

/// Every field is text, so a hand-edited URL never meets a bare 400: what does not parse
/// falls back to the default.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    offset: String,
    #[serde(default)]
    limit: String,
}

/// The state filter as the page's `state` parameter spells it; the list opens on the
/// invoices still waiting for money.
pub fn parse_state_filter(s: &str) -> StateFilter {
    match s.trim() {
        "all" => StateFilter::All,
        s => parse_state(s).map_or(StateFilter::Unpaid, StateFilter::Is),
    }
}

pub fn state_filter_str(f: StateFilter) -> &'static str {
    match f {
        StateFilter::Unpaid => "unpaid",
        StateFilter::Is(s) => state_str(s),
        StateFilter::All => "all",
    }
}

pub struct StateOption {
    value: &'static str,
    label: &'static str,
}

pub struct Row {
    id: i64,
    number: String,
    date: String,
    payer_name: String,
    payer_inn: String,
    amount: String,
    remaining: String,
    due: String,
    overdue: bool,
    state: &'static str,
    state_class: &'static str,
    responsible: Option<(i64, String)>,
}

impl Row {
    fn new(t: &InvoicesTexts, today: NaiveDate, i: Invoice) -> Row {
        Row {
            id: i.id.0,
            date: t.date(i.issued_on),
            amount: i.amount.to_string(),
            remaining: i.remaining().to_string(),
            due: i.due_on.map(|d| t.date(d)).unwrap_or_default(),
            overdue: i.is_overdue(today),
            state: t.state(i.state),
            state_class: state_class(i.state),
            responsible: i
                .responsible_id
                .zip(i.responsible_name)
                .map(|(id, n)| (id.0, n)),
            number: i.number,
            payer_name: i.payer_name,
            payer_inn: i.payer_inn,
        }
    }
}

/// The part live search replaces: totals, the table and the pager.
#[derive(Template, WebTemplate)]
#[template(path = "bank/invoices_results.html")]
pub struct Results {
    t: &'static InvoicesTexts,
    nav: &'static ShellTexts,
    rows: Vec<Row>,
    found: String,
    sum_amount: String,
    sum_remaining: String,
    /// "1–50 of 10 000".
    range: String,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/invoices_list.html")]
pub struct ListPageView {
    shell: Shell,
    t: &'static InvoicesTexts,
    can_write: bool,
    q: String,
    state: &'static str,
    overdue: bool,
    states: Vec<StateOption>,
    r: Results,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Permission::InvoicesRead)?;
    let t = texts(lang.0);
    let state_filter = parse_state_filter(&query.state);
    let overdue = matches!(query.overdue.trim(), "1" | "true" | "on");
    let limit = query
        .limit
        .parse()
        .ok()
        .filter(|l| (1..=500).contains(l))
        .unwrap_or(PAGE_SIZE);
    let today = today(&state);
    let filter = ListFilter {
        q: Some(query.q.trim().to_string()).filter(|q| !q.is_empty()),
        state: state_filter,
        overdue,
        today,
        offset: query.offset.parse().unwrap_or(0).max(0),
        limit,
    };
    let page = invoices::list(&state.db, &filter).await?;
    let r = results(
        t,
        shell::texts(lang.0),
        &query.q,
        state_filter,
        overdue,
        today,
        page,
    );

    let mut response = if headers.contains_key("hx-request") {
        r.into_response()
    } else {
        let mut states = vec![StateOption {
            value: "unpaid",
            label: t.filter_unpaid,
        }];
        states.extend(STATES.into_iter().map(|s| StateOption {
            value: state_str(s),
            label: t.state(s),
        }));
        states.push(StateOption {
            value: "all",
            label: t.filter_all,
        });
        ListPageView {
            shell: Shell::new(&state, &user, lang, t.title, "/invoices"),
            t,
            can_write: user.can(Permission::InvoicesWrite),
            q: query.q,
            state: state_filter_str(state_filter),
            overdue,
            states,
            r,
        }
        .into_response()
    };
    // The same URL answers a whole page or a fragment; caches must keep them apart.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("HX-Request"));
    Ok(response)
}

/// `/invoices?…` with these parameters, encoded.
fn href(params: &[(&str, String)]) -> String {
    reqwest::Url::parse_with_params("http://hub/invoices", params)
        .map(|u| format!("/invoices?{}", u.query().unwrap_or_default()))
        .unwrap_or_else(|_| "/invoices".into())
}

fn results(
    t: &'static InvoicesTexts,
    nav: &'static ShellTexts,
    q: &str,
    state: StateFilter,
    overdue: bool,
    today: NaiveDate,
    page: ListPage,
) -> Results {
    let ListPage {
        items,
        total,
        sum_amount,
        sum_remaining,
        offset,
        limit,
    } = page;
    let shown = items.len() as i64;
    let link = |offset: i64| {
        let mut params = vec![
            ("q", q.to_string()),
            ("state", state_filter_str(state).into()),
        ];
        if overdue {
            params.push(("overdue", "1".into()));
        }
        if offset > 0 {
            params.push(("offset", offset.to_string()));
        }
        if limit != PAGE_SIZE {
            params.push(("limit", limit.to_string()));
        }
        href(&params)
    };
    let paging = Paging::new(offset, limit, shown, total, t.of, |n| t.number(n), link);
    Results {
        t,
        nav,
        rows: items.into_iter().map(|i| Row::new(t, today, i)).collect(),
        found: t.number(total),
        sum_amount: sum_amount.to_string(),
        sum_remaining: sum_remaining.to_string(),
        range: paging.range,
        prev: paging.prev,
        next: paging.next,
    }
}
