//! The payment page's forms: allocate to an invoice (`POST /bank/payments/{id}/allocations`),
//! remove an allocation (`POST /bank/payments/{id}/allocations/{allocation_id}/delete`) and
//! match again (`POST /bank/payments/{id}/match`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{FormErrors, Lang};

use super::show::{AllocateForm, page};
use super::texts::localize;
use crate::domain::Kopecks;
use crate::service::matching::Matcher;

pub async fn allocate(
    State(state): State<AppState>,
    Extension(matcher): Extension<Matcher>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(fields): Form<AllocateForm>,
) -> Result<Response, PageError> {
    user.require(Permission::BankManage)?;
    let result = async {
        let amount = Kopecks::parse(&fields.amount)
            .map_err(|e| CoreError::from(e.into_field_error("amount")))?;
        matcher
            .allocate(&user.actor(), id, &fields.invoice_id, amount)
            .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/bank/payments/{id}?done=allocated")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            let errors = FormErrors::new(lang.0, &localize(lang.0, errors));
            let page = page(
                &state,
                &matcher,
                &user,
                lang,
                id,
                Some(fields),
                errors,
                None,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    Extension(matcher): Extension<Matcher>,
    user: CurrentUser,
    PagePath((id, allocation_id)): PagePath<(i64, i64)>,
) -> Result<Response, PageError> {
    user.require(Permission::BankManage)?;
    matcher.unallocate(&user.actor(), id, allocation_id).await?;
    Ok(Redirect::to(&format!("/bank/payments/{id}?done=removed")).into_response())
}

pub async fn rematch(
    Extension(matcher): Extension<Matcher>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Response, PageError> {
    user.require(Permission::BankManage)?;
    matcher.match_payment_as(&user.actor(), id).await?;
    Ok(Redirect::to(&format!("/bank/payments/{id}?done=matched")).into_response())
}
