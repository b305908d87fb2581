//! The fake's CRM deals, in the portal's shapes (`bitrix24-rest.md` §8–9): legacy
//! `crm.deal.*` with every scalar a string (a `double` field's `"15000.50"` comes back as
//! `"15000.5"`, an empty multiple field as `false`), unknown fields silently ignored,
//! `{"error":"","error_description":"Not found"}` for a missing deal, list answers holding
//! only the keys `select` names; `crm.category.*` in
//! camelCase with numbers, a new category with the portal's eight default stages;
//! `crm.status.*` and `crm.deal.userfield.*` as strings (labels only when asked with `LANG`);
//! `crm.stagehistory.list` with numbers under `result.items` (timeline comments: `crm`).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::methods::{Outcome, Success, as_i64, as_u64, ok, page, refuse};
use crate::client::params::Ordered;

#[derive(Debug, Clone, PartialEq)]
pub struct FakeDealCategory {
    pub id: u64,
    pub name: String,
    pub sort: u64,
}

/// A stage: a row of the category's directory (`DEAL_STAGE`, `DEAL_STAGE_5`).
#[derive(Debug, Clone, PartialEq)]
pub struct FakeDealStage {
    pub row_id: u64,
    pub category_id: u64,
    pub status_id: String,
    pub name: String,
    pub sort: u64,
    /// `S` success, `F` failure, empty in progress.
    pub semantics: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeUserField {
    pub id: u64,
    /// With its prefix: `UF_CRM_SHT_REGNUMBER`.
    pub code: String,
    pub user_type: String,
    pub multiple: bool,
    /// The label in Russian (what `EDIT_FORM_LABEL` shows with `LANG=ru`).
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeDeal {
    pub id: u64,
    pub title: String,
    pub category_id: u64,
    pub stage_id: String,
    pub assigned_by_id: u64,
    pub opportunity: String,
    pub currency_id: String,
    /// User fields as stored (a `double` as the text sent, a list as a list).
    pub fields: BTreeMap<String, Value>,
}

/// A row of `crm.stagehistory.list`.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeStageMove {
    pub id: u64,
    /// 1 created, 2 moved, 3 closed (a final stage).
    pub type_id: u8,
    pub owner_id: u64,
    pub category_id: u64,
    pub stage_id: String,
}

#[derive(Debug, Default)]
pub struct DealsState {
    pub categories: Vec<FakeDealCategory>,
    pub stages: Vec<FakeDealStage>,
    pub user_fields: Vec<FakeUserField>,
    pub deals: Vec<FakeDeal>,
    pub history: Vec<FakeStageMove>,
    next_id: u64,
}

/// The stages every new category gets, as the portal names them (codes after `C{n}:`).
const DEFAULT_STAGES: [(&str, &str, &str); 8] = [
    ("NEW", "Новая", ""),
    ("PREPARATION", "Подготовка документов", ""),
    ("PREPAYMENT_INVOICE", "Счёт на предоплату", ""),
    ("EXECUTING", "В работе", ""),
    ("FINAL_INVOICE", "Финальный счёт", ""),
    ("WON", "Сделка успешна", "S"),
    ("LOSE", "Сделка провалена", "F"),
    ("APOLOGY", "Анализ причины провала", "F"),
];

impl DealsState {
    pub fn new() -> DealsState {
        let mut s = DealsState {
            next_id: 100,
            ..DealsState::default()
        };
        s.categories.push(FakeDealCategory {
            id: 0,
            name: "Общая".into(),
            sort: 300,
        });
        s.add_default_stages(0);
        s
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn add_default_stages(&mut self, category: u64) {
        for (i, (code, name, semantics)) in DEFAULT_STAGES.iter().enumerate() {
            let row_id = self.id();
            self.stages.push(FakeDealStage {
                row_id,
                category_id: category,
                status_id: stage_code(category, code),
                name: (*name).into(),
                sort: (i as u64 + 1) * 10,
                semantics: (*semantics).into(),
            });
        }
    }

    /// Adds a category with the portal's default stages; its id.
    pub fn add_category(&mut self, name: &str) -> u64 {
        let id = self.categories.iter().map(|c| c.id).max().unwrap_or(0) + 1;
        self.categories.push(FakeDealCategory {
            id,
            name: name.into(),
            sort: 500,
        });
        self.add_default_stages(id);
        id
    }

    pub fn add_user_field(&mut self, code: &str, user_type: &str, multiple: bool, label: &str) {
        let id = self.id();
        self.user_fields.push(FakeUserField {
            id,
            code: code.into(),
            user_type: user_type.into(),
            multiple,
            label: label.into(),
        });
    }

    pub fn add_deal(&mut self, mut deal: FakeDeal) -> u64 {
        if deal.id == 0 {
            deal.id = self.id();
        }
        let id = deal.id;
        let (category, stage) = (deal.category_id, deal.stage_id.clone());
        self.deals.push(deal);
        self.record_move(id, category, &stage, 1);
        id
    }

    /// A move as a person makes it in the portal's interface.
    pub fn move_deal(&mut self, id: u64, stage: &str) {
        let Some(deal) = self.deals.iter_mut().find(|d| d.id == id) else {
            panic!("the fake portal has no deal {id}");
        };
        if deal.stage_id == stage {
            return;
        }
        deal.stage_id = stage.to_owned();
        let category = deal.category_id;
        let type_id = if self.semantics(stage).is_empty() {
            2
        } else {
            3
        };
        self.record_move(id, category, stage, type_id);
    }

    fn record_move(&mut self, owner: u64, category: u64, stage: &str, type_id: u8) {
        let id = self.history.iter().map(|h| h.id).max().unwrap_or(30) + 1;
        self.history.push(FakeStageMove {
            id,
            type_id,
            owner_id: owner,
            category_id: category,
            stage_id: stage.into(),
        });
    }

    fn semantics(&self, stage: &str) -> String {
        self.stages
            .iter()
            .find(|s| s.status_id == stage)
            .map(|s| s.semantics.clone())
            .unwrap_or_default()
    }
}

/// `C5:NEW` for category 5, `NEW` for the default one.
fn stage_code(category: u64, code: &str) -> String {
    if category == 0 || code.starts_with(&format!("C{category}:")) {
        code.to_owned()
    } else {
        format!("C{category}:{code}")
    }
}

fn entity_of(category: u64) -> String {
    if category == 0 {
        "DEAL_STAGE".into()
    } else {
        format!("DEAL_STAGE_{category}")
    }
}

fn category_of_entity(entity: &str) -> Option<u64> {
    match entity {
        "DEAL_STAGE" => Some(0),
        other => other.strip_prefix("DEAL_STAGE_")?.parse().ok(),
    }
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn not_found() -> super::methods::Refusal {
    // Legacy CRM methods answer "not found" with an empty code.
    refuse(400, "", "Not found")
}

/// The methods this module answers.
pub fn handles(method: &str) -> bool {
    method.starts_with("crm.deal.")
        || method.starts_with("crm.category.")
        || method.starts_with("crm.status.")
        || method == "crm.stagehistory.list"
}

pub fn dispatch(s: &mut DealsState, method: &str, params: &Ordered) -> Outcome {
    let named = params.to_value();
    match method {
        "crm.category.list" => {
            let list: Vec<Value> = if as_u64(named.get("entityTypeId")) == Some(2) {
                s.categories.iter().map(category_json).collect()
            } else {
                Vec::new()
            };
            let total = list.len() as u64;
            Ok(Success {
                result: json!({"categories": list}),
                total: Some(total),
                next: None,
            })
        }
        "crm.category.add" => {
            if as_u64(named.get("entityTypeId")) != Some(2) {
                return Err(refuse(400, "NOT_FOUND", "Smart process not found"));
            }
            let name = text(named.pointer("/fields/name"));
            if name.trim().is_empty() {
                return Err(refuse(400, 0, "Field 'NAME' is required"));
            }
            let id = s.add_category(&name);
            if let Some(sort) = as_u64(named.pointer("/fields/sort")) {
                s.categories.last_mut().expect("just added").sort = sort;
            }
            let c = s.categories.iter().find(|c| c.id == id).expect("added");
            ok(json!({"category": category_json(c)}))
        }
        "crm.status.list" => {
            let entity = text(named.pointer("/filter/ENTITY_ID"));
            let mut rows: Vec<&FakeDealStage> = match category_of_entity(&entity) {
                Some(c) => s.stages.iter().filter(|st| st.category_id == c).collect(),
                None => Vec::new(),
            };
            rows.sort_by_key(|st| (st.sort, st.row_id));
            Ok(Success {
                result: Value::Array(rows.into_iter().map(stage_json).collect()),
                total: None,
                next: None,
            })
        }
        "crm.status.add" => status_add(s, &named),
        "crm.status.update" => {
            let id = as_u64(named.get("id"));
            let Some(stage) = s.stages.iter_mut().find(|st| Some(st.row_id) == id) else {
                return Err(refuse(400, "", "Not found"));
            };
            let name = text(named.pointer("/fields/NAME"));
            if !name.is_empty() {
                stage.name = name;
            }
            if let Some(sort) = as_u64(named.pointer("/fields/SORT")) {
                stage.sort = sort;
            }
            ok(json!(true))
        }
        "crm.deal.userfield.list" => {
            let lang = named.pointer("/filter/LANG").is_some();
            let mut fields: Vec<&FakeUserField> = s.user_fields.iter().collect();
            fields.sort_by_key(|f| f.id);
            ok(Value::Array(
                fields
                    .into_iter()
                    .map(|f| userfield_json(f, lang))
                    .collect(),
            ))
        }
        "crm.deal.userfield.add" => userfield_add(s, &named),
        "crm.deal.add" => {
            let Some(fields) = named.get("fields").and_then(Value::as_object) else {
                return Err(refuse(400, "", "Parameter 'fields' must be array."));
            };
            let category = as_u64(fields.get("CATEGORY_ID")).unwrap_or(0);
            let first = s
                .stages
                .iter()
                .filter(|st| st.category_id == category)
                .min_by_key(|st| st.sort)
                .map(|st| st.status_id.clone())
                .unwrap_or_else(|| "NEW".into());
            let mut deal = FakeDeal {
                id: 0,
                title: text(fields.get("TITLE")),
                category_id: category,
                stage_id: first,
                assigned_by_id: super::state::WEBHOOK_USER,
                opportunity: "0.00".into(),
                currency_id: "RUB".into(),
                fields: BTreeMap::new(),
            };
            apply(s, &mut deal, fields);
            let id = s.add_deal(deal);
            ok(json!(id))
        }
        "crm.deal.update" => {
            let id = as_u64(named.get("id"));
            let Some(fields) = named.get("fields").and_then(Value::as_object).cloned() else {
                return Err(refuse(400, "", "Parameter 'fields' must be array."));
            };
            let Some(at) = s.deals.iter().position(|d| Some(d.id) == id) else {
                return Err(not_found());
            };
            let mut deal = s.deals[at].clone();
            let before = deal.stage_id.clone();
            apply(s, &mut deal, &fields);
            let after = std::mem::replace(&mut deal.stage_id, before);
            s.deals[at] = deal;
            // The stage goes through the history, as any move does.
            s.move_deal(id.unwrap_or_default(), &after);
            ok(json!(true))
        }
        "crm.deal.get" => {
            let id = as_u64(named.get("id"));
            match s.deals.iter().find(|d| Some(d.id) == id) {
                Some(d) => ok(deal_json(s, d)),
                None => Err(not_found()),
            }
        }
        "crm.deal.list" => deal_list(s, &named),
        "crm.stagehistory.list" => history_list(s, &named),
        _ => Err(refuse(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")),
    }
}

fn category_json(c: &FakeDealCategory) -> Value {
    let mut v = json!({"id": c.id, "name": c.name, "sort": c.sort, "entityTypeId": 2,
                       "isDefault": if c.id == 0 { "Y" } else { "N" }});
    if c.id != 0 {
        v["originId"] = json!("");
        v["originatorId"] = json!("");
    }
    v
}

fn stage_json(st: &FakeDealStage) -> Value {
    let (semantics, extra) = match st.semantics.as_str() {
        "S" => (json!("S"), "success"),
        "F" if st.status_id.ends_with("APOLOGY") => (json!("F"), "apology"),
        "F" => (json!("F"), "failure"),
        _ => (Value::Null, "process"),
    };
    json!({
        "ID": st.row_id.to_string(), "ENTITY_ID": entity_of(st.category_id),
        "STATUS_ID": st.status_id, "NAME": st.name, "NAME_INIT": st.name,
        "SORT": st.sort.to_string(), "SYSTEM": "N",
        "CATEGORY_ID": if st.category_id == 0 { Value::Null } else { json!(st.category_id.to_string()) },
        "COLOR": "#39A8EF", "SEMANTICS": semantics,
        "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"}
    })
}

fn status_add(s: &mut DealsState, named: &Value) -> Outcome {
    let Some(fields) = named.get("fields") else {
        return Err(refuse(400, "", "Invalid parameters."));
    };
    let entity = text(fields.get("ENTITY_ID"));
    let Some(category) = category_of_entity(&entity) else {
        return Err(refuse(400, "", "Specified entity type is not supported."));
    };
    let code = text(fields.get("STATUS_ID"));
    if code.is_empty() {
        return Err(refuse(400, "", "The field STATUS_ID is required."));
    }
    let status_id = stage_code(category, &code);
    if s.stages.iter().any(|st| st.status_id == status_id) {
        return Err(refuse(400, "", "Duplicate STATUS_ID."));
    }
    let row_id = s.id();
    s.stages.push(FakeDealStage {
        row_id,
        category_id: category,
        status_id,
        name: text(fields.get("NAME")),
        sort: as_u64(fields.get("SORT")).unwrap_or(10),
        semantics: text(fields.get("SEMANTICS")),
    });
    ok(json!(row_id))
}

fn userfield_json(f: &FakeUserField, with_labels: bool) -> Value {
    let mut v = json!({
        "ID": f.id.to_string(), "ENTITY_ID": "CRM_DEAL", "FIELD_NAME": f.code,
        "USER_TYPE_ID": f.user_type, "XML_ID": null, "SORT": "100",
        "MULTIPLE": if f.multiple { "Y" } else { "N" }, "MANDATORY": "N", "SHOW_FILTER": "N",
        "SHOW_IN_LIST": "Y", "EDIT_IN_LIST": "Y", "IS_SEARCHABLE": "N", "SETTINGS": []
    });
    if with_labels {
        for key in ["EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL"] {
            v[key] = json!(f.label);
        }
        v["ERROR_MESSAGE"] = Value::Null;
        v["HELP_MESSAGE"] = Value::Null;
    }
    v
}

fn userfield_add(s: &mut DealsState, named: &Value) -> Outcome {
    let Some(fields) = named.get("fields") else {
        return Err(refuse(400, "", "The 'FIELD_NAME' field is not found."));
    };
    let name = text(fields.get("FIELD_NAME"));
    if name.is_empty() {
        return Err(refuse(400, "", "The 'FIELD_NAME' field is not found."));
    }
    let code = if name.starts_with("UF_CRM_") {
        name
    } else {
        format!("UF_CRM_{name}")
    };
    if code.len() > 20 {
        return Err(refuse(
            400,
            "",
            "Field name is too long (more than 20 characters).",
        ));
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(refuse(
            400,
            "",
            "Field name contains invalid characters. Allowed characters are: A-Z, 0-9, and _.",
        ));
    }
    let user_type = text(fields.get("USER_TYPE_ID"));
    if user_type.is_empty() {
        return Err(refuse(400, "", "The 'USER_TYPE_ID' field is not found."));
    }
    if s.user_fields.iter().any(|f| f.code == code) {
        return Err(refuse(400, "", "A field with this name already exists."));
    }
    let label = match fields.get("EDIT_FORM_LABEL") {
        Some(Value::Object(by_lang)) => text(by_lang.get("ru")),
        Some(v @ Value::String(_)) => text(Some(v)),
        _ => String::new(),
    };
    let label = if label.is_empty() {
        text(fields.get("LABEL"))
    } else {
        label
    };
    let multiple = text(fields.get("MULTIPLE")) == "Y";
    s.add_user_field(&code, &user_type, multiple, &label);
    let id = s.user_fields.last().expect("added").id;
    ok(json!(id))
}

/// A `double` field's text as the portal gives it back: no trailing zeros of the fraction.
fn normalise_double(text: &str) -> String {
    match text.split_once('.') {
        Some((int, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int.to_owned()
            } else {
                format!("{int}.{frac}")
            }
        }
        None => text.to_owned(),
    }
}

/// Writes `fields` to `deal` as the portal does: known standard fields and existing user
/// fields; anything else is ignored without a word.
fn apply(s: &DealsState, deal: &mut FakeDeal, fields: &Map<String, Value>) {
    for (key, value) in fields {
        match key.as_str() {
            "TITLE" => deal.title = text(Some(value)),
            "CATEGORY_ID" => deal.category_id = as_u64(Some(value)).unwrap_or(0),
            "STAGE_ID" => deal.stage_id = text(Some(value)),
            "ASSIGNED_BY_ID" => {
                deal.assigned_by_id = as_u64(Some(value)).unwrap_or(deal.assigned_by_id);
            }
            "OPPORTUNITY" => deal.opportunity = text(Some(value)),
            "CURRENCY_ID" => deal.currency_id = text(Some(value)),
            code => {
                let Some(def) = s.user_fields.iter().find(|f| f.code == code) else {
                    continue;
                };
                let stored = match (def.user_type.as_str(), value) {
                    (_, Value::String(t)) if t.is_empty() => Value::Null,
                    ("boolean", v) => {
                        let yes = matches!(text(Some(v)).as_str(), "Y" | "1" | "true")
                            || *v == Value::Bool(true);
                        json!(if yes { "1" } else { "0" })
                    }
                    ("double", v) => json!(normalise_double(&text(Some(v)))),
                    (_, Value::Array(items)) => {
                        Value::Array(items.iter().map(|i| json!(text(Some(i)))).collect())
                    }
                    // A list sent through a batch arrives as a PHP map of its items.
                    (_, Value::Object(items)) if def.multiple => {
                        Value::Array(items.values().map(|i| json!(text(Some(i)))).collect())
                    }
                    (_, v) => json!(text(Some(v))),
                };
                if stored.is_null() {
                    deal.fields.remove(code);
                } else {
                    deal.fields.insert(code.to_owned(), stored);
                }
            }
        }
    }
}

fn deal_json(s: &DealsState, d: &FakeDeal) -> Value {
    let semantic = match s.semantics(&d.stage_id).as_str() {
        "S" => "S",
        "F" => "F",
        _ => "P",
    };
    let mut v = json!({
        "ID": d.id.to_string(), "TITLE": d.title, "TYPE_ID": "SALE",
        "STAGE_ID": d.stage_id, "CATEGORY_ID": d.category_id.to_string(),
        "STAGE_SEMANTIC_ID": semantic, "OPPORTUNITY": d.opportunity,
        "CURRENCY_ID": d.currency_id, "COMPANY_ID": "0",
        "ASSIGNED_BY_ID": d.assigned_by_id.to_string(),
        "CLOSED": if semantic == "P" { "N" } else { "Y" },
    });
    for f in &s.user_fields {
        let value = match d.fields.get(&f.code) {
            Some(value) => value.clone(),
            // Unset: `false` for a multiple field, `null` otherwise.
            None if f.multiple => json!(false),
            None => Value::Null,
        };
        v[f.code.as_str()] = value;
    }
    v
}

fn matches_filter(d: &FakeDeal, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(key, want)| match key.as_str() {
        "ID" => as_u64(Some(want)) == Some(d.id),
        ">ID" => as_u64(Some(want)).is_some_and(|w| d.id > w),
        "CATEGORY_ID" => as_u64(Some(want)) == Some(d.category_id),
        "STAGE_ID" => text(Some(want)) == d.stage_id,
        code => {
            let want = text(Some(want));
            match d.fields.get(code) {
                Some(Value::Array(items)) => items.iter().any(|i| text(Some(i)) == want),
                Some(v) => text(Some(v)) == want,
                None => want.is_empty(),
            }
        }
    })
}

/// Keeps the keys `select` names, as list methods do: `*` is every standard field, `UF_*`
/// every user field; nothing selected is everything.
fn selected(item: Value, named: &Value) -> Value {
    let names: Vec<String> = match named.get("select") {
        Some(Value::Array(items)) => items.iter().map(|i| text(Some(i))).collect(),
        // From a batch's query string: a PHP list of its items.
        Some(Value::Object(items)) => items.values().map(|i| text(Some(i))).collect(),
        _ => Vec::new(),
    };
    let Value::Object(all) = item else {
        return item;
    };
    if names.is_empty() {
        return Value::Object(all);
    }
    let wanted = |key: &str| {
        names.iter().any(|n| {
            n == key
                || (n == "*" && !key.starts_with("UF_"))
                || (n == "UF_*" && key.starts_with("UF_"))
        })
    };
    Value::Object(all.into_iter().filter(|(k, _)| wanted(k)).collect())
}

fn descending(named: &Value) -> bool {
    named
        .pointer("/order/ID")
        .map(|o| text(Some(o)).eq_ignore_ascii_case("desc"))
        .unwrap_or(false)
}

fn deal_list(s: &DealsState, named: &Value) -> Outcome {
    let filter = named
        .get("filter")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut deals: Vec<&FakeDeal> = s
        .deals
        .iter()
        .filter(|d| matches_filter(d, &filter))
        .collect();
    deals.sort_by_key(|d| d.id);
    if descending(named) {
        deals.reverse();
    }
    let (items, total, next) = page(deals, as_i64(named.get("start")));
    Ok(Success {
        result: Value::Array(
            items
                .into_iter()
                .map(|d| selected(deal_json(s, d), named))
                .collect(),
        ),
        total,
        next,
    })
}

fn history_list(s: &DealsState, named: &Value) -> Outcome {
    if as_u64(named.get("entityTypeId")) != Some(2) {
        return Ok(Success {
            result: json!({"items": []}),
            total: Some(0),
            next: None,
        });
    }
    let filter = named.get("filter").cloned().unwrap_or(Value::Null);
    let owner = as_u64(filter.get("OWNER_ID"));
    let after = as_u64(filter.get(">ID"));
    let category = as_u64(filter.get("CATEGORY_ID"));
    let mut rows: Vec<&FakeStageMove> = s
        .history
        .iter()
        .filter(|h| owner.is_none_or(|o| h.owner_id == o))
        .filter(|h| after.is_none_or(|a| h.id > a))
        .filter(|h| category.is_none_or(|c| h.category_id == c))
        .collect();
    rows.sort_by_key(|h| h.id);
    if descending(named) {
        rows.reverse();
    }
    let (items, total, next) = page(rows, as_i64(named.get("start")));
    let items: Vec<Value> = items
        .into_iter()
        .map(|h| {
            let semantic = match s.semantics(&h.stage_id).as_str() {
                "S" => "S",
                "F" => "F",
                _ => "P",
            };
            selected(
                json!({"ID": h.id, "TYPE_ID": h.type_id, "OWNER_ID": h.owner_id,
                       "CREATED_TIME": "2026-05-14T10:26:32+03:00", "CATEGORY_ID": h.category_id,
                       "STAGE_SEMANTIC_ID": semantic, "STAGE_ID": h.stage_id}),
                named,
            )
        })
        .collect();
    Ok(Success {
        result: json!({ "items": items }),
        total,
        next,
    })
}
