//! Saving and deleting a saved filter from the payments page: `POST /bank/filters` and
//! `POST /bank/filters/{id}/delete`. A rejected name brings the page back (422) with the
//! error next to the name and the list still filtered as it was.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{FormErrors, Lang};

use super::list::{SaveForm, render};
use super::texts::localize;
use crate::store::payment_list::RawFilter;
use crate::store::saved_filters;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SaveFilterForm {
    name: String,
    /// The filter's query string, as the page shows it.
    query: String,
    /// A checkbox: present when ticked.
    shared: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<SaveFilterForm>,
) -> Result<Response, PageError> {
    user.require(Permission::BankRead)?;
    let raw = RawFilter::from_query(&form.query);
    let shared = form.shared.is_some();
    let saved = async {
        let filter = raw.parse()?;
        saved_filters::create(
            &state.db,
            &user.actor(),
            user.user().id,
            &form.name,
            &filter,
            shared,
        )
        .await
    }
    .await;
    match saved {
        Ok(f) => {
            let target = if f.query.is_empty() {
                "/bank/payments?notice=saved".to_owned()
            } else {
                format!("/bank/payments?{}&notice=saved", f.query)
            };
            Ok(Redirect::to(&target).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &localize(lang.0, fields));
            let save = SaveForm {
                name: form.name,
                shared,
            };
            render(&state, &user, lang, raw, "", None, save, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    user.require(Permission::BankRead)?;
    saved_filters::delete(&state.db, &user.actor(), user.user().id, id).await?;
    Ok(Redirect::to("/bank/payments?notice=deleted").into_response())
}
