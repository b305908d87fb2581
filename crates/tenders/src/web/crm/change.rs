//! The deal page's forms: `POST /deals/{id}` saves fields, `POST /deals/{id}/move` moves the
//! deal (the board's script posts the same, asking for JSON). A gate's refusal names the
//! missing fields; nothing changes.

use axum::Form;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{Lang, field_message};

use super::deals;
use super::show::{Shown, page};
use super::texts::{localize, refusal, texts};

pub async fn save_fields(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    user.require(Permission::TendersWrite)?;
    let input: Map<String, Value> = form
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    match deals(&state).write(id, &input, &user.actor(), true).await {
        Ok(_) => Ok(Redirect::to(&format!("/deals/{id}?saved=1")).into_response()),
        Err(CoreError::Invalid(errors)) => {
            let shown = Shown {
                errors,
                submitted: Some(input),
                ..Shown::default()
            };
            let page = page(&state, &user, lang, id, shown).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CoreError::NotFound(_)) => Err(PageError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    stage: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

pub async fn move_deal(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    headers: HeaderMap,
    PagePath(id): PagePath<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response, PageError> {
    let json_answer = wants_json(&headers);
    let t = texts(lang.0);
    if !user.can(Permission::TendersWrite) {
        return Err(PageError::Forbidden);
    }
    let crm = deals(&state);
    let before = match crm.deal(id).await {
        Err(CoreError::NotFound(_)) => return Err(PageError::NotFound),
        other => other?.0,
    };
    match crm.move_to(id, &form.stage, &user.actor()).await {
        Ok(deal) => {
            if json_answer {
                let pipeline = crm.pipeline(&deal.pipeline).await?;
                let name = pipeline
                    .stage(&deal.stage)
                    .map(|s| s.name(lang.0).to_string())
                    .unwrap_or_default();
                let message = format!("«{}» — {} «{name}».", deal.title, t.moved.to_lowercase());
                return Ok(
                    Json(json!({"ok": true, "stage": deal.stage, "message": message}))
                        .into_response(),
                );
            }
            Ok(Redirect::to(&format!("/deals/{id}?moved={}", deal.stage)).into_response())
        }
        Err(CoreError::Invalid(errors)) => {
            let pipeline = crm.pipeline(&before.pipeline).await?;
            let errors = localize(lang.0, errors);
            let message = refusal(lang.0, &pipeline, &before.stage, form.stage.trim(), &errors)
                .unwrap_or_else(|| {
                    errors
                        .iter()
                        .map(|e| field_message(lang.0, e))
                        .collect::<Vec<_>>()
                        .join("; ")
                });
            if json_answer {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({"ok": false, "message": message, "fields": fields})),
                )
                    .into_response());
            }
            // The missing fields are marked in the form below the message.
            let errors = errors
                .into_iter()
                .map(|mut e| {
                    if e.code.starts_with("required_to_") {
                        e.code = "required";
                        e.message = "is required".into();
                    }
                    e
                })
                .collect();
            let shown = Shown {
                refusal: Some(message),
                errors,
                ..Shown::default()
            };
            let page = page(&state, &user, lang, id, shown).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CoreError::Conflict(m)) if json_answer => Ok((
            StatusCode::CONFLICT,
            Json(json!({"ok": false, "message": m})),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignForm {
    /// A person's id, or empty for nobody.
    responsible_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
    Form(form): Form<AssignForm>,
) -> Result<Response, PageError> {
    user.require(Permission::TendersWrite)?;
    let person = match form.responsible_id.trim() {
        "" => None,
        s => Some(shtab_core::ids::PersonId(s.parse().map_err(|_| {
            PageError::BadRequest("responsible_id is not a number".into())
        })?)),
    };
    match deals(&state).assign(id, person, &user.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("/deals/{id}?saved=1")).into_response()),
        Err(CoreError::NotFound(_)) => Err(PageError::NotFound),
        Err(CoreError::Invalid(_)) => Err(PageError::BadRequest("no such person".into())),
        Err(e) => Err(e.into()),
    }
}
