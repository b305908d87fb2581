//! What a payment's page says, in Russian (the primary language) and English.

use chrono::NaiveDate;
use shtab_core::FieldError;
use shtab_web::i18n::{Locale, pick};

use crate::domain::{Direction, Kopecks};

#[derive(Debug)]
pub struct PaymentTexts {
    pub locale: Locale,
    pub title: &'static str,
    pub back: &'static str,
    pub details: &'static str,
    pub date: &'static str,
    pub document: &'static str,
    pub direction: &'static str,
    pub amount: &'static str,
    pub account: &'static str,
    pub source: &'static str,
    pub payer: &'static str,
    pub payee: &'static str,
    pub name: &'static str,
    pub inn: &'static str,
    pub kpp: &'static str,
    pub bank_account: &'static str,
    pub bank: &'static str,
    pub bic: &'static str,
    pub purpose: &'static str,
    pub matching: &'static str,
    pub state: &'static str,
    pub note: &'static str,
    pub allocated: &'static str,
    pub unallocated: &'static str,
    pub rematch: &'static str,
    pub rematch_hint: &'static str,
    pub allocations: &'static str,
    pub no_allocations: &'static str,
    pub col_invoice: &'static str,
    pub col_amount: &'static str,
    pub col_origin: &'static str,
    pub origin_auto: &'static str,
    pub origin_manual: &'static str,
    pub remove: &'static str,
    pub allocate: &'static str,
    pub allocate_hint: &'static str,
    pub invoice: &'static str,
    pub invoice_id_hint: &'static str,
    pub no_open_invoices: &'static str,
    pub left: &'static str,
    pub amount_hint: &'static str,
    pub form_has_errors: &'static str,
    pub done_allocated: &'static str,
    pub done_removed: &'static str,
    pub done_matched: &'static str,

    // Directions and states.
    pub incoming: &'static str,
    pub outgoing: &'static str,
    pub internal: &'static str,
    pub unknown: &'static str,
    pub waiting: &'static str,
    pub matched: &'static str,
    pub partial: &'static str,
    pub attention: &'static str,
    pub not_matched: &'static str,

    // Refusals of an allocation (by field error code).
    pub err_exceeds_payment: &'static str,
    pub err_exceeds_invoice: &'static str,
    pub err_invoice_closed: &'static str,
    pub err_foreign_invoice: &'static str,
    pub err_no_invoice: &'static str,
}

static RU: PaymentTexts = PaymentTexts {
    locale: Locale::Ru,
    title: "Платёж",
    back: "Все платежи",
    details: "Реквизиты",
    date: "Дата",
    document: "Документ",
    direction: "Направление",
    amount: "Сумма",
    account: "Счёт агентства",
    source: "Источник",
    payer: "Плательщик",
    payee: "Получатель",
    name: "Наименование",
    inn: "ИНН",
    kpp: "КПП",
    bank_account: "Расчётный счёт",
    bank: "Банк",
    bic: "БИК",
    purpose: "Назначение платежа",
    matching: "Разнесение",
    state: "Состояние",
    note: "Причина",
    allocated: "Разнесено",
    unallocated: "Не разнесено",
    rematch: "Разнести заново",
    rematch_hint: "Сопоставить платёж со счетами плательщика ещё раз.",
    allocations: "Оплаченные счета",
    no_allocations: "Платёж не разнесён ни на один счёт.",
    col_invoice: "Счёт",
    col_amount: "Сумма",
    col_origin: "Кем",
    origin_auto: "автоматически",
    origin_manual: "вручную",
    remove: "Снять",
    allocate: "Разнести на счёт",
    allocate_hint: "Сумма не может быть больше неразнесённой части платежа и остатка по счёту.",
    invoice: "Счёт",
    invoice_id_hint: "Номер счёта в Штабе (из адреса /invoices/…)",
    no_open_invoices: "У плательщика нет неоплаченных счетов.",
    left: "осталось",
    amount_hint: "Рубли, например 1 234,56",
    form_has_errors: "Разнести не удалось: исправьте отмеченное.",
    done_allocated: "Платёж разнесён.",
    done_removed: "Разнесение снято.",
    done_matched: "Платёж сопоставлен заново.",
    incoming: "Входящий",
    outgoing: "Исходящий",
    internal: "Между своими счетами",
    unknown: "Не определено",
    waiting: "Ждёт счёта",
    matched: "Разнесён",
    partial: "Частичная оплата",
    attention: "Нужно внимание",
    not_matched: "Не разносится",
    err_exceeds_payment: "больше неразнесённой части платежа",
    err_exceeds_invoice: "больше остатка по счёту",
    err_invoice_closed: "счёт оплачен или отменён",
    err_foreign_invoice: "счёт выставлен другому ИНН",
    err_no_invoice: "такого счёта нет",
};

static EN: PaymentTexts = PaymentTexts {
    locale: Locale::En,
    title: "Payment",
    back: "All payments",
    details: "Details",
    date: "Date",
    document: "Document",
    direction: "Direction",
    amount: "Amount",
    account: "Our account",
    source: "Source",
    payer: "Payer",
    payee: "Payee",
    name: "Name",
    inn: "INN",
    kpp: "KPP",
    bank_account: "Account",
    bank: "Bank",
    bic: "BIC",
    purpose: "Purpose",
    matching: "Matching",
    state: "State",
    note: "Reason",
    allocated: "Allocated",
    unallocated: "Unallocated",
    rematch: "Match again",
    rematch_hint: "Match the payment against the payer's invoices once more.",
    allocations: "Invoices paid",
    no_allocations: "The payment is not allocated to any invoice.",
    col_invoice: "Invoice",
    col_amount: "Amount",
    col_origin: "By",
    origin_auto: "automatically",
    origin_manual: "by hand",
    remove: "Remove",
    allocate: "Allocate to an invoice",
    allocate_hint: "Never more than what is left of the payment and of the invoice.",
    invoice: "Invoice",
    invoice_id_hint: "The invoice's id in Shtab (from its address /invoices/…)",
    no_open_invoices: "The payer has no unpaid invoice.",
    left: "left",
    amount_hint: "Roubles, e.g. 1234.56",
    form_has_errors: "Not allocated: correct what is marked.",
    done_allocated: "The payment was allocated.",
    done_removed: "The allocation was removed.",
    done_matched: "The payment was matched again.",
    incoming: "Incoming",
    outgoing: "Outgoing",
    internal: "Between our accounts",
    unknown: "Unknown",
    waiting: "Waiting for an invoice",
    matched: "Matched",
    partial: "Pays part of an invoice",
    attention: "Needs attention",
    not_matched: "Not matched",
    err_exceeds_payment: "more than what is left of the payment",
    err_exceeds_invoice: "more than what is left of the invoice",
    err_invoice_closed: "the invoice is paid or cancelled",
    err_foreign_invoice: "the invoice is billed to another INN",
    err_no_invoice: "there is no such invoice",
};

pub fn texts(locale: Locale) -> &'static PaymentTexts {
    pick(locale, &RU, &EN)
}

/// Russian texts for the allocation's refusals, keeping the English detail (how much is
/// left) after them.
pub fn localize(locale: Locale, errors: Vec<FieldError>) -> Vec<FieldError> {
    if locale == Locale::En {
        return errors;
    }
    let t = texts(locale);
    errors
        .into_iter()
        .map(|mut e| {
            let text = match e.code {
                "exceeds_payment" => Some(t.err_exceeds_payment),
                "exceeds_invoice" => Some(t.err_exceeds_invoice),
                "invoice_closed" => Some(t.err_invoice_closed),
                "foreign_invoice" => Some(t.err_foreign_invoice),
                "not_found" => Some(t.err_no_invoice),
                _ => None,
            };
            if let Some(text) = text {
                e.message = text.to_string();
            }
            e
        })
        .collect()
}

impl PaymentTexts {
    pub fn direction(&self, d: Direction) -> &'static str {
        match d {
            Direction::Incoming => self.incoming,
            Direction::Outgoing => self.outgoing,
            Direction::Internal => self.internal,
            Direction::Unknown => self.unknown,
        }
    }

    pub fn state(&self, s: &str) -> &'static str {
        match s {
            "waiting" => self.waiting,
            "matched" => self.matched,
            "partial" => self.partial,
            "attention" => self.attention,
            _ => self.not_matched,
        }
    }

    /// `05.02.2026` in Russian, `2026-02-05` in English; a stored text that is not a date
    /// is shown as it is.
    pub fn day(&self, iso: &str) -> String {
        match (self.locale, iso.parse::<NaiveDate>()) {
            (Locale::Ru, Ok(d)) => d.format("%d.%m.%Y").to_string(),
            _ => iso.to_owned(),
        }
    }

    /// `1 234,56` in Russian, `1,234.56` in English.
    pub fn money(&self, k: Kopecks) -> String {
        let ru = k.to_string();
        match self.locale {
            Locale::Ru => ru,
            Locale::En => ru.replace(',', ".").replace(' ', ","),
        }
    }

    /// An amount to put back into the form's field, which [`Kopecks::parse`] reads in
    /// either language: `1234,56` / `1234.56`, without group spaces.
    pub fn amount_input(&self, k: Kopecks) -> String {
        let plain = k.to_string().replace(' ', "");
        match self.locale {
            Locale::Ru => plain,
            Locale::En => plain.replace(',', "."),
        }
    }
}

pub fn state_class(s: &str) -> &'static str {
    match s {
        "matched" => "badge-ok",
        "partial" | "waiting" => "badge-warn",
        "attention" => "badge-danger",
        _ => "badge-muted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_back_in_both_languages() {
        for locale in [Locale::Ru, Locale::En] {
            let t = texts(locale);
            for k in [Kopecks(1), Kopecks(123_456_789), Kopecks(100)] {
                assert_eq!(Kopecks::parse(&t.amount_input(k)), Ok(k), "{locale:?}");
            }
        }
        assert_eq!(texts(Locale::En).money(Kopecks(12_345_678)), "123,456.78");
    }
}
