//! `GET /tokens`: the caller's API tokens (everyone's for user managers), with the form
//! that creates one.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use shtab_core::auth::tokens::{self, ApiToken};
use shtab_core::time::format_ms;

use super::access::{listed_owner, may_revoke};
use super::texts::{TokensTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

/// A token as a row shows it.
pub struct TokenRow {
    pub id: i64,
    pub user_name: String,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: Option<String>,
    pub can_revoke: bool,
}

impl TokenRow {
    fn new(state: &AppState, t: &TokensTexts, user: &CurrentUser, token: &ApiToken) -> TokenRow {
        let tz = state.config.time_zone();
        TokenRow {
            id: token.id,
            user_name: token.user_name.clone(),
            name: token.name.clone(),
            prefix: token.prefix.clone(),
            created: format_ms(token.created_at, tz),
            last_used: token
                .last_used_at
                .map(|ms| format_ms(ms, tz))
                .unwrap_or_else(|| t.never.to_string()),
            revoked: token.revoked_at.map(|ms| format_ms(ms, tz)),
            can_revoke: token.revoked_at.is_none() && may_revoke(user, token),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tokens/list.html")]
pub struct TokensPage {
    shell: Shell,
    t: &'static TokensTexts,
    /// Everyone's tokens are listed, so rows name their user.
    show_user: bool,
    tokens: Vec<TokenRow>,
    name: String,
    errors: FormErrors,
}

/// The page, with `name` and `errors` from a refused creation.
pub async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    name: String,
    errors: FormErrors,
) -> Result<TokensPage, PageError> {
    let t = texts(lang.0);
    let owner = listed_owner(user);
    let tokens = tokens::list(&state.db, owner)
        .await?
        .iter()
        .map(|token| TokenRow::new(state, t, user, token))
        .collect();
    Ok(TokensPage {
        shell: Shell::new(state, user, lang, t.title, "/tokens"),
        t,
        show_user: owner.is_none(),
        tokens,
        name,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<TokensPage, PageError> {
    page(&state, &user, lang, String::new(), FormErrors::default()).await
}
