//! `GET /bank?period=day|week|month`: the dashboard page. An unknown period shows the
//! default (days), as a hand-edited address should not end in an error page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::{Lang, Locale};
use shtab_web::shell::Shell;

use super::chart::{Chart, chart};
use super::texts::{DashboardTexts, texts};
use crate::store::dashboard::{self, Figure, Period};
use crate::store::payment_list::encode_query;
use crate::web::payments::view::money;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    period: String,
}

pub struct AccountCard {
    pub title: String,
    pub number: String,
    pub bank: String,
    /// `None` before the first statement brought a balance.
    pub balance: Option<String>,
    pub at: String,
    pub href: String,
}

pub struct PeriodTab {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

pub struct PayerRow {
    pub name: String,
    pub inn: String,
    pub payments: i64,
    pub sum: String,
    pub href: String,
}

pub struct FigureCard {
    pub id: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub amount: String,
    pub count: String,
    pub href: &'static str,
    pub warn: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/dashboard.html")]
pub struct DashboardPage {
    shell: Shell,
    t: &'static DashboardTexts,
    accounts: Vec<AccountCard>,
    tabs: Vec<PeriodTab>,
    range: &'static str,
    chart: Chart,
    payers: Vec<PayerRow>,
    figures: Vec<FigureCard>,
}

fn figure(
    locale: Locale,
    (id, label, hint, href): (&'static str, &'static str, &'static str, &'static str),
    f: Figure,
    word: &'static str,
) -> FigureCard {
    FigureCard {
        id,
        label,
        hint,
        amount: format!("{} ₽", money(locale, f.amount)),
        // "Платежей: 4" reads right for every number; "4 платежей" would not.
        count: format!("{word}: {}", f.count),
        href,
        // Receivables are normal business; unmatched and overdue want someone's action.
        warn: f.count > 0 && id != "receivables",
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(query): Query<DashboardQuery>,
) -> Result<DashboardPage, PageError> {
    user.require(Permission::BankRead)?;
    let t = texts(lang.0);
    let locale = lang.0;
    let period = Period::parse(&query.period).unwrap_or_default();
    let today = super::today(&state);
    let d = dashboard::load(&state.db, period, today).await?;
    let from = d.buckets.first().map_or(today, |b| b.start);
    let accounts = d
        .accounts
        .into_iter()
        .map(|a| AccountCard {
            href: format!("/bank/payments?account={}", a.id),
            title: a.title,
            bank: a.bank_name,
            balance: a.balance.map(|b| {
                format!(
                    "{} {}",
                    money(locale, b),
                    shtab_core::types::currency_sign(&a.currency)
                )
            }),
            at: a
                .balance_at
                .map(crate::web::balance_day::balance_day)
                .unwrap_or_default(),
            number: a.number,
        })
        .collect();
    let payers = d
        .top_payers
        .into_iter()
        .map(|p| {
            let who = if p.inn.is_empty() { &p.name } else { &p.inn };
            let q = encode_query(&[
                ("payer", who.clone()),
                ("from", from.to_string()),
                ("to", today.to_string()),
                ("direction", "incoming".into()),
            ]);
            PayerRow {
                href: format!("/bank/payments?{q}"),
                sum: format!("{} ₽", money(locale, p.total)),
                payments: p.payments,
                name: p.name,
                inn: p.inn,
            }
        })
        .collect();
    let figures = vec![
        figure(
            locale,
            (
                "unmatched",
                t.unmatched,
                t.unmatched_hint,
                "/bank/payments?state=unmatched",
            ),
            d.unmatched,
            t.payments_word,
        ),
        figure(
            locale,
            (
                "receivables",
                t.receivables,
                t.receivables_hint,
                "/invoices",
            ),
            d.receivables,
            t.invoices_word,
        ),
        figure(
            locale,
            ("overdue", t.overdue, t.overdue_hint, "/invoices"),
            d.overdue,
            t.invoices_word,
        ),
    ];
    Ok(DashboardPage {
        shell: Shell::new(&state, &user, lang, t.title, "/bank"),
        t,
        accounts,
        tabs: Period::ALL
            .into_iter()
            .map(|p| PeriodTab {
                href: format!("/bank?period={}", p.as_str()),
                label: t.period(p),
                current: p == period,
            })
            .collect(),
        range: t.range(period),
        chart: chart(t, locale, period, &d.buckets),
        payers,
        figures,
    })
}
