//! What the API docs page says around the generated reference (which is in English, as the
//! handlers describe themselves), in Russian and English.

use crate::i18n::{Locale, pick};

#[derive(Debug)]
pub struct DocsTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub document: &'static str,
    pub contents: &'static str,
    pub auth_title: &'static str,
    pub auth_text: &'static str,
    pub auth_tokens_link: &'static str,
    pub auth_cli: &'static str,
    pub errors_title: &'static str,
    pub errors_text: &'static str,
    pub errors_codes: &'static str,
    pub parameters: &'static str,
    pub name: &'static str,
    pub location: &'static str,
    pub ty: &'static str,
    pub required: &'static str,
    pub description: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub request_body: &'static str,
    pub responses: &'static str,
    pub status: &'static str,
    pub body: &'static str,
    pub needs_token: &'static str,
}

static RU: DocsTexts = DocsTexts {
    title: "API",
    intro: "REST API Штаба: всё, что делают страницы, доступно программам под /api/v1. Описания операций — на английском, как в документе OpenAPI.",
    document: "Документ OpenAPI (JSON)",
    contents: "Разделы",
    auth_title: "Вход",
    auth_text: "Каждый запрос передаёт API-токен в заголовке «Authorization: Bearer <токен>». Токен действует от имени создавшего его пользователя и с его правами; всё, что сделано с ним, записывается в журнал с названием токена.",
    auth_tokens_link: "Создать токен",
    auth_cli: "или на сервере:",
    errors_title: "Ошибки",
    errors_text: "Любая ошибка отвечает кодом HTTP и телом одного вида. Поле «fields» есть только у ошибок ввода (422) и называет неверные поля.",
    errors_codes: "Коды",
    parameters: "Параметры",
    name: "Имя",
    location: "Где",
    ty: "Тип",
    required: "Обязательный",
    description: "Описание",
    yes: "да",
    no: "нет",
    request_body: "Тело запроса",
    responses: "Ответы",
    status: "Код",
    body: "Тело",
    needs_token: "нужен токен",
};

static EN: DocsTexts = DocsTexts {
    title: "API",
    intro: "Shtab's REST API: everything the pages do is open to programs under /api/v1.",
    document: "OpenAPI document (JSON)",
    contents: "Sections",
    auth_title: "Authentication",
    auth_text: "Every call sends an API token in the header “Authorization: Bearer <token>”. A token acts in the name of the user who made it, with their permissions; whatever is done with it goes into the audit log with the token's name.",
    auth_tokens_link: "Create a token",
    auth_cli: "or on the server:",
    errors_title: "Errors",
    errors_text: "Every error answers an HTTP status and a body of one shape. “fields” is there only for invalid input (422) and names the fields that were wrong.",
    errors_codes: "Codes",
    parameters: "Parameters",
    name: "Name",
    location: "In",
    ty: "Type",
    required: "Required",
    description: "Description",
    yes: "yes",
    no: "no",
    request_body: "Request body",
    responses: "Responses",
    status: "Status",
    body: "Body",
    needs_token: "needs a token",
};

pub fn texts(locale: Locale) -> &'static DocsTexts {
    pick(locale, &RU, &EN)
}
