//! `GET /commit-authors`: commit authors nobody is matched to, newest first, each with a
//! "this is …" choice of person; `POST /commit-authors` maps one and comes back here,
//! saying how many commits moved.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::people;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::mapping::map_author;
use super::texts::{VcsTexts, texts};
use super::view::when;
use crate::store::authors::{self, UnmatchedAuthor};

/// Where the redirect after a mapping leaves its outcome: `?mapped=3&person=7&email=…`.
/// Text only, so a hand-edited address never meets a bare 400; what does not parse is
/// ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Outcome {
    mapped: String,
    person: String,
    email: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MapForm {
    email: String,
    person_id: String,
}

pub struct Row {
    email: String,
    name: String,
    commits: i64,
    last_commit: String,
    /// The commits carried no address, so there is nothing to map.
    mappable: bool,
}

impl Row {
    fn new(state: &AppState, a: UnmatchedAuthor) -> Row {
        Row {
            mappable: !a.email.is_empty(),
            last_commit: when(state, Some(a.last_committed_at), ""),
            email: a.email,
            name: a.name,
            commits: a.commits,
        }
    }
}

pub struct PersonOption {
    id: String,
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "vcs/authors.html")]
pub struct AuthorsPage {
    shell: Shell,
    t: &'static VcsTexts,
    rows: Vec<Row>,
    people: Vec<PersonOption>,
    can_manage: bool,
    /// "3 commits now attributed to …".
    done: Option<String>,
    errors: FormErrors,
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(outcome): Query<Outcome>,
) -> Result<AuthorsPage, PageError> {
    let t = texts(lang.0);
    let mut page = page(&state, &user, lang, FormErrors::default()).await?;
    page.done = done_message(&state, t, &outcome).await?;
    Ok(page)
}

pub async fn map(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<MapForm>,
) -> Result<Response, PageError> {
    user.require(Permission::RepositoriesManage)?;
    let person = form
        .person_id
        .trim()
        .parse::<i64>()
        .map_err(|_| CoreError::field("person_id", "required", "choose who this is"));
    let mapped = match person {
        Ok(person) => map_author(&state.db, &user.actor(), &form.email, person).await,
        Err(e) => Err(e),
    };
    match mapped {
        Ok(m) => {
            let query = serde_urlencoded::to_string([
                ("mapped", m.commits.to_string()),
                ("person", m.person.to_string()),
                ("email", m.email),
            ])
            .unwrap_or_default();
            Ok(Redirect::to(&format!("/commit-authors?{query}")).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page = page(&state, &user, lang, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    errors: FormErrors,
) -> Result<AuthorsPage, PageError> {
    user.require(Permission::RepositoriesRead)?;
    let t = texts(lang.0);
    let can_manage = user.can(Permission::RepositoriesManage);
    let rows = authors::unmatched(&state.db)
        .await?
        .into_iter()
        .map(|a| Row::new(state, a))
        .collect();
    // Only those who may map need the list of people to choose from.
    let people = if can_manage {
        people::choices(&state.db, None)
            .await?
            .into_iter()
            .map(|(id, name)| PersonOption {
                id: id.to_string(),
                name,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(AuthorsPage {
        shell: Shell::new(state, user, lang, t.authors_title, "/repositories"),
        t,
        rows,
        people,
        can_manage,
        done: None,
        errors,
    })
}

/// The sentence for the outcome in the address, naming the person as the directory does
/// now (the address is editable, so the name is looked up rather than taken from it).
async fn done_message(
    state: &AppState,
    t: &VcsTexts,
    outcome: &Outcome,
) -> Result<Option<String>, PageError> {
    let (Ok(count), Ok(person)) = (outcome.mapped.parse::<u64>(), outcome.person.parse::<i64>())
    else {
        return Ok(None);
    };
    match people::get(&state.db, PersonId(person)).await {
        Ok(p) => Ok(Some(t.mapped(&outcome.email, &p.full_name, count))),
        Err(CoreError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
