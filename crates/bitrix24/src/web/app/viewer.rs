//! Who opened a tab: the portal opens a placement with a form POST (`AUTH_ID`, `member_id`,
//! `PLACEMENT`, `PLACEMENT_OPTIONS`; `DOMAIN`, `PROTOCOL`, `LANG`, `APP_SID` in the query),
//! and nothing in it is believed until the portal confirms the `AUTH_ID`: `user.current`
//! called with it names the viewer, who must be a person with a Shtab account. The
//! `member_id` must be the installed portal's. No session cookie is involved: a frame in
//! another site's page often gets none.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shtab_core::auth::users::User;
use shtab_core::auth::{Permission, Role, users};
use shtab_core::config::Secret;
use shtab_web::AppState;
use shtab_web::i18n::Locale;
use subtle::ConstantTimeEq;

use super::texts::{TabTexts, texts};
use crate::client::Bitrix24Error;
use crate::client::decode::PortalId;
use crate::hub::{Configured, Portal};
use crate::store::{app, people};

/// A placement's form, as posted.
pub struct Placement {
    fields: Vec<(String, String)>,
    pub locale: Locale,
}

impl Placement {
    /// The form's fields, and the language from `LANG` (the query's, else the form's):
    /// English for `en`, Russian otherwise.
    pub fn parse(query: Option<&str>, body: &[u8]) -> Option<Placement> {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default();
        let lang = query
            .iter()
            .chain(fields.iter())
            .find(|(k, _)| k == "LANG")
            .map(|(_, v)| v.trim().to_ascii_lowercase());
        let locale = match lang.as_deref() {
            Some("en") => Locale::En,
            _ => Locale::Ru,
        };
        Some(Placement { fields, locale })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// `PLACEMENT_OPTIONS`, a JSON object (the card's id: `{"ID":"3443"}`, `{"taskId":"101"}`).
    pub fn options(&self) -> serde_json::Map<String, serde_json::Value> {
        self.get("PLACEMENT_OPTIONS")
            .and_then(|o| serde_json::from_str(o).ok())
            .unwrap_or_default()
    }

    /// The first positive id among `keys` of the options, as a string or a number.
    pub fn option_id(&self, keys: &[&str]) -> Option<u64> {
        let options = self.options();
        keys.iter()
            .find_map(|k| match options.get(*k)? {
                serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
                serde_json::Value::Number(n) => n.as_u64(),
                _ => None,
            })
            .filter(|id| *id > 0)
    }
}

/// The confirmed viewer.
pub struct Viewer {
    pub portal: Portal,
    pub portal_user_id: u64,
    pub user: User,
    /// Their own token, for asking the portal what they may see.
    pub auth_id: Secret,
}

impl Viewer {
    pub fn can(&self, permission: Permission) -> bool {
        Role::grants(&self.user.roles, permission)
    }
}

#[derive(Deserialize)]
struct Current {
    #[serde(rename = "ID")]
    id: PortalId,
}

/// Why a tab shows nothing.
pub enum Refusal {
    NotInstalled,
    BadRequest,
    OtherPortal,
    NotConfirmed,
    PortalFailed,
    NoPerson,
    NoRights,
    Hidden,
    TasksElsewhere,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::NotInstalled | Refusal::TasksElsewhere => StatusCode::CONFLICT,
            Refusal::BadRequest => StatusCode::BAD_REQUEST,
            Refusal::NotConfirmed => StatusCode::UNAUTHORIZED,
            Refusal::PortalFailed => StatusCode::BAD_GATEWAY,
            Refusal::OtherPortal | Refusal::NoPerson | Refusal::NoRights | Refusal::Hidden => {
                StatusCode::FORBIDDEN
            }
        }
    }

    fn text(&self, t: &TabTexts) -> &'static str {
        match self {
            Refusal::NotInstalled => t.not_installed,
            Refusal::BadRequest => t.bad_request,
            Refusal::OtherPortal => t.other_portal,
            Refusal::NotConfirmed => t.not_confirmed,
            Refusal::PortalFailed => t.portal_failed,
            Refusal::NoPerson => t.no_person,
            Refusal::NoRights => t.no_rights,
            Refusal::Hidden => t.hidden,
            Refusal::TasksElsewhere => t.tasks_elsewhere,
        }
    }

    /// A short page saying why, framed like the tab would be.
    pub fn page(&self, portal: Option<&Portal>, locale: Locale) -> Response {
        let t = texts(locale);
        let html = format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body><p class=\"refused\">{}</p></body></html>",
            t.lang,
            t.refused,
            self.text(t)
        );
        framed(portal, self.status(), html)
    }
}

/// The tab's answer: only the portal may frame it (`frame-ancestors`), nothing loads from
/// elsewhere, and no cookie is set.
pub fn framed(portal: Option<&Portal>, status: StatusCode, html: String) -> Response {
    let ancestors = portal.map_or_else(
        || "'none'".to_owned(),
        |p| {
            let client = p.client();
            let mut origins = vec![client.portal().as_str().to_owned()];
            if let Some(moved) = client.moved_to() {
                origins.push(moved.as_str().to_owned());
            }
            origins.join(" ")
        },
    );
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
         frame-ancestors {ancestors}; form-action 'none'; base-uri 'none'"
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    // The hub's default DENY would forbid the portal too; browsers obey frame-ancestors
    // over this header, and ignore ALLOW-FROM, which only old ones read.
    if let Ok(v) = HeaderValue::from_str(&format!("ALLOW-FROM {ancestors}")) {
        headers.insert(header::X_FRAME_OPTIONS, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A placement's form is a few hundred bytes.
const MAX_FORM: usize = 64 * 1024;

/// The placement posted (`query`, `body`) and its viewer with `permission`, or the page
/// saying why not.
async fn open(
    state: &AppState,
    portal: &Configured,
    query: Option<&str>,
    body: &[u8],
    permission: Permission,
) -> Result<(Placement, Viewer), Response> {
    let configured = portal.portal();
    let Some(placement) = (body.len() <= MAX_FORM)
        .then(|| Placement::parse(query, body))
        .flatten()
    else {
        return Err(Refusal::BadRequest.page(configured, Locale::Ru));
    };
    match confirm(state, portal, &placement, permission).await {
        Ok(viewer) => Ok((placement, viewer)),
        Err(refusal) => Err(refusal.page(configured, placement.locale)),
    }
}

/// A tab's whole answer to the portal's POST (`query`, `body`): the viewer confirmed with
/// `permission`, then the page `render` makes for them, framed for the portal; or the page
/// saying why not.
pub async fn serve(
    state: &AppState,
    portal: &Configured,
    (query, body): (Option<&str>, &[u8]),
    permission: Permission,
    render: impl AsyncFnOnce(&Placement, &Viewer) -> Result<String, Refusal>,
) -> Response {
    let (placement, viewer) = match open(state, portal, query, body, permission).await {
        Ok(opened) => opened,
        Err(refused) => return refused,
    };
    match render(&placement, &viewer).await {
        Ok(html) => framed(Some(&viewer.portal), StatusCode::OK, html),
        Err(refusal) => refusal.page(Some(&viewer.portal), placement.locale),
    }
}

/// The viewer of `placement`, once the portal confirmed them, with Shtab's `permission`.
pub async fn confirm(
    state: &AppState,
    portal: &Configured,
    placement: &Placement,
    permission: Permission,
) -> Result<Viewer, Refusal> {
    let Some(portal) = portal.portal().filter(|p| p.client().app().is_some()) else {
        return Err(Refusal::NotInstalled);
    };
    let installed = app::get(&state.db, portal.client().portal())
        .await
        .map_err(|_| Refusal::PortalFailed)?
        .filter(app::Installed::is_active)
        .ok_or(Refusal::NotInstalled)?;
    let (Some(member_id), Some(auth_id)) = (placement.get("member_id"), placement.get("AUTH_ID"))
    else {
        return Err(Refusal::BadRequest);
    };
    if !bool::from(member_id.as_bytes().ct_eq(installed.member_id.as_bytes())) {
        tracing::warn!("a Bitrix24 placement named another portal's member_id");
        return Err(Refusal::OtherPortal);
    }
    let auth_id = Secret::new(auth_id);
    let current: Current = match portal
        .client()
        .call_as("user.current", &serde_json::json!({}), &auth_id)
        .await
        .and_then(|a| a.decode())
    {
        Ok(c) => c,
        Err(e) if is_not_confirmed(&e) => return Err(Refusal::NotConfirmed),
        Err(e) => {
            tracing::warn!(error = %e, "the portal could not confirm a placement's viewer");
            return Err(Refusal::PortalFailed);
        }
    };
    let portal_user_id = current.id.0;
    let links = people::links(&state.db)
        .await
        .map_err(|_| Refusal::PortalFailed)?;
    let person = links
        .iter()
        .find(|l| l.portal_user_id == portal_user_id && l.left_at.is_none())
        .map(|l| l.person_id)
        .ok_or(Refusal::NoPerson)?;
    let user = users::get_by_person(&state.db, person)
        .await
        .map_err(|_| Refusal::PortalFailed)?
        .filter(User::is_active)
        .ok_or(Refusal::NoPerson)?;
    let viewer = Viewer {
        portal: portal.clone(),
        portal_user_id,
        user,
        auth_id,
    };
    if !viewer.can(permission) {
        return Err(Refusal::NoRights);
    }
    Ok(viewer)
}

impl Viewer {
    /// Asks the portal, with the viewer's own token, for the card they opened: what it
    /// answers, or `Hidden` when it does not show it to them (a task answers an empty result,
    /// a CRM item «not found» or «access denied», alike for one that does not exist).
    pub async fn sees(
        &self,
        method: &str,
        params: &serde_json::Value,
    ) -> Result<crate::client::Answer, Refusal> {
        match self
            .portal
            .client()
            .call_as(method, params, &self.auth_id)
            .await
        {
            Ok(answer) if answer.is_empty_list() => Err(Refusal::Hidden),
            Ok(answer) => Ok(answer),
            Err(Bitrix24Error::NotFound { .. } | Bitrix24Error::NoPermission { .. }) => {
                Err(Refusal::Hidden)
            }
            Err(e) if is_not_confirmed(&e) => Err(Refusal::NotConfirmed),
            Err(e) => {
                tracing::warn!(error = %e, method, "the portal could not say what a viewer sees");
                Err(Refusal::PortalFailed)
            }
        }
    }
}

/// The portal refused the token itself (forged, expired, another portal's).
fn is_not_confirmed(e: &Bitrix24Error) -> bool {
    matches!(e, Bitrix24Error::Refused { status: 401, .. })
}
