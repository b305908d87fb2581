//! What the payments list says, in Russian (the primary language) and English.

use shtab_core::FieldError;
use shtab_web::i18n::{Locale, pick};

use crate::store::payment_list::{DirectionFilter, Sort, StateFilter};

#[derive(Debug)]
pub struct PaymentsTexts {
    pub title: &'static str,
    pub export: &'static str,
    pub export_hint: &'static str,
    pub filter_has_errors: &'static str,
    pub payer: &'static str,
    pub payer_hint: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub date_placeholder: &'static str,
    pub amount_min: &'static str,
    pub amount_max: &'static str,
    pub amount_placeholder: &'static str,
    pub direction: &'static str,
    pub account: &'static str,
    pub state: &'static str,
    pub sort: &'static str,
    pub any: &'static str,
    pub apply: &'static str,
    pub reset: &'static str,
    pub found: &'static str,
    pub more_than: &'static str,
    pub total_in: &'static str,
    pub total_out: &'static str,
    pub col_date: &'static str,
    pub col_payer: &'static str,
    pub col_inn: &'static str,
    pub col_amount: &'static str,
    pub col_direction: &'static str,
    pub col_state: &'static str,
    pub col_purpose: &'static str,
    pub empty: &'static str,
    pub pages: &'static str,
    pub first_page: &'static str,
    pub next_page: &'static str,
    pub dashboard: &'static str,

    // Directions, states, sorts.
    pub incoming: &'static str,
    pub outgoing: &'static str,
    pub internal: &'static str,
    pub unknown: &'static str,
    pub unmatched: &'static str,
    pub waiting: &'static str,
    pub matched: &'static str,
    pub partial: &'static str,
    pub attention: &'static str,
    pub no_matching: &'static str,
    pub sort_date_desc: &'static str,
    pub sort_date_asc: &'static str,
    pub sort_amount_desc: &'static str,
    pub sort_amount_asc: &'static str,
    pub sort_payer_asc: &'static str,
    pub sort_payer_desc: &'static str,

    // Saved filters.
    pub saved_filters: &'static str,
    pub no_saved_filters: &'static str,
    pub mine: &'static str,
    pub shared_by_others: &'static str,
    pub shared_badge: &'static str,
    pub save_filter: &'static str,
    pub filter_name: &'static str,
    pub share: &'static str,
    pub save: &'static str,
    pub delete: &'static str,
    pub filter_saved: &'static str,
    pub filter_deleted: &'static str,

    // Field errors the shared table does not know.
    pub err_invalid_amount: &'static str,
    pub err_invalid_direction: &'static str,
    pub err_invalid_state: &'static str,
    pub err_invalid_sort: &'static str,
    pub err_date_before_start: &'static str,
    pub err_amount_below_minimum: &'static str,
    pub err_invalid_cursor: &'static str,
    pub err_duplicate_name: &'static str,
}

static RU: PaymentsTexts = PaymentsTexts {
    title: "Платежи",
    export: "Выгрузить CSV",
    export_hint: "Все платежи по этому фильтру, для Excel",
    filter_has_errors: "Исправьте фильтр:",
    payer: "Плательщик",
    payer_hint: "Часть названия или ИНН",
    from: "С даты",
    to: "По дату",
    date_placeholder: "ДД.ММ.ГГГГ",
    amount_min: "Сумма от",
    amount_max: "Сумма до",
    amount_placeholder: "1 000,00",
    direction: "Направление",
    account: "Счёт",
    state: "Разнесение",
    sort: "Порядок",
    any: "Все",
    apply: "Показать",
    reset: "Сбросить",
    found: "Найдено",
    more_than: "более",
    total_in: "поступления",
    total_out: "списания",
    col_date: "Дата",
    col_payer: "Плательщик",
    col_inn: "ИНН",
    col_amount: "Сумма",
    col_direction: "Направление",
    col_state: "Разнесение",
    col_purpose: "Назначение",
    empty: "Платежей по этому фильтру нет.",
    pages: "Страницы",
    first_page: "← В начало",
    next_page: "Дальше →",
    dashboard: "Сводка",
    incoming: "Поступление",
    outgoing: "Списание",
    internal: "Между своими счетами",
    unknown: "Не определено",
    unmatched: "Не разнесённые",
    waiting: "Ждёт счёта",
    matched: "Разнесён",
    partial: "Частично",
    attention: "Нужно внимание",
    no_matching: "Не разносится",
    sort_date_desc: "Сначала новые",
    sort_date_asc: "Сначала старые",
    sort_amount_desc: "Сначала крупные",
    sort_amount_asc: "Сначала мелкие",
    sort_payer_asc: "Плательщик А→Я",
    sort_payer_desc: "Плательщик Я→А",
    saved_filters: "Сохранённые фильтры",
    no_saved_filters: "Сохранённых фильтров пока нет.",
    mine: "Мои",
    shared_by_others: "Общие",
    shared_badge: "общий",
    save_filter: "Сохранить этот фильтр",
    filter_name: "Название",
    share: "Показывать всем, кто видит банк",
    save: "Сохранить",
    delete: "Удалить",
    filter_saved: "Фильтр сохранён.",
    filter_deleted: "Фильтр удалён.",
    err_invalid_amount: "сумма в рублях, например 1 234,56",
    err_invalid_direction: "неизвестное направление",
    err_invalid_state: "неизвестное состояние разнесения",
    err_invalid_sort: "неизвестный порядок",
    err_date_before_start: "раньше начальной даты",
    err_amount_below_minimum: "меньше суммы «от»",
    err_invalid_cursor: "неверная позиция в списке; начните с первой страницы",
    err_duplicate_name: "у вас уже есть фильтр с таким названием",
};

static EN: PaymentsTexts = PaymentsTexts {
    title: "Payments",
    export: "Export CSV",
    export_hint: "Every payment of this filter, for Excel",
    filter_has_errors: "Please correct the filter:",
    payer: "Payer",
    payer_hint: "Part of the name, or the INN",
    from: "From",
    to: "To",
    date_placeholder: "YYYY-MM-DD",
    amount_min: "Amount from",
    amount_max: "Amount to",
    amount_placeholder: "1000.00",
    direction: "Direction",
    account: "Account",
    state: "Matching",
    sort: "Order",
    any: "Any",
    apply: "Show",
    reset: "Reset",
    found: "Found",
    more_than: "more than",
    total_in: "in",
    total_out: "out",
    col_date: "Date",
    col_payer: "Payer",
    col_inn: "INN",
    col_amount: "Amount",
    col_direction: "Direction",
    col_state: "Matching",
    col_purpose: "Purpose",
    empty: "No payments match this filter.",
    pages: "Pages",
    first_page: "← First page",
    next_page: "Next →",
    dashboard: "Dashboard",
    incoming: "Incoming",
    outgoing: "Outgoing",
    internal: "Between own accounts",
    unknown: "Unknown",
    unmatched: "Unmatched",
    waiting: "Waiting for an invoice",
    matched: "Matched",
    partial: "Partial",
    attention: "Needs attention",
    no_matching: "Not matched",
    sort_date_desc: "Newest first",
    sort_date_asc: "Oldest first",
    sort_amount_desc: "Largest first",
    sort_amount_asc: "Smallest first",
    sort_payer_asc: "Payer A→Z",
    sort_payer_desc: "Payer Z→A",
    saved_filters: "Saved filters",
    no_saved_filters: "No saved filters yet.",
    mine: "Mine",
    shared_by_others: "Shared",
    shared_badge: "shared",
    save_filter: "Save this filter",
    filter_name: "Name",
    share: "Show to everyone who sees the bank",
    save: "Save",
    delete: "Delete",
    filter_saved: "The filter is saved.",
    filter_deleted: "The filter is deleted.",
    err_invalid_amount: "an amount in roubles, e.g. 1234.56",
    err_invalid_direction: "unknown direction",
    err_invalid_state: "unknown matching state",
    err_invalid_sort: "unknown order",
    err_date_before_start: "is before the first day",
    err_amount_below_minimum: "is less than the minimum",
    err_invalid_cursor: "not a position in this list; start from the first page",
    err_duplicate_name: "you already have a filter with this name",
};

pub fn texts(locale: Locale) -> &'static PaymentsTexts {
    pick(locale, &RU, &EN)
}

/// Russian texts for the codes only this page uses; English keeps the detailed message.
pub fn localize(locale: Locale, errors: Vec<FieldError>) -> Vec<FieldError> {
    if locale == Locale::En {
        return errors;
    }
    let t = texts(locale);
    errors
        .into_iter()
        .map(|mut e| {
            let text = match e.code {
                "invalid_amount" => Some(t.err_invalid_amount),
                "invalid_direction" => Some(t.err_invalid_direction),
                "invalid_state" => Some(t.err_invalid_state),
                "invalid_sort" => Some(t.err_invalid_sort),
                "date_before_start" => Some(t.err_date_before_start),
                "amount_below_minimum" => Some(t.err_amount_below_minimum),
                "invalid_cursor" => Some(t.err_invalid_cursor),
                "duplicate_name" => Some(t.err_duplicate_name),
                _ => None,
            };
            if let Some(text) = text {
                e.message = text.to_string();
            }
            e
        })
        .collect()
}

impl PaymentsTexts {
    pub fn direction(&self, d: DirectionFilter) -> &'static str {
        match d {
            DirectionFilter::Incoming => self.incoming,
            DirectionFilter::Outgoing => self.outgoing,
            DirectionFilter::Internal => self.internal,
            DirectionFilter::Unknown => self.unknown,
        }
    }

    pub fn state(&self, s: StateFilter) -> &'static str {
        match s {
            StateFilter::Unmatched => self.unmatched,
            StateFilter::Waiting => self.waiting,
            StateFilter::Matched => self.matched,
            StateFilter::Partial => self.partial,
            StateFilter::Attention => self.attention,
            StateFilter::None => self.no_matching,
        }
    }

    pub fn sort(&self, s: Sort) -> &'static str {
        match s {
            Sort::DateDesc => self.sort_date_desc,
            Sort::DateAsc => self.sort_date_asc,
            Sort::AmountDesc => self.sort_amount_desc,
            Sort::AmountAsc => self.sort_amount_asc,
            Sort::PayerAsc => self.sort_payer_asc,
            Sort::PayerDesc => self.sort_payer_desc,
        }
    }
}
