//! The expiry robot: grants whose end has come are revoked, in the robot's name, exactly as
//! if someone had pressed "Revoke" — the connectors' jobs and the agents take them back.

use shtab_core::audit::Actor;
use shtab_core::db::Db;
use shtab_core::robots::{LogLevel, Robot, RobotError, RunContext};
use shtab_core::time::now_ms;
use shtab_core::types::Locale;

use crate::store::grants;

pub struct Expiry {
    db: Db,
}

impl Expiry {
    pub fn new(db: Db) -> Expiry {
        Expiry { db }
    }
}

#[async_trait::async_trait]
impl Robot for Expiry {
    fn name(&self) -> &'static str {
        "access.expiry"
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Отзыв истёкших доступов",
            Locale::En => "Expired access revocation",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "*/5 * * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        let actor = Actor::robot("access.expiry");
        for id in grants::expired(&self.db, now_ms()).await? {
            match grants::revoke(&self.db, &actor, id, "expired").await {
                Ok(g) => {
                    ctx.log(
                        LogLevel::Info,
                        format!("{} → {}: expired, revoked", g.person_name, g.resource_name),
                    )
                    .await?;
                    ctx.count("revoked", 1).await?;
                }
                // Revoked by someone else meanwhile: nothing left to do.
                Err(shtab_core::CoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}
