//! Roles as forms and the API send them: names, checked against the fixed list.

use shtab_core::FieldError;
use shtab_core::auth::Role;

use super::texts::UsersTexts;

/// One role checkbox.
pub struct RoleOption {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub fn options(t: &UsersTexts, checked: &[Role]) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .map(|role| RoleOption {
            value: role.as_str(),
            label: t.role(role),
            checked: checked.contains(&role),
        })
        .collect()
}

/// Parses role names; an unknown name is a field error (no role is silently dropped).
pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Role>, FieldError> {
    names
        .into_iter()
        .map(|name| {
            Role::parse(name).ok_or_else(|| {
                FieldError::new(
                    "roles",
                    "invalid_role",
                    format!("unknown role {name:?}: admin, manager, accountant or developer"),
                )
            })
        })
        .collect()
}
