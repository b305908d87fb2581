//! What the deals adapter reads and writes on the portal, in the portal's shapes: legacy
//! `crm.deal.*` (UPPER_CASE keys, every scalar a string), `crm.category.*` (camelCase,
//! numbers), `crm.status.list` and `crm.deal.userfield.list` (strings), and
//! `crm.stagehistory.list` (numbers under `result.items`).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::client::decode::{PortalId, de_opt_id, de_text};
use crate::client::{Batch, BatchAnswer, Bitrix24Error, Client, IdPager};

/// `entityTypeId` of deals.
pub const DEAL_TYPE: u64 = 2;

/// A deal as `crm.deal.get` or `crm.deal.list` answers it. User fields differ by type, so
/// every value is kept as written and read by the kind Shtab gives the field.
#[derive(Debug, Clone)]
pub struct PortalDeal {
    pub id: u64,
    pub title: String,
    pub category_id: u64,
    pub stage_id: String,
    pub assigned_by: Option<u64>,
    raw: HashMap<String, Box<RawValue>>,
}

impl PortalDeal {
    pub fn from_raw(method: &str, raw: &RawValue) -> Result<PortalDeal, Bitrix24Error> {
        #[derive(Deserialize)]
        struct Head {
            #[serde(rename = "ID")]
            id: PortalId,
            #[serde(rename = "TITLE", default, deserialize_with = "de_text")]
            title: String,
            // "0" is the default category, so not read as an optional id.
            #[serde(rename = "CATEGORY_ID", default, deserialize_with = "de_text")]
            category_id: String,
            #[serde(rename = "STAGE_ID", default, deserialize_with = "de_text")]
            stage_id: String,
            #[serde(rename = "ASSIGNED_BY_ID", default, deserialize_with = "de_opt_id")]
            assigned_by: Option<PortalId>,
        }
        let decode = |message: String| Bitrix24Error::Decode {
            method: method.to_owned(),
            message,
        };
        let head: Head = serde_json::from_str(raw.get()).map_err(|e| decode(e.to_string()))?;
        let all: HashMap<String, Box<RawValue>> =
            serde_json::from_str(raw.get()).map_err(|e| decode(e.to_string()))?;
        Ok(PortalDeal {
            id: head.id.0,
            title: head.title,
            category_id: head.category_id.trim().parse().unwrap_or(0),
            stage_id: head.stage_id,
            assigned_by: head.assigned_by.map(|u| u.0),
            raw: all,
        })
    }

    /// The value of a field as the portal wrote it.
    pub fn value(&self, code: &str) -> Option<&RawValue> {
        self.raw.get(code).map(AsRef::as_ref)
    }
}

/// One row of `crm.stagehistory.list`: a deal created (`TYPE_ID` 1), moved (2) or closed (3).
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryRow {
    #[serde(rename = "ID")]
    pub id: PortalId,
    #[serde(rename = "TYPE_ID", default, deserialize_with = "de_opt_id")]
    pub type_id: Option<PortalId>,
    #[serde(rename = "OWNER_ID")]
    pub owner_id: PortalId,
    #[serde(rename = "STAGE_ID", default, deserialize_with = "de_text")]
    pub stage_id: String,
}

impl HistoryRow {
    pub fn is_creation(&self) -> bool {
        self.type_id.is_some_and(|t| t.0 == 1)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct PortalCategory {
    pub id: PortalId,
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
}

/// A stage of a category, from `crm.status.list`.
#[derive(Debug, Clone, Deserialize)]
pub struct PortalStage {
    /// The directory row's id (what `crm.status.update` takes).
    #[serde(rename = "ID")]
    pub row_id: PortalId,
    #[serde(rename = "STATUS_ID", default, deserialize_with = "de_text")]
    pub status_id: String,
    #[serde(rename = "NAME", default, deserialize_with = "de_text")]
    pub name: String,
    #[serde(rename = "SORT", default, deserialize_with = "de_opt_id")]
    pub sort: Option<PortalId>,
    /// `S` success, `F` failure; empty or `null` in progress.
    #[serde(rename = "SEMANTICS", default, deserialize_with = "de_text")]
    pub semantics: String,
}

/// A deal user field, from `crm.deal.userfield.list` (asked with a language for its label).
#[derive(Debug, Clone, Deserialize)]
pub struct PortalField {
    #[serde(rename = "FIELD_NAME", default, deserialize_with = "de_text")]
    pub code: String,
    #[serde(rename = "USER_TYPE_ID", default, deserialize_with = "de_text")]
    pub user_type: String,
    #[serde(rename = "EDIT_FORM_LABEL", default, deserialize_with = "label")]
    pub label: String,
}

/// A label is text, or a map by language when asked without one.
fn label<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Object(m) => m
            .get("ru")
            .or_else(|| m.values().next())
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        _ => String::new(),
    })
}

/// What the portal holds that a mapping names: categories, one category's stages, the
/// deal user fields.
#[derive(Debug, Clone, Default)]
pub struct PortalLayout {
    pub categories: Vec<PortalCategory>,
    pub stages: Vec<PortalStage>,
    pub fields: Vec<PortalField>,
}

impl PortalLayout {
    pub fn has_category(&self, id: u64) -> bool {
        self.categories.iter().any(|c| c.id.0 == id)
    }

    pub fn stage(&self, status_id: &str) -> Option<&PortalStage> {
        self.stages.iter().find(|s| s.status_id == status_id)
    }

    pub fn field(&self, code: &str) -> Option<&PortalField> {
        self.fields.iter().find(|f| f.code == code)
    }
}

/// The directory of a category's stages: `DEAL_STAGE` for the default one.
pub fn stage_entity(category: u64) -> String {
    if category == 0 {
        "DEAL_STAGE".into()
    } else {
        format!("DEAL_STAGE_{category}")
    }
}

/// Adds the three lists of [`PortalLayout`] to a batch, labelled `cats`, `stages`, `fields`.
pub fn add_layout(batch: &mut Batch, category: u64) -> Result<(), Bitrix24Error> {
    batch.add(
        "cats",
        "crm.category.list",
        &json!({"entityTypeId": DEAL_TYPE}),
    )?;
    batch.add(
        "stages",
        "crm.status.list",
        &json!({"order": {"SORT": "ASC"}, "filter": {"ENTITY_ID": stage_entity(category)}}),
    )?;
    batch.add(
        "fields",
        "crm.deal.userfield.list",
        &json!({"order": {"SORT": "ASC"}, "filter": {"LANG": "ru"}}),
    )
}

/// Reads the lists [`add_layout`] asked for.
pub fn read_layout(answer: &BatchAnswer) -> Result<PortalLayout, Bitrix24Error> {
    #[derive(Deserialize)]
    struct Categories {
        #[serde(default)]
        categories: Vec<PortalCategory>,
    }
    // PHP writes an empty object as `[]`.
    let categories = if answer.result("cats")?.get().trim() == "[]" {
        Vec::new()
    } else {
        answer.decode::<Categories>("cats")?.categories
    };
    Ok(PortalLayout {
        categories,
        stages: answer.decode("stages")?,
        fields: answer.decode("fields")?,
    })
}

/// Reads the portal's categories, one category's stages and the deal user fields: one request.
pub async fn layout(client: &Client, category: u64) -> Result<PortalLayout, Bitrix24Error> {
    let mut batch = Batch::new();
    add_layout(&mut batch, category)?;
    read_layout(&client.batch(&batch).await?)
}

/// The deal, or `None` when the portal has none with that id (or hides it).
pub fn read_deal(answer: &BatchAnswer, label: &str) -> Result<Option<PortalDeal>, Bitrix24Error> {
    match answer.result(label) {
        Ok(raw) => PortalDeal::from_raw("crm.deal.get", raw).map(Some),
        Err(Bitrix24Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn get_deal(client: &Client, id: u64) -> Result<Option<PortalDeal>, Bitrix24Error> {
    match client.call("crm.deal.get", &json!({"id": id})).await {
        Ok(answer) => PortalDeal::from_raw("crm.deal.get", answer.raw()).map(Some),
        Err(Bitrix24Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The deal and its stage-history rows after `after`, in one request.
pub async fn deal_with_history(
    client: &Client,
    id: u64,
    after: u64,
) -> Result<(Option<PortalDeal>, Vec<HistoryRow>), Bitrix24Error> {
    let mut batch = Batch::new();
    batch.add("deal", "crm.deal.get", &json!({"id": id}))?;
    batch.add(
        "history",
        "crm.stagehistory.list",
        &json!({"entityTypeId": DEAL_TYPE, "order": {"ID": "ASC"},
                "filter": {"OWNER_ID": id, ">ID": after},
                "select": HISTORY_SELECT, "start": -1}),
    )?;
    let answer = client.batch(&batch).await?;
    let deal = read_deal(&answer, "deal")?;
    Ok((deal, read_history(&answer, "history")?))
}

/// Stage-history rows of a batch command, oldest first.
pub fn read_history(answer: &BatchAnswer, label: &str) -> Result<Vec<HistoryRow>, Bitrix24Error> {
    #[derive(Deserialize)]
    struct Items {
        #[serde(default)]
        items: Vec<HistoryRow>,
    }
    if answer.result(label)?.get().trim() == "[]" {
        return Ok(Vec::new());
    }
    let mut rows = answer.decode::<Items>(label)?.items;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// What the robot and the event read of the stage history.
pub const HISTORY_SELECT: [&str; 6] = [
    "ID",
    "TYPE_ID",
    "OWNER_ID",
    "CREATED_TIME",
    "CATEGORY_ID",
    "STAGE_ID",
];

/// `crm.stagehistory.list` of deals in `category`, read by id.
pub fn history_pager(category: u64) -> IdPager {
    let mut filter = Map::new();
    filter.insert("CATEGORY_ID".into(), json!(category));
    IdPager::stage_history(DEAL_TYPE, filter, &HISTORY_SELECT)
}

/// The id of the category's newest stage-history row (0 when it has none): moves up to it
/// were made before Shtab watched.
pub async fn last_history_id(client: &Client, category: u64) -> Result<u64, Bitrix24Error> {
    // Only the id is selected: the portal answers no other key.
    #[derive(Deserialize)]
    struct Row {
        #[serde(rename = "ID")]
        id: PortalId,
    }
    #[derive(Deserialize)]
    struct Items {
        #[serde(default)]
        items: Vec<Row>,
    }
    let answer = client
        .call(
            "crm.stagehistory.list",
            &json!({"entityTypeId": DEAL_TYPE, "order": {"ID": "DESC"},
                    "filter": {"CATEGORY_ID": category}, "select": ["ID"], "start": -1}),
        )
        .await?;
    if answer.is_empty_list() {
        return Ok(0);
    }
    Ok(answer
        .decode::<Items>()?
        .items
        .iter()
        .map(|r| r.id.0)
        .max()
        .unwrap_or(0))
}

pub async fn add_deal(client: &Client, fields: &Map<String, Value>) -> Result<u64, Bitrix24Error> {
    client
        .call(
            "crm.deal.add",
            &json!({"fields": fields, "params": {"REGISTER_SONET_EVENT": "N"}}),
        )
        .await?
        .decode::<PortalId>()
        .map(|id| id.0)
}

pub async fn update_deal(
    client: &Client,
    id: u64,
    fields: &Map<String, Value>,
) -> Result<(), Bitrix24Error> {
    client
        .call(
            "crm.deal.update",
            &json!({"id": id, "fields": fields, "params": {"REGISTER_SONET_EVENT": "N"}}),
        )
        .await
        .map(|_| ())
}

/// A comment on the deal's timeline; the portal's id of it.
pub async fn comment(client: &Client, id: u64, text: &str) -> Result<u64, Bitrix24Error> {
    client
        .call(
            "crm.timeline.comment.add",
            &json!({"fields": {"ENTITY_ID": id, "ENTITY_TYPE": "deal", "COMMENT": text}}),
        )
        .await?
        .decode::<PortalId>()
        .map(|id| id.0)
}

/// A deal's card on the portal.
pub fn card_url(client: &Client, id: u64) -> String {
    format!("{}/crm/deal/details/{id}/", client.portal())
}

/// A category's kanban on the portal.
pub fn kanban_url(client: &Client, category: u64) -> String {
    format!("{}/crm/deal/kanban/category/{category}/", client.portal())
}
