//! The bank's part of the home page: payments needing a look, overdue invoices, and the
//! first step "a bank account with a statement in it".

use chrono::Utc;
use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::hooks::{AttentionItem, BoxFuture, FirstStep};

use crate::invoices::{self, ListFilter, StateFilter};
use crate::store::accounts;
use crate::store::payment_list::{self, RawFilter};

/// The payments list filtered as the attention link opens it.
const ATTENTION_HREF: &str = "/bank/payments?state=attention";
const OVERDUE_HREF: &str = "/invoices?state=unpaid&overdue=1";

pub fn attention(state: AppState, user: CurrentUser) -> BoxFuture<CoreResult<Vec<AttentionItem>>> {
    Box::pin(async move {
        let mut items = Vec::new();
        if user.can(Permission::BankRead) {
            let filter = RawFilter::from_query("state=attention").parse()?;
            let totals = payment_list::totals(&state.db, &filter).await?;
            items.push(AttentionItem {
                key: "bank.payments_attention",
                count: totals.count,
                label_ru: "Платежей требуют разбора",
                label_en: "Payments need a look",
                href: ATTENTION_HREF.into(),
                permission: Permission::BankRead,
            });
        }
        if user.can(Permission::InvoicesRead) {
            let today = Utc::now()
                .with_timezone(&state.config.time_zone())
                .date_naive();
            let page = invoices::list(
                &state.db,
                &ListFilter {
                    q: None,
                    state: StateFilter::Unpaid,
                    overdue: true,
                    today,
                    offset: 0,
                    limit: 1,
                },
            )
            .await?;
            items.push(AttentionItem {
                key: "invoices.overdue",
                count: page.total,
                label_ru: "Счетов просрочено",
                label_en: "Invoices overdue",
                href: OVERDUE_HREF.into(),
                permission: Permission::InvoicesRead,
            });
        }
        Ok(items)
    })
}

/// Done when an account has a statement in it (a balance or a payment), not merely a row.
pub fn first_steps(state: AppState) -> BoxFuture<CoreResult<Vec<FirstStep>>> {
    Box::pin(async move {
        let with_balance = accounts::list(&state.db)
            .await?
            .iter()
            .any(|a| a.balance.is_some());
        let payments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bank_payments")
            .fetch_one(state.db.pool())
            .await
            .map_err(shtab_core::CoreError::from)?;
        Ok(vec![FirstStep {
            key: "bank_account",
            done: with_balance || payments > 0,
            label_ru: "Добавить банковский счёт и загрузить выписку",
            label_en: "Add a bank account and import a statement",
            href: "/bank/accounts",
        }])
    })
}
