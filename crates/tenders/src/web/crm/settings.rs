//! `GET|POST /deals/settings`: a pipeline's stages and fields, the rules (fields required
//! to enter or leave a stage) and the entry actions, with forms to add, change and remove
//! rules and actions.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::Saved;
use shtab_web::i18n::{Lang, field_message};
use shtab_web::shell::Shell;

use super::texts::{DealsTexts, localize, texts};
use crate::crm::DEFAULT_PIPELINE;
use crate::crm::domain::{ActionKind, Direction};
use crate::crm::settings::{self, RawRule};

pub struct RuleRow {
    pub id: i64,
    pub text: String,
}

pub struct ActionRow {
    pub id: i64,
    pub stage: String,
    pub kind: &'static str,
    /// For e-mail actions: the editable parts.
    pub email: Option<(String, String, String)>,
    pub summary: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "crm/settings.html")]
pub struct SettingsPage {
    pub shell: Shell,
    pub t: &'static DealsTexts,
    pub pipeline: String,
    pub saved: bool,
    pub errors: Vec<String>,
    pub stages: Vec<(String, String)>,
    pub fields: Vec<(String, String, String)>,
    pub rules: Vec<RuleRow>,
    pub actions: Vec<ActionRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PipelineQuery {
    pipeline: String,
}

fn pipeline_id(s: &str) -> &str {
    if s.trim().is_empty() {
        DEFAULT_PIPELINE
    } else {
        s.trim()
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(q): Query<PipelineQuery>,
    Saved(saved): Saved,
) -> Result<SettingsPage, PageError> {
    page(
        &state,
        &user,
        lang,
        pipeline_id(&q.pipeline),
        saved,
        Vec::new(),
    )
    .await
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: &str,
    saved: bool,
    errors: Vec<String>,
) -> Result<SettingsPage, PageError> {
    user.require(Permission::PipelinesManage)?;
    let locale = lang.0;
    let t = texts(locale);
    let p = match crate::crm::store::pipeline(&state.db, id).await {
        Err(CoreError::NotFound(_)) => return Err(PageError::NotFound),
        other => other?,
    };
    let stage = |s: &str| {
        p.stage(s)
            .map(|s| s.name(locale).to_string())
            .unwrap_or_else(|| s.to_string())
    };
    let field = |f: &str| {
        p.field(f)
            .map(|d| d.label(locale).to_string())
            .unwrap_or_else(|| f.to_string())
    };
    let rules = p
        .rules
        .iter()
        .map(|r| {
            let dir = match r.direction {
                Direction::Enter => t.direction_enter,
                Direction::Leave => t.direction_leave,
            };
            let mut text = format!("«{}» — {dir} «{}»", field(&r.field), stage(&r.stage));
            if !r.except_to.is_empty() {
                let names: Vec<String> = r
                    .except_to
                    .iter()
                    .map(|s| format!("«{}»", stage(s)))
                    .collect();
                text.push_str(&format!(", {} {}", t.except_to, names.join(", ")));
            }
            RuleRow { id: r.id, text }
        })
        .collect();
    let actions = p
        .actions
        .iter()
        .map(|a| {
            let (kind, email, summary) = match &a.kind {
                ActionKind::Email {
                    to_field,
                    subject,
                    body,
                } => (
                    t.action_email,
                    Some((to_field.clone(), subject.clone(), body.clone())),
                    String::new(),
                ),
                ActionKind::Notify { text } => (t.action_notify, None, text.clone()),
                ActionKind::SetField { field: f, value } => (
                    t.action_set_field,
                    None,
                    format!("{} = {}", field(f), value),
                ),
            };
            ActionRow {
                id: a.id,
                stage: stage(&a.stage),
                kind,
                email,
                summary,
            }
        })
        .collect();
    Ok(SettingsPage {
        shell: Shell::new(
            state,
            user,
            lang,
            format!("{}: {}", t.settings_title, p.name(locale)),
            "/deals",
        ),
        t,
        pipeline: p.id.clone(),
        saved,
        errors,
        stages: p
            .stages
            .iter()
            .map(|s| (s.id.clone(), s.name(locale).to_string()))
            .collect(),
        fields: p
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.label(locale).to_string(),
                    format!("{:?}", f.kind).to_lowercase(),
                )
            })
            .collect(),
        rules,
        actions,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pipeline: String,
    op: String,
    id: String,
    stage: String,
    direction: String,
    field: String,
    except_to: String,
    kind: String,
    to_field: String,
    subject: String,
    body: String,
    value: String,
    text: String,
}

fn action_of(f: &SettingsForm) -> Result<ActionKind, CoreError> {
    Ok(match f.kind.as_str() {
        "email" => ActionKind::Email {
            to_field: f.to_field.trim().to_string(),
            subject: f.subject.clone(),
            body: f.body.clone(),
        },
        "notify" => ActionKind::Notify {
            text: f.text.trim().to_string(),
        },
        "set_field" => ActionKind::SetField {
            field: f.field.trim().to_string(),
            value: Value::String(f.value.clone()),
        },
        _ => {
            return Err(CoreError::field(
                "kind",
                "invalid_action",
                "email, notify or set_field",
            ));
        }
    })
}

pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(f): Form<SettingsForm>,
) -> Result<Response, PageError> {
    user.require(Permission::PipelinesManage)?;
    let pipeline = pipeline_id(&f.pipeline).to_string();
    let by = user.actor();
    let db = &state.db;
    let id = || {
        f.id.trim()
            .parse::<i64>()
            .map_err(|_| CoreError::NotFound("rule"))
    };
    let result = match f.op.as_str() {
        "add_rule" => {
            let raw = RawRule {
                stage: f.stage.clone(),
                direction: f.direction.clone(),
                field: f.field.clone(),
                except_to: f.except_to.clone(),
            };
            settings::add_rule(db, &by, &pipeline, &raw)
                .await
                .map(|_| ())
        }
        "remove_rule" => match id() {
            Ok(id) => settings::remove_rule(db, &by, &pipeline, id).await,
            Err(e) => Err(e),
        },
        "add_action" => match action_of(&f) {
            Ok(kind) => settings::add_action(db, &by, &pipeline, &f.stage, &kind)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        },
        "save_action" => match (id(), action_of(&f)) {
            (Ok(id), Ok(kind)) => settings::update_action(db, &by, &pipeline, id, &kind).await,
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        "remove_action" => match id() {
            Ok(id) => settings::remove_action(db, &by, &pipeline, id).await,
            Err(e) => Err(e),
        },
        _ => return Err(PageError::BadRequest("unknown operation".into())),
    };
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/deals/settings?pipeline={pipeline}&saved=1")).into_response(),
        ),
        Err(CoreError::Invalid(errors)) => {
            let messages = localize(lang.0, errors)
                .iter()
                .map(|e| format!("{}: {}", e.field, field_message(lang.0, e)))
                .collect();
            let page = page(&state, &user, lang, &pipeline, false, messages).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CoreError::NotFound(_)) => Err(PageError::NotFound),
        Err(e) => Err(e.into()),
    }
}
