//! The portal's smart-invoice records as Shtab reads them, and the lists that find them.
//! Requisite methods write every scalar as a string; `crm.item.*` writes real numbers, so an
//! amount is read from its digits ([`de_kopecks`]), never through a float.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use shtab_core::types::Kopecks;

use crate::client::decode::{PortalId, de_flag, de_opt_id, de_text};
use crate::client::money::de_opt_kopecks;
use crate::client::paging::{IdPager, ItemsAt, OrderStyle};

/// Smart invoices' entity type, and the owners requisites name.
pub const SMART_INVOICE: u64 = 31;
pub const COMPANY: u64 = 4;
pub const CONTACT: u64 = 3;

/// What Shtab reads of an invoice.
pub const ITEM_SELECT: [&str; 10] = [
    "id",
    "title",
    "accountNumber",
    "opportunity",
    "currencyId",
    "stageId",
    "categoryId",
    "assignedById",
    "companyId",
    "contactIds",
];

/// `crm.requisite.list`.
#[derive(Debug, Clone, Deserialize)]
pub struct Requisite {
    #[serde(rename = "ID")]
    pub id: PortalId,
    #[serde(rename = "ENTITY_TYPE_ID")]
    pub entity_type_id: PortalId,
    #[serde(rename = "ENTITY_ID")]
    pub entity_id: PortalId,
    #[serde(rename = "RQ_INN", default, deserialize_with = "de_text")]
    pub inn: String,
    #[serde(rename = "RQ_COMPANY_NAME", default, deserialize_with = "de_text")]
    pub company_name: String,
    #[serde(rename = "NAME", default, deserialize_with = "de_text")]
    pub name: String,
}

impl Requisite {
    /// The payer's name as the requisite gives it.
    pub fn payer_name(&self) -> &str {
        if self.company_name.trim().is_empty() {
            self.name.trim()
        } else {
            self.company_name.trim()
        }
    }

    /// A company's or a contact's requisite (others are not payers).
    pub fn of_client(&self) -> bool {
        matches!(self.entity_type_id.0, COMPANY | CONTACT)
    }
}

/// `crm.requisite.link.list`: the requisite picked on an invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    #[serde(rename = "ENTITY_ID")]
    pub entity_id: PortalId,
    /// `"0"`: no requisite picked.
    #[serde(rename = "REQUISITE_ID", default, deserialize_with = "de_opt_id")]
    pub requisite_id: Option<PortalId>,
}

/// `crm.item.*` of entity type 31.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub id: PortalId,
    #[serde(default, deserialize_with = "de_text")]
    pub title: String,
    #[serde(rename = "accountNumber", default, deserialize_with = "de_text")]
    pub account_number: String,
    #[serde(default, deserialize_with = "de_opt_kopecks")]
    pub opportunity: Option<Kopecks>,
    #[serde(rename = "currencyId", default, deserialize_with = "de_text")]
    pub currency_id: String,
    #[serde(rename = "stageId", default, deserialize_with = "de_text")]
    pub stage_id: String,
    #[serde(rename = "categoryId", default, deserialize_with = "de_opt_id")]
    pub category_id: Option<PortalId>,
    #[serde(rename = "assignedById", default, deserialize_with = "de_opt_id")]
    pub assigned_by_id: Option<PortalId>,
    #[serde(rename = "companyId", default, deserialize_with = "de_opt_id")]
    pub company_id: Option<PortalId>,
    #[serde(rename = "contactIds", default)]
    pub contact_ids: Vec<PortalId>,
}

impl Item {
    pub fn amount(&self) -> Kopecks {
        self.opportunity.unwrap_or_default()
    }

    pub fn category(&self) -> u64 {
        self.category_id.map_or(0, |c| c.0)
    }

    /// Roubles: a payment in roubles is never compared with an amount in another currency.
    pub fn in_roubles(&self) -> bool {
        matches!(self.currency_id.trim(), "" | "RUB" | "RUR")
    }

    /// The invoice's number as people write it in a purpose: its account number, else its id.
    pub fn number(&self) -> String {
        let n = self.account_number.trim();
        if n.is_empty() {
            self.id.to_string()
        } else {
            n.to_owned()
        }
    }
}

/// `crm.item.get`.
#[derive(Debug, Deserialize)]
pub struct ItemGet {
    pub item: Item,
}

/// `crm.item.payment.list`: a payment document of an invoice.
#[derive(Debug, Clone, Deserialize)]
pub struct Document {
    pub id: PortalId,
    #[serde(default, deserialize_with = "de_flag")]
    pub paid: bool,
    #[serde(default, deserialize_with = "de_opt_kopecks")]
    pub sum: Option<Kopecks>,
}

/// `crm.category.list` → `result.categories`.
#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    pub id: PortalId,
    #[serde(default, deserialize_with = "de_text")]
    pub name: String,
    #[serde(rename = "isDefault", default, deserialize_with = "de_flag")]
    pub is_default: bool,
}

#[derive(Debug, Deserialize)]
pub struct Categories {
    #[serde(default)]
    pub categories: Vec<Category>,
}

/// `crm.status.list`: one stage of a pipeline.
#[derive(Debug, Clone, Deserialize)]
pub struct Stage {
    #[serde(rename = "STATUS_ID", deserialize_with = "de_text")]
    pub status_id: String,
    #[serde(rename = "NAME", default, deserialize_with = "de_text")]
    pub name: String,
    #[serde(rename = "SORT", default, deserialize_with = "de_opt_id")]
    pub sort: Option<PortalId>,
    /// `S` success, `F` failure, none in progress.
    #[serde(rename = "SEMANTICS", default, deserialize_with = "de_text")]
    pub semantics: String,
    #[serde(rename = "EXTRA", default)]
    pub extra: Option<StageExtra>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StageExtra {
    #[serde(rename = "SEMANTICS", default, deserialize_with = "de_text")]
    pub semantics: String,
}

impl Stage {
    /// Paid: `SEMANTICS` `S`, or `EXTRA.SEMANTICS` `success`.
    pub fn is_success(&self) -> bool {
        self.semantics == "S"
            || self
                .extra
                .as_ref()
                .is_some_and(|e| e.semantics == "success")
    }

    pub fn is_failure(&self) -> bool {
        self.semantics == "F"
            || self
                .extra
                .as_ref()
                .is_some_and(|e| matches!(e.semantics.as_str(), "failure" | "apology"))
    }

    pub fn is_final(&self) -> bool {
        self.is_success() || self.is_failure()
    }
}

/// The `ENTITY_ID` of a smart-invoice pipeline's stages.
pub fn stage_entity(category: u64) -> String {
    format!("SMART_INVOICE_STAGE_{category}")
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The requisites carrying `inn`.
pub fn requisites_by_inn(inn: &str) -> IdPager {
    requisites(object(json!({ "RQ_INN": inn })))
}

pub fn requisites(filter: Map<String, Value>) -> IdPager {
    IdPager {
        method: "crm.requisite.list".into(),
        params: object(json!({
            "select": ["ID", "ENTITY_TYPE_ID", "ENTITY_ID", "RQ_INN", "RQ_COMPANY_NAME", "NAME"]
        })),
        filter,
        filter_key: "filter",
        order: OrderStyle::Map("order"),
        request_id: "ID",
        response_id: "ID",
        items_at: ItemsAt::Result,
    }
}

/// The requisite links of smart invoices matching `filter`.
pub fn links(mut filter: Map<String, Value>) -> IdPager {
    filter.insert("ENTITY_TYPE_ID".into(), json!(SMART_INVOICE));
    IdPager {
        method: "crm.requisite.link.list".into(),
        params: object(json!({"select": ["ENTITY_TYPE_ID", "ENTITY_ID", "REQUISITE_ID"]})),
        filter,
        filter_key: "filter",
        order: OrderStyle::Map("order"),
        request_id: "ENTITY_ID",
        response_id: "ENTITY_ID",
        items_at: ItemsAt::Result,
    }
}

/// Smart invoices matching `filter`.
pub fn items(filter: Map<String, Value>) -> IdPager {
    IdPager {
        method: "crm.item.list".into(),
        params: object(json!({"entityTypeId": SMART_INVOICE, "select": ITEM_SELECT})),
        filter,
        filter_key: "filter",
        order: OrderStyle::Map("order"),
        request_id: "id",
        response_id: "id",
        items_at: ItemsAt::Key("items"),
    }
}
