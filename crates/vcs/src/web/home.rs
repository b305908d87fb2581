//! Code ↔ tasks' part of the home page (commit authors nobody is matched to; the first step
//! "a repository swept without error") and of the header's search (repositories).

use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::hooks::{AttentionItem, BoxFuture, FirstStep, SearchGroup, SearchHit, SearchQuery};

use crate::store::{authors, repositories};

pub fn attention(state: AppState, user: CurrentUser) -> BoxFuture<CoreResult<Vec<AttentionItem>>> {
    Box::pin(async move {
        if !user.can(Permission::RepositoriesRead) {
            return Ok(Vec::new());
        }
        Ok(vec![AttentionItem {
            key: "vcs.unmatched_authors",
            count: authors::unmatched(&state.db).await?.len() as i64,
            label_ru: "Авторов коммитов не сопоставлено с людьми",
            label_en: "Commit authors not matched to people",
            href: "/commit-authors".into(),
            permission: Permission::RepositoriesRead,
        }])
    })
}

/// Done once a repository was swept without an error.
pub fn first_steps(state: AppState) -> BoxFuture<CoreResult<Vec<FirstStep>>> {
    Box::pin(async move {
        let works = repositories::list(&state.db)
            .await?
            .iter()
            .any(|r| r.last_sweep_at.is_some() && r.last_sweep_status == "ok");
        Ok(vec![FirstStep {
            key: "repository",
            done: works,
            label_ru: "Подключить репозиторий (и дождаться обхода без ошибок)",
            label_en: "Add a repository (and let a sweep pass without errors)",
            href: "/repositories",
        }])
    })
}

pub fn search(
    state: AppState,
    user: CurrentUser,
    q: SearchQuery,
) -> BoxFuture<CoreResult<Vec<SearchGroup>>> {
    Box::pin(async move {
        if !user.can(Permission::RepositoriesRead) {
            return Ok(Vec::new());
        }
        let words: Vec<String> = q
            .text
            .to_lowercase()
            .split_whitespace()
            .map(String::from)
            .collect();
        let hits = repositories::list(&state.db)
            .await?
            .into_iter()
            .filter(|r| {
                let text = format!("{} {}", r.name, r.web_url).to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .take(q.limit as usize)
            .map(|r| SearchHit {
                href: format!("/repositories/{}", r.id.0),
                detail: r.web_url,
                title: r.name,
            })
            .collect();
        Ok(vec![SearchGroup {
            key: "repositories",
            label_ru: "Репозитории",
            label_en: "Repositories",
            permission: Permission::RepositoriesRead,
            hits,
        }])
    })
}
