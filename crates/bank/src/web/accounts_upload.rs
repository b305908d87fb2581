//! `GET/POST /bank/import`: upload a statement file. All or nothing: a file that cannot be
//! read, or is for an account Shtab does not know, stores nothing and the page says which
//! line and key (or which account) was wrong.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::{Lang, field_message};
use shtab_web::shell::Shell;

use super::{AccountsTexts, ImportView, localize, texts};
use crate::service::import::{import_statement_file, summary};
use crate::store::imports;

#[derive(Template, WebTemplate)]
#[template(path = "bank/import.html")]
pub struct ImportPage {
    shell: Shell,
    t: &'static AccountsTexts,
    /// After a successful import: "3 new, 10 already known".
    done: Option<String>,
    imports: Vec<ImportView>,
    /// Why the file was refused, listed above the form (a statement error is long: it
    /// names the line, the key and the value).
    file_errors: Vec<String>,
}

/// Where a successful import lands, so reloading the page does not upload again.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    new: Option<u64>,
    known: Option<u64>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    done: Option<String>,
    file_errors: Vec<String>,
) -> Result<ImportPage, PageError> {
    let t = texts(lang.0);
    let imports = imports::recent(&state.db, None, 20)
        .await?
        .iter()
        .map(|i| ImportView::new(i, state, t))
        .collect();
    Ok(ImportPage {
        shell: Shell::new(state, user, lang, t.import_title, "/bank"),
        t,
        done,
        imports,
        file_errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(query): Query<DoneQuery>,
) -> Result<ImportPage, PageError> {
    user.require(Permission::BankManage)?;
    let done = query
        .new
        .zip(query.known)
        .map(|(new, known)| summary(lang.0, new, known));
    page(&state, &user, lang, done, Vec::new()).await
}

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    user.require(Permission::BankManage)?;
    let t = texts(lang.0);
    let multipart = multipart.map_err(|e| PageError::BadRequest(e.body_text()))?;
    let result = match read_file(multipart).await? {
        Some((name, bytes)) => import_statement_file(&state.db, &user.actor(), &name, &bytes).await,
        None => Err(CoreError::field("file", "required", t.no_file)),
    };
    match result {
        Ok(report) => Ok(Redirect::to(&format!(
            "/bank/import?new={}&known={}",
            report.new, report.known
        ))
        .into_response()),
        Err(CoreError::Invalid(fields)) => {
            let messages = localize(lang.0, fields)
                .iter()
                .map(|f| field_message(lang.0, f))
                .collect();
            let page = page(&state, &user, lang, None, messages).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The uploaded file's name and bytes; `None` when the form came without one (or with an
/// empty one).
async fn read_file(mut multipart: Multipart) -> Result<Option<(String, Vec<u8>)>, PageError> {
    let bad = |e: MultipartError| PageError::BadRequest(e.body_text());
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(bad)?;
            return Ok(Some((name, bytes.to_vec())).filter(|(_, b)| !b.is_empty()));
        }
    }
    Ok(None)
}
