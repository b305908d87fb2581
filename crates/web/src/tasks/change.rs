//! `POST /tasks/{id}`: the task page's form that changes status and assignee.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::ids::TaskId;
use shtab_core::tasks::{self, RawTaskChange};

use super::form::parse_assignee;
use super::show::{ChangeForm, page};
use super::texts::localize;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::i18n::{FormErrors, Lang};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeFields {
    status: String,
    /// A person's id, or empty for nobody.
    assignee_id: String,
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<TaskId>,
    Form(fields): Form<ChangeFields>,
) -> Result<Response, PageError> {
    user.require(Permission::TasksWrite)?;
    if state.outside_tasks.is_some() {
        // Tasks are changed where they live; Shtab's own tables are not theirs.
        return Err(PageError::NotFound);
    }
    let result = async {
        let change = RawTaskChange {
            status: Some(fields.status.clone()),
            assignee_id: Some(parse_assignee(&fields.assignee_id)?),
            ..RawTaskChange::default()
        }
        .parse()?;
        tasks::update(&state.db, &user.actor(), id, &change).await
    }
    .await;
    match result {
        Ok(task) => Ok(Redirect::to(&format!("/tasks/{}?saved=1", task.id)).into_response()),
        Err(CoreError::Invalid(errors)) => {
            let errors = FormErrors::new(lang.0, &localize(lang.0, errors));
            let form = ChangeForm {
                status: fields.status,
                assignee_id: fields.assignee_id,
            };
            let page = page(&state, &user, lang, id, false, Some(form), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
