//! Bank accounts and statement imports: the pages `/bank/accounts`, `/bank/accounts/{id}`,
//! `/bank/import` and the API under `/api/v1/bank/accounts` and `/api/v1/bank/imports`.
//! The rules live in `store::accounts` and `service::import`; these handlers parse input,
//! check permissions, call them and render. This file holds what the pages share: routes,
//! texts and views.

#[path = "accounts_api.rs"]
mod api;
#[path = "accounts_pages.rs"]
mod pages;
#[path = "accounts_upload.rs"]
mod upload;

use axum::Router;
use axum::routing::get;
use shtab_core::FieldError;
use shtab_core::time::format_ms;
use shtab_web::AppState;
use shtab_web::i18n::{Locale, pick};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::store::accounts::BankAccount;
use crate::store::imports::Import;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/bank/accounts", get(pages::list).post(pages::create))
        .route("/bank/accounts/{id}", get(pages::show).post(pages::update))
        .route("/bank/import", get(upload::show).post(upload::upload))
}

pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api::list_accounts, api::create_account))
        .routes(routes!(api::get_account, api::update_account))
        .routes(routes!(api::list_imports, api::import_statement))
}

/// What these pages say, in Russian (the primary language) and English.
#[derive(Debug)]
pub struct AccountsTexts {
    pub title: &'static str,
    pub col_number: &'static str,
    pub col_title: &'static str,
    pub col_bank: &'static str,
    pub col_balance: &'static str,
    pub col_tbank: &'static str,
    pub empty: &'static str,
    pub add_title: &'static str,
    pub number: &'static str,
    pub bic: &'static str,
    pub bank_name: &'static str,
    pub currency: &'static str,
    pub account_title: &'static str,
    pub title_hint: &'static str,
    pub tbank_token: &'static str,
    pub tbank_token_hint: &'static str,
    pub tbank_token_set: &'static str,
    pub tbank_token_replace: &'static str,
    pub tbank_token_clear: &'static str,
    pub tbank_from: &'static str,
    pub tbank_from_hint: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub add: &'static str,
    pub save: &'static str,
    pub edit_title: &'static str,
    pub balance_as_of: &'static str,
    pub no_balance: &'static str,
    pub form_has_errors: &'static str,
    pub import_link: &'static str,
    pub import_title: &'static str,
    pub import_intro: &'static str,
    pub import_all_or_nothing: &'static str,
    pub file: &'static str,
    pub upload: &'static str,
    pub no_file: &'static str,
    pub imported: &'static str,
    pub import_failed: &'static str,
    pub recent_imports: &'static str,
    pub no_imports: &'static str,
    pub col_when: &'static str,
    pub col_account: &'static str,
    pub col_file: &'static str,
    pub col_source: &'static str,
    pub col_new: &'static str,
    pub col_known: &'static str,
    pub col_who: &'static str,
    pub from_api: &'static str,
    pub payments: &'static str,
    // Field errors with a Russian text of their own.
    err_invalid_statement: &'static str,
    err_unknown_account: &'static str,
    err_duplicate_account: &'static str,
    err_invalid_identifier: &'static str,
    err_invalid_currency: &'static str,
    err_currency_mismatch: &'static str,
    err_invalid_token: &'static str,
}

static RU: AccountsTexts = AccountsTexts {
    title: "Банковские счета",
    col_number: "Номер счёта",
    col_title: "Название",
    col_bank: "Банк",
    col_balance: "Остаток",
    col_tbank: "API Т-Банка",
    empty: "Счетов пока нет.",
    add_title: "Добавить счёт",
    number: "Номер счёта (20 цифр)",
    bic: "БИК",
    bank_name: "Банк",
    currency: "Валюта",
    account_title: "Название",
    title_hint: "Как счёт называть в списках, например «Основной».",
    tbank_token: "Токен API Т-Банка",
    tbank_token_hint: "Необязательно. Робот будет забирать выписку сам. Токен не показывается после сохранения.",
    tbank_token_set: "Токен задан",
    tbank_token_replace: "Новый токен (пусто — оставить прежний)",
    tbank_token_clear: "Удалить токен",
    tbank_from: "Забирать выписку с даты",
    tbank_from_hint: "ГГГГ-ММ-ДД; робот сдвигает её сам.",
    yes: "да",
    no: "нет",
    add: "Добавить",
    save: "Сохранить",
    edit_title: "Изменить",
    balance_as_of: "на",
    no_balance: "—",
    form_has_errors: "Исправьте ошибки в форме.",
    import_link: "Загрузить выписку",
    import_title: "Загрузка выписки",
    import_intro: "Файл 1CClientBankExchange (kl_to_1c.txt) в кодировке Windows-1251, DOS или UTF-8, либо выписка Т-Банка в JSON. Счёт выписки должен быть добавлен в Штаб.",
    import_all_or_nothing: "Файл загружается целиком или никак: при ошибке ничего не сохраняется. Платежи, которые уже есть, не дублируются.",
    file: "Файл выписки",
    upload: "Загрузить",
    no_file: "выберите файл",
    imported: "Выписка загружена",
    import_failed: "Выписка не загружена, ничего не сохранено.",
    recent_imports: "Последние загрузки",
    no_imports: "Загрузок ещё не было.",
    col_when: "Когда",
    col_account: "Счёт",
    col_file: "Файл",
    col_source: "Источник",
    col_new: "Новых",
    col_known: "Уже были",
    col_who: "Кто",
    from_api: "API",
    payments: "Платежей",
    err_invalid_statement: "выписка не читается",
    err_unknown_account: "выписка по счёту, которого нет в Штабе; сначала добавьте счёт",
    err_duplicate_account: "счёт с таким номером уже есть",
    err_invalid_identifier: "неверное значение",
    err_invalid_currency: "код валюты — три латинские буквы, например RUB",
    err_currency_mismatch: "валюта не совпадает с кодом валюты в номере счёта",
    err_invalid_token: "токен — одна строка без пробелов",
};

static EN: AccountsTexts = AccountsTexts {
    title: "Bank accounts",
    col_number: "Account number",
    col_title: "Title",
    col_bank: "Bank",
    col_balance: "Balance",
    col_tbank: "T-Bank API",
    empty: "No accounts yet.",
    add_title: "Add an account",
    number: "Account number (20 digits)",
    bic: "BIC",
    bank_name: "Bank",
    currency: "Currency",
    account_title: "Title",
    title_hint: "How lists name the account, e.g. “Main”.",
    tbank_token: "T-Bank API token",
    tbank_token_hint: "Optional. The robot will pull statements itself. The token is not shown once saved.",
    tbank_token_set: "Token set",
    tbank_token_replace: "New token (empty keeps the current one)",
    tbank_token_clear: "Remove the token",
    tbank_from: "Pull statements from",
    tbank_from_hint: "YYYY-MM-DD; the robot moves it forward.",
    yes: "yes",
    no: "no",
    add: "Add",
    save: "Save",
    edit_title: "Change",
    balance_as_of: "as of",
    no_balance: "—",
    form_has_errors: "Please correct the errors in the form.",
    import_link: "Upload a statement",
    import_title: "Upload a statement",
    import_intro: "A 1CClientBankExchange file (kl_to_1c.txt) in Windows-1251, DOS or UTF-8, or a T-Bank statement in JSON. The statement's account must have been added to Shtab.",
    import_all_or_nothing: "A file is imported whole or not at all: on an error nothing is stored. Payments already stored are not stored twice.",
    file: "Statement file",
    upload: "Upload",
    no_file: "choose a file",
    imported: "Statement imported",
    import_failed: "The statement was not imported; nothing was stored.",
    recent_imports: "Recent imports",
    no_imports: "Nothing imported yet.",
    col_when: "When",
    col_account: "Account",
    col_file: "File",
    col_source: "Source",
    col_new: "New",
    col_known: "Already known",
    col_who: "Who",
    from_api: "API",
    payments: "Payments",
    err_invalid_statement: "",
    err_unknown_account: "",
    err_duplicate_account: "",
    err_invalid_identifier: "",
    err_invalid_currency: "",
    err_currency_mismatch: "",
    err_invalid_token: "",
};

pub fn texts(locale: Locale) -> &'static AccountsTexts {
    pick(locale, &RU, &EN)
}

/// Russian texts for this area's error codes, the English detail (which line, which
/// number) kept after them in parentheses.
pub fn localize(locale: Locale, errors: Vec<FieldError>) -> Vec<FieldError> {
    if locale == Locale::En {
        return errors;
    }
    let t = texts(locale);
    errors
        .into_iter()
        .map(|mut e| {
            let ru = match e.code {
                "invalid_statement" => t.err_invalid_statement,
                "unknown_account" => t.err_unknown_account,
                "duplicate_account" => t.err_duplicate_account,
                "invalid_identifier" => t.err_invalid_identifier,
                "invalid_currency" => t.err_invalid_currency,
                "currency_mismatch" => t.err_currency_mismatch,
                "invalid_token" => t.err_invalid_token,
                _ => return e,
            };
            e.message = if e.message.is_empty() {
                ru.to_string()
            } else {
                format!("{ru} ({})", e.message)
            };
            // The code is what `field_message` translates; this one is translated now.
            e.code = "translated";
            e
        })
        .collect()
}

/// An account as the pages show it.
pub struct AccountView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub bic: String,
    pub bank_name: String,
    pub currency: String,
    /// `1 234,56 ₽`, or empty when no statement reported one.
    pub balance: String,
    pub balance_at: String,
    pub has_token: bool,
    pub tbank_from: String,
}

impl AccountView {
    pub fn new(a: &BankAccount) -> AccountView {
        AccountView {
            id: a.id.0,
            number: a.number.to_string(),
            title: a.title.clone(),
            bic: a.bic.to_string(),
            bank_name: a.bank_name.clone(),
            currency: a.currency.clone(),
            balance: a
                .balance
                .map(|b| format!("{b} {}", shtab_core::types::currency_sign(&a.currency)))
                .unwrap_or_default(),
            balance_at: a
                .balance_at
                .map(super::balance_day::balance_day)
                .unwrap_or_default(),
            has_token: a.has_tbank_token,
            tbank_from: a.tbank_from.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

/// One import as the pages list it.
pub struct ImportView {
    pub when: String,
    pub account_id: i64,
    pub account_number: String,
    pub file_name: String,
    pub source: String,
    pub new_count: i64,
    pub known_count: i64,
    pub actor: String,
}

impl ImportView {
    pub fn new(i: &Import, state: &AppState, t: &AccountsTexts) -> ImportView {
        ImportView {
            when: format_ms(i.created_at, state.config.time_zone()),
            account_id: i.account_id.0,
            account_number: i.account_number.clone(),
            file_name: if i.file_name.is_empty() {
                t.from_api.to_string()
            } else {
                i.file_name.clone()
            },
            source: match i.source.as_str() {
                "1c" => "1C".into(),
                "tbank" => "T-Bank".into(),
                other => other.to_string(),
            },
            new_count: i.new_count,
            known_count: i.known_count,
            actor: i.actor.clone(),
        }
    }
}
