//! `POST /repositories/sweep`: "Sweep now". Queues a run of the sweep robot and opens the
//! run's page, where its progress shows live; those who may not see robots come back to
//! the list with a note instead.

use axum::extract::State;
use axum::response::Redirect;
use shtab_core::CoreError;
use shtab_core::auth::Permission;
use shtab_core::robots;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::error::PageError;

/// The sweep robot's name: the key of its schedule and runs.
pub const SWEEP_ROBOT: &str = "vcs.sweep";

pub async fn request(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Redirect, PageError> {
    user.require(Permission::RepositoriesManage)?;
    let run_page = |id: i64| {
        if user.can(Permission::RobotsRead) {
            Redirect::to(&format!("/robots/runs/{id}"))
        } else {
            Redirect::to("/repositories?sweep=queued")
        }
    };
    match robots::request_run(&state.db, &user.actor(), SWEEP_ROBOT).await {
        Ok(run) => Ok(run_page(run.id)),
        // One is already queued or running: it will see the same repositories, so a
        // second one would add nothing. Say so rather than fail.
        Err(CoreError::Conflict(_)) => Ok(Redirect::to("/repositories?sweep=busy")),
        // The binary was built without the robot (its row is missing).
        Err(CoreError::NotFound(_)) => Ok(Redirect::to("/repositories?sweep=unavailable")),
        Err(e) => Err(e.into()),
    }
}
