//! `GET /access/people/{id}`: everything a person was given — each grant with its state
//! (and the error of a failed one), the grant form, their VPN devices — with revoke, retry
//! and "add device". A new device's configuration is shown once, on the answer to its form.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::ids::PersonId;
use shtab_core::people::{self, PersonStatus};
use shtab_core::time::day_start_ms;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::{form_errors, when};
use crate::domain::{GrantState, ResourceKind};
use crate::store::grants::{self, RawGrant};
use crate::store::{devices, resources};
use crate::web::texts::{AccessTexts, texts};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Notice {
    done: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GrantForm {
    resource_id: String,
    login: String,
    sudo: Option<String>,
    shell: String,
    groups: String,
    expires_on: String,
    reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeviceForm {
    grant_id: String,
    name: String,
}

pub struct GrantRow {
    id: i64,
    resource: String,
    login: String,
    sudo: bool,
    expires: String,
    reason: String,
    granted: String,
    state: (&'static str, &'static str),
    state_code: &'static str,
    error: String,
    note: String,
    attempts: i64,
    active: bool,
    retry: bool,
    has_first_secret: bool,
}

pub struct DeviceRow {
    id: i64,
    name: String,
    address: String,
    public_key: String,
    revoked: bool,
}

pub struct Choice {
    value: i64,
    label: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "access/person.html")]
pub struct PersonPage {
    shell: Shell,
    t: &'static AccessTexts,
    person_id: i64,
    left: bool,
    grants: Vec<GrantRow>,
    devices: Vec<DeviceRow>,
    resources: Vec<Choice>,
    vpn_grants: Vec<Choice>,
    can_manage: bool,
    notice: Option<&'static str>,
    form: GrantForm,
    errors: FormErrors,
    other_errors: Vec<String>,
    device_form: DeviceForm,
    device_errors: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    id: i64,
    notice: Option<&'static str>,
    form: GrantForm,
    errors: FormErrors,
    device_form: DeviceForm,
    device_errors: FormErrors,
) -> Result<PersonPage, PageError> {
    let t = texts(lang.0);
    let person = people::get(&state.db, PersonId(id)).await?;
    let list = grants::for_person(&state.db, id).await?;
    let vpn_grants = list
        .iter()
        .filter(|g| g.resource_kind == ResourceKind::Vpn && g.is_active())
        .map(|g| Choice {
            value: g.id,
            label: g.resource_name.clone(),
        })
        .collect();
    let grants = list
        .into_iter()
        .map(|g| GrantRow {
            id: g.id,
            resource: g.resource_name.clone(),
            login: g.login.clone(),
            sudo: g.sudo,
            // The last moment of access: the form's date is inclusive.
            expires: when(state, g.expires_at.map(|e| e - 60_000), t.never),
            reason: g.reason.clone(),
            granted: format!("{} · {}", when(state, Some(g.granted_at), ""), g.granted_by),
            state: t.state(g.state),
            state_code: g.state.as_str(),
            error: g.error.clone(),
            note: g.note.clone(),
            attempts: g.attempts,
            active: g.is_active(),
            retry: g.state == GrantState::Failed && g.resource_kind == ResourceKind::Connector,
            has_first_secret: g.has_first_secret,
        })
        .collect();
    let devices = devices::for_person(&state.db, id)
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            id: d.id,
            name: d.name,
            address: d.address,
            public_key: d.public_key,
            revoked: d.revoked_at.is_some(),
        })
        .collect();
    let resources = resources::list(&state.db)
        .await?
        .into_iter()
        .map(|r| Choice {
            value: r.id,
            label: format!("{} ({})", r.name, r.kind_label()),
        })
        .collect();
    Ok(PersonPage {
        shell: Shell::new(
            state,
            user,
            lang,
            format!("{}: {}", t.person_title, person.full_name),
            "/access",
        ),
        t,
        person_id: id,
        left: person.status == PersonStatus::Left,
        grants,
        devices,
        resources,
        vpn_grants,
        can_manage: user.can(Permission::AccessManage),
        notice,
        form,
        other_errors: errors.other_than(&[
            "resource_id",
            "login",
            "shell",
            "groups",
            "expires_at",
            "reason",
        ]),
        errors,
        device_form,
        device_errors: device_errors.other_than(&[]),
    })
}

pub async fn person(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Query(notice): Query<Notice>,
) -> Result<PersonPage, PageError> {
    user.require(Permission::AccessRead)?;
    let t = texts(lang.0);
    let notice = match notice.done.as_str() {
        "granted" => Some(t.granted_notice),
        "revoked" => Some(t.revoked_notice),
        "retried" => Some(t.retried_notice),
        _ => None,
    };
    let form = GrantForm {
        shell: "/bin/bash".into(),
        ..Default::default()
    };
    page(
        &state,
        &user,
        lang,
        id,
        notice,
        form,
        FormErrors::default(),
        DeviceForm::default(),
        FormErrors::default(),
    )
    .await
}

fn to_raw(state: &AppState, person: i64, form: &GrantForm) -> Result<RawGrant, CoreError> {
    let resource_id = form
        .resource_id
        .trim()
        .parse()
        .map_err(|_| CoreError::field("resource_id", "required", "choose a resource"))?;
    let expires_at = match form.expires_on.trim() {
        "" => None,
        s => {
            let day = people::parse_date("expires_at", s)?;
            // Valid through the whole of that day, in the agency's zone.
            let next = day.succ_opt().unwrap_or(day);
            Some(day_start_ms(next, state.config.time_zone()))
        }
    };
    Ok(RawGrant {
        person_id: person,
        resource_id,
        login: form.login.clone(),
        sudo: form.sudo.is_some(),
        shell: form.shell.clone(),
        groups: form.groups.clone(),
        expires_at,
        reason: form.reason.clone(),
    })
}

pub async fn grant(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<GrantForm>,
) -> Result<Response, PageError> {
    user.require(Permission::AccessManage)?;
    people::get(&state.db, PersonId(id)).await?;
    let saved = async {
        let raw = to_raw(&state, id, &form)?;
        grants::create(
            &state.db,
            &user.actor(),
            &raw,
            &state.config.access.refused_logins(),
        )
        .await
    }
    .await;
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/access/people/{id}?done=granted")).into_response()),
        Err(CoreError::Invalid(fields)) => {
            let errors = form_errors(lang.0, &fields);
            let page = page(
                &state,
                &user,
                lang,
                id,
                None,
                form,
                errors,
                DeviceForm::default(),
                FormErrors::default(),
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Redirect, PageError> {
    user.require(Permission::AccessManage)?;
    let g = grants::get(&state.db, id).await?;
    match grants::revoke(&state.db, &user.actor(), id, "revoked").await {
        Ok(_) | Err(CoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!(
        "/access/people/{}?done=revoked",
        g.person_id
    )))
}

pub async fn retry(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Redirect, PageError> {
    user.require(Permission::AccessManage)?;
    let g = grants::get(&state.db, id).await?;
    match grants::retry(&state.db, &user.actor(), id).await {
        Ok(_) | Err(CoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!(
        "/access/people/{}?done=retried",
        g.person_id
    )))
}

#[derive(Template, WebTemplate)]
#[template(path = "access/first_secret.html")]
pub struct FirstSecretPage {
    shell: Shell,
    t: &'static AccessTexts,
    person_id: i64,
    resource: String,
    secret: Option<String>,
}

/// Shows a new mailbox's first password once (a POST: it erases it) with no caching.
pub async fn first_secret(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<impl IntoResponse, PageError> {
    user.require(Permission::AccessManage)?;
    let g = grants::get(&state.db, id).await?;
    let secret = grants::take_first_secret(&state.db, &user.actor(), id).await?;
    let t = texts(lang.0);
    let page = FirstSecretPage {
        shell: Shell::new(
            &state,
            &user,
            lang,
            t.first_secret_title.to_string(),
            "/access",
        ),
        t,
        person_id: g.person_id,
        resource: g.resource_name,
        secret,
    };
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], page))
}

#[derive(Template, WebTemplate)]
#[template(path = "access/device.html")]
pub struct DevicePage {
    shell: Shell,
    t: &'static AccessTexts,
    person_id: i64,
    name: String,
    address: String,
    config_href: String,
    file_name: String,
    qr_svg: String,
}

pub async fn add_device(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<DeviceForm>,
) -> Result<Response, PageError> {
    user.require(Permission::AccessManage)?;
    let t = texts(lang.0);
    let created = async {
        let grant_id: i64 = form
            .grant_id
            .trim()
            .parse()
            .map_err(|_| CoreError::field("grant_id", "required", "choose a VPN grant"))?;
        let g = grants::get(&state.db, grant_id).await?;
        if g.person_id != id {
            return Err(CoreError::field(
                "grant_id",
                "not_vpn_grant",
                "not this person's grant",
            ));
        }
        devices::create(&state.db, &user.actor(), grant_id, &form.name).await
    }
    .await;
    match created {
        Ok(new) => {
            use base64::Engine;
            let config_href = format!(
                "data:text/plain;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(new.config.as_bytes())
            );
            let page = DevicePage {
                shell: Shell::new(&state, &user, lang, t.device_title, "/access"),
                t,
                person_id: id,
                file_name: format!("wg-{}.conf", new.device.address.replace('.', "-")),
                name: new.device.name,
                address: new.device.address,
                config_href,
                qr_svg: new.qr_svg,
            };
            // The private key is in this page only: no browser or proxy may keep it.
            Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], page).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = form_errors(lang.0, &fields);
            let form_back = GrantForm {
                shell: "/bin/bash".into(),
                ..Default::default()
            };
            let page = page(
                &state,
                &user,
                lang,
                id,
                None,
                form_back,
                FormErrors::default(),
                form,
                errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_device(
    State(state): State<AppState>,
    user: CurrentUser,
    PagePath(id): PagePath<i64>,
) -> Result<Redirect, PageError> {
    user.require(Permission::AccessManage)?;
    let d = devices::get(&state.db, id).await?;
    match devices::revoke(&state.db, &user.actor(), id).await {
        Ok(_) | Err(CoreError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!(
        "/access/people/{}?done=revoked",
        d.person_id
    )))
}
