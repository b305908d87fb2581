//! `GET/POST /people/import`: upload a spreadsheet of people. All or nothing: a file with
//! any bad row writes nothing and the page lists every bad row, so one fixes the file and
//! uploads it again.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::auth::Permission;
use shtab_core::people::{self, RowError};
use shtab_core::{CoreError, FieldError};

use super::ssh_keys;
use super::texts::{PeopleTexts, texts};
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::i18n::{FormErrors, Lang, field_message};
use crate::shell::Shell;
use crate::state::AppState;

/// A bad row as the page lists it.
pub struct RowView {
    line: u64,
    field: String,
    message: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "people/import.html")]
pub struct ImportPage {
    shell: Shell,
    t: &'static PeopleTexts,
    /// After a successful import: (created, already present).
    done: Option<(usize, usize)>,
    rows: Vec<RowView>,
    errors: FormErrors,
}

/// Where a successful import lands, so reloading the page does not upload again.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    created: Option<usize>,
    existing: Option<usize>,
}

fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    done: Option<(usize, usize)>,
    rows: Vec<RowView>,
    errors: FormErrors,
) -> ImportPage {
    let t = texts(lang.0);
    ImportPage {
        shell: Shell::new(state, user, lang, t.import_title, "/people"),
        t,
        done,
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
    user.require(Permission::PeopleWrite)?;
    let done = query.created.zip(query.existing);
    Ok(page(
        &state,
        &user,
        lang,
        done,
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
    user.require(Permission::PeopleWrite)?;
    let t = texts(lang.0);
    let multipart = multipart.map_err(|e| PageError::BadRequest(e.body_text()))?;
    let file = read_file(multipart).await?;
    let result = match file {
        Some(bytes) => {
            people::import_csv(&state.db, &user.actor(), &bytes, ssh_keys::in_import(&user)).await
        }
        None => Err(CoreError::field("file", "required", t.no_file)),
    };
    let refused = |rows, errors| {
        let page = page(&state, &user, lang, None, rows, errors);
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    match result {
        Ok(report) if report.errors.is_empty() => Ok(Redirect::to(&format!(
            "/people/import?created={}&existing={}",
            report.created, report.skipped_existing
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

fn row_view(t: &PeopleTexts, lang: Lang, e: &RowError) -> RowView {
    let as_field = FieldError::new(e.field.clone(), e.code, e.message.clone());
    RowView {
        line: e.line,
        field: t.field_label(&e.field).to_string(),
        message: field_message(lang.0, &as_field),
    }
}
