//! What the Bitrix24 page says, in Russian (the primary language) and English.

use shtab_web::i18n::{Locale, pick};

#[derive(Debug)]
pub struct Texts {
    pub title: &'static str,
    pub not_configured: &'static str,
    pub how_to: &'static str,
    pub unusable: &'static str,
    pub portal: &'static str,
    pub moved_to: &'static str,
    pub owner: &'static str,
    pub admin: &'static str,
    pub unknown: &'static str,
    pub not_checked: &'static str,
    pub checked_at: &'static str,
    pub check_ok: &'static str,
    pub check_failed: &'static str,
    pub check_now: &'static str,
    pub scopes: &'static str,
    pub scope: &'static str,
    pub purpose: &'static str,
    pub required: &'static str,
    pub granted: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub later: &'static str,
    pub missing: &'static str,
    pub last_error: &'static str,
    pub no_error: &'static str,
    pub budget: &'static str,
    pub budget_line: &'static str,
    pub limited: &'static str,
}

static RU: Texts = Texts {
    title: "Битрикс24",
    not_configured: "Портал Битрикс24 не подключён.",
    how_to: "На портале создайте входящий вебхук (Разработчикам → Другое → Входящий вебхук) с правами task, user, im и crm и укажите его адрес в bitrix24.webhook_url (или в файле SHTAB_BITRIX24_WEBHOOK_URL_FILE), затем перезапустите Штаб.",
    unusable: "Настройки портала нельзя использовать:",
    portal: "Адрес портала",
    moved_to: "Портал переехал; исправьте адрес на",
    owner: "Чей вебхук",
    admin: "администратор портала",
    unknown: "неизвестно",
    not_checked: "Портал ещё не проверялся.",
    checked_at: "Проверено",
    check_ok: "портал ответил",
    check_failed: "портал отказал",
    check_now: "Проверить сейчас",
    scopes: "Права вебхука",
    scope: "Право",
    purpose: "Для чего",
    required: "Нужно",
    granted: "Выдано",
    yes: "да",
    no: "нет",
    later: "позже",
    missing: "Не хватает прав:",
    last_error: "Последняя ошибка",
    no_error: "Ошибок нет.",
    budget: "Бюджет запросов",
    budget_line: "запросов в секунду (настроено",
    limited: "ответов 503 «слишком много запросов»",
};

static EN: Texts = Texts {
    title: "Bitrix24",
    not_configured: "No Bitrix24 portal is connected.",
    how_to: "On the portal create an incoming webhook (Developer resources → Other → Incoming webhook) with the scopes task, user, im and crm, put its address in bitrix24.webhook_url (or the file SHTAB_BITRIX24_WEBHOOK_URL_FILE) and restart Shtab.",
    unusable: "The portal's settings cannot be used:",
    portal: "Portal address",
    moved_to: "The portal moved; change the address to",
    owner: "Whose webhook",
    admin: "portal administrator",
    unknown: "unknown",
    not_checked: "The portal has not been checked yet.",
    checked_at: "Checked",
    check_ok: "the portal answered",
    check_failed: "the portal refused",
    check_now: "Check now",
    scopes: "Webhook scopes",
    scope: "Scope",
    purpose: "For",
    required: "Needed",
    granted: "Granted",
    yes: "yes",
    no: "no",
    later: "later",
    missing: "Missing scopes:",
    last_error: "Last error",
    no_error: "No errors.",
    budget: "Request budget",
    budget_line: "requests per second (configured",
    limited: "503 “too many requests” answers",
};

pub fn texts(locale: Locale) -> &'static Texts {
    pick(locale, &RU, &EN)
}

/// A system's name for the scopes table.
pub fn purpose(locale: Locale, purpose: &str) -> &'static str {
    let ru = locale != Locale::En;
    match (purpose, ru) {
        ("people", true) => "люди",
        ("people", false) => "people",
        ("tasks", true) => "задачи",
        ("tasks", false) => "tasks",
        ("notifications", true) => "уведомления",
        ("notifications", false) => "notifications",
        ("deals", true) => "сделки",
        ("deals", false) => "deals",
        _ => "",
    }
}
