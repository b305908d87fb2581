//! The portal's side of a local application installed on it (the docs' `local-integrations`,
//! `widgets/placement-bind.md`, `events/event-bind.md`, `bizproc/bizproc-robot`):
//!
//! - installation: the portal issues the application its tokens and an application token and
//!   posts `ONAPPINSTALL` (form-encoded, PHP-style keys) to the installation handler;
//!   removal posts `ONAPPUNINSTALL` to the handler bound for it and forgets everything the
//!   application bound;
//! - `placement.bind/unbind/get`, `event.bind/unbind/get`, `bizproc.robot.add/list/delete`,
//!   with the portal's refusals of a second binding of the same handler;
//! - users' own tokens (a placement's `AUTH_ID`), which `user.current` answers for;
//! - a placement opened the way the portal opens it: a form POST into an iframe with
//!   `AUTH_ID`, `member_id`, `PLACEMENT`, `PLACEMENT_OPTIONS`, and `DOMAIN`, `PROTOCOL`,
//!   `LANG`, `APP_SID` in the handler's query;
//! - a robot of an automation rule posting its call (with an `event_token`), and
//!   `bizproc.event.send`, which answers a token once (a second answer is refused).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::FakePortal;
use super::methods::{Outcome, ok, refuse};
use super::state::State;

/// A placement handler bound by `placement.bind`.
#[derive(Debug, Clone, PartialEq)]
pub struct FakePlacement {
    pub placement: String,
    pub handler: String,
    pub title: String,
    /// `LANG_ALL` as sent (`{"ru": {"TITLE": …}, "en": {…}}`).
    pub lang_all: Value,
}

/// A robot registered by `bizproc.robot.add`.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeRobot {
    pub code: String,
    pub handler: String,
    /// `NAME` as sent (a string or `{"ru": …, "en": …}`).
    pub name: Value,
    pub properties: Value,
    pub return_properties: Value,
    pub use_subscription: String,
}

/// One `bizproc.event.send` the portal accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeEventSend {
    pub event_token: String,
    pub return_values: Value,
    pub log_message: String,
}

/// What the portal keeps of the installed application.
#[derive(Default)]
pub struct AppSide {
    pub application_token: Option<String>,
    pub placements: Vec<FakePlacement>,
    /// (event name upper case, handler).
    pub events: Vec<(String, String)>,
    pub robots: Vec<FakeRobot>,
    pub sends: Vec<FakeEventSend>,
    /// Event tokens of robot calls waiting for their answer.
    pub waiting: HashSet<String>,
    /// Users' own tokens (`AUTH_ID`) → user id.
    pub viewer_tokens: HashMap<String, u64>,
    pub expired_viewer_tokens: HashSet<String>,
    /// The user whose own token made the call being answered (None: the application's).
    pub caller: Option<u64>,
    /// Tokens of other applications installed on the portal → their code.
    pub foreign_tokens: HashMap<String, String>,
    /// The other application whose token made the call being answered.
    pub foreign_caller: Option<String>,
    /// Pages the fake serves at `/_page/{n}` (a frame around a placement).
    pub pages: Vec<String>,
}

/// How the portal answers a token that is not the application's: a user's own, live or
/// expired, or nothing it knows (None).
pub enum ViewerToken {
    Live(u64),
    Expired,
    /// Another application's.
    Foreign(String),
}

pub fn viewer_token(state: &State, token: &str) -> Option<ViewerToken> {
    let side = &state.app_side;
    if side.expired_viewer_tokens.contains(token) {
        return Some(ViewerToken::Expired);
    }
    if let Some(code) = side.foreign_tokens.get(token) {
        return Some(ViewerToken::Foreign(code.clone()));
    }
    side.viewer_tokens.get(token).map(|u| ViewerToken::Live(*u))
}

/// The methods of this side, when `method` is one.
pub fn dispatch(state: &mut State, method: &str, named: &Value) -> Option<Outcome> {
    let text = |k: &str| -> String {
        named
            .get(k)
            .or_else(|| named.get(k.to_ascii_lowercase()))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            })
            .unwrap_or_default()
    };
    let admin_only = matches!(
        method,
        "placement.bind" | "placement.unbind" | "placement.get" | "event.bind" | "event.unbind"
    );
    if admin_only && state.app_side.caller.is_some() {
        return Some(Err(refuse(403, "ACCESS_DENIED", "Access denied!")));
    }
    if let Some(code) = &state.app_side.foreign_caller {
        return Some(match method {
            "app.info" => ok(json!({"ID": 9, "CODE": code, "VERSION": 1, "STATUS": "L",
                                   "INSTALLED": true, "PAYMENT_EXPIRED": "N", "DAYS": null})),
            _ => Err(refuse(403, "ACCESS_DENIED", "Access denied!")),
        });
    }
    Some(match method {
        "user.current" => {
            let id = state.app_side.caller.unwrap_or(super::state::WEBHOOK_USER);
            match state.users.iter().find(|u| u.id == id) {
                Some(u) => ok(super::methods::user_json(u)),
                None => Err(refuse(400, "", "User not found")),
            }
        }
        "placement.get" => ok(json!(
            state
                .app_side
                .placements
                .iter()
                .map(|p| json!({"placement": p.placement, "handler": p.handler,
                                "title": p.title, "description": "", "langAll": p.lang_all}))
                .collect::<Vec<_>>()
        )),
        "placement.bind" => {
            let (placement, handler) = (text("PLACEMENT"), text("HANDLER"));
            if placement.is_empty() || handler.is_empty() {
                return Some(Err(refuse(
                    400,
                    "ERROR_PLACEMENT_HANDLER",
                    "Wrong handler URL",
                )));
            }
            let side = &mut state.app_side;
            if side
                .placements
                .iter()
                .any(|p| p.placement == placement && p.handler == handler)
            {
                return Some(Err(refuse(
                    400,
                    "ERROR_CORE",
                    "Unable to set placement handler: Handler already binded",
                )));
            }
            side.placements.push(FakePlacement {
                placement,
                handler,
                title: text("TITLE"),
                lang_all: named.get("LANG_ALL").cloned().unwrap_or(Value::Null),
            });
            ok(json!(true))
        }
        "placement.unbind" => {
            let (placement, handler) = (text("PLACEMENT"), text("HANDLER"));
            let side = &mut state.app_side;
            let before = side.placements.len();
            side.placements.retain(|p| {
                !(p.placement == placement && (handler.is_empty() || p.handler == handler))
            });
            ok(json!({"count": before - side.placements.len()}))
        }
        "event.get" => ok(json!(
            state
                .app_side
                .events
                .iter()
                .map(|(e, h)| json!({"event": e, "handler": h, "auth_type": "0", "offline": 0}))
                .collect::<Vec<_>>()
        )),
        "event.bind" => {
            let (event, handler) = (text("event").to_ascii_uppercase(), text("handler"));
            if event.is_empty() || handler.is_empty() {
                return Some(Err(refuse(400, "ERROR_EVENT_NOT_FOUND", "Event not found")));
            }
            let side = &mut state.app_side;
            if side
                .events
                .iter()
                .any(|(e, h)| *e == event && *h == handler)
            {
                return Some(Err(refuse(400, "ERROR_CORE", "Handler already binded")));
            }
            side.events.push((event, handler));
            ok(json!(true))
        }
        "event.unbind" => {
            let (event, handler) = (text("event").to_ascii_uppercase(), text("handler"));
            let side = &mut state.app_side;
            let before = side.events.len();
            side.events
                .retain(|(e, h)| !(*e == event && (handler.is_empty() || *h == handler)));
            ok(json!({"count": before - side.events.len()}))
        }
        "bizproc.robot.list" => ok(json!(
            state
                .app_side
                .robots
                .iter()
                .map(|r| r.code.clone())
                .collect::<Vec<_>>()
        )),
        "bizproc.robot.add" => {
            let code = text("CODE");
            let handler = text("HANDLER");
            if code.is_empty()
                || !code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c))
            {
                return Some(Err(refuse(
                    400,
                    "ERROR_ACTIVITY_VALIDATION_FAILURE",
                    "Wrong activity code!",
                )));
            }
            if handler.is_empty() {
                return Some(Err(refuse(
                    400,
                    "ERROR_WRONG_HANDLER_URL",
                    "Wrong handler URL",
                )));
            }
            let side = &mut state.app_side;
            if side.robots.iter().any(|r| r.code == code) {
                return Some(Err(refuse(
                    400,
                    "ERROR_ACTIVITY_ALREADY_INSTALLED",
                    "Activity or Robot already installed!",
                )));
            }
            side.robots.push(FakeRobot {
                code,
                handler,
                name: named.get("NAME").cloned().unwrap_or(Value::Null),
                properties: named.get("PROPERTIES").cloned().unwrap_or(Value::Null),
                return_properties: named
                    .get("RETURN_PROPERTIES")
                    .cloned()
                    .unwrap_or(Value::Null),
                use_subscription: text("USE_SUBSCRIPTION"),
            });
            ok(json!(true))
        }
        "bizproc.robot.delete" => {
            let code = text("CODE");
            let side = &mut state.app_side;
            let before = side.robots.len();
            side.robots.retain(|r| r.code != code);
            if side.robots.len() == before {
                return Some(Err(refuse(
                    400,
                    "ERROR_ACTIVITY_NOT_FOUND",
                    "Activity or Robot not found!",
                )));
            }
            ok(json!(true))
        }
        "bizproc.event.send" => {
            let token = text("EVENT_TOKEN");
            let side = &mut state.app_side;
            if !side.waiting.remove(&token) {
                // The workflow no longer waits for this token (answered, or never asked).
                return Some(Err(refuse(400, 404, "Workflow not found")));
            }
            side.sends.push(FakeEventSend {
                event_token: token,
                return_values: named.get("RETURN_VALUES").cloned().unwrap_or(Value::Null),
                log_message: text("LOG_MESSAGE"),
            });
            ok(json!(true))
        }
        _ => return None,
    })
}

/// What a robot call or an installation event carries in `auth[…]`.
fn auth_block(
    state: &State,
    access: Option<(&str, &str)>,
    application_token: &str,
) -> Vec<(String, String)> {
    let mut auth = Vec::new();
    if let Some((access_token, refresh_token)) = access {
        auth.extend([
            ("auth[access_token]".to_owned(), access_token.to_owned()),
            (
                "auth[expires]".into(),
                (chrono::Utc::now().timestamp() + 3600).to_string(),
            ),
            ("auth[expires_in]".into(), "3600".into()),
            ("auth[scope]".into(), state.scopes.join(",")),
        ]);
        auth.push(("auth[refresh_token]".into(), refresh_token.to_owned()));
    }
    auth.extend([
        ("auth[domain]".to_owned(), state.domain()),
        (
            "auth[server_endpoint]".into(),
            "https://oauth.bitrix.info/rest/".into(),
        ),
        ("auth[status]".into(), "L".into()),
        (
            "auth[client_endpoint]".into(),
            format!("{}/rest/", state.origin),
        ),
        ("auth[member_id]".into(), state.member_id.clone()),
        (
            "auth[user_id]".into(),
            super::state::WEBHOOK_USER.to_string(),
        ),
        (
            "auth[application_token]".into(),
            application_token.to_owned(),
        ),
    ]);
    auth
}

impl FakePortal {
    /// The administrator installs the local application (`client_id`, `client_secret`) with
    /// `install_url` as its installation handler: the portal issues it a fresh pair of tokens
    /// (and, the first time, its application token) and posts `ONAPPINSTALL` there. The
    /// handler's status and answer.
    pub async fn install_local_app(
        &self,
        client_id: &str,
        client_secret: &str,
        install_url: &str,
    ) -> (u16, Value) {
        let body = {
            let mut s = self.state();
            let same_app = s.app.as_ref().is_some_and(|a| a.client_id == client_id);
            if !same_app {
                drop(s);
                self.install_app(client_id, client_secret);
                s = self.state();
            }
            let app = s.app.as_mut().expect("installed");
            app.serial += 1;
            let old = std::mem::replace(&mut app.access_token, format!("access-i{}", app.serial));
            app.expired.insert(old);
            app.refresh_token = format!("refresh-i{}", app.serial);
            let (access, refresh) = (app.access_token.clone(), app.refresh_token.clone());
            let n = s.id();
            let token = s
                .app_side
                .application_token
                .get_or_insert_with(|| format!("{:032x}", u128::from(n) * 0x51ed_2701_f3a5_c3b9))
                .clone();
            let mut form: Vec<(String, String)> = vec![
                ("event".into(), "ONAPPINSTALL".into()),
                ("data[VERSION]".into(), "1".into()),
                ("data[ACTIVE]".into(), "Y".into()),
                ("data[INSTALLED]".into(), "Y".into()),
                ("data[LANGUAGE_ID]".into(), "ru".into()),
                ("ts".into(), chrono::Utc::now().timestamp().to_string()),
            ];
            form.extend(auth_block(&s, Some((&access, &refresh)), &token));
            serde_urlencoded::to_string(&form).expect("pairs of text encode")
        };
        post_form(install_url, body).await
    }

    /// The application token the portal gave the installed application.
    pub fn application_token(&self) -> Option<String> {
        self.state().app_side.application_token.clone()
    }

    /// The administrator removes the application: the portal posts `ONAPPUNINSTALL` to the
    /// handler bound for it (if any; the status and answer) and forgets the application's
    /// tokens, placements, events and robots.
    pub async fn uninstall_local_app(&self) -> Option<(u16, Value)> {
        let (handler, body) = {
            let mut s = self.state();
            let token = s.app_side.application_token.take().unwrap_or_default();
            let handler = s
                .app_side
                .events
                .iter()
                .find(|(e, _)| e == "ONAPPUNINSTALL")
                .map(|(_, h)| h.clone());
            let mut form: Vec<(String, String)> = vec![
                ("event".into(), "ONAPPUNINSTALL".into()),
                ("data[CLEAN]".into(), "0".into()),
                ("ts".into(), chrono::Utc::now().timestamp().to_string()),
            ];
            form.extend(auth_block(&s, None, &token));
            s.app = None;
            let side = &mut s.app_side;
            side.placements.clear();
            side.events.clear();
            side.robots.clear();
            side.waiting.clear();
            (
                handler,
                serde_urlencoded::to_string(&form).expect("pairs of text encode"),
            )
        };
        match handler {
            Some(h) => Some(post_form(&h, body).await),
            None => None,
        }
    }

    pub fn placements(&self) -> Vec<FakePlacement> {
        self.state().app_side.placements.clone()
    }

    /// (event, handler) bound by `event.bind`.
    pub fn event_bindings(&self) -> Vec<(String, String)> {
        self.state().app_side.events.clone()
    }

    pub fn robots(&self) -> Vec<FakeRobot> {
        self.state().app_side.robots.clone()
    }

    /// The robot calls answered with `bizproc.event.send`, in order.
    pub fn event_sends(&self) -> Vec<FakeEventSend> {
        self.state().app_side.sends.clone()
    }

    /// A token of `user`'s own, as the portal puts in a placement's `AUTH_ID`.
    pub fn viewer_token(&self, user: u64) -> String {
        let mut s = self.state();
        let n = s.id();
        let token = format!("viewer-{user}-{n}");
        s.app_side.viewer_tokens.insert(token.clone(), user);
        token
    }

    /// A live token of another application installed on this portal (`code`, its client_id).
    pub fn foreign_app_token(&self, code: &str) -> String {
        let mut s = self.state();
        let n = s.id();
        let token = format!("foreign-{n}");
        s.app_side
            .foreign_tokens
            .insert(token.clone(), code.to_owned());
        token
    }

    /// The user's token runs out (the portal then answers `expired_token`).
    pub fn expire_viewer_token(&self, token: &str) {
        let mut s = self.state();
        s.app_side.viewer_tokens.remove(token);
        s.app_side.expired_viewer_tokens.insert(token.to_owned());
    }

    /// Where and what the portal posts to open `placement` for `user` with `options` (the
    /// card's `{"taskId": "101"}`…), in `lang`: the handler's address with `DOMAIN`,
    /// `PROTOCOL`, `LANG`, `APP_SID`, and the form's fields.
    pub fn placement_request(
        &self,
        placement: &str,
        options: &Value,
        user: u64,
        lang: &str,
    ) -> (String, Vec<(String, String)>) {
        let token = self.viewer_token(user);
        let s = self.state();
        let handler = s
            .app_side
            .placements
            .iter()
            .find(|p| p.placement == placement)
            .map(|p| p.handler.clone())
            .expect("the placement is bound");
        let mut url = reqwest::Url::parse(&handler).expect("a handler address");
        url.query_pairs_mut()
            .append_pair("DOMAIN", &s.domain())
            .append_pair("PROTOCOL", "0")
            .append_pair("LANG", lang)
            .append_pair("APP_SID", "4617fa96af5d1f523fc2e2b72bd54f11");
        let form = vec![
            ("AUTH_ID".to_owned(), token),
            ("AUTH_EXPIRES".into(), "3600".into()),
            ("REFRESH_ID".into(), format!("refresh-of-viewer-{user}")),
            ("member_id".into(), s.member_id.clone()),
            ("status".into(), "L".into()),
            ("PLACEMENT".into(), placement.into()),
            ("PLACEMENT_OPTIONS".into(), options.to_string()),
        ];
        (url.to_string(), form)
    }

    /// Opens `placement` as the portal does, from outside a browser: the form POST.
    pub async fn open_placement(
        &self,
        placement: &str,
        options: &Value,
        user: u64,
        lang: &str,
    ) -> reqwest::Response {
        let (url, form) = self.placement_request(placement, options, user, lang);
        post_fields(&url, &form).await
    }

    /// A page of the portal's card that frames `placement` the way the portal does: an
    /// iframe, and a form posting the placement's fields into it. Its address on this fake.
    pub fn frame_page(&self, placement: &str, options: &Value, user: u64, lang: &str) -> String {
        let (url, form) = self.placement_request(placement, options, user, lang);
        self.serve_page(&frame_html(&url, &form))
    }

    /// The frame of [`FakePortal::frame_page`], to serve from elsewhere (another origin).
    pub fn frame_html_for(
        &self,
        placement: &str,
        options: &Value,
        user: u64,
        lang: &str,
    ) -> String {
        let (url, form) = self.placement_request(placement, options, user, lang);
        frame_html(&url, &form)
    }

    /// Serves `html` at an address of this fake's origin.
    pub fn serve_page(&self, html: &str) -> String {
        let mut s = self.state();
        s.app_side.pages.push(html.to_owned());
        format!("{}/_page/{}", s.origin, s.app_side.pages.len() - 1)
    }

    /// A robot of the deal's automation rule runs: the portal posts its call to the robot's
    /// handler with a new event token and `properties`. The handler's status, answer, and the
    /// event token.
    pub async fn run_robot(
        &self,
        code: &str,
        deal_id: u64,
        properties: &[(&str, &str)],
    ) -> (u16, Value, String) {
        let (handler, token, form) = {
            let mut s = self.state();
            let handler = s
                .app_side
                .robots
                .iter()
                .find(|r| r.code == code)
                .map(|r| r.handler.clone())
                .expect("the robot is registered");
            let n = s.id();
            let event_token = format!("{n:x}.{n}|A{n}_{deal_id}|{n:032x}");
            s.app_side.waiting.insert(event_token.clone());
            let application_token = s.app_side.application_token.clone().unwrap_or_default();
            let access = s
                .app
                .as_ref()
                .map(|a| (a.access_token.clone(), a.refresh_token.clone()));
            let mut form: Vec<(String, String)> = vec![
                ("workflow_id".into(), format!("{n:x}.{n}")),
                ("code".into(), code.into()),
                ("document_id[0]".into(), "crm".into()),
                ("document_id[1]".into(), "CCrmDocumentDeal".into()),
                ("document_id[2]".into(), format!("DEAL_{deal_id}")),
                ("document_type[0]".into(), "crm".into()),
                ("document_type[1]".into(), "CCrmDocumentDeal".into()),
                ("document_type[2]".into(), "DEAL".into()),
                ("event_token".into(), event_token.clone()),
            ];
            for (k, v) in properties {
                form.push((format!("properties[{k}]"), (*v).into()));
            }
            form.extend([
                ("use_subscription".into(), "Y".into()),
                ("timeout_duration".into(), "0".into()),
                ("ts".into(), chrono::Utc::now().timestamp().to_string()),
            ]);
            let access = access.as_ref().map(|(a, r)| (a.as_str(), r.as_str()));
            form.extend(auth_block(&s, access, &application_token));
            (handler, event_token, form)
        };
        let (status, answer) = post_form(
            &handler,
            serde_urlencoded::to_string(&form).expect("pairs of text encode"),
        )
        .await;
        (status, answer, token)
    }

    /// The same robot call posted again, as the portal's queue does after a slow answer.
    pub async fn repeat_robot_call(&self, code: &str, deal_id: u64, event_token: &str) -> u16 {
        let (handler, form) = {
            let mut s = self.state();
            let handler = s
                .app_side
                .robots
                .iter()
                .find(|r| r.code == code)
                .map(|r| r.handler.clone())
                .expect("the robot is registered");
            let application_token = s.app_side.application_token.clone().unwrap_or_default();
            let n = s.id();
            let mut form: Vec<(String, String)> = vec![
                ("workflow_id".into(), format!("{n:x}")),
                ("code".into(), code.into()),
                ("document_id[0]".into(), "crm".into()),
                ("document_id[1]".into(), "CCrmDocumentDeal".into()),
                ("document_id[2]".into(), format!("DEAL_{deal_id}")),
                ("event_token".into(), event_token.into()),
            ];
            form.extend(auth_block(&s, None, &application_token));
            (handler, form)
        };
        post_form(
            &handler,
            serde_urlencoded::to_string(&form).expect("pairs of text encode"),
        )
        .await
        .0
    }
}

/// A card page framing the placement: the form targets the iframe and is sent on load;
/// `window.frameLoads` counts the frame's loads (the first is its empty page).
fn frame_html(url: &str, form: &[(String, String)]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    };
    let mut inputs = String::new();
    for (k, v) in form {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        ));
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Карточка</title></head><body>\
         <form id=\"placement\" method=\"post\" action=\"{}\" target=\"app\">{inputs}</form>\
         <iframe id=\"app\" name=\"app\" width=\"900\" height=\"600\" \
         onload=\"window.frameLoads=(window.frameLoads||0)+1\"></iframe>\
         <script>document.getElementById('placement').submit();</script></body></html>",
        esc(url)
    )
}

/// A served page by number (`/_page/{n}`).
pub fn page(state: &State, path: &str) -> Option<String> {
    let n: usize = path.strip_prefix("/_page/")?.parse().ok()?;
    state.app_side.pages.get(n).cloned()
}

async fn post_fields(url: &str, form: &[(String, String)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .form(form)
        .send()
        .await
        .expect("the handler answers")
}

async fn post_form(url: &str, body: String) -> (u16, Value) {
    let Ok(answer) = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
    else {
        return (0, Value::Null);
    };
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or_default())
}
