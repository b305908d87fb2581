//! The platform's own pages that belong to no resource: home, login, settings.

mod home;
mod login;
mod settings;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::show))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/settings", get(settings::show).post(settings::save))
        .route("/lang", post(settings::switch_language))
}
