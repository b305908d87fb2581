//! `GET /access/servers`: every server with its agent's last contact and whether it runs
//! the current revision; a form to add one. A new server's page (and a rotated token's)
//! shows the agent token once. `GET /access/servers/{id}`: the agent, revisions, drift,
//! errors of the last report and the accounts the server should have.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shtab_access_protocol::AccountState;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;
use shtab_web::extract::PagePath;
use shtab_web::i18n::{FormErrors, Lang};
use shtab_web::shell::Shell;

use super::{form_errors, when};
use crate::store::desired::{self, Facts, Numbered};
use crate::store::servers::{self, RawServer, Server};
use crate::web::dto::applied_number;
use crate::web::texts::{AccessTexts, texts};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServerForm {
    name: String,
    address: String,
    groups: String,
}

pub struct ServerRow {
    id: i64,
    name: String,
    address: String,
    groups: String,
    last_seen: String,
    in_sync: bool,
    reported: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "access/servers.html")]
pub struct ServersPage {
    shell: Shell,
    t: &'static AccessTexts,
    rows: Vec<ServerRow>,
    can_manage: bool,
    form: ServerForm,
    errors: FormErrors,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    form: ServerForm,
    errors: FormErrors,
    only_out_of_sync: bool,
) -> Result<ServersPage, PageError> {
    let t = texts(lang.0);
    let facts = Facts::load(&state.db).await?;
    let rows = servers::list(&state.db)
        .await?
        .into_iter()
        .filter(|s| !only_out_of_sync || crate::web::home::out_of_sync(&facts, s))
        .map(|s| ServerRow {
            in_sync: facts.state_of(&s).revision == s.applied_revision,
            reported: !s.applied_revision.is_empty(),
            last_seen: when(state, s.last_seen_at, t.never),
            groups: s.groups.join(", "),
            id: s.id,
            name: s.name,
            address: s.address,
        })
        .collect();
    Ok(ServersPage {
        shell: Shell::new(state, user, lang, t.servers, "/access"),
        t,
        rows,
        can_manage: user.can(Permission::AccessManage),
        form,
        errors,
    })
}

/// `?sync=out`: only the servers whose agent reported a state other than the current one
/// (the home page's link).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServersQuery {
    sync: String,
}

pub async fn servers(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    axum::extract::Query(q): axum::extract::Query<ServersQuery>,
) -> Result<ServersPage, PageError> {
    user.require(Permission::AccessRead)?;
    list_page(
        &state,
        &user,
        lang,
        ServerForm::default(),
        FormErrors::default(),
        q.sync.trim() == "out",
    )
    .await
}

pub struct AccountRow {
    login: String,
    uid: u32,
    sudo: bool,
    locked: bool,
    keys: usize,
    groups: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "access/server.html")]
pub struct ServerPage {
    shell: Shell,
    t: &'static AccessTexts,
    id: i64,
    address: String,
    groups: String,
    has_token: bool,
    hostname: String,
    agent_version: String,
    last_seen: String,
    applied_revision: String,
    desired_revision: String,
    in_sync: bool,
    drift: Vec<String>,
    errors: Vec<String>,
    reported_at: String,
    applied: Vec<String>,
    accounts: Vec<AccountRow>,
    peers: usize,
    can_manage: bool,
    /// Shown once: right after the server was added or its token rotated.
    token: Option<String>,
    name: String,
    /// Why the last edit was refused.
    edit_errors: Vec<String>,
}

fn server_page(
    state: &AppState,
    user: &CurrentUser,
    lang: Lang,
    s: Server,
    d: Numbered,
    token: Option<String>,
) -> ServerPage {
    let t = texts(lang.0);
    let report = s.last_report.clone();
    ServerPage {
        shell: Shell::new(
            state,
            user,
            lang,
            format!("{}: {}", t.servers, s.name),
            "/access",
        ),
        t,
        id: s.id,
        address: s.address.clone(),
        groups: s.groups.join(", "),
        has_token: s.has_token,
        hostname: s.hostname.clone(),
        agent_version: s.agent_version.clone(),
        last_seen: when(state, s.last_seen_at, t.never),
        in_sync: d.hash == s.applied_revision,
        applied_revision: match applied_number(&s) {
            n if n.is_empty() => t.never.into(),
            n => n,
        },
        desired_revision: d.state.revision.clone(),
        drift: report.as_ref().map(|r| r.drift.clone()).unwrap_or_default(),
        errors: report
            .as_ref()
            .map(|r| r.errors.clone())
            .unwrap_or_default(),
        applied: report
            .as_ref()
            .map(|r| {
                r.applied
                    .iter()
                    .map(|c| format!("{}: {} {}", c.target, c.action, c.detail))
                    .collect()
            })
            .unwrap_or_default(),
        reported_at: when(state, s.reported_at, t.never),
        accounts: d
            .state
            .accounts
            .iter()
            .map(|a| AccountRow {
                login: a.login.clone(),
                uid: a.uid,
                sudo: a.sudo,
                locked: a.state == AccountState::Locked,
                keys: a.keys.len(),
                groups: a.groups.join(", "),
            })
            .collect(),
        peers: d.state.wireguard.as_ref().map_or(0, |w| w.peers.len()),
        can_manage: user.can(Permission::AccessManage),
        token,
        name: s.name.clone(),
        edit_errors: Vec::new(),
    }
}

pub async fn server(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
) -> Result<ServerPage, PageError> {
    user.require(Permission::AccessRead)?;
    let s = servers::get(&state.db, id).await?;
    let d = desired::numbered(&state.db, &s).await?;
    Ok(server_page(&state, &user, lang, s, d, None))
}

pub async fn create_server(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    Form(form): Form<ServerForm>,
) -> Result<Response, PageError> {
    user.require(Permission::AccessManage)?;
    let raw = RawServer {
        name: form.name.clone(),
        address: form.address.clone(),
        groups: form.groups.clone(),
    };
    match servers::create(&state.db, &user.actor(), &raw).await {
        Ok((s, token)) => {
            let d = desired::numbered(&state.db, &s).await?;
            let page = server_page(&state, &user, lang, s, d, Some(token));
            Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], page).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let errors = form_errors(lang.0, &fields);
            let page = list_page(&state, &user, lang, form, errors, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /access/servers/{id}`: a new name, address or groups.
pub async fn update_server(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<ServerForm>,
) -> Result<Response, PageError> {
    user.require(Permission::AccessManage)?;
    let raw = RawServer {
        name: form.name.clone(),
        address: form.address.clone(),
        groups: form.groups.clone(),
    };
    match servers::update(&state.db, &user.actor(), id, &raw).await {
        Ok(_) => {
            desired::sync_agent_grants(&state.db).await?;
            Ok(Redirect::to(&format!("/access/servers/{id}")).into_response())
        }
        Err(CoreError::Invalid(fields)) => {
            let s = servers::get(&state.db, id).await?;
            let d = desired::numbered(&state.db, &s).await?;
            let mut page = server_page(&state, &user, lang, s, d, None);
            page.edit_errors = form_errors(lang.0, &fields).other_than(&[]);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    /// `rotate` or `revoke`.
    action: String,
}

pub async fn server_token(
    State(state): State<AppState>,
    user: CurrentUser,
    lang: Lang,
    PagePath(id): PagePath<i64>,
    Form(form): Form<TokenForm>,
) -> Result<Response, PageError> {
    user.require(Permission::AccessManage)?;
    let token = servers::set_token(&state.db, &user.actor(), id, form.action == "rotate").await?;
    let s = servers::get(&state.db, id).await?;
    let d = desired::numbered(&state.db, &s).await?;
    let page = server_page(&state, &user, lang, s, d, token);
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], page).into_response())
}
