//! `GET/POST /bank/accounts` (the list and the form to add one) and
//! `GET/POST /bank/accounts/{id}` (an account, its recent imports, the form to change it).
//! A rejected form comes back (422) with each error beside its field and everything as
//! typed except the token, which is never sent back to the browser.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::{PagePath, Saved};
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::{AccountView, AccountsTexts, ImportView, localize, texts};
use crate::store::accounts::{self, AccountId, RawAccountChange, RawAccountInput};
use crate::store::{imports, payments};

/// Fields the add form shows; errors for others are listed above it.
const SHOWN: &[&str] = &[
    "number",
    "bic",
    "bank_name",
    "currency",
    "title",
    "tbank_token",
    "tbank_from",
];

/// The add form as submitted: text only, so whatever was typed can be shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    number: String,
    bic: String,
    bank_name: String,
    currency: String,
    title: String,
    tbank_token: String,
    tbank_from: String,
}

impl AccountForm {
    fn to_raw(&self) -> RawAccountInput {
        RawAccountInput {
            number: self.number.clone(),
            bic: self.bic.clone(),
            bank_name: self.bank_name.clone(),
            currency: self.currency.clone(),
            title: self.title.clone(),
            tbank_token: self.tbank_token.clone(),
            tbank_from: self.tbank_from.clone(),
        }
    }

    /// The form to show again: the token is dropped, never echoed into a page.
    fn without_token(mut self) -> AccountForm {
        self.tbank_token.clear();
        self
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/accounts.html")]
pub struct ListPage {
    shell: Shell,
    t: &'static AccountsTexts,
    accounts: Vec<AccountView>,
    can_manage: bool,
    form: AccountForm,
    errors: FormErrors,
    other_errors: Vec<String>,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    form: AccountForm,
    errors: FormErrors,
) -> Result<ListPage, PageError> {
    let t = texts(lang.0);
    let accounts = accounts::list(&state.db)
        .await?
        .iter()
        .map(AccountView::new)
        .collect();
    Ok(ListPage {
        shell: Shell::new(state, user, lang, t.title, "/bank"),
        t,
        accounts,
        can_manage: user.can(Permission::BankManage),
        other_errors: errors.other_than(SHOWN),
        form: form.without_token(),
        errors,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<ListPage, PageError> {
    user.require(Permission::BankRead)?;
    list_page(
        &state,
        &user,
        lang,
        AccountForm {
            currency: "RUB".into(),
            ..AccountForm::default()
        },
        FormErrors::default(),
    )
    .await
}

/// To the new account's page when saved; the list with the form as typed when rejected.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<AccountForm>,
) -> Result<Response, PageError> {
    user.require(Permission::BankManage)?;
    let saved = async {
        let input = form.to_raw().parse()?;
        accounts::create(&state.db, &user.actor(), &input).await
    }
    .await;
    match saved {
        Ok(a) => Ok(Redirect::to(&format!("/bank/accounts/{}?saved=1", a.id)).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &localize(lang.0, fields));
            let page = list_page(&state, &user, lang, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The change form as submitted. The token field is empty unless a new one is typed;
/// `clear_token` (a checkbox) removes the one set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    bic: String,
    bank_name: String,
    currency: String,
    title: String,
    tbank_from: String,
    tbank_token: String,
    clear_token: String,
}

impl EditForm {
    fn to_raw(&self) -> RawAccountChange {
        let token = if !self.clear_token.is_empty() {
            Some(String::new())
        } else if !self.tbank_token.trim().is_empty() {
            Some(self.tbank_token.clone())
        } else {
            None
        };
        RawAccountChange {
            bic: Some(self.bic.clone()),
            bank_name: Some(self.bank_name.clone()),
            currency: Some(self.currency.clone()),
            title: Some(self.title.clone()),
            tbank_token: token,
            tbank_from: Some(self.tbank_from.clone()),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/accounts_show.html")]
pub struct ShowPage {
    shell: Shell,
    t: &'static AccountsTexts,
    account: AccountView,
    payment_count: i64,
    imports: Vec<ImportView>,
    can_manage: bool,
    saved: bool,
    form: EditForm,
    errors: FormErrors,
}

async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: AccountId,
    form: Option<EditForm>,
    errors: FormErrors,
    saved: bool,
) -> Result<ShowPage, PageError> {
    let t = texts(lang.0);
    let account = accounts::get(&state.db, id).await?;
    let view = AccountView::new(&account);
    let form = form.unwrap_or_else(|| EditForm {
        bic: view.bic.clone(),
        bank_name: view.bank_name.clone(),
        currency: view.currency.clone(),
        title: view.title.clone(),
        tbank_from: view.tbank_from.clone(),
        ..EditForm::default()
    });
    let imports = imports::recent(&state.db, Some(id), 20)
        .await?
        .iter()
        .map(|i| ImportView::new(i, state, t))
        .collect();
    Ok(ShowPage {
        shell: Shell::new(state, user, lang, account.label(), "/bank"),
        t,
        account: view,
        payment_count: payments::count_for_account(&state.db, id).await?,
        imports,
        can_manage: user.can(Permission::BankManage),
        saved,
        form: EditForm {
            tbank_token: String::new(),
            clear_token: String::new(),
            ..form
        },
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Saved(saved): Saved,
    PagePath(id): PagePath<i64>,
) -> Result<ShowPage, PageError> {
    user.require(Permission::BankRead)?;
    show_page(
        &state,
        &user,
        lang,
        AccountId(id),
        None,
        FormErrors::default(),
        saved,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<EditForm>,
) -> Result<Response, PageError> {
    user.require(Permission::BankManage)?;
    let id = AccountId(id);
    let saved = async {
        let change = form.to_raw().parse()?;
        accounts::update(&state.db, &user.actor(), id, &change).await
    }
    .await;
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/bank/accounts/{id}?saved=1")).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &localize(lang.0, fields));
            let page = show_page(&state, &user, lang, id, Some(form), errors, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
