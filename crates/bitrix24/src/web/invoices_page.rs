//! `GET /settings/bitrix24/invoices`: the smart-invoice pipeline and the stages payments move
//! invoices to, picked from what the portal has now (and what no longer fits shown);
//! `POST` saves only what the portal confirms exists.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::config::SystemOfRecord;
use shtab_core::{CoreError, FieldError};
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;
use shtab_web::shell::Shell;

use super::invoices_texts::{InvoiceTexts, texts};
use crate::adapters::invoices::settings;
use crate::adapters::invoices::stages::Pipelines;
use crate::hub::Configured;
use crate::store::invoice_settings::{self, InvoiceSettings};

/// The form as submitted: text only.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    category_id: String,
    paid_stage: String,
    partly_paid_stage: String,
}

impl SettingsForm {
    fn of(s: &InvoiceSettings) -> SettingsForm {
        SettingsForm {
            category_id: s.category_id.map(|c| c.to_string()).unwrap_or_default(),
            paid_stage: s.paid_stage.clone().unwrap_or_default(),
            partly_paid_stage: s.partly_paid_stage.clone().unwrap_or_default(),
        }
    }

    fn parse(&self) -> Result<InvoiceSettings, CoreError> {
        let category_id = match self.category_id.trim() {
            "" => None,
            c => Some(c.parse().map_err(|_| {
                CoreError::field(
                    "category_id",
                    "not_on_portal",
                    format!("«{c}» is not a pipeline"),
                )
            })?),
        };
        Ok(settings::normalized(InvoiceSettings {
            category_id,
            paid_stage: Some(self.paid_stage.clone()),
            partly_paid_stage: Some(self.partly_paid_stage.clone()),
        }))
    }
}

pub struct PipelineOption {
    id: u64,
    name: String,
    /// (status id, name)
    stages: Vec<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "bitrix24/invoices.html")]
pub struct InvoicesPage {
    shell: Shell,
    t: &'static InvoiceTexts,
    on_portal: bool,
    saved: bool,
    portal_error: Option<String>,
    /// What no longer fits the portal in the saved settings: (field, why).
    stale: Vec<(String, String)>,
    /// Why the form was refused: (field, why).
    errors: Vec<(String, String)>,
    pipelines: Vec<PipelineOption>,
    form: SettingsForm,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Shown {
    saved: Option<String>,
}

fn named(
    t: &InvoiceTexts,
    settings: &InvoiceSettings,
    problems: &[FieldError],
) -> Vec<(String, String)> {
    problems
        .iter()
        .map(|p| {
            let value = match p.field.as_str() {
                "category_id" => settings.category_id.map(|c| c.to_string()),
                "paid_stage" => settings.paid_stage.clone(),
                "partly_paid_stage" => settings.partly_paid_stage.clone(),
                _ => None,
            };
            let why = match value {
                Some(v) => format!("«{v}» — {}", t.problem(p.code)),
                None => t.problem(p.code).to_owned(),
            };
            (p.field.clone(), why)
        })
        .collect()
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    portal: &Configured,
    form: Option<SettingsForm>,
    errors: Vec<FieldError>,
    saved: bool,
) -> Result<InvoicesPage, PageError> {
    let t = texts(lang.0);
    let stored = invoice_settings::load(&state.db).await?;
    let (pipelines, portal_error) = match portal {
        Configured::Yes(p) => match Pipelines::read(p.client()).await {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Configured::Unusable(why) => (None, Some(why.clone())),
        Configured::No => (None, Some(crate::hub::HOW_TO_CONFIGURE.to_owned())),
    };
    let stale = pipelines
        .as_ref()
        .map(|p| named(t, &stored, &p.problems(&stored)))
        .unwrap_or_default();
    let refused = match &form {
        Some(f) => f.parse().unwrap_or_default(),
        None => stored.clone(),
    };
    Ok(InvoicesPage {
        shell: Shell::new(state, user, lang, t.title, "/settings/bitrix24"),
        t,
        on_portal: state.config.systems.invoices == SystemOfRecord::Bitrix24,
        saved,
        portal_error,
        stale,
        errors: named(t, &refused, &errors),
        pipelines: pipelines
            .map(|p| {
                p.categories
                    .iter()
                    .map(|c| PipelineOption {
                        id: c.id.0,
                        name: c.name.clone(),
                        stages: p
                            .stages
                            .get(&c.id.0)
                            .into_iter()
                            .flatten()
                            .map(|s| (s.status_id.clone(), s.name.clone()))
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        form: form.unwrap_or_else(|| SettingsForm::of(&stored)),
    })
}

pub async fn show(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
    lang: Lang,
    Query(shown): Query<Shown>,
) -> Result<InvoicesPage, PageError> {
    user.require(Permission::SettingsManage)?;
    let saved = shown.saved.is_some();
    render(&state, &user, lang, &portal, None, Vec::new(), saved).await
}

/// Back to the page when saved; the form again, as picked, with why, when refused.
pub async fn save(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<SettingsForm>,
) -> Result<Response, PageError> {
    user.require(Permission::SettingsManage)?;
    let outcome = match (form.parse(), portal.portal()) {
        (Err(e), _) => Err(e),
        (Ok(_), None) => Err(CoreError::Conflict(crate::hub::HOW_TO_CONFIGURE.to_owned())),
        (Ok(s), Some(p)) => settings::save(p.client(), &state.db, &user.actor(), s)
            .await
            .map(|_| ()),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/settings/bitrix24/invoices?saved=1").into_response()),
        Err(CoreError::Invalid(fields)) => {
            let page = render(&state, &user, lang, &portal, Some(form), fields, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
