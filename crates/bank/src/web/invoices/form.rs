//! Adding and changing an invoice: `GET /invoices/new`, `POST /invoices`,
//! `GET/POST /invoices/{id}/edit`. A refused form comes back (422) with each error next to
//! its field and everything as typed; nothing is written.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::people;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::list::today;
use super::texts::{InvoicesTexts, texts};
use crate::invoices::{self, Invoice, InvoiceId, RawInvoiceChange, RawInvoiceInput};

/// Fields the form shows; errors for any other field are listed above it.
const SHOWN: &[&str] = &[
    "number",
    "issued_on",
    "payer_name",
    "payer_inn",
    "amount",
    "due_on",
    "responsible_id",
];

/// The form as submitted: text only, so whatever was typed can be shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InvoiceForm {
    number: String,
    issued_on: String,
    payer_name: String,
    payer_inn: String,
    amount: String,
    due_on: String,
    /// A person's id, or empty for nobody.
    responsible_id: String,
}

/// A person's id from a `<select>`: empty is nobody; anything else must be a number.
fn parse_responsible(s: &str) -> CoreResult<Option<i64>> {
    match s.trim() {
        "" => Ok(None),
        id => id.parse().map(Some).map_err(|_| {
            CoreError::field(
                "responsible_id",
                "not_found",
                format!("there is no person #{id}"),
            )
        }),
    }
}

impl InvoiceForm {
    fn to_raw(&self) -> CoreResult<RawInvoiceInput> {
        Ok(RawInvoiceInput {
            number: self.number.clone(),
            issued_on: self.issued_on.clone(),
            payer_name: self.payer_name.clone(),
            payer_inn: self.payer_inn.clone(),
            amount: self.amount.clone(),
            due_on: self.due_on.clone(),
            responsible_id: parse_responsible(&self.responsible_id)?,
        })
    }

    /// The edit form sends every field, so every field is a change.
    fn to_change(&self) -> CoreResult<RawInvoiceChange> {
        Ok(RawInvoiceChange {
            number: Some(self.number.clone()),
            issued_on: Some(self.issued_on.clone()),
            payer_name: Some(self.payer_name.clone()),
            payer_inn: Some(self.payer_inn.clone()),
            amount: Some(self.amount.clone()),
            due_on: Some(self.due_on.clone()),
            responsible_id: Some(parse_responsible(&self.responsible_id)?),
        })
    }

    fn of(t: &InvoicesTexts, i: &Invoice) -> InvoiceForm {
        InvoiceForm {
            number: i.number.clone(),
            issued_on: t.date(i.issued_on),
            payer_name: i.payer_name.clone(),
            payer_inn: i.payer_inn.clone(),
            amount: i.amount.to_string(),
            due_on: i.due_on.map(|d| t.date(d)).unwrap_or_default(),
            responsible_id: i.responsible_id.map(|p| p.to_string()).unwrap_or_default(),
        }
    }
}

pub struct PersonOption {
    id: String,
    name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "bank/invoices_form.html")]
pub struct FormPage {
    shell: Shell,
    t: &'static InvoicesTexts,
    /// Where the form posts: `/invoices` or `/invoices/{id}/edit`.
    action: String,
    /// Where "cancel" leads back to.
    back: String,
    editing: bool,
    form: InvoiceForm,
    people: Vec<PersonOption>,
    errors: FormErrors,
    other_errors: Vec<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    editing: Option<InvoiceId>,
    form: InvoiceForm,
    errors: FormErrors,
) -> Result<FormPage, PageError> {
    let t = texts(lang.0);
    // Someone already chosen stays selectable after they leave, so saving does not
    // silently drop them.
    let chosen = form.responsible_id.trim().parse().ok().map(PersonId);
    let people = people::choices(&state.db, chosen)
        .await?
        .into_iter()
        .map(|(id, name)| PersonOption {
            id: id.to_string(),
            name,
        })
        .collect();
    let (title, action, back) = match editing {
        Some(id) => (
            t.edit_title,
            format!("/invoices/{id}/edit"),
            format!("/invoices/{id}"),
        ),
        None => (
            t.new_title,
            "/invoices".to_string(),
            "/invoices".to_string(),
        ),
    };
    Ok(FormPage {
        shell: Shell::new(state, user, lang, title, "/invoices"),
        t,
        action,
        back,
        editing: editing.is_some(),
        people,
        other_errors: errors.other_than(SHOWN),
        form,
        errors,
    })
}

pub async fn new(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
) -> Result<FormPage, PageError> {
    user.require(Permission::InvoicesWrite)?;
    let form = InvoiceForm {
        issued_on: texts(lang.0).date(today(&state)),
        ..InvoiceForm::default()
    };
    page(&state, &user, lang, None, form, FormErrors::default()).await
}

/// To the new invoice's page when saved; the full form again, as typed, when refused.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<InvoiceForm>,
) -> Result<Response, PageError> {
    user.require(Permission::InvoicesWrite)?;
    let saved = async {
        let input = form.to_raw()?.parse()?;
        invoices::create(&state.db, &user.actor(), &input).await
    }
    .await;
    match saved {
        Ok(invoice) => {
            Ok(Redirect::to(&format!("/invoices/{}?saved=1", invoice.id)).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page = page(&state, &user, lang, None, form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<InvoiceId>,
) -> Result<FormPage, PageError> {
    user.require(Permission::InvoicesWrite)?;
    let invoice = invoices::get(&state.db, id).await?;
    let form = InvoiceForm::of(texts(lang.0), &invoice);
    page(&state, &user, lang, Some(id), form, FormErrors::default()).await
}

pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<InvoiceId>,
    Form(form): Form<InvoiceForm>,
) -> Result<Response, PageError> {
    user.require(Permission::InvoicesWrite)?;
    let saved = async {
        let change = form.to_change()?.parse()?;
        invoices::update(&state.db, &user.actor(), id, &change).await
    }
    .await;
    match saved {
        Ok(invoice) => {
            Ok(Redirect::to(&format!("/invoices/{}?saved=1", invoice.id)).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = FormErrors::new(lang.0, &fields);
            let page = page(&state, &user, lang, Some(id), form, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
