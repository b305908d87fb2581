//! Interface languages. Russian by default, English on request (the user's choice, or the
//! `lang` cookie before login). Texts are plain structs, one per page area, with a Russian
//! and an English instance: a missing translation is a compile error, not a blank.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use shtab_core::FieldError;
pub use shtab_core::types::Locale;

/// Picks the instance of a text struct for `locale`.
pub fn pick<T>(locale: Locale, ru: &'static T, en: &'static T) -> &'static T {
    match locale {
        Locale::Ru => ru,
        Locale::En => en,
    }
}

/// The request's language, decided by the authentication layer.
#[derive(Debug, Clone, Copy)]
pub struct Lang(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Lang>()
            .copied()
            .unwrap_or(Lang(Locale::Ru)))
    }
}

/// A field error as the person reads it. Codes with a Russian text get it; the English
/// message carries the detail (which address, which line) and is kept after it.
pub fn field_message(locale: Locale, e: &FieldError) -> String {
    if locale == Locale::En {
        return e.message.clone();
    }
    let ru = match e.code {
        "required" => "обязательное поле",
        "too_long" => "слишком длинное значение",
        "control_characters" => "недопустимые символы",
        "invalid_email" => "это не адрес электронной почты",
        "duplicate_email" => "адрес уже принадлежит другому человеку",
        "invalid_phone" => "только цифры, пробелы, +, - и скобки",
        "invalid_telegram" => "имя пользователя Telegram: 5–32 латинских букв, цифр или _",
        "invalid_login" => "недопустимый логин",
        "duplicate_login" => "логин уже принадлежит другому человеку",
        "invalid_ssh_key" => "недействительный открытый ключ SSH",
        "invalid_date" => "дата в виде ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
        "manager_cycle" => "человек не может подчиняться себе или своему подчинённому",
        "not_found" => "не найдено",
        "password_too_short" => "пароль слишком короткий (не менее 10 символов)",
        "wrong_password" => "текущий пароль введён неверно",
        "too_many_attempts" => "слишком много неудачных попыток, повторите через несколько минут",
        "ssh_keys_need_access_manage" => {
            "менять SSH-ключи может тот, кто управляет доступами, или сам человек из своего сеанса"
        }
        "already_user" => "уже является пользователем",
        "person_left" => "человек уволен",
        "last_admin" => "это последний администратор",
        "too_many" => "слишком много значений",
        "invalid_csv" => "файл не читается как CSV",
        "invalid_role" => "неизвестная роль",
        "webhook_admin_only" => "адрес веб-хука может задать только администратор",
        "invalid_locale" => "неизвестный язык (ru или en)",
        "invalid_cron" => "это не выражение cron",
        "invalid_time_zone" => "это не часовой пояс IANA (например, Europe/Moscow)",
        "invalid_chat_id" => "id чата Telegram — это число, например 123456789",
        "invalid_url" => "нужен адрес http:// или https://",
        "invalid_channel" => "неизвестный канал (email, telegram, webhook или bitrix24)",
        "invalid_portal_user" => "номер пользователя Битрикс24 — положительное число, например 7",
        "duplicate_channel" => "канал указан дважды",
        "invalid_template" => "шаблон не компилируется",
        "template_does_not_render" => "шаблон не отображается с примером данных",
        "invalid_key" => "латинские буквы, цифры, точки и подчёркивания",
        "invalid_forge" => "неизвестный вид хостинга (github, gitlab, gitea или git)",
        "invalid_clone_url" => {
            "адрес для клонирования: https://…, ssh://…, git@host:путь или абсолютный путь"
        }
        "credential_in_url" => {
            "имя и токен не пишут в адресе: укажите их в полях «Имя пользователя» и «Токен или пароль»"
        }
        "invalid_branch_filter" => "имена веток или шаблоны со звёздочкой, по одному в строке",
        "invalid_pattern" => "регулярное выражение с группой task",
        "invalid_project_key" => "ключ проекта: латинские буквы и цифры, с буквы",
        "duplicate_name" => "имя уже занято",
        "duplicate_web_url" => "этот адрес уже у другого репозитория",
        "invalid_amount" => "это не сумма: цифры и не больше двух знаков после запятой",
        "invalid_identifier" => "неверный реквизит: проверьте цифры",
        "invalid_invoice_number" => "в номере счёта нет ни букв, ни цифр",
        "duplicate_invoice_number" => "у этого плательщика уже есть счёт с таким номером",
        "amount_not_positive" => "сумма должна быть больше нуля",
        "amount_too_large" => "слишком большая сумма",
        "amount_below_paid" => "сумма не может быть меньше уже оплаченной",
        "due_before_issue" => "срок оплаты раньше даты счёта",
        "invoice_has_payments" => "к счёту привязаны платежи, плательщика сменить нельзя",
        _ => return e.message.clone(),
    };
    if e.message.is_empty() {
        ru.to_string()
    } else {
        format!("{ru} ({})", e.message)
    }
}

/// Field errors grouped for a form: `errors.get("emails")` gives the text for that field.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(Vec<(String, String)>);

impl FormErrors {
    pub fn new(locale: Locale, errors: &[FieldError]) -> Self {
        FormErrors(
            errors
                .iter()
                .map(|e| (e.field.clone(), field_message(locale, e)))
                .collect(),
        )
    }

    /// All messages for `field`, joined; empty when the field is fine.
    pub fn get(&self, field: &str) -> String {
        self.0
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Messages for fields the form does not show (shown at the top).
    pub fn other_than(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(f, m)| format!("{f}: {m}"))
            .collect()
    }
}
