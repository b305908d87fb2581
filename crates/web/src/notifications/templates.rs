//! Message templates: the list, and editing one language of one with a preview.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::notify::{self};
use shtab_core::types::Locale as CoreLocale;

use super::texts::{NotifyTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::extract::{PagePath, Saved};
use crate::i18n::{FormErrors, Lang};
use crate::shell::Shell;
use crate::state::AppState;

pub struct TemplateRow {
    key: String,
    locale: &'static str,
    subject: String,
    customised: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/templates.html")]
pub struct TemplatesPage {
    shell: Shell,
    t: &'static NotifyTexts,
    rows: Vec<TemplateRow>,
}

pub async fn templates(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<TemplatesPage, PageError> {
    user.require(Permission::NotificationsManage)?;
    let t = texts(lang.0);
    let rows = notify::list_templates(&state.db)
        .await?
        .into_iter()
        .map(|x| TemplateRow {
            key: x.key,
            locale: x.locale.code(),
            subject: x.subject,
            customised: x.customised,
        })
        .collect();
    Ok(TemplatesPage {
        shell: Shell::new(&state, &user, lang, t.templates_title, "/notifications"),
        t,
        rows,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications/template.html")]
pub struct TemplatePage {
    shell: Shell,
    t: &'static NotifyTexts,
    key: String,
    locale: &'static str,
    subject: String,
    body: String,
    preview: Option<(String, String)>,
    errors: FormErrors,
    saved: bool,
}

fn parse_locale(code: &str) -> Result<CoreLocale, PageError> {
    CoreLocale::from_code(code).ok_or(PageError::NotFound)
}

pub async fn edit_template(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath((key, locale)): PagePath<(String, String)>,
    Saved(saved): Saved,
) -> Result<TemplatePage, PageError> {
    user.require(Permission::NotificationsManage)?;
    let t = texts(lang.0);
    let locale = parse_locale(&locale)?;
    let tpl = notify::get_template(&state.db, &key, locale).await?;
    let preview = notify::preview(&key, &tpl.subject, &tpl.body).ok();
    Ok(TemplatePage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            format!("{} · {key}", t.templates_title),
            "/notifications",
        ),
        t,
        key,
        locale: locale.code(),
        subject: tpl.subject,
        body: tpl.body,
        preview,
        errors: FormErrors::default(),
        saved,
    })
}

#[derive(Debug, Deserialize)]
pub struct TemplateForm {
    subject: String,
    body: String,
    #[serde(default)]
    action: String,
}

pub async fn save_template(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath((key, locale_code)): PagePath<(String, String)>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, PageError> {
    user.require(Permission::NotificationsManage)?;
    let t = texts(lang.0);
    let locale = parse_locale(&locale_code)?;
    // Only templates that exist (built in or stored) can be edited from the page.
    notify::get_template(&state.db, &key, locale).await?;
    let result = if form.action == "preview" {
        notify::preview(&key, &form.subject, &form.body).map(Some)
    } else {
        notify::save_template(
            &state.db,
            &user.actor(),
            &key,
            locale,
            &form.subject,
            &form.body,
        )
        .await
        .map(|_| None)
    };
    let (preview, errors, status) = match result {
        Ok(None) => {
            return Ok(Redirect::to(&format!(
                "/notifications/templates/{key}/{}?saved=1",
                locale.code()
            ))
            .into_response());
        }
        Ok(Some(p)) => (Some(p), FormErrors::default(), StatusCode::OK),
        Err(CoreError::Invalid(fields)) => (
            None,
            FormErrors::new(lang.0, &fields),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e.into()),
    };
    let page = TemplatePage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            format!("{} · {key}", t.templates_title),
            "/notifications",
        ),
        t,
        key,
        locale: locale.code(),
        subject: form.subject,
        body: form.body,
        preview,
        errors,
        saved: false,
    };
    Ok((status, page).into_response())
}
