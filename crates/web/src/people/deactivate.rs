//! `POST /people/{id}/deactivate`: the person has left. Their login stops working at once;
//! the core cuts their sessions and tokens in the same transaction.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::people;

use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::i18n::{FormErrors, Lang};
use crate::state::AppState;
use shtab_core::ids::PersonId;

/// Today where the agency is, not where the server's clock is set: a person leaving on
/// Monday evening in Moscow has not left on Tuesday.
pub fn today(state: &AppState) -> NaiveDate {
    Utc::now()
        .with_timezone(&state.config.time_zone())
        .date_naive()
}

#[derive(Debug, Deserialize)]
pub struct DeactivateForm {
    #[serde(default)]
    left_on: String,
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<PersonId>,
    Form(form): Form<DeactivateForm>,
) -> Result<Response, PageError> {
    user.require(Permission::PeopleWrite)?;
    let result = async {
        let left_on = match form.left_on.trim() {
            "" => today(&state),
            s => people::parse_date("left_on", s)?,
        };
        people::deactivate(&state.db, &user.actor(), id, left_on).await
    }
    .await;
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}?saved=1", p.id)).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page =
                super::show::page(&state, &user, lang, id, false, form.left_on, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
