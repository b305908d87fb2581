//! Access's part of the home page: grants whose last attempt failed, servers out of sync,
//! and the first step "a server whose agent reported". The lists these counts link to
//! (`/access/grants?state=failed`, `/access/servers?sync=out`) use the same rules.

use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;
use shtab_web::AppState;
use shtab_web::auth::CurrentUser;
use shtab_web::hooks::{AttentionItem, BoxFuture, FirstStep};

use crate::domain::grant::GrantState;
use crate::store::desired::Facts;
use crate::store::grants;
use crate::store::servers::{self, Server};

/// The server's agent reported, and what it applied is not what it should have now.
pub(crate) fn out_of_sync(facts: &Facts, server: &Server) -> bool {
    !server.applied_revision.is_empty()
        && facts.state_of(server).revision != server.applied_revision
}

/// Grants in `state`, newest first.
pub(crate) async fn grants_in(
    state: &AppState,
    wanted: GrantState,
) -> CoreResult<Vec<grants::Grant>> {
    let mut all = grants::list(&state.db).await?;
    all.retain(|g| g.state == wanted);
    Ok(all)
}

pub fn attention(state: AppState, user: CurrentUser) -> BoxFuture<CoreResult<Vec<AttentionItem>>> {
    Box::pin(async move {
        if !user.can(Permission::AccessRead) {
            return Ok(Vec::new());
        }
        let facts = Facts::load(&state.db).await?;
        let out = servers::list(&state.db)
            .await?
            .iter()
            .filter(|s| out_of_sync(&facts, s))
            .count() as i64;
        Ok(vec![
            AttentionItem {
                key: "access.grants_failed",
                count: grants_in(&state, GrantState::Failed).await?.len() as i64,
                label_ru: "Доступов не удалось выдать или отозвать",
                label_en: "Grants that failed",
                href: "/access/grants?state=failed".into(),
                permission: Permission::AccessRead,
            },
            AttentionItem {
                key: "access.servers_out_of_sync",
                count: out,
                label_ru: "Серверов не синхронизировано",
                label_en: "Servers out of sync",
                href: "/access/servers?sync=out".into(),
                permission: Permission::AccessRead,
            },
        ])
    })
}

/// Done once a server's agent has reported what it applied.
pub fn first_steps(state: AppState) -> BoxFuture<CoreResult<Vec<FirstStep>>> {
    Box::pin(async move {
        let reported = servers::list(&state.db)
            .await?
            .iter()
            .any(|s| s.reported_at.is_some());
        Ok(vec![FirstStep {
            key: "server",
            done: reported,
            label_ru: "Добавить сервер и запустить на нём агента",
            label_en: "Add a server and start its agent",
            href: "/access/servers",
        }])
    })
}
