//! The platform's own contributions: robots whose last run failed, deliveries that gave up,
//! the notification channels and the portal as first steps, people and tasks in search.

use shtab_core::auth::Permission;
use shtab_core::config::SystemOfRecord;
use shtab_core::error::CoreResult;
use shtab_core::notify::{self, Channel, DeliveryStatus};
use shtab_core::robots::{self, RunStatus};
use shtab_core::{people, tasks};

use super::{AttentionItem, BoxFuture, FirstStep, Hooks, SearchGroup, SearchHit, SearchQuery};
use crate::auth::CurrentUser;
use crate::state::AppState;

pub fn hooks() -> Hooks {
    Hooks {
        attention: vec![attention],
        search: vec![search],
        first_steps: vec![first_steps],
    }
}

/// The robots whose last run failed: what `/robots?failed=1` lists.
pub async fn failed_robots(state: &AppState) -> CoreResult<Vec<String>> {
    let mut out = Vec::new();
    for row in robots::list(&state.db).await? {
        if robots::last_run(&state.db, &row.name)
            .await?
            .is_some_and(|r| r.status() == RunStatus::Failed)
        {
            out.push(row.name);
        }
    }
    Ok(out)
}

fn attention(state: AppState, user: CurrentUser) -> BoxFuture<CoreResult<Vec<AttentionItem>>> {
    Box::pin(async move {
        let mut items = Vec::new();
        if user.can(Permission::RobotsRead) {
            items.push(AttentionItem {
                key: "robots.failed",
                count: failed_robots(&state).await?.len() as i64,
                label_ru: "Роботов, чей последний запуск не удался",
                label_en: "Robots whose last run failed",
                href: "/robots?failed=1".into(),
                permission: Permission::RobotsRead,
            });
        }
        if user.can(Permission::NotificationsManage) {
            items.push(AttentionItem {
                key: "notifications.dead",
                count: notify::count_with_status(&state.db, DeliveryStatus::Dead).await?,
                label_ru: "Уведомлений, не доставленных ни с одной попытки",
                label_en: "Notifications every attempt failed for",
                href: "/notifications?status=dead".into(),
                permission: Permission::NotificationsManage,
            });
        }
        Ok(items)
    })
}

fn first_steps(state: AppState) -> BoxFuture<CoreResult<Vec<FirstStep>>> {
    Box::pin(async move {
        let channels = notify::channel_status(&state.config);
        let works = |c: Channel| channels.iter().any(|(x, why)| *x == c && why.is_none());
        let systems = &state.config.systems;
        let portal = &state.config.bitrix24;
        let builtin = [systems.tasks, systems.invoices, systems.deals]
            .iter()
            .all(|s| *s == SystemOfRecord::Shtab);
        let portal_set = !portal.webhook_url.is_empty()
            || (!portal.portal_url.trim().is_empty() && !portal.client_id.trim().is_empty());
        Ok(vec![
            FirstStep {
                key: "email",
                done: works(Channel::Email),
                label_ru: "Настроить электронную почту (notify.email.smtp_host)",
                label_en: "Set up e-mail (notify.email.smtp_host)",
                href: "/notifications",
            },
            FirstStep {
                key: "telegram",
                done: works(Channel::Telegram),
                label_ru: "Подключить бота Telegram (notify.telegram.bot_token)",
                label_en: "Connect a Telegram bot (notify.telegram.bot_token)",
                href: "/notifications",
            },
            FirstStep {
                key: "portal",
                done: builtin || portal_set,
                label_ru: "Подключить Битрикс24 или работать во встроенных задачах и сделках",
                label_en: "Connect Bitrix24, or work in the built-in tasks and deals",
                href: "/settings/bitrix24",
            },
        ])
    })
}

fn search(
    state: AppState,
    user: CurrentUser,
    q: SearchQuery,
) -> BoxFuture<CoreResult<Vec<SearchGroup>>> {
    Box::pin(async move {
        let mut groups = Vec::new();
        if user.can(Permission::PeopleRead) {
            let page = people::list(
                &state.db,
                &people::ListFilter {
                    q: Some(q.text.clone()),
                    status: None,
                    offset: 0,
                    limit: q.limit,
                },
            )
            .await?;
            groups.push(SearchGroup {
                key: "people",
                label_ru: "Люди",
                label_en: "People",
                permission: Permission::PeopleRead,
                hits: page
                    .items
                    .into_iter()
                    .map(|p| SearchHit {
                        href: format!("/people/{}", p.id.0),
                        detail: [p.position, p.email]
                            .into_iter()
                            .flatten()
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" · "),
                        title: p.full_name,
                    })
                    .collect(),
            });
        }
        // Tasks kept on the portal are searched there, not here.
        if user.can(Permission::TasksRead) && state.outside_tasks.is_none() {
            let page = tasks::list(
                &state.db,
                &tasks::ListFilter {
                    q: Some(q.text.clone()),
                    status: None,
                    unfinished: false,
                    assignee_id: None,
                    offset: 0,
                    limit: q.limit,
                },
            )
            .await?;
            groups.push(SearchGroup {
                key: "tasks",
                label_ru: "Задачи",
                label_en: "Tasks",
                permission: Permission::TasksRead,
                hits: page
                    .items
                    .into_iter()
                    .map(|t| SearchHit {
                        href: format!("/tasks/{}", t.id.0),
                        detail: t.assignee_name.unwrap_or_default(),
                        title: match t.key {
                            Some(k) => format!("{k} {}", t.title),
                            None => format!("#{} {}", t.id.0, t.title),
                        },
                    })
                    .collect(),
            });
        }
        Ok(groups)
    })
}
