//! A user as the pages show them: translated roles and state, times in the hub's zone.

use shtab_core::auth::users::User;
use shtab_core::people::PersonStatus;
use shtab_core::time::format_ms;

use super::texts::UsersTexts;
use crate::state::AppState;

pub struct UserView {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub email: String,
    pub roles: Vec<&'static str>,
    pub status: &'static str,
    /// The badge's style: `badge-ok`, `badge-muted`…
    pub status_class: &'static str,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: String,
    pub last_login: String,
}

impl UserView {
    pub fn new(state: &AppState, t: &UsersTexts, user: &User) -> UserView {
        let tz = state.config.time_zone();
        let (status, status_class) = if user.person_status == PersonStatus::Left {
            (t.left, "badge-muted")
        } else if user.disabled {
            (t.disabled, "badge-danger")
        } else {
            (t.active, "badge-ok")
        };
        UserView {
            id: user.id.0,
            person_id: user.person_id.0,
            name: user.full_name.clone(),
            email: user.email.clone().unwrap_or_default(),
            roles: user.roles.iter().map(|r| t.role(*r)).collect(),
            status,
            status_class,
            disabled: user.disabled,
            has_password: user.has_password,
            created_at: format_ms(user.created_at, tz),
            last_login: user
                .last_login_at
                .map(|ms| format_ms(ms, tz))
                .unwrap_or_else(|| t.never.to_string()),
        }
    }
}
