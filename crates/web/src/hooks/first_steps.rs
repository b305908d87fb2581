//! The first steps of a new installation, for admins, until every one is done.

use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;

use super::FirstStep;
use crate::auth::CurrentUser;
use crate::state::AppState;

/// The steps with whether each is done; empty when the user is not an admin or everything
/// is done (then the home page stops showing them).
pub async fn pending(state: &AppState, user: &CurrentUser) -> CoreResult<Vec<FirstStep>> {
    if !user.can(Permission::SettingsManage) {
        return Ok(Vec::new());
    }
    let steps = all(state).await?;
    if steps.iter().all(|s| s.done) {
        return Ok(Vec::new());
    }
    Ok(steps)
}

/// Every step, done or not.
pub async fn all(state: &AppState) -> CoreResult<Vec<FirstStep>> {
    let mut steps = Vec::new();
    for provider in state.hooks.first_steps.iter() {
        steps.extend(provider(state.clone()).await?);
    }
    Ok(steps)
}
