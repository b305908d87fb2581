//! `GET /access`: the resources (and a form to add one) and the people, each with how many
//! grants they hold and a link to their access page. `POST /access/resources` adds one.

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
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::form_errors;
use crate::connectors::KINDS;
use crate::store::grants;
use crate::store::resources::{self, RawResource};
use crate::web::texts::{AccessTexts, texts};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceForm {
    name: String,
    kind: String,
    connector: String,
    settings: String,
    secret: String,
}

pub struct ResourceRow {
    name: String,
    kind: String,
}

pub struct PersonRow {
    id: i64,
    name: String,
    left: bool,
    active: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "access/overview.html")]
pub struct OverviewPage {
    shell: Shell,
    t: &'static AccessTexts,
    resources: Vec<ResourceRow>,
    people: Vec<PersonRow>,
    connectors: Vec<&'static str>,
    can_manage: bool,
    form: ResourceForm,
    errors: FormErrors,
    other_errors: Vec<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    form: ResourceForm,
    errors: FormErrors,
) -> Result<OverviewPage, PageError> {
    let t = texts(lang.0);
    let resources = resources::list(&state.db)
        .await?
        .into_iter()
        .map(|r| ResourceRow {
            kind: r.kind_label(),
            name: r.name,
        })
        .collect();
    let all_grants = grants::list(&state.db).await?;
    let people: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, full_name, status FROM people ORDER BY full_name")
            .fetch_all(state.db.pool())
            .await
            .map_err(shtab_core::CoreError::from)?;
    let people = people
        .into_iter()
        .map(|(id, name, status)| PersonRow {
            active: all_grants
                .iter()
                .filter(|g| g.person_id == id && g.is_active())
                .count(),
            id,
            name,
            left: status == "left",
        })
        .collect();
    Ok(OverviewPage {
        shell: Shell::new(state, user, lang, t.title, "/access"),
        t,
        resources,
        people,
        connectors: KINDS.iter().map(|k| k.kind).collect(),
        can_manage: user.can(Permission::AccessManage),
        form,
        other_errors: errors.other_than(&["name", "kind", "connector"]),
        errors,
    })
}

pub async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<OverviewPage, PageError> {
    user.require(Permission::AccessRead)?;
    let form = ResourceForm {
        kind: "ssh".into(),
        settings: "{\"target\": \"\"}".into(),
        ..Default::default()
    };
    page(&state, &user, lang, form, FormErrors::default()).await
}

pub async fn create_resource(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<ResourceForm>,
) -> Result<Response, PageError> {
    user.require(Permission::AccessManage)?;
    let raw = RawResource {
        name: form.name.clone(),
        kind: form.kind.clone(),
        connector: form.connector.clone(),
        settings: form.settings.clone(),
        secret: form.secret.clone(),
    };
    match resources::create(
        &state.db,
        &user.actor(),
        &raw,
        user.can(Permission::SettingsManage),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/access").into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = form_errors(lang.0, &fields);
            let form = ResourceForm {
                secret: String::new(),
                ..form
            };
            let page = page(&state, &user, lang, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
