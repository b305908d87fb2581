//! What the bank's dashboard says, in Russian (the primary language) and English.

use shtab_web::i18n::{Locale, pick};

use crate::store::dashboard::Period;

#[derive(Debug)]
pub struct DashboardTexts {
    pub title: &'static str,
    pub payments: &'static str,
    pub accounts: &'static str,
    pub no_accounts: &'static str,
    pub balance_unknown: &'static str,
    pub balance_at: &'static str,
    pub money_flow: &'static str,
    pub period_label: &'static str,
    pub by_day: &'static str,
    pub by_week: &'static str,
    pub by_month: &'static str,
    pub last_days: &'static str,
    pub last_weeks: &'static str,
    pub last_months: &'static str,
    pub incoming: &'static str,
    pub outgoing: &'static str,
    pub top_payers: &'static str,
    pub no_payers: &'static str,
    pub col_payer: &'static str,
    pub col_inn: &'static str,
    pub col_payments: &'static str,
    pub col_sum: &'static str,
    pub unmatched: &'static str,
    pub unmatched_hint: &'static str,
    pub receivables: &'static str,
    pub receivables_hint: &'static str,
    pub overdue: &'static str,
    pub overdue_hint: &'static str,
    /// "Payments: 3", "Invoices: 5": before a count.
    pub payments_word: &'static str,
    pub invoices_word: &'static str,
}

static RU: DashboardTexts = DashboardTexts {
    title: "Банк",
    payments: "Платежи",
    accounts: "Счета и остатки",
    no_accounts: "Счетов пока нет.",
    balance_unknown: "остаток ещё не получен",
    balance_at: "на",
    money_flow: "Поступления и списания",
    period_label: "Период",
    by_day: "По дням",
    by_week: "По неделям",
    by_month: "По месяцам",
    last_days: "последние 30 дней",
    last_weeks: "последние 12 недель",
    last_months: "последние 12 месяцев",
    incoming: "поступления",
    outgoing: "списания",
    top_payers: "Крупнейшие плательщики",
    no_payers: "За этот период поступлений не было.",
    col_payer: "Плательщик",
    col_inn: "ИНН",
    col_payments: "Платежей",
    col_sum: "Сумма",
    unmatched: "Не разнесено",
    unmatched_hint: "Поступления без счёта или требующие внимания",
    receivables: "Дебиторская задолженность",
    receivables_hint: "Неоплаченный остаток открытых счетов",
    overdue: "Просрочено",
    overdue_hint: "Счета, срок оплаты которых прошёл",
    payments_word: "Платежей",
    invoices_word: "Счетов",
};

static EN: DashboardTexts = DashboardTexts {
    title: "Bank",
    payments: "Payments",
    accounts: "Accounts and balances",
    no_accounts: "No accounts yet.",
    balance_unknown: "no balance reported yet",
    balance_at: "as of",
    money_flow: "Money in and out",
    period_label: "Period",
    by_day: "By day",
    by_week: "By week",
    by_month: "By month",
    last_days: "the last 30 days",
    last_weeks: "the last 12 weeks",
    last_months: "the last 12 months",
    incoming: "in",
    outgoing: "out",
    top_payers: "Top payers",
    no_payers: "Nothing came in during this period.",
    col_payer: "Payer",
    col_inn: "INN",
    col_payments: "Payments",
    col_sum: "Sum",
    unmatched: "Unmatched",
    unmatched_hint: "Incoming payments without an invoice or needing attention",
    receivables: "Receivables",
    receivables_hint: "What open invoices still ask for",
    overdue: "Overdue",
    overdue_hint: "Invoices past their due date",
    payments_word: "Payments",
    invoices_word: "Invoices",
};

pub fn texts(locale: Locale) -> &'static DashboardTexts {
    pick(locale, &RU, &EN)
}

impl DashboardTexts {
    pub fn period(&self, p: Period) -> &'static str {
        match p {
            Period::Day => self.by_day,
            Period::Week => self.by_week,
            Period::Month => self.by_month,
        }
    }

    pub fn range(&self, p: Period) -> &'static str {
        match p {
            Period::Day => self.last_days,
            Period::Week => self.last_weeks,
            Period::Month => self.last_months,
        }
    }
}
