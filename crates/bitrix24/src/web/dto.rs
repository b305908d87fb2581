//! What the status API answers and the settings page shows.

use serde::Serialize;
use shtab_core::config::Config;
use utoipa::ToSchema;

use shtab_core::db::Db;
use shtab_core::error::CoreResult;

use crate::client::PortalOrigin;
use crate::hub::{self, Checked, Configured, HOW_TO_CONFIGURE, Mode};
use crate::store::oauth;
use crate::store::people as store;

/// Where the portal sends an administrator back after they authorised the application: the
/// address to give the local application as its handler on the portal.
pub const CALLBACK_PATH: &str = "/settings/bitrix24/oauth/callback";

/// The portal as the hub sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusDto {
    /// How the hub reaches the portal: `webhook`, `application` (a local application with
    /// OAuth tokens) or `none`.
    pub mode: Mode,
    /// True when a portal is configured and its settings can be used.
    pub configured: bool,
    /// What to do when it is not configured, or why its settings cannot be used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The portal's address (`https://agency.bitrix24.ru`); never the webhook's code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    /// Where the portal said it moved (a 302): the configured address should be changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
    /// The last check of the portal in this process, if one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckDto>,
    /// The scopes each system of Shtab needs, and whether the last check found them.
    pub scopes: Vec<ScopeDto>,
    /// Required scopes the last check did not find.
    pub missing_scopes: Vec<String>,
    /// The last refusal: of the last check, or of any call since that has not been followed
    /// by a success.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ErrorDto>,
    /// The request budget in use (the leaky bucket shared by the whole hub).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetDto>,
    /// People matched to portal users who are no longer active: offboard them? (Nothing was
    /// revoked.) Filled by the API; the page shows its own.
    pub departed: Vec<DepartedDto>,
    /// Portal users the users robot would not match: an e-mail two people claim.
    pub conflicts: Vec<ConflictDto>,
    /// A local application's connection (in the `application` mode only): whether the hub
    /// holds tokens, whose and for which scopes. Never the tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionDto>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionDto {
    /// True when an administrator authorised the application and the hub holds its tokens.
    pub authorised: bool,
    /// The address to give the local application as its handler on the portal: the portal
    /// sends the administrator back there with the code.
    pub handler_url: String,
    /// The portal's `member_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// The portal user who authorised it, when the OAuth server said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_user_id: Option<i64>,
    /// The scopes the portal granted the application.
    pub scopes: Vec<String>,
    /// The Shtab user who authorised it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorised_by: Option<String>,
    /// When, Unix ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorised_at: Option<i64>,
    /// When the access token stops working, Unix ms (the hub refreshes it when needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The last refresh, Unix ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartedDto {
    pub person_id: i64,
    pub full_name: String,
    pub portal_user_id: u64,
    /// When the robot first found them gone, Unix ms.
    pub left_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConflictDto {
    pub portal_user_id: u64,
    pub portal_name: String,
    pub email: String,
    /// `shared_by_portal_users`, `person_matched_to_another_portal_user` or
    /// `email_held_by_another_person`.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckDto {
    /// When, Unix seconds.
    pub at: i64,
    /// True when the portal answered both questions.
    pub ok: bool,
    /// Whose webhook it is (`profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerDto>,
    /// The scopes granted (`scope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OwnerDto {
    /// The portal user's id.
    pub id: u64,
    pub name: String,
    /// A portal administrator.
    pub admin: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopeDto {
    pub scope: String,
    /// What needs it: `people`, `tasks`, `notifications`, `deals`.
    pub purpose: String,
    /// False for what is not enabled or not built yet.
    pub required: bool,
    /// Unknown (absent) until a check has run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDto {
    /// Stable: `wrong_webhook_code`, `missing_scope`, `no_permission`, `network`…
    pub kind: String,
    /// What happened and what to do, in the portal's terms.
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BudgetDto {
    /// Requests per second configured (`bitrix24.rate`).
    pub configured_rate: f64,
    /// Requests per second in use (lower after the portal's 503s).
    pub rate: f64,
    /// Requests the bucket holds (`bitrix24.burst`).
    pub burst: f64,
    /// Requests in the bucket now.
    pub level: f64,
    /// 503 `QUERY_LIMIT_EXCEEDED` answers seen.
    pub limited: u64,
}

impl StatusDto {
    pub fn new(config: &Config, portal: &Configured) -> StatusDto {
        let needs = hub::needs(config);
        let portal = match portal {
            Configured::Yes(p) => p,
            other => {
                let problem = match other {
                    Configured::Unusable(why) => why.clone(),
                    _ => HOW_TO_CONFIGURE.to_owned(),
                };
                return StatusDto {
                    mode: Mode::of(&config.bitrix24),
                    configured: false,
                    problem: Some(problem),
                    portal: None,
                    moved_to: None,
                    check: None,
                    scopes: scopes(&needs, None),
                    missing_scopes: Vec::new(),
                    last_error: None,
                    budget: None,
                    departed: Vec::new(),
                    conflicts: Vec::new(),
                    connection: None,
                };
            }
        };
        let client = portal.client();
        let checked = portal.last_check();
        let granted = checked.as_ref().and_then(|c| c.scopes.as_deref());
        let b = client.budget();
        let last_error = client
            .last_error()
            .or_else(|| checked.as_ref().and_then(|c| c.error.clone()))
            .map(|e| ErrorDto {
                kind: e.kind().to_owned(),
                message: e.to_string(),
            });
        StatusDto {
            mode: portal.mode(),
            configured: true,
            problem: None,
            portal: Some(client.portal().to_string()),
            moved_to: client.moved_to().map(|m| m.to_string()),
            missing_scopes: granted
                .map(|g| {
                    hub::missing(&needs, g)
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            scopes: scopes(&needs, granted),
            check: checked.map(check_dto),
            last_error,
            budget: Some(BudgetDto {
                configured_rate: b.configured_rate,
                rate: b.rate,
                burst: b.burst,
                level: b.level,
                limited: b.limited,
            }),
            departed: Vec::new(),
            conflicts: Vec::new(),
            connection: None,
        }
    }

    /// The same, with the users robot's lists and the application's connection from the
    /// database.
    pub async fn with_database(self, config: &Config, db: &Db) -> CoreResult<StatusDto> {
        let with_people = self.with_people(db).await?;
        with_people.with_connection(config, db).await
    }

    /// The same, with a local application's connection (nothing in the other modes).
    pub async fn with_connection(mut self, config: &Config, db: &Db) -> CoreResult<StatusDto> {
        if self.mode != Mode::Application {
            return Ok(self);
        }
        let b = &config.bitrix24;
        let stored = match PortalOrigin::parse(&b.portal_url) {
            // Tokens of another application (a changed client_id) are not this one's.
            Ok(portal) => oauth::connection(db, &portal)
                .await?
                .filter(|c| c.client_id == b.client_id.trim()),
            Err(_) => None,
        };
        let handler_url = format!("{}{CALLBACK_PATH}", config.public_url());
        self.connection = Some(match stored {
            Some(c) => ConnectionDto {
                authorised: true,
                handler_url,
                scopes: c.scopes(),
                member_id: Some(c.member_id),
                portal_user_id: c.portal_user_id,
                authorised_by: Some(c.authorised_by_label),
                authorised_at: Some(c.authorised_at),
                expires_at: Some(c.expires_at),
                refreshed_at: c.refreshed_at,
            },
            None => ConnectionDto {
                authorised: false,
                handler_url,
                member_id: None,
                portal_user_id: None,
                scopes: Vec::new(),
                authorised_by: None,
                authorised_at: None,
                expires_at: None,
                refreshed_at: None,
            },
        });
        Ok(self)
    }

    /// The same, with the users robot's lists from the database.
    pub async fn with_people(mut self, db: &Db) -> CoreResult<StatusDto> {
        self.departed = store::departed(db)
            .await?
            .into_iter()
            .map(|d| DepartedDto {
                person_id: d.person_id.0,
                full_name: d.full_name,
                portal_user_id: d.portal_user_id,
                left_at: d.left_at,
            })
            .collect();
        self.conflicts = store::conflicts(db)
            .await?
            .into_iter()
            .map(|c| ConflictDto {
                portal_user_id: c.portal_user_id,
                portal_name: c.portal_name,
                email: c.email,
                reason: c.reason,
            })
            .collect();
        Ok(self)
    }
}

fn scopes(needs: &[hub::Need], granted: Option<&[String]>) -> Vec<ScopeDto> {
    needs
        .iter()
        .map(|n| ScopeDto {
            scope: n.scope.to_owned(),
            purpose: n.purpose.to_owned(),
            required: n.required,
            granted: granted.map(|g| g.iter().any(|s| s == n.scope)),
        })
        .collect()
}

fn check_dto(c: Checked) -> CheckDto {
    CheckDto {
        at: c.at,
        ok: c.error.is_none(),
        owner: c.owner.map(|p| OwnerDto {
            id: p.id.0,
            name: format!("{} {}", p.name, p.last_name).trim().to_owned(),
            admin: p.admin,
        }),
        granted_scopes: c.scopes,
    }
}
