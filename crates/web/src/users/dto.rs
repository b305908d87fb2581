//! What the users API reads and writes.

use serde::{Deserialize, Serialize};
use shtab_core::auth::Role;
use shtab_core::auth::users::User;
use shtab_core::time::rfc3339_ms;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, Type};

/// A list of role names, documented as the fixed set it is.
pub fn role_names_schema() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(Role::ALL.map(Role::as_str))),
        )
        .build()
}

fn role_names(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_string()).collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    /// The person's work address.
    pub email: Option<String>,
    #[schema(schema_with = role_names_schema)]
    pub roles: Vec<String>,
    pub disabled: bool,
    /// Enabled and still working here: may log in and use API tokens.
    pub active: bool,
    /// Without a password the user can only use API tokens.
    pub has_password: bool,
    /// The chosen interface language (`ru` or `en`); `null` follows the hub's default.
    pub locale: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339; `null` when the user has never logged in.
    pub last_login_at: Option<String>,
}

impl From<&User> for UserDto {
    fn from(u: &User) -> Self {
        UserDto {
            id: u.id.0,
            person_id: u.person_id.0,
            name: u.full_name.clone(),
            email: u.email.clone(),
            roles: role_names(&u.roles),
            disabled: u.disabled,
            active: u.is_active(),
            has_password: u.has_password,
            locale: u.locale.map(|l| l.code().to_string()),
            created_at: rfc3339_ms(u.created_at),
            last_login_at: u.last_login_at.map(rfc3339_ms),
        }
    }
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeDto {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub email: Option<String>,
    #[schema(schema_with = role_names_schema)]
    pub roles: Vec<String>,
    /// What the roles allow: `people_read`, `people_write`, `users_manage`, `audit_read`,
    /// `settings_manage`.
    pub permissions: Vec<String>,
    /// The interface language in effect: the user's choice, or the hub's default.
    pub locale: String,
}

impl MeDto {
    pub fn new(u: &User, locale: &str) -> MeDto {
        let mut permissions: Vec<&str> = u
            .roles
            .iter()
            .flat_map(|r| r.permissions())
            .map(|p| p.as_str())
            .collect();
        permissions.sort_unstable();
        permissions.dedup();
        MeDto {
            id: u.id.0,
            person_id: u.person_id.0,
            name: u.full_name.clone(),
            email: u.email.clone(),
            roles: role_names(&u.roles),
            permissions: permissions.into_iter().map(str::to_string).collect(),
            locale: locale.to_string(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserBody {
    /// The person (from `/api/v1/people`) who may log in: active, and not a user yet.
    pub person_id: i64,
    #[schema(schema_with = role_names_schema)]
    pub roles: Vec<String>,
    /// At least 10 characters. Leave it out to have one generated and returned once.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUserDto {
    pub user: UserDto,
    /// Present only when no password was given: shown this once, stored only as a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_password: Option<String>,
}

/// Each field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUserBody {
    /// Replaces the roles. The last enabled admin cannot lose the admin role.
    #[serde(default)]
    #[schema(schema_with = role_names_schema)]
    pub roles: Option<Vec<String>>,
    /// Disabling ends the user's sessions at once and stops their tokens. The last enabled
    /// admin cannot be disabled (409).
    #[serde(default)]
    pub disabled: Option<bool>,
    /// `ru` or `en`.
    #[serde(default)]
    pub locale: Option<String>,
}
