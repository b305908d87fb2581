//! Reading a whole list: ordered by id ascending, each page filtered `>ID` = the last id seen,
//! with `start=-1` so the portal skips counting (49.9 s → 0.1 s on a big table). A page of
//! fewer than 50 is the last. Offset paging (`start=50, 100…`) repeats or loses rows when the
//! list changes underneath, and counts the table on every page.

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::Client;
use super::answer::decode_raw;
use super::errors::Bitrix24Error;

/// The portal's page size for list methods.
pub const PAGE_SIZE: usize = 50;

/// Where a list method puts its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemsAt {
    /// `result` is the list (`user.get`, `crm.deal.list`).
    Result,
    /// `result.<key>` (`tasks.task.list` → `tasks`, `crm.item.list` → `items`).
    Key(&'static str),
}

/// How a list method takes its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStyle {
    /// `"order": {"ID": "ASC"}` under this key.
    Map(&'static str),
    /// `"sort": "ID", "order": "ASC"` (`user.get`).
    SortOrder,
}

/// One list method read by id.
#[derive(Debug, Clone)]
pub struct IdPager {
    pub method: String,
    /// Parameters other than order, start and the cursor (`select`, `params`).
    pub params: Map<String, Value>,
    /// The caller's filter; the cursor is added to it.
    pub filter: Map<String, Value>,
    /// `filter` or `FILTER`.
    pub filter_key: &'static str,
    pub order: OrderStyle,
    /// The id's name in the request (`ID`) and in the answer's items (`id` for
    /// `tasks.task.list`, which sorts by `ID` but answers camelCase).
    pub request_id: &'static str,
    pub response_id: &'static str,
    pub items_at: ItemsAt,
}

impl IdPager {
    /// `tasks.task.list`, selecting `select` (UPPER_CASE names).
    pub fn tasks(filter: Map<String, Value>, select: &[&str]) -> IdPager {
        let mut params = Map::new();
        if !select.is_empty() {
            params.insert("select".into(), json!(select));
        }
        IdPager {
            method: "tasks.task.list".into(),
            params,
            filter,
            filter_key: "filter",
            order: OrderStyle::Map("order"),
            request_id: "ID",
            response_id: "id",
            items_at: ItemsAt::Key("tasks"),
        }
    }

    /// `crm.stagehistory.list` of `entity_type` (2 deals, 31 smart invoices…), selecting
    /// `select`; rows under `result.items`, ids as numbers.
    pub fn stage_history(entity_type: u64, filter: Map<String, Value>, select: &[&str]) -> IdPager {
        let mut params = Map::new();
        params.insert("entityTypeId".into(), json!(entity_type));
        if !select.is_empty() {
            params.insert("select".into(), json!(select));
        }
        IdPager {
            method: "crm.stagehistory.list".into(),
            params,
            filter,
            filter_key: "filter",
            order: OrderStyle::Map("order"),
            request_id: "ID",
            response_id: "ID",
            items_at: ItemsAt::Key("items"),
        }
    }

    /// `user.get` (employees, active or not, unless the filter says).
    pub fn users(filter: Map<String, Value>) -> IdPager {
        IdPager {
            method: "user.get".into(),
            params: Map::new(),
            filter,
            filter_key: "FILTER",
            order: OrderStyle::SortOrder,
            request_id: "ID",
            response_id: "ID",
            items_at: ItemsAt::Result,
        }
    }

    pub(crate) fn params_after(&self, after: Option<u64>) -> Map<String, Value> {
        let mut params = self.params.clone();
        let mut filter = self.filter.clone();
        if let Some(after) = after {
            filter.insert(format!(">{}", self.request_id), json!(after));
        }
        params.insert(self.filter_key.into(), Value::Object(filter));
        match self.order {
            OrderStyle::Map(key) => {
                params.insert(key.into(), json!({ self.request_id: "ASC" }));
            }
            OrderStyle::SortOrder => {
                params.insert("sort".into(), json!(self.request_id));
                params.insert("order".into(), json!("ASC"));
            }
        }
        params.insert("start".into(), json!(-1));
        params
    }
}

/// One page: its items as the portal wrote them, and where the next starts.
#[derive(Debug)]
pub struct IdPage {
    pub items: Vec<Box<RawValue>>,
    /// The last item's id: the cursor for the next page.
    pub last_id: Option<u64>,
    /// False when this page was the last.
    pub more: bool,
}

fn id_of(item: &RawValue, key: &str) -> Option<u64> {
    let v: Value = serde_json::from_str(item.get()).ok()?;
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads one page of `pager`'s list from a result (a call's or a batch command's), checking
/// that ids ascend past `after`.
pub(crate) fn read_page(
    pager: &IdPager,
    result: &RawValue,
    after: Option<u64>,
) -> Result<IdPage, Bitrix24Error> {
    let empty = result.get().trim() == "[]";
    let items: Vec<Box<RawValue>> = match pager.items_at {
        _ if empty => Vec::new(),
        ItemsAt::Result => decode_raw(&pager.method, result)?,
        ItemsAt::Key(key) => {
            let outer: std::collections::HashMap<String, Box<RawValue>> =
                decode_raw(&pager.method, result)?;
            match outer.get(key) {
                Some(list) => decode_raw(&pager.method, list)?,
                None => {
                    return Err(Bitrix24Error::Decode {
                        method: pager.method.clone(),
                        message: format!("the answer has no «{key}» list"),
                    });
                }
            }
        }
    };
    let mut last_id = None;
    for item in &items {
        let id = id_of(item, pager.response_id).ok_or_else(|| Bitrix24Error::Decode {
            method: pager.method.clone(),
            message: format!("an item has no «{}»", pager.response_id),
        })?;
        // Ascending or the cursor would skip rows.
        if after.is_some_and(|a| id <= a) || last_id.is_some_and(|l| id <= l) {
            return Err(Bitrix24Error::Decode {
                method: pager.method.clone(),
                message: format!(
                    "ids are not ascending ({id} after {:?}): stopped to avoid a loop",
                    last_id.or(after)
                ),
            });
        }
        last_id = Some(id);
    }
    Ok(IdPage {
        more: items.len() >= PAGE_SIZE,
        items,
        last_id,
    })
}

impl Client {
    /// The page of `pager`'s list after id `after` (from the start when `None`).
    pub async fn page_by_id(
        &self,
        pager: &IdPager,
        after: Option<u64>,
    ) -> Result<IdPage, Bitrix24Error> {
        let answer = self.call(&pager.method, &pager.params_after(after)).await?;
        read_page(pager, answer.raw(), after)
    }

    /// Every item of the list, page by page. For lists that fit in memory (users, a
    /// portal's tasks in a filter); a back-fill should walk [`Client::page_by_id`] itself and
    /// keep its cursor.
    pub async fn list_all_by_id(
        &self,
        pager: &IdPager,
    ) -> Result<Vec<Box<RawValue>>, Bitrix24Error> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.page_by_id(pager, after).await?;
            all.extend(page.items);
            match (page.more, page.last_id) {
                (true, Some(last)) => after = Some(last),
                _ => return Ok(all),
            }
        }
    }
}
