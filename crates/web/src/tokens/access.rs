//! Whose tokens a caller sees and may revoke: their own, or everyone's with
//! [`Permission::UsersManage`].

use shtab_core::auth::Permission;
use shtab_core::auth::tokens::ApiToken;
use shtab_core::ids::UserId;

use crate::auth::CurrentUser;

/// The owner to list tokens of; `None` is everyone.
pub fn listed_owner(user: &CurrentUser) -> Option<UserId> {
    (!user.can(Permission::UsersManage)).then_some(user.user().id)
}

pub fn may_revoke(user: &CurrentUser, token: &ApiToken) -> bool {
    token.user_id == user.user().id.0 || user.can(Permission::UsersManage)
}
