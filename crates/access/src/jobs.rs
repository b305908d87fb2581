//! Provisioning: one job per connector grant and change. Each job carries out one grant in
//! its own outside system, so a failing Mailcow marks only that grant failed (with the
//! reason) and retries with backoff, while the Telegram invite next to it goes through.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shtab_core::db::Db;
use shtab_core::jobs::{Job, JobError, Registry};
use shtab_core::people;

use crate::connectors::{self, Connector, ConnectorError, GrantWork, PersonInfo};
use crate::domain::{Desired, GrantState, ResourceKind};
use crate::store::{grants, resources};

/// Carry out (or take back) one chat or mailbox grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provision {
    pub grant_id: i64,
}

impl Job for Provision {
    const KIND: &'static str = "access.provision";
    const MAX_ATTEMPTS: i64 = 10;
}

/// Finds the connector for a kind; tests may put a fake in front of the real ones.
pub type ConnectorLookup = Arc<dyn Fn(&str) -> Option<Box<dyn Connector>> + Send + Sync>;

/// The real connectors, with an HTTP client that does not follow redirects (a redirect
/// would carry the token elsewhere).
pub fn real_connectors() -> ConnectorLookup {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("the HTTP client builds");
    Arc::new(move |kind| connectors::for_kind(kind, http.clone()))
}

pub fn registry(lookup: ConnectorLookup) -> Registry {
    Registry::new().register::<Provision, _, _>(move |job, ctx| {
        let lookup = lookup.clone();
        async move { provision(&ctx.db, &lookup, job.grant_id).await }
    })
}

async fn provision(db: &Db, lookup: &ConnectorLookup, id: i64) -> Result<(), JobError> {
    let grant = match grants::get(db, id).await {
        Ok(g) => g,
        Err(shtab_core::CoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    // Done by an earlier attempt, or overtaken by a revocation whose own job runs next.
    let wanted = match grant.desired {
        Desired::Present => grant.state != GrantState::Applied,
        Desired::Absent => grant.state != GrantState::Revoked,
    };
    if grant.resource_kind != ResourceKind::Connector || !wanted {
        return Ok(());
    }
    let resource = resources::get(db, grant.resource_id).await?;
    let Some(connector) = lookup(&resource.connector) else {
        let why = format!("no connector of kind {}", resource.connector);
        grants::record_attempt(db, &grant, Err(why.clone()), None).await?;
        return Err(JobError::Permanent(why));
    };
    let person = people::get(db, shtab_core::ids::PersonId(grant.person_id)).await?;
    let work = GrantWork {
        grant_id: grant.id,
        person: PersonInfo {
            id: person.id.0,
            full_name: person.full_name.clone(),
            email: person.emails.first().map(|e| e.as_str().to_string()),
            login: grant.login.clone(),
            chat_ids: chat_ids(&person),
        },
        resource: resource.info(),
        previous: grant.connector_state.clone(),
    };
    let result = match grant.desired {
        Desired::Present => connector.grant(&work).await,
        Desired::Absent => connector.revoke(&work).await,
    };
    match result {
        Ok(applied) => {
            grants::record_attempt(
                db,
                &grant,
                Ok((applied.state, applied.note)),
                applied.secret_for_person.as_deref(),
            )
            .await?;
            Ok(())
        }
        Err(ConnectorError::Retryable(why)) => {
            grants::record_attempt(db, &grant, Err(why.clone()), None).await?;
            Err(JobError::Retry(why))
        }
        Err(ConnectorError::Permanent(why)) => {
            grants::record_attempt(db, &grant, Err(why.clone()), None).await?;
            Err(JobError::Permanent(why))
        }
    }
}

fn chat_ids(person: &people::Person) -> serde_json::Map<String, serde_json::Value> {
    let mut ids = serde_json::Map::new();
    if let Some(t) = &person.telegram {
        ids.insert(
            "telegram_username".into(),
            serde_json::Value::String(t.clone()),
        );
    }
    ids
}
