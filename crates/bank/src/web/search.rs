//! The bank's part of the header's search: payments by payer, INN or amount, invoices by
//! number or customer.

use chrono::Utc;
use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_core::types::Kopecks;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::hooks::{BoxFuture, SearchGroup, SearchHit, SearchQuery};

use crate::invoices::{self, ListFilter, StateFilter};
use crate::store::payment_list::{self, PaymentFilter, RawFilter};

pub fn search(
    state: AppState,
    user: CurrentUser,
    q: SearchQuery,
) -> BoxFuture<CoreResult<Vec<SearchGroup>>> {
    Box::pin(async move {
        let mut groups = Vec::new();
        if user.can(Permission::BankRead) {
            let mut hits = Vec::new();
            for filter in payment_filters(&q.text) {
                let page = payment_list::page(&state.db, &filter, None, q.limit).await?;
                hits.extend(page.items.into_iter().map(|p| SearchHit {
                    href: format!("/bank/payments/{}", p.id),
                    title: format!("{} ₽ · {}", Kopecks(p.amount), counterparty(&p)),
                    detail: format!("{} · {}", day(&p.op_date), p.purpose),
                }));
                if !hits.is_empty() {
                    break;
                }
            }
            groups.push(SearchGroup {
                key: "payments",
                label_ru: "Платежи",
                label_en: "Payments",
                permission: Permission::BankRead,
                hits,
            });
        }
        if user.can(Permission::InvoicesRead) {
            let today = Utc::now()
                .with_timezone(&state.config.time_zone())
                .date_naive();
            let page = invoices::list(
                &state.db,
                &ListFilter {
                    q: Some(q.text.clone()),
                    state: StateFilter::All,
                    overdue: false,
                    today,
                    offset: 0,
                    limit: q.limit,
                },
            )
            .await?;
            groups.push(SearchGroup {
                key: "invoices",
                label_ru: "Счета",
                label_en: "Invoices",
                permission: Permission::InvoicesRead,
                hits: page
                    .items
                    .into_iter()
                    .map(|i| SearchHit {
                        href: format!("/invoices/{}", i.id.0),
                        title: format!("№ {} · {}", i.number, i.payer_name),
                        detail: format!("{} ₽ · {}", i.amount, i.issued_on.format("%d.%m.%Y")),
                    })
                    .collect(),
            });
        }
        Ok(groups)
    })
}

/// The ways to read the query, most precise first: an amount (`150000`, `1 500,50`) or a
/// payer (a name, or an INN when it is 10 or 12 digits).
fn payment_filters(text: &str) -> Vec<PaymentFilter> {
    let digits = text.chars().all(|c| c.is_ascii_digit());
    let inn_like = digits && matches!(text.len(), 10 | 12);
    let mut out = Vec::new();
    if !inn_like && Kopecks::parse(text).is_ok() {
        let raw = RawFilter {
            amount_min: text.into(),
            amount_max: text.into(),
            ..Default::default()
        };
        out.extend(raw.parse().ok());
    }
    let raw = RawFilter {
        payer: text.into(),
        ..Default::default()
    };
    out.extend(raw.parse().ok());
    out
}

/// The other side of the payment: the payer of money in, the payee of money out.
fn counterparty(p: &payment_list::PaymentRow) -> String {
    if p.direction == "outgoing" {
        p.payee_name.clone()
    } else {
        p.payer_name.clone()
    }
}

/// `2026-12-05` as `05.12.2026`.
fn day(iso: &str) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}
