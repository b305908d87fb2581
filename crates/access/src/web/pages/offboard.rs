//! `GET /access/people/{id}/offboard` asks for confirmation (listing what will be taken
//! back); `POST` does it and shows every step with its outcome.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::people;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use crate::offboarding::{self, Step};
use crate::store::grants;
use crate::web::texts::{AccessTexts, texts};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OffboardForm {
    left_on: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "access/offboard.html")]
pub struct OffboardPage {
    shell: Shell,
    t: &'static AccessTexts,
    person_id: i64,
    /// What will be revoked, before confirmation.
    pending: Vec<String>,
    today: String,
    /// After confirmation: what was done.
    steps: Option<Vec<Step>>,
}

fn today(state: &AppState) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&state.config.time_zone())
        .date_naive()
}

pub async fn offboard_confirm(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<OffboardPage, PageError> {
    user.require(Permission::AccessManage)?;
    let t = texts(lang.0);
    let person = people::get(&state.db, PersonId(id)).await?;
    let pending = grants::for_person(&state.db, id)
        .await?
        .into_iter()
        .filter(|g| g.is_active())
        .map(|g| {
            if g.login.is_empty() {
                g.resource_name
            } else {
                format!("{} ({})", g.resource_name, g.login)
            }
        })
        .collect();
    Ok(OffboardPage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            format!("{}: {}", t.offboard_title, person.full_name),
            "/access",
        ),
        t,
        person_id: id,
        pending,
        today: today(&state).to_string(),
        steps: None,
    })
}

pub async fn offboard(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<OffboardForm>,
) -> Result<OffboardPage, PageError> {
    user.require(Permission::AccessManage)?;
    let t = texts(lang.0);
    let person = people::get(&state.db, PersonId(id)).await?;
    let left_on =
        people::parse_date("left_on", form.left_on.trim()).unwrap_or_else(|_| today(&state));
    let steps = offboarding::offboard(&state.db, &user.actor(), id, left_on).await?;
    Ok(OffboardPage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            format!("{}: {}", t.offboard_title, person.full_name),
            "/access",
        ),
        t,
        person_id: id,
        pending: Vec::new(),
        today: left_on.to_string(),
        steps: Some(steps),
    })
}
