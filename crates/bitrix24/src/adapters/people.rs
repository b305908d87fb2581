//! Who a person is on the portal. The users robot remembers each person's portal user id; the
//! adapters only read it.

use std::collections::HashMap;

use async_trait::async_trait;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;

#[async_trait]
pub trait PortalPeople: Send + Sync {
    /// The portal user a person is, if they were matched.
    async fn portal_user(&self, person: PersonId) -> CoreResult<Option<u64>>;
    /// The person a portal user is, if they were matched.
    async fn person(&self, portal_user: u64) -> CoreResult<Option<PersonId>>;
    /// The portal user was found inactive or gone by the users robot.
    async fn has_left(&self, _portal_user: u64) -> CoreResult<bool> {
        Ok(false)
    }
}

/// A fixed mapping: tests, and a hub without the users robot yet.
#[derive(Debug, Clone, Default)]
pub struct MappedPeople(pub HashMap<PersonId, u64>);

#[async_trait]
impl PortalPeople for MappedPeople {
    async fn portal_user(&self, person: PersonId) -> CoreResult<Option<u64>> {
        Ok(self.0.get(&person).copied())
    }

    async fn person(&self, portal_user: u64) -> CoreResult<Option<PersonId>> {
        Ok(self
            .0
            .iter()
            .find(|(_, u)| **u == portal_user)
            .map(|(p, _)| *p))
    }
}
