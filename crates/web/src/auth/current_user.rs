use std::sync::Arc;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use shtab_core::audit::Actor;
use shtab_core::auth::sessions::Session;
use shtab_core::auth::users::User;
use shtab_core::auth::{Permission, Role};

use crate::error::{ApiError, PageError};

/// An authenticated caller.
#[derive(Debug)]
pub struct Principal {
    pub user: User,
    pub via: Via,
}

#[derive(Debug)]
pub enum Via {
    Session(Session),
    Token { id: i64, name: String },
}

/// The caller of a handler that needs one. Without a principal, a page redirects to the
/// login page and an API call answers 401.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Arc<Principal>);

/// The caller lacks a permission.
#[derive(Debug)]
pub struct Denied;

impl From<Denied> for ApiError {
    fn from(_: Denied) -> Self {
        ApiError::Forbidden
    }
}

impl From<Denied> for PageError {
    fn from(_: Denied) -> Self {
        PageError::Forbidden
    }
}

impl CurrentUser {
    pub fn user(&self) -> &User {
        &self.0.user
    }

    pub fn can(&self, permission: Permission) -> bool {
        Role::grants(&self.0.user.roles, permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), Denied> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Denied)
        }
    }

    /// Who the audit log says did it.
    pub fn actor(&self) -> Actor {
        let user = &self.0.user;
        match &self.0.via {
            Via::Session(_) => Actor::user(user.id, user.full_name.clone()),
            Via::Token { name, .. } => {
                Actor::token(user.id, format!("{} (token «{name}»)", user.full_name))
            }
        }
    }

    /// The session's CSRF token, for forms; empty for token callers (they need none).
    pub fn csrf(&self) -> &str {
        match &self.0.via {
            Via::Session(s) => &s.csrf_token,
            Via::Token { .. } => "",
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match &self.0.via {
            Via::Session(s) => Some(s),
            Via::Token { .. } => None,
        }
    }
}

/// What a handler gets instead of a [`CurrentUser`] when nobody is logged in.
pub enum NotLoggedIn {
    Api,
    Page { next: String },
}

impl IntoResponse for NotLoggedIn {
    fn into_response(self) -> Response {
        match self {
            NotLoggedIn::Api => ApiError::Unauthorized.into_response(),
            NotLoggedIn::Page { next } => PageError::LoginRequired { next }.into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = NotLoggedIn;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        // Nested routers see their path with the prefix stripped (`/people` for
        // `/api/v1/people`); the original URI tells an API call from a page.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| parts.uri.clone());
        if crate::app::is_api_path(uri.path()) {
            Err(NotLoggedIn::Api)
        } else {
            let next = uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            Err(NotLoggedIn::Page { next })
        }
    }
}

/// For pages that work with or without a login (the login page itself).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<CurrentUser>().cloned()))
    }
}
