//! A local application's connection to its portal, in table `bitrix24_oauth`: the tokens
//! behind the client's [`TokenStore`], whose they are (for the settings page), and the
//! refresh lease that lets one hub at a time refresh across the hubs sharing the database.
//!
//! The tokens are stored as the other credentials Shtab keeps (a repository's token, for
//! one): in the database, never shown, logged or put in the audit log. Whoever can read the
//! database can act on the portal as the application, as they can read `shtab.toml`.
//!
//! [`connect`] is how tokens first arrive (the settings page's authorisation today; the
//! portal's installation event later), [`disconnect`] how they go.

use async_trait::async_trait;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::auth::random_token;
use shtab_core::config::Secret;
use shtab_core::db::{Db, FromRow};
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use crate::client::{Grant, Lease, PortalOrigin, RefreshClaim, TokenStore, Tokens};

/// One portal's tokens for one application, in the hub's database.
pub struct DbTokenStore {
    db: Db,
    portal: String,
    client_id: String,
}

impl DbTokenStore {
    /// Tokens stored for another application (a changed `client_id`) are not this one's: the
    /// administrator authorises the new one.
    pub fn new(db: Db, portal: &PortalOrigin, client_id: &str) -> DbTokenStore {
        DbTokenStore {
            db,
            portal: portal.to_string(),
            client_id: client_id.to_owned(),
        }
    }
}

#[derive(FromRow)]
struct TokenRow {
    access_token: String,
    refresh_token: String,
    expires_at: i64,
    scope: String,
}

#[async_trait]
impl TokenStore for DbTokenStore {
    async fn load(&self) -> Result<Option<Tokens>, String> {
        let row: Option<TokenRow> = sqlx::query_as(
            "SELECT access_token, refresh_token, expires_at, scope FROM bitrix24_oauth \
             WHERE portal = $1 AND client_id = $2",
        )
        .bind(&self.portal)
        .bind(&self.client_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(|e| e.to_string())?;
        Ok(row.map(|r| Tokens {
            access_token: Secret::new(r.access_token),
            refresh_token: Secret::new(r.refresh_token),
            expires_at: r.expires_at / 1000,
            scope: r.scope,
        }))
    }

    async fn save(&self, tokens: &Tokens) -> Result<(), String> {
        let done = sqlx::query(
            "UPDATE bitrix24_oauth SET access_token = $3, refresh_token = $4, expires_at = $5, \
             scope = $6, refreshed_at = $7 WHERE portal = $1 AND client_id = $2",
        )
        .bind(&self.portal)
        .bind(&self.client_id)
        .bind(tokens.access_token.expose())
        .bind(tokens.refresh_token.expose())
        .bind(tokens.expires_at * 1000)
        .bind(&tokens.scope)
        .bind(now_ms())
        .execute(self.db.pool())
        .await
        .map_err(|e| e.to_string())?;
        if done.rows_affected() == 0 {
            return Err("the application was disconnected meanwhile".into());
        }
        Ok(())
    }

    async fn claim_refresh(
        &self,
        read: &Tokens,
        lease_for: std::time::Duration,
    ) -> Result<RefreshClaim, String> {
        let holder = random_token();
        let now = now_ms();
        // One statement decides: PostgreSQL re-checks the condition after a concurrent
        // claim commits, SQLite runs writers one at a time.
        let claimed = sqlx::query(
            "UPDATE bitrix24_oauth SET lease_holder = $4, lease_until = $5 \
             WHERE portal = $1 AND client_id = $2 AND refresh_token = $3 \
             AND (lease_until IS NULL OR lease_until <= $6)",
        )
        .bind(&self.portal)
        .bind(&self.client_id)
        .bind(read.refresh_token.expose())
        .bind(&holder)
        .bind(now + i64::try_from(lease_for.as_millis()).unwrap_or(i64::MAX / 2))
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(|e| e.to_string())?;
        if claimed.rows_affected() == 1 {
            return Ok(RefreshClaim::Granted(Lease(holder)));
        }
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT refresh_token FROM bitrix24_oauth WHERE portal = $1 AND client_id = $2",
        )
        .bind(&self.portal)
        .bind(&self.client_id)
        .fetch_optional(self.db.pool())
        .await
        .map_err(|e| e.to_string())?;
        Ok(match stored {
            Some(token) if token == read.refresh_token.expose() => RefreshClaim::Busy,
            _ => RefreshClaim::Changed,
        })
    }

    async fn finish_refresh(
        &self,
        _lease: &Lease,
        read: &Tokens,
        fresh: &Tokens,
    ) -> Result<bool, String> {
        // Keyed on the refresh token that was spent, not on the lease: whoever spent it holds
        // the only pair that works, even if their lease ran out meanwhile.
        let done = sqlx::query(
            "UPDATE bitrix24_oauth SET access_token = $4, refresh_token = $5, expires_at = $6, \
             scope = $7, refreshed_at = $8, lease_holder = NULL, lease_until = NULL \
             WHERE portal = $1 AND client_id = $2 AND refresh_token = $3",
        )
        .bind(&self.portal)
        .bind(&self.client_id)
        .bind(read.refresh_token.expose())
        .bind(fresh.access_token.expose())
        .bind(fresh.refresh_token.expose())
        .bind(fresh.expires_at * 1000)
        .bind(&fresh.scope)
        .bind(now_ms())
        .execute(self.db.pool())
        .await
        .map_err(|e| e.to_string())?;
        Ok(done.rows_affected() == 1)
    }

    async fn abandon_refresh(&self, lease: &Lease) -> Result<(), String> {
        sqlx::query(
            "UPDATE bitrix24_oauth SET lease_holder = NULL, lease_until = NULL \
             WHERE portal = $1 AND lease_holder = $2",
        )
        .bind(&self.portal)
        .bind(&lease.0)
        .execute(self.db.pool())
        .await
        .map_err(|e| e.to_string())?;
        Ok(())
    }
}

/// A portal's connection as the settings page and the status show it: never the tokens.
#[derive(Debug, Clone, FromRow)]
pub struct Connection {
    pub portal: String,
    pub client_id: String,
    pub member_id: String,
    pub scope: String,
    /// When the access token stops working (Unix ms); it is refreshed when needed.
    pub expires_at: i64,
    pub portal_user_id: Option<i64>,
    pub authorised_by: Option<i64>,
    pub authorised_by_label: String,
    /// Unix ms.
    pub authorised_at: i64,
    /// Unix ms; none before the first refresh.
    pub refreshed_at: Option<i64>,
}

impl Connection {
    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// The connection stored for `portal`, whichever application it belongs to.
pub async fn connection(db: &Db, portal: &PortalOrigin) -> CoreResult<Option<Connection>> {
    Ok(sqlx::query_as(
        "SELECT portal, client_id, member_id, scope, expires_at, portal_user_id, authorised_by, \
         authorised_by_label, authorised_at, refreshed_at FROM bitrix24_oauth WHERE portal = $1",
    )
    .bind(portal.as_str())
    .fetch_optional(db.pool())
    .await?)
}

/// Stores `grant` as `portal`'s connection for `client_id`, replacing any before it (a second
/// authorisation, or another application), with an audit entry naming who did it.
pub async fn connect(
    db: &Db,
    actor: &Actor,
    portal: &PortalOrigin,
    client_id: &str,
    grant: &Grant,
) -> CoreResult<()> {
    let mut tx = db.begin().await?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO bitrix24_oauth (portal, client_id, member_id, access_token, refresh_token, \
         expires_at, scope, portal_user_id, authorised_by, authorised_by_label, authorised_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (portal) DO UPDATE SET client_id = $2, member_id = $3, access_token = $4, \
         refresh_token = $5, expires_at = $6, scope = $7, portal_user_id = $8, \
         authorised_by = $9, authorised_by_label = $10, authorised_at = $11, \
         refreshed_at = NULL, lease_holder = NULL, lease_until = NULL",
    )
    .bind(portal.as_str())
    .bind(client_id)
    .bind(&grant.member_id)
    .bind(grant.tokens.access_token.expose())
    .bind(grant.tokens.refresh_token.expose())
    .bind(grant.tokens.expires_at * 1000)
    .bind(&grant.tokens.scope)
    .bind(grant.portal_user_id.map(|u| u as i64))
    .bind(actor.user_id.map(|u| u.0))
    .bind(&actor.label)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let mut changes = Changes::new();
    changes
        .set("client_id", &client_id)
        .set("member_id", &grant.member_id)
        .set("scope", &grant.tokens.scope)
        .set("portal_user_id", &grant.portal_user_id);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "bitrix24.connect",
            object_kind: "bitrix24_portal",
            object_id: portal.to_string(),
            object_label: portal.to_string(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Drops `portal`'s tokens; false when there were none.
pub async fn disconnect(db: &Db, actor: &Actor, portal: &PortalOrigin) -> CoreResult<bool> {
    let mut tx = db.begin().await?;
    let dropped: Option<String> =
        sqlx::query_scalar("DELETE FROM bitrix24_oauth WHERE portal = $1 RETURNING member_id")
            .bind(portal.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let Some(member_id) = dropped else {
        return Ok(false);
    };
    let mut changes = Changes::new();
    changes.set("member_id", &member_id);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "bitrix24.disconnect",
            object_kind: "bitrix24_portal",
            object_id: portal.to_string(),
            object_label: portal.to_string(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
