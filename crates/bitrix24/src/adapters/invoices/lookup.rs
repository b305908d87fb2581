//! Finding a payer's open smart invoices by INN, for many payers at once, the way Bitrix's own
//! bank matcher does (`bitrix24-practice.md` §4a):
//!
//! 1. the requisites carrying the INN (several companies may share one: all are candidates);
//! 2. the invoices whose picked client requisite is one of them (`crm.requisite.link.list`),
//!    and the open invoices of the companies and contacts owning them (`crm.item.list` by
//!    `companyId`/`contactId`, final stages left out);
//! 3. the linked invoices' records, and the links of the owners' invoices: an owner's invoice
//!    that picked another requisite (another INN of a holding entered as one company) is
//!    not this payer's.
//!
//! Each step is one list command per payer or per 10–50 ids, 50 commands to a request, so a
//! statement of two thousand payers costs a handful of requests, not thousands.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use shtab_core::error::CoreResult;

use super::shapes::{self, COMPANY, CONTACT, Item, Link, Requisite};
use crate::adapters::port_error;
use crate::client::{Bitrix24Error, Client, IdPager};

/// Ids per `@`-filter in one list command: few enough that most lists fit one page.
const IDS_PER_LIST: usize = 10;
/// Ids per `@id` filter: fewer than a page, so a list never looks full and costs no second
/// (empty) page.
pub(super) const ITEMS_PER_LIST: usize = 49;

/// An open invoice of a payer, and the requisite that made it theirs.
#[derive(Debug, Clone)]
pub struct Found {
    pub item: Item,
    pub payer_name: String,
}

fn decode_all<T: DeserializeOwned>(method: &str, raw: Vec<Box<RawValue>>) -> CoreResult<Vec<T>> {
    raw.iter()
        .map(|r| {
            serde_json::from_str(r.get()).map_err(|e| {
                port_error(Bitrix24Error::Decode {
                    method: method.to_owned(),
                    message: e.to_string(),
                })
            })
        })
        .collect()
}

fn ids_filter(key: &str, ids: &[u64]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(key.to_owned(), json!(ids));
    m
}

fn not_final(mut filter: Map<String, Value>, finals: &[String]) -> Map<String, Value> {
    if !finals.is_empty() {
        filter.insert("!@stageId".into(), json!(finals));
    }
    filter
}

/// The open invoices of each payer, by INN (every INN asked is a key).
pub async fn open_by_inns(
    client: &Client,
    inns: &[String],
    finals: &[String],
) -> CoreResult<HashMap<String, Vec<Found>>> {
    let inns: Vec<String> = inns
        .iter()
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut out: HashMap<String, Vec<Found>> =
        inns.iter().map(|i| (i.clone(), Vec::new())).collect();
    if inns.is_empty() {
        return Ok(out);
    }

    // 1. Requisites.
    let pagers: Vec<IdPager> = inns.iter().map(|i| shapes::requisites_by_inn(i)).collect();
    let lists = client.list_many(&pagers).await.map_err(port_error)?;
    let mut requisites: HashMap<u64, Requisite> = HashMap::new();
    for (inn, raw) in inns.iter().zip(lists) {
        for r in decode_all::<Requisite>("crm.requisite.list", raw)? {
            // The filter is the portal's; the INN is checked here too.
            if r.of_client() && r.inn.trim() == inn {
                requisites.insert(r.id.0, r);
            }
        }
    }
    if requisites.is_empty() {
        return Ok(out);
    }
    let requisite_ids: Vec<u64> = requisites
        .keys()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let owners = |kind: u64| -> Vec<u64> {
        requisites
            .values()
            .filter(|r| r.entity_type_id.0 == kind)
            .map(|r| r.entity_id.0)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let (companies, contacts) = (owners(COMPANY), owners(CONTACT));

    // 2. Links to those requisites, and the owners' open invoices.
    let mut pagers: Vec<IdPager> = requisite_ids
        .chunks(IDS_PER_LIST)
        .map(|c| shapes::links(ids_filter("@REQUISITE_ID", c)))
        .collect();
    let link_lists = pagers.len();
    pagers.extend(
        companies
            .chunks(IDS_PER_LIST)
            .map(|c| shapes::items(not_final(ids_filter("@companyId", c), finals))),
    );
    pagers.extend(
        contacts
            .chunks(IDS_PER_LIST)
            .map(|c| shapes::items(not_final(ids_filter("@contactId", c), finals))),
    );
    let mut lists = client.list_many(&pagers).await.map_err(port_error)?;
    let owned_lists = lists.split_off(link_lists);
    // invoice → the requisite picked on it, for invoices picking one of the payers'.
    let mut linked: HashMap<u64, u64> = HashMap::new();
    for raw in lists {
        for l in decode_all::<Link>("crm.requisite.link.list", raw)? {
            if let Some(r) = l.requisite_id.filter(|r| requisites.contains_key(&r.0)) {
                linked.insert(l.entity_id.0, r.0);
            }
        }
    }
    let mut items: HashMap<u64, Item> = HashMap::new();
    for raw in owned_lists {
        for i in decode_all::<Item>("crm.item.list", raw)? {
            items.insert(i.id.0, i);
        }
    }

    // 3. The linked invoices not read yet (only open ones), and the links of the owners'.
    let mut missing: Vec<u64> = linked
        .keys()
        .filter(|id| !items.contains_key(id))
        .copied()
        .collect();
    missing.sort_unstable();
    let mut unlinked: Vec<u64> = items
        .keys()
        .filter(|id| !linked.contains_key(id))
        .copied()
        .collect();
    unlinked.sort_unstable();
    let mut pagers: Vec<IdPager> = missing
        .chunks(ITEMS_PER_LIST)
        .map(|c| shapes::items(not_final(ids_filter("@id", c), finals)))
        .collect();
    let item_lists = pagers.len();
    pagers.extend(
        unlinked
            .chunks(ITEMS_PER_LIST)
            .map(|c| shapes::links(ids_filter("@ENTITY_ID", c))),
    );
    let mut lists = client.list_many(&pagers).await.map_err(port_error)?;
    let other_links = lists.split_off(item_lists);
    for raw in lists {
        for i in decode_all::<Item>("crm.item.list", raw)? {
            items.insert(i.id.0, i);
        }
    }
    // Owners' invoices that picked a requisite of someone else.
    let mut foreign: HashSet<u64> = HashSet::new();
    for raw in other_links {
        for l in decode_all::<Link>("crm.requisite.link.list", raw)? {
            if l.requisite_id
                .is_some_and(|r| !requisites.contains_key(&r.0))
            {
                foreign.insert(l.entity_id.0);
            }
        }
    }

    // Each invoice to the payers it belongs to.
    let mut ids: Vec<u64> = items.keys().copied().collect();
    ids.sort_unstable();
    for id in ids {
        let item = &items[&id];
        if !item.in_roubles() || item.amount().0 <= 0 {
            continue;
        }
        let by: Vec<&Requisite> = match linked.get(&id) {
            Some(r) => vec![&requisites[r]],
            None if foreign.contains(&id) => Vec::new(),
            None => requisites.values().filter(|r| owns(r, item)).collect(),
        };
        let mut seen: HashSet<&str> = HashSet::new();
        let mut by = by;
        by.sort_by_key(|r| r.id.0);
        for r in by {
            let inn = r.inn.trim();
            if seen.insert(inn)
                && let Some(list) = out.get_mut(inn)
            {
                list.push(Found {
                    item: item.clone(),
                    payer_name: r.payer_name().to_owned(),
                });
            }
        }
    }
    Ok(out)
}

/// The requisite's owner is the invoice's company or one of its contacts.
fn owns(r: &Requisite, item: &Item) -> bool {
    match r.entity_type_id.0 {
        COMPANY => item.company_id == Some(r.entity_id),
        CONTACT => item.contact_ids.contains(&r.entity_id),
        _ => false,
    }
}

/// One invoice, with the requisite it is billed to: the picked one, else its company's (or
/// contact's) only INN. `None` when the portal has no such invoice.
pub async fn one(client: &Client, id: u64) -> CoreResult<Option<(Item, Option<Requisite>)>> {
    let mut batch = crate::client::Batch::new();
    batch
        .add(
            "item",
            "crm.item.get",
            &json!({"entityTypeId": shapes::SMART_INVOICE, "id": id}),
        )
        .map_err(port_error)?;
    batch
        .add(
            "link",
            "crm.requisite.link.list",
            &json!({"filter": {"ENTITY_TYPE_ID": shapes::SMART_INVOICE, "ENTITY_ID": id}}),
        )
        .map_err(port_error)?;
    let answer = client.batch(&batch).await.map_err(port_error)?;
    let item = match answer.decode::<shapes::ItemGet>("item") {
        Ok(got) => got.item,
        Err(Bitrix24Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(port_error(e)),
    };
    let links: Vec<Link> = if answer.result("link").map_err(port_error)?.get().trim() == "[]" {
        Vec::new()
    } else {
        answer.decode("link").map_err(port_error)?
    };
    let picked = links.iter().find_map(|l| l.requisite_id);
    let filter = match (picked, item.company_id, item.contact_ids.first()) {
        (Some(r), _, _) => json!({"ID": r.0}),
        (None, Some(c), _) => json!({"ENTITY_TYPE_ID": COMPANY, "ENTITY_ID": c.0}),
        (None, None, Some(c)) => json!({"ENTITY_TYPE_ID": CONTACT, "ENTITY_ID": c.0}),
        (None, None, None) => return Ok(Some((item, None))),
    };
    let Value::Object(filter) = filter else {
        unreachable!("built as an object")
    };
    let raw = client
        .list_all_by_id(&shapes::requisites(filter))
        .await
        .map_err(port_error)?;
    let requisites = decode_all::<Requisite>("crm.requisite.list", raw)?;
    let inns: BTreeSet<&str> = requisites.iter().map(|r| r.inn.trim()).collect();
    // Several INNs on the company and none picked on the invoice: whose it is stays open.
    let requisite = match inns.len() {
        1 => requisites.into_iter().next(),
        _ => None,
    };
    Ok(Some((item, requisite)))
}
