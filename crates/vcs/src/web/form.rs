//! Adding and editing a repository: `GET /repositories/new`, `POST /repositories`,
//! `GET /repositories/{id}/edit`, `POST /repositories/{id}`. A rejected form comes back
//! (422) with each error next to its field and everything as typed, except the secret,
//! which is never sent back to the browser; nothing is written.

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
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::texts::{VcsTexts, texts};
use crate::domain::clone_url;
use crate::domain::repository::{RawRepositoryInput, RepoForge};
use crate::store::{Repository, RepositoryId, repositories};

/// Fields the form shows; errors for any other field are listed above it.
const SHOWN: &[&str] = &[
    "name",
    "forge",
    "clone_url",
    "web_url",
    "credential_username",
    "branch_filter",
    "ref_patterns",
    "project_keys",
];

/// The form as submitted: text only, so whatever was typed can be shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RepositoryForm {
    name: String,
    forge: String,
    clone_url: String,
    web_url: String,
    credential_username: String,
    credential_secret: String,
    /// A checkbox: present when ticked.
    clear_credential: Option<String>,
    branch_filter: String,
    ref_patterns: String,
    project_keys: String,
    /// A checkbox: present when ticked.
    enabled: Option<String>,
}

impl RepositoryForm {
    fn blank() -> RepositoryForm {
        RepositoryForm {
            forge: RepoForge::Github.as_str().into(),
            enabled: Some("1".into()),
            ..Default::default()
        }
    }

    fn from_repository(r: &Repository) -> RepositoryForm {
        RepositoryForm {
            name: r.name.clone(),
            forge: r.forge.as_str().into(),
            // A credential inside a URL stored before such URLs were refused is not shown;
            // saving the form then leaves it out.
            clone_url: clone_url::redacted(&r.clone_url),
            web_url: r.web_url.clone(),
            credential_username: r.credential_username.clone(),
            credential_secret: String::new(),
            clear_credential: None,
            branch_filter: r.branch_filter.clone(),
            ref_patterns: r.ref_patterns.clone(),
            project_keys: r.project_keys.join(", "),
            enabled: r.enabled.then(|| "1".into()),
        }
    }

    fn to_raw(&self) -> RawRepositoryInput {
        RawRepositoryInput {
            name: self.name.clone(),
            forge: self.forge.clone(),
            clone_url: self.clone_url.clone(),
            web_url: self.web_url.clone(),
            credential_username: self.credential_username.clone(),
            credential_secret: self.credential_secret.clone(),
            clear_credential: self.clear_credential.is_some(),
            branch_filter: self.branch_filter.clone(),
            ref_patterns: self.ref_patterns.clone(),
            project_keys: self.project_keys.clone(),
            enabled: Some(self.enabled.is_some()),
        }
    }

    /// What goes back into the page: the secret never does.
    fn without_secret(mut self) -> RepositoryForm {
        self.credential_secret.clear();
        self
    }

    fn is_enabled(&self) -> bool {
        self.enabled.is_some()
    }

    fn clears_credential(&self) -> bool {
        self.clear_credential.is_some()
    }
}

pub struct ForgeOption {
    value: &'static str,
    label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "vcs/form.html")]
pub struct FormPage {
    shell: Shell,
    t: &'static VcsTexts,
    /// The repository being edited; `None` on the form for a new one.
    repository: Option<i64>,
    has_credential: bool,
    form: RepositoryForm,
    forges: Vec<ForgeOption>,
    errors: FormErrors,
    other_errors: Vec<String>,
}

fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    editing: Option<&Repository>,
    form: RepositoryForm,
    errors: FormErrors,
) -> FormPage {
    let t = texts(lang.0);
    let title = match editing {
        None => t.new_title.to_string(),
        Some(r) => format!("{}: {}", t.edit_title, r.name),
    };
    FormPage {
        shell: Shell::new(state, user, lang, title, "/repositories"),
        t,
        repository: editing.map(|r| r.id.0),
        has_credential: editing.is_some_and(Repository::has_credential),
        forges: RepoForge::ALL
            .into_iter()
            .map(|f| ForgeOption {
                value: f.as_str(),
                label: t.forge(f),
            })
            .collect(),
        other_errors: errors.other_than(SHOWN),
        form: form.without_secret(),
        errors,
    }
}

pub async fn new(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<FormPage, PageError> {
    user.require(Permission::RepositoriesManage)?;
    Ok(page(
        &state,
        &user,
        lang,
        None,
        RepositoryForm::blank(),
        FormErrors::default(),
    ))
}

pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<FormPage, PageError> {
    user.require(Permission::RepositoriesManage)?;
    let repository = repositories::get(&state.db, RepositoryId(id)).await?;
    let form = RepositoryForm::from_repository(&repository);
    Ok(page(
        &state,
        &user,
        lang,
        Some(&repository),
        form,
        FormErrors::default(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<RepositoryForm>,
) -> Result<Response, PageError> {
    user.require(Permission::RepositoriesManage)?;
    let saved = async {
        let input = form.to_raw().parse()?;
        repositories::create(&state.db, &user.actor(), &input).await
    }
    .await;
    answer(&state, &user, lang, None, form, saved, "")
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<RepositoryForm>,
) -> Result<Response, PageError> {
    user.require(Permission::RepositoriesManage)?;
    let id = RepositoryId(id);
    // Fetched first: editing a repository that is gone is "not found", not a form error.
    let current = repositories::get(&state.db, id).await?;
    let saved = async {
        let input = form.to_raw().parse()?;
        repositories::update(&state.db, &user.actor(), id, &input).await
    }
    .await;
    // Said on the page it leads to: the token did not follow the clone URL to its new host.
    let dropped = matches!(&saved, Ok(r) if current.has_credential() && !r.has_credential())
        && !form.clears_credential();
    let notice = if dropped { "&credential_dropped=1" } else { "" };
    answer(&state, &user, lang, Some(&current), form, saved, notice)
}

/// To the repository's page when saved (with `notice` appended to its query); the form
/// again, as typed, when rejected.
fn answer(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    editing: Option<&Repository>,
    form: RepositoryForm,
    saved: CoreResult<Repository>,
    notice: &str,
) -> Result<Response, PageError> {
    match saved {
        Ok(r) => {
            Ok(Redirect::to(&format!("/repositories/{}?saved=1{notice}", r.id)).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page = page(state, user, lang, editing, form, errors);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
