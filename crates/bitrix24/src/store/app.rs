//! Shtab as the portal's local application, in table `bitrix24_app`: the `member_id` of the
//! portal that installed it and the application token that portal signs the application's
//! events and robot calls with; and the robot calls heard (`bitrix24_robot_calls`), so a call
//! the portal posts again is worked and answered once.

use shtab_core::config::Secret;
use shtab_core::db::{Db, FromRow, Tx};
use shtab_core::error::CoreResult;
use shtab_core::time::now_ms;

use crate::client::PortalOrigin;

/// The installation, as the last `ONAPPINSTALL` left it.
#[derive(Debug, Clone)]
pub struct Installed {
    pub member_id: String,
    pub application_token: Secret,
    pub installed_at: i64,
    /// Set by `ONAPPUNINSTALL`.
    pub removed_at: Option<i64>,
}

impl Installed {
    pub fn is_active(&self) -> bool {
        self.removed_at.is_none()
    }
}

#[derive(FromRow)]
struct Row {
    member_id: String,
    application_token: String,
    installed_at: i64,
    removed_at: Option<i64>,
}

pub async fn get(db: &Db, portal: &PortalOrigin) -> CoreResult<Option<Installed>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT member_id, application_token, installed_at, removed_at FROM bitrix24_app \
         WHERE portal = $1",
    )
    .bind(portal.as_str())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| Installed {
        member_id: r.member_id,
        application_token: Secret::new(r.application_token),
        installed_at: r.installed_at,
        removed_at: r.removed_at,
    }))
}

/// Records an installation (a reinstallation replaces the one before).
pub async fn installed(
    db: &Db,
    portal: &PortalOrigin,
    member_id: &str,
    application_token: &str,
) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO bitrix24_app (portal, member_id, application_token, installed_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (portal) DO UPDATE SET member_id = $2, \
         application_token = $3, installed_at = $4, removed_at = NULL",
    )
    .bind(portal.as_str())
    .bind(member_id)
    .bind(application_token)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Marks the installation removed; false when there was none to remove.
pub async fn removed(db: &Db, portal: &PortalOrigin) -> CoreResult<bool> {
    let done = sqlx::query(
        "UPDATE bitrix24_app SET removed_at = $2 WHERE portal = $1 AND removed_at IS NULL",
    )
    .bind(portal.as_str())
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A robot call heard, as far as it got.
#[derive(Debug, Clone, FromRow)]
pub struct RobotCall {
    pub event_token: String,
    pub code: String,
    pub deal_id: i64,
    pub worked_at: Option<i64>,
    /// 1 when the work was done, 0 when it could not be (the log says why).
    pub ok: Option<i64>,
    pub log: Option<String>,
    pub answered_at: Option<i64>,
}

/// Records a robot call in `tx`; false when its event token was heard before.
pub async fn robot_call_heard(
    tx: &mut Tx,
    event_token: &str,
    code: &str,
    deal_id: u64,
) -> CoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO bitrix24_robot_calls (event_token, code, deal_id, received_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (event_token) DO NOTHING",
    )
    .bind(event_token)
    .bind(code)
    .bind(deal_id as i64)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn robot_call(db: &Db, event_token: &str) -> CoreResult<Option<RobotCall>> {
    Ok(sqlx::query_as(
        "SELECT event_token, code, deal_id, worked_at, ok, log, answered_at \
         FROM bitrix24_robot_calls WHERE event_token = $1",
    )
    .bind(event_token)
    .fetch_optional(db.pool())
    .await?)
}

/// Claims the call's work in `tx` with its outcome; false when it was done before.
pub async fn robot_call_worked(
    tx: &mut Tx,
    event_token: &str,
    ok: bool,
    log: &str,
) -> CoreResult<bool> {
    let done = sqlx::query(
        "UPDATE bitrix24_robot_calls SET worked_at = $2, ok = $3, log = $4 \
         WHERE event_token = $1 AND worked_at IS NULL",
    )
    .bind(event_token)
    .bind(now_ms())
    .bind(i64::from(ok))
    .bind(log)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn robot_call_answered(db: &Db, event_token: &str) -> CoreResult<()> {
    sqlx::query("UPDATE bitrix24_robot_calls SET answered_at = $2 WHERE event_token = $1")
        .bind(event_token)
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(())
}
