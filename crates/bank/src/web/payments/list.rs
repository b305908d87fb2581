//! `GET /bank/payments`: the filter form, what matched (counted up to a cap), one page of
//! payments with a link to the next, "Export CSV" of the same filter, and the saved
//! filters: the reader's own and the shared ones, with a form to save the current one.
//! A filter that does not parse comes back with each error next to its field (422).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::{FormErrors, Lang, Locale};
use shtab_web::shell::Shell;

use super::texts::{PaymentsTexts, localize, texts};
use super::view::{Row, money};
use crate::store::dashboard::balances;
use crate::store::payment_list::{
    self, Cursor, DirectionFilter, PaymentFilter, RawFilter, Sort, StateFilter, Totals,
    encode_query,
};
use crate::store::saved_filters::{self, SavedFilter};

pub const PAGE_SIZE: i64 = 50;

/// Filter fields the form shows; errors for any other parameter are listed above it.
const SHOWN: &[&str] = &[
    "payer",
    "from",
    "to",
    "amount_min",
    "amount_max",
    "direction",
    "account",
    "state",
    "sort",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    #[serde(flatten)]
    pub filter: RawFilter,
    /// Where this page starts (from the previous page's "Next" link).
    pub after: String,
    /// What the redirect after saving or deleting a filter has to say.
    pub notice: String,
}

/// A choice in a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
}

pub struct SavedLink {
    pub id: i64,
    pub name: String,
    pub href: String,
    pub shared: bool,
    pub owner: String,
}

/// The "save this filter" form as typed.
#[derive(Debug, Default, Clone)]
pub struct SaveForm {
    pub name: String,
    pub shared: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/payments.html")]
pub struct PaymentsPage {
    shell: Shell,
    t: &'static PaymentsTexts,
    form: RawFilter,
    errors: FormErrors,
    other_errors: Vec<String>,
    directions: Vec<Choice>,
    accounts: Vec<Choice>,
    states: Vec<Choice>,
    sorts: Vec<Choice>,
    /// "Найдено: 1 234 · поступления 10,00 · списания 5,00"; empty when the filter is bad.
    summary: String,
    rows: Vec<Row>,
    /// The canonical query of the filter shown, for "Export CSV" and "Save".
    query: String,
    first: Option<String>,
    next: Option<String>,
    mine: Vec<SavedLink>,
    shared: Vec<SavedLink>,
    save: SaveForm,
    save_errors: FormErrors,
    notice: Option<&'static str>,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    user.require(Permission::BankRead)?;
    let t = texts(lang.0);
    let notice = match query.notice.as_str() {
        "saved" => Some(t.filter_saved),
        "deleted" => Some(t.filter_deleted),
        _ => None,
    };
    render(
        &state,
        &user,
        lang,
        query.filter,
        &query.after,
        notice,
        SaveForm::default(),
        FormErrors::default(),
    )
    .await
}

/// The whole page; `save` and `save_errors` carry a rejected "save this filter" form.
#[allow(clippy::too_many_arguments)]
pub async fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    raw: RawFilter,
    after: &str,
    notice: Option<&'static str>,
    save: SaveForm,
    save_errors: FormErrors,
) -> Result<Response, PageError> {
    let t = texts(lang.0);
    let locale = lang.0;
    let parsed = raw.parse().and_then(|f| {
        let cursor = match after.trim() {
            "" => None,
            a => Some(Cursor::parse(a, f.sort).map_err(|e| CoreError::Invalid(vec![e]))?),
        };
        Ok((f, cursor))
    });
    let (filter, cursor, errors) = match parsed {
        Ok((f, c)) => (Some(f), c, Vec::new()),
        Err(CoreError::Invalid(fields)) => (None, None, fields),
        Err(e) => return Err(e.into()),
    };
    let errors = FormErrors::new(locale, &localize(locale, errors));

    let (mut rows, mut summary, mut first, mut next, mut canonical) =
        (Vec::new(), String::new(), None, None, String::new());
    if let Some(filter) = &filter {
        let page = payment_list::page(&state.db, filter, cursor.as_ref(), PAGE_SIZE).await?;
        let totals = payment_list::totals(&state.db, filter).await?;
        summary = summary_line(t, locale, totals);
        canonical = filter.to_query();
        let href = |after: Option<&Cursor>| {
            let mut q = canonical.clone();
            if let Some(c) = after {
                let extra = encode_query(&[("after", c.to_param())]);
                q = if q.is_empty() {
                    extra
                } else {
                    format!("{q}&{extra}")
                };
            }
            if q.is_empty() {
                "/bank/payments".to_owned()
            } else {
                format!("/bank/payments?{q}")
            }
        };
        first = cursor.is_some().then(|| href(None));
        next = page.next.as_ref().map(|c| href(Some(c)));
        rows = page
            .items
            .into_iter()
            .map(|p| Row::new(t, locale, p))
            .collect();
    }

    let (mine, shared) = saved_links(state, user).await?;
    let accounts = balances(&state.db)
        .await?
        .into_iter()
        .map(|a| Choice {
            value: a.id.to_string(),
            label: if a.title.is_empty() {
                a.number
            } else {
                format!("{} · {}", a.title, a.number)
            },
        })
        .collect();
    let form = filter.as_ref().map_or(raw, PaymentFilter::to_raw);
    let status = if errors.is_empty() && save_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PaymentsPage {
        shell: Shell::new(state, user, lang, t.title, "/bank"),
        t,
        other_errors: errors.other_than(SHOWN),
        errors,
        form,
        directions: DirectionFilter::ALL
            .into_iter()
            .map(|d| Choice {
                value: d.as_str().into(),
                label: t.direction(d).into(),
            })
            .collect(),
        accounts,
        states: StateFilter::ALL
            .into_iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: t.state(s).into(),
            })
            .collect(),
        sorts: Sort::ALL
            .into_iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: t.sort(s).into(),
            })
            .collect(),
        summary,
        rows,
        query: canonical,
        first,
        next,
        mine,
        shared,
        save,
        save_errors,
        notice,
    };
    Ok((status, page).into_response())
}

fn summary_line(t: &PaymentsTexts, locale: Locale, totals: Totals) -> String {
    let count = group(totals.count);
    let mut line = if totals.capped {
        format!("{}: {} {count}", t.found, t.more_than)
    } else {
        format!("{}: {count}", t.found)
    };
    if let (Some(i), Some(o)) = (totals.incoming, totals.outgoing) {
        line.push_str(&format!(
            " · {} {} · {} {}",
            t.total_in,
            money(locale, i),
            t.total_out,
            money(locale, o)
        ));
    }
    line
}

/// `10 000`: thousands apart, as both languages' readers take it.
fn group(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

async fn saved_links(
    state: &AppState,
    user: &CurrentUser,
) -> Result<(Vec<SavedLink>, Vec<SavedLink>), PageError> {
    let me = user.user().id;
    let link = |f: SavedFilter| SavedLink {
        href: if f.query.is_empty() {
            "/bank/payments".into()
        } else {
            format!("/bank/payments?{}", f.query)
        },
        id: f.id,
        name: f.name,
        shared: f.shared,
        owner: f.owner_name,
    };
    let (mine, others): (Vec<_>, Vec<_>) = saved_filters::visible_to(&state.db, me)
        .await?
        .into_iter()
        .partition(|f| f.user_id == me.0);
    Ok((
        mine.into_iter().map(link).collect(),
        others.into_iter().map(link).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(group(7), "7");
        assert_eq!(group(10_000), "10 000");
        assert_eq!(group(1_234_567), "1 234 567");
    }
}
