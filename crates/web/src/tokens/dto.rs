//! What the tokens API reads and writes.

use serde::{Deserialize, Serialize};
use shtab_core::auth::tokens::ApiToken;
use shtab_core::time::rfc3339_ms;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDto {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub name: String,
    /// The first characters of the secret, to recognise it by.
    pub prefix: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, to the minute; `null` when never used.
    pub last_used_at: Option<String>,
    /// RFC 3339; `null` while the token works.
    pub revoked_at: Option<String>,
}

impl From<&ApiToken> for TokenDto {
    fn from(t: &ApiToken) -> Self {
        TokenDto {
            id: t.id,
            user_id: t.user_id,
            user_name: t.user_name.clone(),
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created_at: rfc3339_ms(t.created_at),
            last_used_at: t.last_used_at.map(rfc3339_ms),
            revoked_at: t.revoked_at.map(rfc3339_ms),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenBody {
    /// What the token is for (at most 100 characters).
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenDto {
    pub token: TokenDto,
    /// `shtab_…`: send as `Authorization: Bearer <secret>`. Returned this once; only its
    /// hash is stored.
    pub secret: String,
}
