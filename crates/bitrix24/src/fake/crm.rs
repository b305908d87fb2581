//! The CRM methods smart invoices need, in the portal's shapes (`bitrix24-rest.md` §8,
//! `bitrix24-practice.md` §3–4): strings everywhere in `crm.requisite.*` and `crm.status.list`
//! (`"ENTITY_TYPE_ID":"4"`, `"REQUISITE_ID":"0"`), real numbers in `crm.item.*` and
//! `crm.item.payment.list` (`"opportunity":15000.5`, `"paid":"Y"`), `result.items` for
//! `crm.item.list`, `result.categories` for `crm.category.list`, a bare list for the rest.

use serde_json::{Value, json};

use super::crm_data::{FakeInvoice, FakeInvoiceStage, FakeTimelineComment, SMART_INVOICE};
use super::methods::{Outcome, Success, as_u64, refuse};
use super::state::State;

/// The methods answered here; [`handles`] says whether a call is one of them.
const METHODS: &[&str] = &[
    "crm.requisite.list",
    "crm.requisite.link.list",
    "crm.item.list",
    "crm.item.get",
    "crm.item.update",
    "crm.item.payment.list",
    "crm.item.payment.pay",
    "crm.item.payment.unpay",
    "crm.timeline.comment.add",
    "crm.category.list",
    "crm.status.list",
];

/// True for a call this module answers: requisites and timeline comments always, items,
/// payments and categories of smart invoices, stages of smart-invoice pipelines.
pub fn handles(method: &str, named: &Value) -> bool {
    if !METHODS.contains(&method) {
        return false;
    }
    match method {
        "crm.item.list" | "crm.item.get" | "crm.item.update" | "crm.category.list" => {
            as_u64(named.get("entityTypeId")) == Some(SMART_INVOICE)
        }
        "crm.item.payment.list" => as_u64(named.get("entityTypeId")) == Some(SMART_INVOICE),
        "crm.status.list" => filter(named)
            .get("ENTITY_ID")
            .and_then(Value::as_str)
            .is_some_and(|e| e.starts_with("SMART_INVOICE_STAGE_")),
        _ => true,
    }
}

pub fn dispatch(state: &mut State, method: &str, named: &Value) -> Outcome {
    match method {
        "crm.requisite.list" => requisite_list(state, named),
        "crm.requisite.link.list" => link_list(state, named),
        "crm.item.list" => item_list(state, named),
        "crm.item.get" => {
            let id = as_u64(named.get("id"));
            match state.crm.invoices.iter().find(|i| Some(i.id) == id) {
                Some(i) => ok(json!({"item": item_json(i)})),
                None => Err(not_found()),
            }
        }
        "crm.item.update" => item_update(state, named),
        "crm.item.payment.list" => {
            let invoice = as_u64(named.get("entityId"));
            let docs: Vec<Value> = state
                .crm
                .documents
                .iter()
                .filter(|d| Some(d.invoice_id) == invoice)
                .map(|d| {
                    json!({"id": d.id, "accountNumber": d.account_number,
                           "paid": if d.paid { "Y" } else { "N" },
                           "datePaid": if d.paid { json!("2026-02-02T12:00:00+03:00") } else { Value::Null },
                           "sum": money(d.sum.0), "currency": "RUB", "paySystemName": "Cash"})
                })
                .collect();
            ok(Value::Array(docs))
        }
        "crm.item.payment.pay" | "crm.item.payment.unpay" => {
            let id = as_u64(named.get("id"));
            match state.crm.documents.iter_mut().find(|d| Some(d.id) == id) {
                Some(d) => {
                    d.paid = method.ends_with(".pay");
                    ok(json!(true))
                }
                // The payment methods answer the number 0 for an error code.
                None => Err(refuse(400, 0, "Payment not found")),
            }
        }
        "crm.timeline.comment.add" => comment_add(state, named),
        "crm.category.list" => {
            let categories: Vec<Value> = state
                .crm
                .categories
                .iter()
                .filter(|c| c.entity_type_id == SMART_INVOICE)
                .map(|c| {
                    json!({"id": c.id, "name": c.name, "sort": 500, "entityTypeId": c.entity_type_id,
                           "isDefault": if c.is_default { "Y" } else { "N" }})
                })
                .collect();
            ok(json!({"categories": categories}))
        }
        "crm.status.list" => {
            let entity = filter(named)
                .get("ENTITY_ID")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let mut stages: Vec<&FakeInvoiceStage> = state
                .crm
                .stages
                .iter()
                .filter(|s| s.entity_id == entity)
                .collect();
            stages.sort_by_key(|s| (s.sort, s.id));
            ok(Value::Array(stages.into_iter().map(stage_json).collect()))
        }
        _ => Err(refuse(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")),
    }
}

fn ok(result: Value) -> Outcome {
    Ok(Success {
        result,
        total: None,
        next: None,
    })
}

fn not_found() -> super::methods::Refusal {
    refuse(400, "NOT_FOUND", "Элемент не найден")
}

/// An amount as PHP's `json_encode` writes a float: `15000.5`, `15000`.
fn money(kopecks: i64) -> Value {
    json!(kopecks as f64 / 100.0)
}

fn filter(named: &Value) -> &Value {
    named
        .get("filter")
        .or_else(|| named.get("FILTER"))
        .unwrap_or(&Value::Null)
}

/// A filter value as a set of numbers: one value, a list, or a PHP list from a query string.
fn numbers(v: Option<&Value>) -> Option<Vec<u64>> {
    match v? {
        Value::Array(items) => Some(items.iter().filter_map(|i| as_u64(Some(i))).collect()),
        Value::Object(map) => Some(map.values().filter_map(|i| as_u64(Some(i))).collect()),
        one => as_u64(Some(one)).map(|n| vec![n]),
    }
}

fn texts(v: Option<&Value>) -> Option<Vec<String>> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v? {
        Value::Array(items) => Some(items.iter().filter_map(text).collect()),
        Value::Object(map) => Some(map.values().filter_map(text).collect()),
        one => text(one).map(|t| vec![t]),
    }
}

/// Offset paging over rows sorted by id, 50 a page; `start=-1` skips counting.
fn page(rows: Vec<Value>, named: &Value) -> (Vec<Value>, Option<u64>, Option<u64>) {
    let start = named.get("start").and_then(|s| match s {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    match start {
        Some(-1) => (rows.into_iter().take(50).collect(), Some(0), None),
        other => {
            let from = usize::try_from(other.unwrap_or(0).max(0)).unwrap_or(0);
            let total = rows.len();
            let items: Vec<Value> = rows.into_iter().skip(from).take(50).collect();
            let next = (from + 50 < total).then_some((from + 50) as u64);
            (items, Some(total as u64), next)
        }
    }
}

/// Keeps only the selected keys, when `select` names any (`["*"]` keeps all).
fn selected(row: Value, named: &Value) -> Value {
    let Some(keys) = texts(named.get("select").or_else(|| named.get("SELECT"))) else {
        return row;
    };
    if keys.is_empty() || keys.iter().any(|k| k == "*") {
        return row;
    }
    match row {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| keys.iter().any(|s| s == k))
                .collect(),
        ),
        other => other,
    }
}

fn listed(rows: Vec<Value>, named: &Value, wrap: Option<&str>) -> Outcome {
    let (items, total, next) = page(rows, named);
    let items: Vec<Value> = items.into_iter().map(|r| selected(r, named)).collect();
    let result = match wrap {
        Some(key) => json!({ key: items }),
        None => Value::Array(items),
    };
    Ok(Success {
        result,
        total,
        next,
    })
}

fn requisite_list(state: &State, named: &Value) -> Outcome {
    let f = filter(named);
    let inns = texts(f.get("RQ_INN")).or_else(|| texts(f.get("@RQ_INN")));
    let ids = numbers(f.get("ID")).or_else(|| numbers(f.get("@ID")));
    let after = as_u64(f.get(">ID"));
    let owner_type = as_u64(f.get("ENTITY_TYPE_ID"));
    let owners = numbers(f.get("ENTITY_ID")).or_else(|| numbers(f.get("@ENTITY_ID")));
    let mut found: Vec<_> = state
        .crm
        .requisites
        .iter()
        .filter(|r| inns.as_ref().is_none_or(|i| i.contains(&r.inn)))
        .filter(|r| ids.as_ref().is_none_or(|i| i.contains(&r.id)))
        .filter(|r| after.is_none_or(|a| r.id > a))
        .filter(|r| owner_type.is_none_or(|t| r.entity_type_id == t))
        .filter(|r| owners.as_ref().is_none_or(|o| o.contains(&r.entity_id)))
        .collect();
    found.sort_by_key(|r| r.id);
    let rows = found
        .into_iter()
        .map(|r| {
            json!({"ID": r.id.to_string(), "ENTITY_TYPE_ID": r.entity_type_id.to_string(),
                   "ENTITY_ID": r.entity_id.to_string(), "PRESET_ID": "1", "NAME": "Организация",
                   "ACTIVE": "Y", "RQ_INN": r.inn, "RQ_KPP": r.kpp, "RQ_COMPANY_NAME": r.company_name})
        })
        .collect();
    listed(rows, named, None)
}

fn link_list(state: &State, named: &Value) -> Outcome {
    let f = filter(named);
    let entity_type = as_u64(f.get("ENTITY_TYPE_ID"));
    let requisites = numbers(f.get("@REQUISITE_ID")).or_else(|| numbers(f.get("REQUISITE_ID")));
    let entities = numbers(f.get("@ENTITY_ID")).or_else(|| numbers(f.get("ENTITY_ID")));
    let after = as_u64(f.get(">ENTITY_ID"));
    let mut found: Vec<_> = state
        .crm
        .links
        .iter()
        .filter(|l| entity_type.is_none_or(|t| l.entity_type_id == t))
        .filter(|l| {
            requisites
                .as_ref()
                .is_none_or(|r| r.contains(&l.requisite_id))
        })
        .filter(|l| entities.as_ref().is_none_or(|e| e.contains(&l.entity_id)))
        .filter(|l| after.is_none_or(|a| l.entity_id > a))
        .collect();
    found.sort_by_key(|l| (l.entity_type_id, l.entity_id));
    let rows = found
        .into_iter()
        .map(|l| {
            json!({"ENTITY_TYPE_ID": l.entity_type_id.to_string(), "ENTITY_ID": l.entity_id.to_string(),
                   "REQUISITE_ID": l.requisite_id.to_string(), "BANK_DETAIL_ID": "0",
                   "MC_REQUISITE_ID": l.mc_requisite_id.to_string(), "MC_BANK_DETAIL_ID": "0"})
        })
        .collect();
    listed(rows, named, None)
}

pub fn item_json(i: &FakeInvoice) -> Value {
    json!({
        "id": i.id, "xmlId": null, "title": i.title, "createdBy": 1, "updatedBy": 1,
        "createdTime": "2026-02-01T10:00:00+03:00", "updatedTime": "2026-02-01T10:00:00+03:00",
        "categoryId": i.category_id, "stageId": i.stage_id, "previousStageId": i.previous_stage_id,
        "begindate": "2026-02-01T00:00:00+03:00", "closedate": "2026-02-11T00:00:00+03:00",
        "companyId": i.company_id, "contactId": i.contact_ids.first().copied().unwrap_or(0),
        "contactIds": i.contact_ids, "opportunity": money(i.opportunity.0),
        "isManualOpportunity": "Y", "taxValue": 0, "currencyId": "RUB",
        "mycompanyId": i.mycompany_id, "accountNumber": i.account_number,
        "assignedById": i.assigned_by_id
    })
}

fn item_list(state: &State, named: &Value) -> Outcome {
    let f = filter(named);
    let ids = numbers(f.get("@id")).or_else(|| numbers(f.get("id")));
    let after = as_u64(f.get(">id"));
    let companies = numbers(f.get("@companyId")).or_else(|| numbers(f.get("companyId")));
    let contacts = numbers(f.get("@contactId")).or_else(|| numbers(f.get("contactId")));
    let not_stages = texts(f.get("!@stageId")).unwrap_or_default();
    let category = as_u64(f.get("categoryId"));
    let mut found: Vec<&FakeInvoice> = state
        .crm
        .invoices
        .iter()
        .filter(|i| ids.as_ref().is_none_or(|s| s.contains(&i.id)))
        .filter(|i| after.is_none_or(|a| i.id > a))
        .filter(|i| companies.as_ref().is_none_or(|c| c.contains(&i.company_id)))
        .filter(|i| {
            contacts
                .as_ref()
                .is_none_or(|c| i.contact_ids.iter().any(|x| c.contains(x)))
        })
        .filter(|i| !not_stages.contains(&i.stage_id))
        .filter(|i| category.is_none_or(|c| i.category_id == c))
        .collect();
    found.sort_by_key(|i| i.id);
    let rows = found.into_iter().map(item_json).collect();
    listed(rows, named, Some("items"))
}

fn item_update(state: &mut State, named: &Value) -> Outcome {
    let id = as_u64(named.get("id"));
    let fields = named.get("fields").cloned().unwrap_or(Value::Null);
    let stage = fields
        .get("stageId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(invoice) = state.crm.invoices.iter().find(|i| Some(i.id) == id) else {
        return Err(not_found());
    };
    if let Some(stage) = &stage
        && !state
            .crm
            .stages_of(invoice.category_id)
            .any(|s| &s.status_id == stage)
    {
        return Err(refuse(
            400,
            "CRM_FIELD_ERROR_VALUE_NOT_VALID",
            &format!("Значение поля \"Стадия\" некорректно: {stage}"),
        ));
    }
    let invoice = state.crm.invoice_mut(id.unwrap_or(0)).expect("found above");
    // An update that changes nothing is not saved (and runs no automation).
    if let Some(stage) = stage
        && stage != invoice.stage_id
    {
        invoice.previous_stage_id = std::mem::replace(&mut invoice.stage_id, stage);
    }
    let item = item_json(invoice);
    ok(json!({ "item": item }))
}

fn comment_add(state: &mut State, named: &Value) -> Outcome {
    let fields = named.get("fields").cloned().unwrap_or(Value::Null);
    let entity_id = as_u64(fields.get("ENTITY_ID"));
    let entity_type = fields
        .get("ENTITY_TYPE")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let comment = fields
        .get("COMMENT")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if comment.trim().is_empty() {
        return Err(refuse(400, "", "Empty comment message."));
    }
    let exists = match (entity_type.as_str(), entity_id) {
        ("dynamic_31", Some(id)) => state.crm.invoices.iter().any(|i| i.id == id),
        ("deal", Some(id)) => state.deals.deals.iter().any(|d| d.id == id),
        _ => false,
    };
    if !exists {
        return Err(refuse(400, "NOT_FOUND", "Entity not found."));
    }
    let id = state.id();
    state.crm.timeline.push(FakeTimelineComment {
        id,
        entity_type,
        entity_id: entity_id.unwrap_or(0),
        comment,
    });
    ok(json!(id))
}

fn stage_json(s: &FakeInvoiceStage) -> Value {
    let (semantics, extra) = match s.semantics {
        Some('S') => (json!("S"), "success"),
        Some('F') => (json!("F"), "failure"),
        _ => (Value::Null, "process"),
    };
    json!({"ID": s.id.to_string(), "ENTITY_ID": s.entity_id, "STATUS_ID": s.status_id,
           "NAME": s.name, "NAME_INIT": "", "SORT": s.sort.to_string(), "SYSTEM": "Y",
           "CATEGORY_ID": s.category_id.to_string(), "COLOR": "#39A8EF", "SEMANTICS": semantics,
           "EXTRA": {"SEMANTICS": extra, "COLOR": "#39A8EF"}})
}
