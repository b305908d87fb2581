//! Offboarding: one action that revokes every grant of a person and marks them left. Each
//! step is done and audited on its own, so one failing step (say, the person is the last
//! administrator) neither hides nor undoes the others; the summary lists every outcome.

use chrono::NaiveDate;
use serde::Serialize;
use shtab_core::audit::{self, Actor, Changes, Event};
use shtab_core::db::Db;
use shtab_core::error::CoreResult;
use shtab_core::ids::PersonId;
use shtab_core::people::{self, PersonStatus};

use crate::store::grants;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// What was done: `revoke` (a grant) or `mark_left`.
    pub action: String,
    /// The grant's resource, or the person.
    pub target: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// The grant's new state, or why the step failed.
    pub detail: String,
}

pub async fn offboard(
    db: &Db,
    actor: &Actor,
    person: i64,
    left_on: NaiveDate,
) -> CoreResult<Vec<Step>> {
    let who = people::get(db, PersonId(person)).await?;
    let mut steps = Vec::new();
    for g in grants::for_person(db, person)
        .await?
        .into_iter()
        .filter(|g| g.is_active())
    {
        let step = match grants::revoke(db, actor, g.id, "offboarding").await {
            Ok(revoked) => Step {
                action: "revoke".into(),
                target: g.resource_name.clone(),
                outcome: "ok".into(),
                detail: revoked.state.as_str().into(),
            },
            Err(e) => Step {
                action: "revoke".into(),
                target: g.resource_name.clone(),
                outcome: "failed".into(),
                detail: e.to_string(),
            },
        };
        steps.push(step);
    }
    let left = if who.status == PersonStatus::Left {
        Step {
            action: "mark_left".into(),
            target: who.full_name.clone(),
            outcome: "ok".into(),
            detail: "already left".into(),
        }
    } else {
        match people::deactivate(db, actor, who.id, left_on).await {
            Ok(_) => Step {
                action: "mark_left".into(),
                target: who.full_name.clone(),
                outcome: "ok".into(),
                detail: format!("left on {left_on}"),
            },
            Err(e) => Step {
                action: "mark_left".into(),
                target: who.full_name.clone(),
                outcome: "failed".into(),
                detail: e.to_string(),
            },
        }
    };
    steps.push(left);
    // The agents lock a person who left even where a grant's revocation failed.
    crate::store::desired::sync_agent_grants(db).await?;
    let mut tx = db.begin().await?;
    let mut changes = Changes::new();
    changes.set("steps", &steps);
    audit::record(
        &mut tx,
        actor,
        Event {
            action: "access.offboard",
            object_kind: "person",
            object_id: person.to_string(),
            object_label: who.full_name.clone(),
            changes,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(steps)
}
