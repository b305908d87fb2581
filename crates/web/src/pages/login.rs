//! Logging in and out. The login form has its own CSRF protection (a cookie and a form
//! field that must agree), since there is no session yet to hold a token.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use shtab_core::auth::users::LoginFailure;
use shtab_core::auth::{random_token, sessions, throttle, users};

use crate::auth::{CurrentUser, MaybeUser, SESSION_COOKIE, csrf_matches};
use crate::error::PageError;
use crate::i18n::{Lang, pick};
use crate::shell::Shell;
use crate::state::AppState;

const LOGIN_CSRF_COOKIE: &str = "shtab_login_csrf";

#[derive(Debug)]
pub struct LoginTexts {
    pub title: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub submit: &'static str,
    pub failed: &'static str,
    pub throttled: &'static str,
    pub expired: &'static str,
}

static RU: LoginTexts = LoginTexts {
    title: "Вход",
    email: "Электронная почта",
    password: "Пароль",
    submit: "Войти",
    failed: "Неверная почта или пароль.",
    throttled: "Слишком много неудачных попыток. Повторите через несколько минут.",
    expired: "Форма устарела, попробуйте ещё раз.",
};

static EN: LoginTexts = LoginTexts {
    title: "Log in",
    email: "E-mail",
    password: "Password",
    submit: "Log in",
    failed: "Wrong e-mail or password.",
    throttled: "Too many failed attempts. Try again in a few minutes.",
    expired: "The form has expired, please try again.",
};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    shell: Shell,
    t: &'static LoginTexts,
    email: String,
    next: String,
    login_csrf: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths of this site: an open redirect would let a phishing link borrow our login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    render(&state, lang, jar, String::new(), next, None, StatusCode::OK)
}

fn render(
    state: &AppState,
    lang: Lang,
    jar: CookieJar,
    email: String,
    next: String,
    error: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let t = pick(lang.0, &RU, &EN);
    let login_csrf = random_token();
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, login_csrf.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.secure_cookies())
        .path("/login");
    let page = LoginPage {
        shell: Shell::anonymous(lang, t.title),
        t,
        email,
        next,
        login_csrf,
        error,
    };
    (status, jar.add(cookie), page).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf_token: String,
}

pub async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let t = pick(lang.0, &RU, &EN);
    let next = safe_next(form.next.as_deref());
    let cookie_token = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if cookie_token.is_empty() || !csrf_matches(&cookie_token, &form.csrf_token) {
        return Ok(render(
            &state,
            lang,
            jar,
            form.email,
            next,
            Some(t.expired),
            StatusCode::FORBIDDEN,
        ));
    }

    let auth = &state.config.auth;
    let window_ms = i64::from(auth.login_window_minutes) * 60_000;
    let email_key = format!("email:{}", form.email.trim().to_lowercase());
    let ip_key = format!("ip:{}", peer.ip());
    for key in [&ip_key, &email_key] {
        if throttle::blocked_for(&state.db, key, auth.login_max_failures, window_ms)
            .await?
            .is_some()
        {
            tracing::warn!(key = %key, "login throttled");
            return Ok(render(
                &state,
                lang,
                jar,
                form.email,
                next,
                Some(t.throttled),
                StatusCode::TOO_MANY_REQUESTS,
            ));
        }
    }

    match users::authenticate(&state.db, &form.email, &form.password).await? {
        Ok(user) => {
            throttle::clear(&state.db, &email_key).await?;
            let idle_ms = i64::from(auth.session_idle_hours) * 3_600_000;
            let (token, _) = sessions::create(&state.db, user.id, idle_ms).await?;
            tracing::info!(user = user.id.0, "logged in");
            let cookie = Cookie::build((SESSION_COOKIE, token))
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.config.secure_cookies())
                .path("/");
            let jar = jar
                .add(cookie)
                .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"));
            Ok((jar, Redirect::to(&next)).into_response())
        }
        Err(failure) => {
            throttle::record_failure(&state.db, &ip_key, window_ms).await?;
            throttle::record_failure(&state.db, &email_key, window_ms).await?;
            if failure != LoginFailure::UnknownEmail {
                tracing::warn!(?failure, "login failed");
            }
            Ok(render(
                &state,
                lang,
                jar,
                form.email,
                next,
                Some(t.failed),
                StatusCode::UNAUTHORIZED,
            ))
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    user: CurrentUser,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if let Some(session) = user.session() {
        sessions::delete(&state.db, &session.token_hash).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}
