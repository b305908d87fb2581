//! The tenders' part of the home page (new tenders in the inbox, open deals waiting on the
//! user, deadlines in the next seven days, the first step "a saved search") and of the
//! header's search (tenders by number or words, deals by title or customer).

use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::hooks::{AttentionItem, BoxFuture, FirstStep, SearchGroup, SearchHit, SearchQuery};

use super::crm::focus::Focus;
use crate::crm::{BuiltinCrm, DEFAULT_PIPELINE, DealRecord};
use crate::service::inbox;
use crate::store::{searches, tenders};

/// How many deals and tenders the search looks through (the board shows as many).
const SEARCH_WINDOW: i64 = 1000;

pub fn attention(state: AppState, user: CurrentUser) -> BoxFuture<CoreResult<Vec<AttentionItem>>> {
    Box::pin(async move {
        if !user.can(Permission::TendersRead) {
            return Ok(Vec::new());
        }
        let mut items = Vec::new();
        // Deals kept on a portal are counted there: the inbox would ask the portal about
        // every recent tender on each home page.
        if state.deals_elsewhere.is_none() {
            items.push(AttentionItem {
                key: "tenders.inbox",
                count: inbox::inbox(&state.db, &super::tenders::crm(&state))
                    .await?
                    .len() as i64,
                label_ru: "Новых тендеров во входящих",
                label_en: "New tenders in the inbox",
                href: "/tenders".into(),
                permission: Permission::TendersRead,
            });
            let deals = board_deals(&state).await?;
            let now = chrono::Utc::now();
            let count = |focus: Focus| deals.iter().filter(|d| focus.keeps(d)).count() as i64;
            items.push(AttentionItem {
                key: "deals.mine",
                count: count(Focus::Mine(user.user().person_id)),
                label_ru: "Открытых сделок ждут вас",
                label_en: "Open deals waiting on you",
                href: format!("/deals?pipeline={DEFAULT_PIPELINE}&mine=1"),
                permission: Permission::TendersRead,
            });
            items.push(AttentionItem {
                key: "deals.deadline_week",
                count: count(Focus::DeadlineSoon { now }),
                label_ru: "Сроков подачи в ближайшие 7 дней",
                label_en: "Deadlines in the next 7 days",
                href: format!("/deals?pipeline={DEFAULT_PIPELINE}&deadline=week"),
                permission: Permission::TendersRead,
            });
        }
        Ok(items)
    })
}

/// The deals the board shows for the tenders' pipeline.
async fn board_deals(state: &AppState) -> CoreResult<Vec<DealRecord>> {
    BuiltinCrm::new(state.db.clone(), state.config.clone())
        .deals(DEFAULT_PIPELINE, None, super::crm::BOARD_LIMIT)
        .await
}

/// Done once a saved search has run at least once.
pub fn first_steps(state: AppState) -> BoxFuture<CoreResult<Vec<FirstStep>>> {
    Box::pin(async move {
        let ran = searches::list(&state.db)
            .await?
            .iter()
            .any(|s| s.last_run_at.is_some());
        Ok(vec![FirstStep {
            key: "tender_search",
            done: ran,
            label_ru: "Сохранить поиск тендеров (и дождаться первого запуска)",
            label_en: "Save a tender search (and let it run once)",
            href: "/tenders/searches",
        }])
    })
}

/// Every word of the query is somewhere in `text` (both lowercased).
fn matches(text: &str, words: &[String]) -> bool {
    let text = text.to_lowercase();
    words.iter().all(|w| text.contains(w.as_str()))
}

pub fn search(
    state: AppState,
    user: CurrentUser,
    q: SearchQuery,
) -> BoxFuture<CoreResult<Vec<SearchGroup>>> {
    Box::pin(async move {
        if !user.can(Permission::TendersRead) {
            return Ok(Vec::new());
        }
        let words: Vec<String> = q
            .text
            .to_lowercase()
            .split_whitespace()
            .map(String::from)
            .collect();
        let limit = q.limit as usize;
        let found: Vec<SearchHit> = tenders::recent(&state.db, SEARCH_WINDOW)
            .await?
            .into_iter()
            .filter(|t| {
                let f = &t.facts;
                matches(
                    &format!(
                        "{} {} {}",
                        f.reg_number.as_str(),
                        f.title,
                        f.customer.as_deref().unwrap_or_default()
                    ),
                    &words,
                )
            })
            .take(limit)
            .map(|t| SearchHit {
                href: format!("/tenders/{}", t.id),
                title: format!("№ {} · {}", t.facts.reg_number.as_str(), t.facts.title),
                detail: t.facts.customer.unwrap_or_default(),
            })
            .collect();
        let mut groups = vec![SearchGroup {
            key: "tenders",
            label_ru: "Тендеры",
            label_en: "Tenders",
            permission: Permission::TendersRead,
            hits: found,
        }];
        if state.deals_elsewhere.is_none() {
            let customer = |d: &DealRecord| {
                d.fields
                    .get("customer")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let hits = board_deals(&state)
                .await?
                .into_iter()
                .filter(|d| matches(&format!("{} {}", d.title, customer(d)), &words))
                .take(limit)
                .map(|d| SearchHit {
                    href: format!("/deals/{}", d.id),
                    detail: customer(&d),
                    title: d.title,
                })
                .collect();
            groups.push(SearchGroup {
                key: "deals",
                label_ru: "Сделки",
                label_en: "Deals",
                permission: Permission::TendersRead,
                hits,
            });
        }
        Ok(groups)
    })
}
