//! The tenders inbox: tenders whose deal still waits in the "new" stage, and the two answers
//! a manager gives — take it (the deal moves to "reviewing") or not interesting (to "lost").
//! Both go through the CRM port, so its stage rules apply here as everywhere.

use std::sync::Arc;

use shtab_core::audit::Actor;
use shtab_core::db::Db;
use shtab_core::error::{CoreError, CoreResult};
use shtab_core::ids::PersonId;
use shtab_core::ports::{Crm, Deal};

use super::deals::{STAGE_LOST, STAGE_NEW, STAGE_REVIEWING};
use crate::store::tenders::{self, Tender};

/// How many recent tenders the inbox looks through.
const INBOX_WINDOW: i64 = 1000;

/// Open tenders whose deal is in "new", newest first.
pub async fn inbox(db: &Db, crm: &Arc<dyn Crm>) -> CoreResult<Vec<Tender>> {
    let mut out = Vec::new();
    for tender in tenders::recent(db, INBOX_WINDOW).await? {
        if tender.facts.cancelled {
            continue;
        }
        let Some(deal) = &tender.deal_id else {
            continue;
        };
        if crm
            .get_deal(deal)
            .await?
            .is_some_and(|d| d.stage == STAGE_NEW)
        {
            out.push(tender);
        }
    }
    Ok(out)
}

/// What a manager decided about a tender in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Take,
    NotInteresting,
}

/// Moves the tender's deal on; the deal as it is afterwards. Whoever takes a tender nobody
/// is responsible for becomes responsible for it (`taker`, the person of the user).
pub async fn answer(
    db: &Db,
    crm: &Arc<dyn Crm>,
    tender_id: i64,
    answer: Answer,
    by: &Actor,
    taker: Option<PersonId>,
) -> CoreResult<Deal> {
    let tender = tenders::get(db, tender_id)
        .await?
        .ok_or(CoreError::NotFound("tender"))?;
    let deal = tender.deal_id.ok_or_else(|| {
        CoreError::Conflict("the tender has no deal yet; the next search run creates it".into())
    })?;
    let stage = match answer {
        Answer::Take => STAGE_REVIEWING,
        Answer::NotInteresting => STAGE_LOST,
    };
    let moved = crm.move_deal(&deal, stage, by).await?;
    match (answer, moved.responsible, taker) {
        (Answer::Take, None, Some(taker)) => crm.assign_deal(&deal, Some(taker), by).await,
        _ => Ok(moved),
    }
}
