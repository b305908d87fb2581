use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use shtab_core::auth::{sessions, tokens, users};

use super::current_user::{CurrentUser, Principal, Via};
use super::{LANG_COOKIE, SESSION_COOKIE, csrf};
use crate::error::{ApiError, PageError};
use crate::i18n::{Lang, Locale};
use crate::state::AppState;

/// Resolves the caller and the language, and refuses cookie-authenticated changes without
/// the CSRF token. A bearer token that is wrong, revoked or belongs to a disabled user is a
/// 401 at once, never a silent fall-back to anonymous. A good token opens only the API:
/// pages (settings, the token page, every form) are for people in a browser session, so a
/// leaked token cannot change its owner's password or mint more tokens there.
pub async fn authenticate(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let api = crate::app::is_api_path(req.uri().path());
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|s| s.trim().to_string());
    let principal = match resolve(&state, &jar, bearer.as_deref()).await {
        Ok(Some(p)) if !api && matches!(p.via, Via::Token { .. }) => {
            tracing::warn!(user = p.user.id.0, "API token refused on a page route");
            return ApiError::Refused("an API token opens only /api/; pages need a login session")
                .into_response();
        }
        Ok(p) => p,
        Err(Resolve::BadToken) => return ApiError::Unauthorized.into_response(),
        Err(Resolve::Db(e)) => {
            return if api {
                ApiError::from(e).into_response()
            } else {
                PageError::from(e).into_response()
            };
        }
    };

    let locale = principal
        .as_ref()
        .and_then(|p| p.user.locale)
        .or_else(|| {
            jar.get(LANG_COOKIE)
                .and_then(|c| Locale::from_code(c.value()))
        })
        .unwrap_or_else(|| state.config.default_locale());
    req.extensions_mut().insert(Lang(locale));

    if let Some(principal) = principal {
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if let (true, Via::Session(session)) = (unsafe_method, &principal.via) {
            let expected = session.csrf_token.clone();
            req = match csrf::check(&expected, req).await {
                Ok(req) => req,
                Err(()) => {
                    tracing::warn!(
                        user = principal.user.id.0,
                        "request refused: missing or wrong CSRF token"
                    );
                    return if api {
                        ApiError::Csrf.into_response()
                    } else {
                        crate::shell::csrf_refusal(locale)
                    };
                }
            };
        }
        req.extensions_mut()
            .insert(CurrentUser(Arc::new(principal)));
    }
    next.run(req).await
}

enum Resolve {
    BadToken,
    Db(shtab_core::CoreError),
}

impl From<shtab_core::CoreError> for Resolve {
    fn from(e: shtab_core::CoreError) -> Self {
        Resolve::Db(e)
    }
}

async fn resolve(
    state: &AppState,
    jar: &CookieJar,
    bearer: Option<&str>,
) -> Result<Option<Principal>, Resolve> {
    if let Some(secret) = bearer {
        let token = tokens::lookup(&state.db, secret)
            .await?
            .ok_or(Resolve::BadToken)?;
        let user = users::get(&state.db, shtab_core::ids::UserId(token.user_id)).await?;
        if !user.is_active() {
            return Err(Resolve::BadToken);
        }
        return Ok(Some(Principal {
            user,
            via: Via::Token {
                id: token.id,
                name: token.name,
            },
        }));
    }
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let life = state.config.session_lifetime();
    let Some(session) = sessions::lookup(&state.db, cookie.value(), life).await? else {
        return Ok(None);
    };
    let user = users::get(&state.db, session.user_id).await?;
    if !user.is_active() {
        sessions::delete(&state.db, &session.token_hash).await?;
        return Ok(None);
    }
    Ok(Some(Principal {
        user,
        via: Via::Session(session),
    }))
}
