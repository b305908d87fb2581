//! Adding a task: `GET /tasks/new`, `POST /tasks` (from this form or the list's one-line
//! form). A rejected form comes back (422) with each error next to its field and
//! everything as typed; nothing is written.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::people;
use shtab_core::tasks::{self, RawTaskInput};

use super::texts::{TasksTexts, localize, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

/// Fields the form shows; errors for any other field are listed above it.
const SHOWN: &[&str] = &["title", "key", "description", "assignee_id"];

/// The form as submitted: text only, so whatever was typed can be shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TaskForm {
    title: String,
    key: String,
    description: String,
    /// A person's id, or empty for nobody.
    assignee_id: String,
}

/// A person's id from a `<select>`: empty is nobody; anything else must be a number.
pub fn parse_assignee(s: &str) -> CoreResult<Option<i64>> {
    match s.trim() {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| {
            CoreError::field(
                "assignee_id",
                "not_found",
                format!("there is no person #{id}"),
            )
        }),
    }
}

impl TaskForm {
    fn to_raw(&self) -> CoreResult<RawTaskInput> {
        Ok(RawTaskInput {
            title: self.title.clone(),
            key: Some(self.key.clone()),
            description: Some(self.description.clone()),
            assignee_id: parse_assignee(&self.assignee_id)?,
        })
    }
}

pub struct PersonOption {
    pub id: String,
    pub name: String,
}

/// Who can be given a task: everyone active, plus `keep` (someone already chosen stays
/// selectable after they leave, so saving does not silently unassign them).
pub async fn assignees(state: &AppState, keep: Option<PersonId>) -> CoreResult<Vec<PersonOption>> {
    Ok(people::choices(&state.db, keep)
        .await?
        .into_iter()
        .map(|(id, name)| PersonOption {
            id: id.to_string(),
            name,
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "tasks/form.html")]
pub struct FormPage {
    shell: Shell,
    t: &'static TasksTexts,
    form: TaskForm,
    people: Vec<PersonOption>,
    errors: FormErrors,
    other_errors: Vec<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    form: TaskForm,
    errors: FormErrors,
) -> Result<FormPage, PageError> {
    let t = texts(lang.0);
    let chosen = form.assignee_id.trim().parse().ok().map(PersonId);
    Ok(FormPage {
        shell: Shell::new(state, user, lang, t.new_title, "/tasks"),
        t,
        people: assignees(state, chosen).await?,
        other_errors: errors.other_than(SHOWN),
        form,
        errors,
    })
}

pub async fn new(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<FormPage, PageError> {
    user.require(Permission::TasksWrite)?;
    page(
        &state,
        &user,
        lang,
        TaskForm::default(),
        FormErrors::default(),
    )
    .await
}

/// To the new task's page when saved; the full form again, as typed, when rejected.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<TaskForm>,
) -> Result<Response, PageError> {
    user.require(Permission::TasksWrite)?;
    let saved = async {
        let input = form.to_raw()?.parse()?;
        tasks::create(&state.db, &user.actor(), &input).await
    }
    .await;
    match saved {
        Ok(task) => Ok(Redirect::to(&format!("/tasks/{}?saved=1", task.id)).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &localize(lang.0, fields));
            let page = page(&state, &user, lang, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
