//! What the tokens pages say, in Russian and English.

use crate::i18n::{Locale, pick};

#[derive(Debug)]
pub struct TokensTexts {
    pub title: &'static str,
    /// HTML: a constant of ours, the header in `<code>`.
    pub intro: &'static str,
    pub user: &'static str,
    pub name: &'static str,
    pub prefix: &'static str,
    pub created: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub state: &'static str,
    pub live: &'static str,
    pub revoked: &'static str,
    pub revoke: &'static str,
    pub empty: &'static str,
    pub new_token: &'static str,
    pub name_hint: &'static str,
    pub create: &'static str,
    pub created_title: &'static str,
    pub secret: &'static str,
    pub secret_once: &'static str,
    pub usage: &'static str,
    pub back: &'static str,
}

static RU: TokensTexts = TokensTexts {
    title: "API-токены",
    intro: "Токен позволяет программам обращаться к API от вашего имени: заголовок <code>Authorization: Bearer &lt;токен&gt;</code>.",
    user: "Пользователь",
    name: "Название",
    prefix: "Начало",
    created: "Создан",
    last_used: "Использован",
    never: "ни разу",
    state: "Состояние",
    live: "действует",
    revoked: "отозван",
    revoke: "Отозвать",
    empty: "Токенов пока нет.",
    new_token: "Новый токен",
    name_hint: "Для чего токен, чтобы узнать его потом: например, «выгрузка в 1С».",
    create: "Создать токен",
    created_title: "Токен создан",
    secret: "Токен",
    secret_once: "Токен показан только сейчас и нигде не хранится. Скопируйте его в надёжное место; потерянный токен отзовите и создайте новый.",
    usage: "Пример запроса",
    back: "К списку токенов",
};

static EN: TokensTexts = TokensTexts {
    title: "API tokens",
    intro: "A token lets programs call the API in your name: send the header <code>Authorization: Bearer &lt;token&gt;</code>.",
    user: "User",
    name: "Name",
    prefix: "Starts with",
    created: "Created",
    last_used: "Last used",
    never: "never",
    state: "State",
    live: "active",
    revoked: "revoked",
    revoke: "Revoke",
    empty: "No tokens yet.",
    new_token: "New token",
    name_hint: "What the token is for, to recognise it later: e.g. “accounting export”.",
    create: "Create token",
    created_title: "Token created",
    secret: "Token",
    secret_once: "The token is shown only now and is not stored anywhere. Copy it somewhere safe; revoke a lost token and create a new one.",
    usage: "Example request",
    back: "Back to tokens",
};

pub fn texts(locale: Locale) -> &'static TokensTexts {
    pick(locale, &RU, &EN)
}
