//! Making the portal hold exactly Shtab's bindings: each tab, event and robot once, at the
//! hub's current address. Read first (`placement.get`, `event.get`, `bizproc.robot.list`),
//! then add what is missing and drop Shtab's own handlers at an old address, so installing
//! again (or after the hub moved) converges and never binds twice.

use serde::Deserialize;
use serde_json::json;

use super::{ROBOTS, TABS};
use crate::client::{Bitrix24Error, Client};

/// What one convergence changed on the portal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bound {
    pub placements: usize,
    pub events: usize,
    pub robots: usize,
    /// Handlers of Shtab's at another address, unbound.
    pub dropped: usize,
}

#[derive(Deserialize)]
struct PlacementRow {
    #[serde(default)]
    placement: String,
    #[serde(default)]
    handler: String,
}

#[derive(Deserialize)]
struct EventRow {
    #[serde(default)]
    event: String,
    #[serde(default)]
    handler: String,
}

/// Binds what is missing; `base` is the hub's public address (`https://shtab.agency.ru`).
pub async fn converge(client: &Client, base: &str) -> Result<Bound, Bitrix24Error> {
    let base = base.trim_end_matches('/');
    let mut bound = Bound::default();
    let ours = |handler: &str, path_prefix: &str| {
        reqwest::Url::parse(handler)
            .map(|u| u.path().starts_with(path_prefix))
            .unwrap_or(false)
    };

    let placed: Vec<PlacementRow> = client.call("placement.get", &json!({})).await?.decode()?;
    for tab in TABS {
        let handler = format!("{base}{}/{}", super::TABS_PATH, tab.slug);
        for stale in placed.iter().filter(|p| {
            p.placement == tab.placement
                && p.handler != handler
                && ours(&p.handler, super::TABS_PATH)
        }) {
            client
                .call(
                    "placement.unbind",
                    &json!({"PLACEMENT": tab.placement, "HANDLER": stale.handler}),
                )
                .await?;
            bound.dropped += 1;
        }
        if placed
            .iter()
            .any(|p| p.placement == tab.placement && p.handler == handler)
        {
            continue;
        }
        client
            .call(
                "placement.bind",
                &json!({
                    "PLACEMENT": tab.placement,
                    "HANDLER": handler,
                    "TITLE": tab.title_ru,
                    "LANG_ALL": {
                        "ru": {"TITLE": tab.title_ru},
                        "en": {"TITLE": tab.title_en},
                    },
                }),
            )
            .await?;
        bound.placements += 1;
    }

    let events: Vec<EventRow> = client.call("event.get", &json!({})).await?.decode()?;
    for (name, path) in super::events() {
        let handler = format!("{base}{path}");
        for stale in events.iter().filter(|e| {
            e.event.eq_ignore_ascii_case(name) && e.handler != handler && ours(&e.handler, path)
        }) {
            client
                .call(
                    "event.unbind",
                    &json!({"event": name, "handler": stale.handler}),
                )
                .await?;
            bound.dropped += 1;
        }
        if events
            .iter()
            .any(|e| e.event.eq_ignore_ascii_case(name) && e.handler == handler)
        {
            continue;
        }
        client
            .call(
                "event.bind",
                &json!({"event": name, "handler": handler, "event_type": "online"}),
            )
            .await?;
        bound.events += 1;
    }

    let robots: Vec<String> = client
        .call("bizproc.robot.list", &json!({}))
        .await?
        .decode()?;
    for robot in ROBOTS {
        if robots.iter().any(|r| r == robot.code) {
            continue;
        }
        client
            .call(
                "bizproc.robot.add",
                &json!({
                    "CODE": robot.code,
                    "HANDLER": format!("{base}{}/{}", super::ROBOTS_PATH, robot.code),
                    "NAME": {"ru": robot.name_ru, "en": robot.name_en},
                    "USE_SUBSCRIPTION": "Y",
                    "PROPERTIES": {},
                    "RETURN_PROPERTIES": {
                        "result": {"Name": {"ru": "Результат", "en": "Result"}, "Type": "string"},
                    },
                }),
            )
            .await?;
        bound.robots += 1;
    }
    Ok(bound)
}
