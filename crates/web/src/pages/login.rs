//! Logging in and out. The login form has its own CSRF protection (a cookie and a form
//! field that must agree), since there is no session yet to hold a token.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use shtab_core::auth::users::LoginFailure;
use shtab_core::auth::{random_token, sessions, throttle, users};

use crate::auth::{CurrentUser, MaybeUser, SESSION_COOKIE, csrf_matches};
use crate::client_ip::client_ip;
use crate::error::PageError;
use crate::i18n::{Lang, pick};
use crate::redirect::local_path;
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

pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    MaybeUser(user): MaybeUser,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = local_path(q.next.as_deref());
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
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let t = pick(lang.0, &RU, &EN);
    let next = local_path(form.next.as_deref());
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
    let client = client_ip(&state.config.trusted_proxies(), peer.ip(), &headers);
    let ip_key = format!("ip:{client}");
    // Counted before the password is checked, so parallel guesses cannot all slip in
    // before the first failure is written. The address first: a blocked address does not
    // use up the account's attempts (which would lock its owner out from elsewhere).
    for key in [&ip_key, &email_key] {
        if throttle::count_attempt(&state.db, key, auth.login_max_failures, window_ms)
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
            throttle::give_back(&state.db, &ip_key).await?;
            let (token, _) =
                sessions::create(&state.db, user.id, state.config.session_lifetime()).await?;
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
            if failure != LoginFailure::UnknownEmail {
                tracing::warn!(?failure, client = %client, "login failed");
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
