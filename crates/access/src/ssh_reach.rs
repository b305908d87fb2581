//! The capability's answer to core's [`ServerAccess`] port: where a person's SSH keys are
//! served, read from their SSH grants in force. The people directory asks it when a key is
//! added, to tell the access managers.

use async_trait::async_trait;
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::ports::ServerAccess;

use crate::domain::ResourceKind;
use crate::store::grants;

pub struct SshGrants {
    db: Db,
}

impl SshGrants {
    pub fn new(db: Db) -> SshGrants {
        SshGrants { db }
    }
}

#[async_trait]
impl ServerAccess for SshGrants {
    async fn ssh_grants(&self, person: PersonId) -> CoreResult<Vec<String>> {
        Ok(grants::for_person(&self.db, person.0)
            .await?
            .iter()
            .filter(|g| g.is_active() && g.resource_kind == ResourceKind::Ssh)
            .map(|g| {
                let sudo = if g.sudo { " (sudo)" } else { "" };
                format!("{} → {}{sudo}", g.login, g.resource_name)
            })
            .collect())
    }
}
