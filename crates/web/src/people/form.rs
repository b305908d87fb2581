//! Adding and editing a person: `GET /people/new`, `POST /people`, `GET /people/{id}/edit`,
//! `POST /people/{id}`. A rejected form comes back (422) with each error next to its field
//! and everything as typed; nothing is written.

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
use shtab_core::people::{self, Forge, ForgeLogin, Person, RawPersonInput};

use super::ssh_keys;
use super::texts::{PeopleTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::PagePath;
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

/// Fields the form shows; errors for any other field are listed above it.
const SHOWN: &[&str] = &[
    "full_name",
    "emails",
    "phone",
    "telegram",
    "position",
    "manager_id",
    "github_login",
    "gitlab_login",
    "gitea_login",
    "ssh_keys",
    "started_on",
];

/// The form as submitted: text only, so whatever was typed can be shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PersonForm {
    full_name: String,
    /// One per line.
    emails: String,
    phone: String,
    telegram: String,
    position: String,
    /// A person's id, or empty for none.
    manager_id: String,
    /// Separated by spaces when someone has several on one forge.
    github_login: String,
    gitlab_login: String,
    gitea_login: String,
    /// One per line.
    ssh_keys: String,
    started_on: String,
}

impl PersonForm {
    fn from_person(p: &Person) -> PersonForm {
        let raw = p.to_raw();
        let login = |forge: Forge| {
            raw.forge_logins
                .iter()
                .filter(|l| l.forge == forge)
                .map(|l| l.login.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        PersonForm {
            github_login: login(Forge::Github),
            gitlab_login: login(Forge::Gitlab),
            gitea_login: login(Forge::Gitea),
            emails: raw.emails.join("\n"),
            ssh_keys: raw.ssh_keys.join("\n"),
            manager_id: raw.manager_id.map(|m| m.to_string()).unwrap_or_default(),
            full_name: raw.full_name,
            phone: raw.phone.unwrap_or_default(),
            telegram: raw.telegram.unwrap_or_default(),
            position: raw.position.unwrap_or_default(),
            started_on: raw.started_on.unwrap_or_default(),
        }
    }

    fn to_raw(&self) -> CoreResult<RawPersonInput> {
        let manager_id = match self.manager_id.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| {
                CoreError::field(
                    "manager_id",
                    "not_found",
                    format!("there is no person #{id}"),
                )
            })?),
        };
        let lines = |s: &str| s.lines().map(str::to_string).collect();
        let text = |s: &str| Some(s.to_string());
        let forge_logins = [
            (Forge::Github, &self.github_login),
            (Forge::Gitlab, &self.gitlab_login),
            (Forge::Gitea, &self.gitea_login),
        ]
        .into_iter()
        .flat_map(|(forge, logins)| {
            logins.split([' ', ',']).map(move |login| ForgeLogin {
                forge,
                login: login.to_string(),
            })
        })
        .collect();
        Ok(RawPersonInput {
            full_name: self.full_name.clone(),
            emails: lines(&self.emails),
            phone: text(&self.phone),
            telegram: text(&self.telegram),
            position: text(&self.position),
            manager_id,
            forge_logins,
            ssh_keys: lines(&self.ssh_keys),
            started_on: text(&self.started_on),
        })
    }
}

pub struct ManagerOption {
    id: String,
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "people/form.html")]
pub struct FormPage {
    shell: Shell,
    t: &'static PeopleTexts,
    /// The person being edited; `None` on the form for a new one.
    person: Option<i64>,
    form: PersonForm,
    managers: Vec<ManagerOption>,
    errors: FormErrors,
    other_errors: Vec<String>,
    /// Whether the caller may change the SSH keys here (otherwise they are shown read-only).
    may_edit_keys: bool,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    person: Option<PersonId>,
    form: PersonForm,
    errors: FormErrors,
) -> Result<FormPage, PageError> {
    let t = texts(lang.0);
    let title = match person {
        None => t.new_title.to_string(),
        Some(_) => format!("{}: {}", t.edit_title, form.full_name),
    };
    let chosen = form.manager_id.trim().parse().ok().map(PersonId);
    let managers = people::choices(&state.db, chosen)
        .await?
        .into_iter()
        // Nobody manages themselves; offering it would only produce an error.
        .filter(|(id, _)| Some(*id) != person)
        .map(|(id, name)| ManagerOption {
            id: id.to_string(),
            name,
        })
        .collect();
    Ok(FormPage {
        shell: Shell::new(state, user, lang, title, "/people"),
        t,
        person: person.map(|p| p.0),
        other_errors: errors.other_than(SHOWN),
        may_edit_keys: ssh_keys::may_change(user, person),
        form,
        managers,
        errors,
    })
}

pub async fn new(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<FormPage, PageError> {
    user.require(Permission::PeopleWrite)?;
    page(
        &state,
        &user,
        lang,
        None,
        PersonForm::default(),
        FormErrors::default(),
    )
    .await
}

pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<PersonId>,
) -> Result<FormPage, PageError> {
    user.require(Permission::PeopleWrite)?;
    let person = people::get(&state.db, id).await?;
    page(
        &state,
        &user,
        lang,
        Some(id),
        PersonForm::from_person(&person),
        FormErrors::default(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<PersonForm>,
) -> Result<Response, PageError> {
    user.require(Permission::PeopleWrite)?;
    let saved = async {
        let input = form.to_raw()?.parse()?;
        let keys = ssh_keys::check(&user, None, &[], &input)?;
        let person = people::create(&state.db, &user.actor(), &input).await?;
        ssh_keys::after_save(&state, &user, &person, &keys).await;
        Ok(person)
    }
    .await;
    answer(&state, &user, lang, None, form, saved).await
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<PersonId>,
    Form(form): Form<PersonForm>,
) -> Result<Response, PageError> {
    user.require(Permission::PeopleWrite)?;
    let saved = async {
        let input = form.to_raw()?.parse()?;
        let before = people::get(&state.db, id).await?;
        let keys = ssh_keys::check(&user, Some(id), &before.ssh_keys, &input)?;
        let person = people::update(&state.db, &user.actor(), id, &input).await?;
        ssh_keys::after_save(&state, &user, &person, &keys).await;
        Ok(person)
    }
    .await;
    answer(&state, &user, lang, Some(id), form, saved).await
}

/// To the person's page when saved; the form again, as typed, when rejected.
async fn answer(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    person: Option<PersonId>,
    form: PersonForm,
    saved: CoreResult<Person>,
) -> Result<Response, PageError> {
    match saved {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}?saved=1", p.id)).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page = page(state, user, lang, person, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
