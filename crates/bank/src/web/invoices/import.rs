//! `GET/POST /invoices/import`: upload a spreadsheet of invoices. All or nothing: a file
//! with any bad row writes nothing and the page lists every bad row by its line.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::{CoreError, FieldError};
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::{FormErrors, Lang, field_message};
use shtab_web::shell::Shell;

use super::texts::{InvoicesTexts, texts};
use crate::invoices::{self, RowError};

/// A bad row as the page lists it.
pub struct RowView {
    line: u64,
    field: &'static str,
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/invoices_import.html")]
pub struct ImportPage {
    shell: Shell,
    t: &'static InvoicesTexts,
    /// After a successful import: how many invoices it added.
    imported: Option<usize>,
    rows: Vec<RowView>,
    errors: FormErrors,
}

/// Where a successful import lands, so reloading the page does not upload again.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    imported: Option<usize>,
}

fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    imported: Option<usize>,
    rows: Vec<RowView>,
    errors: FormErrors,
) -> ImportPage {
    let t = texts(lang.0);
    ImportPage {
        shell: Shell::new(state, user, lang, t.import_title, "/invoices"),
        t,
        imported,
        rows,
        errors,
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Query(query): Query<DoneQuery>,
) -> Result<ImportPage, PageError> {
    user.require(Permission::InvoicesWrite)?;
    Ok(page(
        &state,
        &user,
        lang,
        query.imported,
        Vec::new(),
        FormErrors::default(),
    ))
}

pub async fn upload(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    user.require(Permission::InvoicesWrite)?;
    let t = texts(lang.0);
    let multipart = multipart.map_err(|e| PageError::BadRequest(e.body_text()))?;
    let result = match read_file(multipart).await? {
        Some(bytes) => invoices::import_csv(&state.db, &user.actor(), &bytes).await,
        None => Err(CoreError::field("file", "required", t.no_file)),
    };
    let refused = |rows, errors| {
        let page = page(&state, &user, lang, None, rows, errors);
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    match result {
        Ok(report) if report.errors.is_empty() => Ok(Redirect::to(&format!(
            "/invoices/import?imported={}",
            report.created.len()
        ))
        .into_response()),
        Ok(report) => {
            let rows = report.errors.iter().map(|e| row_view(t, lang, e)).collect();
            refused(rows, FormErrors::default())
        }
        Err(CoreError::Invalid(fields)) => refused(Vec::new(), FormErrors::new(lang.0, &fields)),
        Err(e) => Err(e.into()),
    }
}

/// The uploaded file's bytes; `None` when the form came without one (or with an empty one).
async fn read_file(mut multipart: Multipart) -> Result<Option<Vec<u8>>, PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(bad)?;
            return Ok(Some(bytes.to_vec()).filter(|b| !b.is_empty()));
        }
    }
    Ok(None)
}

fn row_view(t: &InvoicesTexts, lang: Lang, e: &RowError) -> RowView {
    let as_field = FieldError::new(e.field.clone(), e.code, e.message.clone());
    RowView {
        line: e.line,
        field: t.field_label(&e.field),
        message: field_message(lang.0, &as_field),
    }
}
