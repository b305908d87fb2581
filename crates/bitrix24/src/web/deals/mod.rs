//! The deals' part of the Bitrix24 settings: the page's section (`POST
//! /settings/bitrix24/deals…`) and the `deals` key of `/api/v1/bitrix24/settings`. The rules
//! live in `crate::adapters::deals`; these handlers parse, check permissions, call and render.

pub mod dto;
mod texts;
pub mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::i18n::Lang;

use self::dto::DealsSettingsDto;
use self::view::Shown;
use super::page;
use crate::adapters::PortalDeals;
use crate::hub::Configured;
use crate::store::deals::DealsMap;

/// The deals on the portal, when a portal is configured (they can be set up before deals
/// move there).
#[derive(Clone, Default)]
pub struct DealsSetup(pub Option<Arc<PortalDeals>>);

impl DealsSetup {
    pub async fn dto(&self) -> CoreResult<Option<DealsSettingsDto>> {
        match &self.0 {
            Some(deals) => Ok(deals.settings().await?.map(Into::into)),
            None => Ok(None),
        }
    }
}

/// The mapping a form holds: `category_id`, `stage.<id>` and `field.<name>`.
fn map_of(form: &[(String, String)]) -> Result<DealsMap, CoreError> {
    let mut map = DealsMap::default();
    for (key, value) in form {
        let value = value.trim();
        if key == "category_id" {
            map.category_id = value.parse().map_err(|_| {
                CoreError::field(
                    "deals.category_id",
                    "invalid_category",
                    format!("«{value}» is not a category's number"),
                )
            })?;
        } else if let Some(stage) = key.strip_prefix("stage.") {
            if !value.is_empty() {
                map.stages.insert(stage.to_owned(), value.to_owned());
            }
        } else if let Some(field) = key.strip_prefix("field.")
            && !value.is_empty()
        {
            map.fields.insert(field.to_owned(), value.to_owned());
        }
    }
    Ok(map)
}

async fn page_with(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    portal: &Configured,
    setup: &DealsSetup,
    shown: Shown,
    status: StatusCode,
) -> Result<Response, PageError> {
    let section = view::section(state, setup, lang.0, shown).await?;
    let page = page::render(state, user, lang, portal, section).await?;
    Ok((status, page).into_response())
}

/// What went wrong, on the page: errors by path for a refused mapping, the portal's words
/// for anything else.
fn shown_error(e: CoreError, map: Option<DealsMap>) -> (Shown, StatusCode) {
    match e {
        CoreError::Invalid(errors) => (
            Shown {
                map,
                errors: errors
                    .into_iter()
                    .map(|e| (e.field, e.message))
                    .collect::<BTreeMap<_, _>>(),
                ..Shown::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        other => (
            Shown {
                map,
                refused: Some(other.to_string()),
                ..Shown::default()
            },
            StatusCode::CONFLICT,
        ),
    }
}

fn deals_of(setup: &DealsSetup) -> Result<&Arc<PortalDeals>, PageError> {
    setup
        .0
        .as_ref()
        .ok_or_else(|| PageError::BadRequest(crate::hub::HOW_TO_CONFIGURE.into()))
}

/// `POST /settings/bitrix24/deals/check`: reads the portal now for the saved category or the
/// one named, and fills in what matches by name.
pub async fn check(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    user.require(Permission::SettingsManage)?;
    let deals = deals_of(&setup)?;
    let category = form
        .iter()
        .find(|(k, _)| k == "category_id")
        .and_then(|(_, v)| v.trim().parse().ok());
    let (shown, status) = match deals.check_live(category).await {
        Ok(check) => (
            Shown {
                check: Some(check),
                ..Shown::default()
            },
            StatusCode::OK,
        ),
        Err(e) => shown_error(e, None),
    };
    page_with(&state, &user, lang, &portal, &setup, shown, status).await
}

/// A form's change: with `settings.manage` and deals on a portal, does `action`, then goes
/// back to the page saying it was `done`, or shows the page again with what went wrong (and
/// the mapping the form held, when the action names it).
async fn change(
    (state, user, lang): (&AppState, &CurrentUser, Lang),
    (portal, setup): (&Configured, &DealsSetup),
    done: &str,
    action: impl AsyncFnOnce(&PortalDeals) -> Result<(), (CoreError, Option<DealsMap>)>,
) -> Result<Response, PageError> {
    user.require(Permission::SettingsManage)?;
    let deals = deals_of(setup)?;
    match action(deals).await {
        Ok(()) => Ok(Redirect::to(&format!("/settings/bitrix24?deals={done}")).into_response()),
        Err((e, map)) => {
            let (shown, status) = shown_error(e, map);
            page_with(state, user, lang, portal, setup, shown, status).await
        }
    }
}

/// `act` on the mapping the form holds; what went wrong comes back with the mapping, to show
/// it again.
async fn mapped(
    form: &[(String, String)],
    act: impl AsyncFnOnce(&DealsMap) -> CoreResult<()>,
) -> Result<(), (CoreError, Option<DealsMap>)> {
    let map = map_of(form).map_err(|e| (e, None))?;
    act(&map).await.map_err(|e| (e, Some(map)))
}

/// `POST /settings/bitrix24/deals`: saves the mapping the form holds, if the portal has it all.
pub async fn save(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    change(
        (&state, &user, lang),
        (&portal, &setup),
        "saved",
        async |deals| mapped(&form, async |map| deals.save_map(map, &actor).await).await,
    )
    .await
}

/// `POST /settings/bitrix24/deals/create`: a new category with the pipeline's stages, and the
/// fields it needs.
pub async fn create(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
) -> Result<Response, PageError> {
    let actor = user.actor();
    change(
        (&state, &user, lang),
        (&portal, &setup),
        "created",
        async |deals| {
            deals
                .create_category(&actor)
                .await
                .map(|_| ())
                .map_err(|e| (e, None))
        },
    )
    .await
}

/// `POST /settings/bitrix24/deals/fields`: creates the fields the form's mapping lacks, with
/// Russian labels, and saves it.
pub async fn create_fields(
    State(state): State<AppState>,
    Extension(portal): Extension<Configured>,
    Extension(setup): Extension<DealsSetup>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let actor = user.actor();
    change(
        (&state, &user, lang),
        (&portal, &setup),
        "created",
        async |deals| {
            mapped(&form, async |map| {
                deals
                    .create_missing_fields(map.clone(), &actor)
                    .await
                    .map(|_| ())
            })
            .await
        },
    )
    .await
}
