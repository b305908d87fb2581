//! Laying a pipeline of Shtab on the portal: checking a mapping against what the portal holds
//! (a renamed or deleted stage, field or category is named, never guessed around), suggesting
//! one for a category the admin picked, creating a category with the pipeline's stages, and
//! creating the user fields a mapping lacks, with Russian labels.

use serde::Serialize;
use serde_json::{Map, Value, json};
use shtab_core::ports::{PipelineLayout, StageOutcome};

use super::portal::{DEAL_TYPE, PortalLayout, PortalStage, stage_entity};
use crate::client::decode::PortalId;
use crate::client::{Batch, Bitrix24Error, Client};
use crate::store::deals::DealsMap;

/// The prefix the portal gives every deal user field.
pub const UF_PREFIX: &str = "UF_CRM_";
/// The longest code after the prefix the portal accepts.
const CODE_LIMIT: usize = 13;

/// What a mapping names, or should name, that the portal does not have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The deal category is gone.
    Category { category_id: u64 },
    /// A stage of Shtab has no stage of the category.
    Stage { stage: String, status_id: String },
    /// A field of Shtab has no user field of deals.
    Field { field: String, code: String },
}

impl Missing {
    /// Where in the settings it is (`deals.stages.approval`), for a field error.
    pub fn path(&self) -> String {
        match self {
            Missing::Category { .. } => "deals.category_id".into(),
            Missing::Stage { stage, .. } => format!("deals.stages.{stage}"),
            Missing::Field { field, .. } => format!("deals.fields.{field}"),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Missing::Category { .. } => "unknown_category",
            Missing::Stage { status_id, .. } if status_id.is_empty() => "stage_not_mapped",
            Missing::Stage { .. } => "unknown_stage",
            Missing::Field { code, .. } if code.is_empty() => "field_not_mapped",
            Missing::Field { .. } => "unknown_field",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Missing::Category { category_id } => {
                format!("the portal has no deal category {category_id}")
            }
            Missing::Stage { stage, status_id } if status_id.is_empty() => {
                format!("Shtab's stage «{stage}» is mapped to no stage of the portal's category")
            }
            Missing::Stage { stage, status_id } => format!(
                "the portal's category has no stage {status_id} (Shtab's stage «{stage}»): it was \
                 renamed or deleted"
            ),
            Missing::Field { field, code } if code.is_empty() => {
                format!("Shtab's field «{field}» is mapped to no deal field of the portal")
            }
            Missing::Field { field, code } => format!(
                "the portal has no deal field {code} (Shtab's field «{field}»): it was renamed or \
                 deleted"
            ),
        }
    }
}

/// Everything `map` lacks on the portal, for the pipeline `layout`: every stage and every
/// field of Shtab must be mapped to one that exists.
pub fn check(map: &DealsMap, layout: &PipelineLayout, portal: &PortalLayout) -> Vec<Missing> {
    if !portal.has_category(map.category_id) {
        return vec![Missing::Category {
            category_id: map.category_id,
        }];
    }
    let mut missing = Vec::new();
    for stage in &layout.stages {
        let status_id = map.stages.get(&stage.id).cloned().unwrap_or_default();
        if status_id.is_empty() || portal.stage(&status_id).is_none() {
            missing.push(Missing::Stage {
                stage: stage.id.clone(),
                status_id,
            });
        }
    }
    for field in &layout.fields {
        let code = map.fields.get(&field.name).cloned().unwrap_or_default();
        if code.is_empty() || portal.field(&code).is_none() {
            missing.push(Missing::Field {
                field: field.name.clone(),
                code,
            });
        }
    }
    missing
}

/// One line naming what is missing, for a robot's failure and the settings page.
pub fn problem_text(missing: &[Missing]) -> Option<String> {
    (!missing.is_empty()).then(|| {
        missing
            .iter()
            .map(Missing::message)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// A mapping for `category`: what `current` maps and the portal still has, else the stage
/// of the same Russian name, else the final stage of the same outcome; the user field of the
/// same Russian label, else the one Shtab would create. What matches nothing stays unmapped.
pub fn suggest(
    layout: &PipelineLayout,
    portal: &PortalLayout,
    category: u64,
    current: &DealsMap,
) -> DealsMap {
    let mut map = DealsMap {
        category_id: category,
        ..DealsMap::default()
    };
    for stage in &layout.stages {
        let kept = current
            .stages
            .get(&stage.id)
            .filter(|s| category == current.category_id && portal.stage(s).is_some());
        let found = kept.cloned().or_else(|| {
            portal
                .stages
                .iter()
                .find(|p| same_name(&p.name, &stage.name_ru))
                .or_else(|| match stage.outcome {
                    StageOutcome::Won => portal.stages.iter().find(|p| p.semantics == "S"),
                    StageOutcome::Lost => portal.stages.iter().find(|p| p.semantics == "F"),
                    StageOutcome::Open => None,
                })
                .map(|p| p.status_id.clone())
        });
        if let Some(status_id) = found {
            map.stages.insert(stage.id.clone(), status_id);
        }
    }
    for field in &layout.fields {
        let kept = current
            .fields
            .get(&field.name)
            .filter(|c| portal.field(c).is_some());
        let found = kept.cloned().or_else(|| {
            portal
                .fields
                .iter()
                .find(|p| same_name(&p.label, &field.label_ru) || p.code == full_code(&field.name))
                .map(|p| p.code.clone())
        });
        if let Some(code) = found {
            map.fields.insert(field.name.clone(), code);
        }
    }
    map
}

/// The code Shtab gives its field on the portal, before collisions: `SHT_` and the name's
/// letters and digits, upper case, at most 13 characters after `UF_CRM_`.
fn base_code(name: &str) -> String {
    let letters: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let mut code = format!("SHT_{letters}");
    code.truncate(CODE_LIMIT);
    code
}

fn full_code(name: &str) -> String {
    format!("{UF_PREFIX}{}", base_code(name))
}

/// A code for `name` that neither the portal nor `taken` uses yet (without the prefix).
fn free_code(name: &str, portal: &PortalLayout, taken: &[String]) -> String {
    let base = base_code(name);
    let used = |code: &str| {
        let full = format!("{UF_PREFIX}{code}");
        portal.field(&full).is_some() || taken.contains(&full)
    };
    if !used(&base) {
        return base;
    }
    (1..100)
        .map(|n| {
            let suffix = n.to_string();
            let keep = base.len().min(CODE_LIMIT - suffix.len());
            format!("{}{suffix}", &base[..keep])
        })
        .find(|c| !used(c))
        .unwrap_or(base)
}

/// The portal's user field type for a kind of Shtab's fields, and whether it holds a list.
fn user_type(kind: &str) -> (&'static str, bool) {
    match kind {
        "money" => ("double", false),
        "datetime" => ("datetime", false),
        "bool" => ("boolean", false),
        "url" => ("url", false),
        "list" => ("string", true),
        _ => ("string", false),
    }
}

/// Creates the deal user fields `map` lacks (unmapped, or mapped to one the portal lost),
/// labelled in Russian (English where the portal shows English), in one request; the mapping
/// with them.
pub async fn create_fields(
    client: &Client,
    layout: &PipelineLayout,
    map: &DealsMap,
    portal: &PortalLayout,
) -> Result<DealsMap, Bitrix24Error> {
    let mut map = map.clone();
    let mut batch = Batch::new();
    let mut made: Vec<(String, String)> = Vec::new();
    for (i, field) in layout.fields.iter().enumerate() {
        let has = map
            .fields
            .get(&field.name)
            .is_some_and(|c| portal.field(c).is_some());
        if has {
            continue;
        }
        let taken: Vec<String> = made.iter().map(|(_, c)| c.clone()).collect();
        let code = free_code(&field.name, portal, &taken);
        let (user_type, multiple) = user_type(&field.kind);
        let mut fields = json!({
            "FIELD_NAME": code,
            "USER_TYPE_ID": user_type,
            "LABEL": field.label_ru,
            "EDIT_FORM_LABEL": {"ru": field.label_ru, "en": field.label_en},
            "LIST_COLUMN_LABEL": {"ru": field.label_ru, "en": field.label_en},
            "LIST_FILTER_LABEL": {"ru": field.label_ru, "en": field.label_en},
            "MULTIPLE": if multiple { "Y" } else { "N" },
            "SORT": 1000 + i * 10,
        });
        if field.kind == "money" {
            fields["SETTINGS"] = json!({"PRECISION": 2});
        }
        batch.add(
            &format!("f{i}"),
            "crm.deal.userfield.add",
            &json!({ "fields": fields }),
        )?;
        made.push((field.name.clone(), format!("{UF_PREFIX}{code}")));
    }
    if made.is_empty() {
        return Ok(map);
    }
    let answer = client.batch(&batch).await?;
    let mut first_error = None;
    for (i, field) in layout.fields.iter().enumerate() {
        let Some((_, code)) = made.iter().find(|(name, _)| *name == field.name) else {
            continue;
        };
        match answer.decode::<PortalId>(&format!("f{i}")) {
            Ok(_) => {
                map.fields.insert(field.name.clone(), code.clone());
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(map),
    }
}

/// Creates a deal category named after the pipeline, with the pipeline's stages: the
/// category's own open stages are renamed to Shtab's in order (more are added when Shtab has
/// more), its success and first failure stage become the won and lost ones. The mapping of
/// its stages (fields come from [`create_fields`]).
pub async fn create_category(
    client: &Client,
    layout: &PipelineLayout,
) -> Result<DealsMap, Bitrix24Error> {
    #[derive(serde::Deserialize)]
    struct Added {
        category: super::portal::PortalCategory,
    }
    let added: Added = client
        .call(
            "crm.category.add",
            &json!({"entityTypeId": DEAL_TYPE, "fields": {"name": layout.name_ru, "sort": 500}}),
        )
        .await?
        .decode()?;
    let category = added.category.id.0;
    let entity = stage_entity(category);
    let answer = client
        .call(
            "crm.status.list",
            &json!({"order": {"SORT": "ASC"}, "filter": {"ENTITY_ID": entity}}),
        )
        .await?;
    let existing: Vec<PortalStage> = answer.decode()?;
    let mut open = existing
        .iter()
        .filter(|s| s.semantics != "S" && s.semantics != "F");
    let success = existing.iter().find(|s| s.semantics == "S");
    let failure = existing.iter().find(|s| s.semantics == "F");
    let mut map = DealsMap {
        category_id: category,
        ..DealsMap::default()
    };
    let mut batch = Batch::new();
    let mut sort = 0;
    for (i, stage) in layout.stages.iter().enumerate() {
        sort += 10;
        let reuse = match stage.outcome {
            StageOutcome::Open => open.next(),
            StageOutcome::Won => success,
            StageOutcome::Lost => failure,
        };
        let label = format!("s{i}");
        match reuse {
            Some(p) => {
                batch.add(
                    &label,
                    "crm.status.update",
                    &json!({"id": p.row_id.0, "fields": {"NAME": stage.name_ru, "SORT": sort}}),
                )?;
                map.stages.insert(stage.id.clone(), p.status_id.clone());
            }
            None => {
                let status_id = stage.id.to_ascii_uppercase();
                let semantics = match stage.outcome {
                    StageOutcome::Open => "",
                    StageOutcome::Won => "S",
                    StageOutcome::Lost => "F",
                };
                batch.add(
                    &label,
                    "crm.status.add",
                    &json!({"fields": {"ENTITY_ID": entity, "STATUS_ID": status_id,
                                       "NAME": stage.name_ru, "SORT": sort, "SEMANTICS": semantics}}),
                )?;
                map.stages
                    .insert(stage.id.clone(), format!("C{category}:{status_id}"));
            }
        }
    }
    if !batch.is_empty() {
        let answer = client.batch(&batch).await?;
        if let Some((_, e)) = answer.failures().into_iter().next() {
            return Err(e);
        }
    }
    Ok(map)
}

/// The fields of a deal to create or update, keyed by the portal's codes.
pub fn portal_fields(
    map: &DealsMap,
    layout: &PipelineLayout,
    values: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in values {
        let (Some(code), Some(def)) = (map.fields.get(name), layout.field(name)) else {
            continue;
        };
        out.insert(code.clone(), super::values::to_portal(&def.kind, value));
    }
    out
}

/// The pipeline's money fields the deal's amount (`OPPORTUNITY`) follows, the first filled
/// winning: the price the vendor approved, else the one recommended, else the tender's maximum.
const AMOUNT_FROM: [&str; 3] = ["approved_price", "recommended_price", "max_price"];

/// The deal's amount as the portal takes it, exact decimal text in roubles (`"0.00"` when no
/// price is known yet), so the portal's kanban and reports sum what Shtab knows.
pub fn amount_fields(values: &Map<String, Value>) -> Map<String, Value> {
    let kopecks = AMOUNT_FROM
        .iter()
        .find_map(|name| values.get(*name).and_then(Value::as_i64))
        .unwrap_or(0);
    let mut out = Map::new();
    out.insert(
        "OPPORTUNITY".into(),
        Value::from(super::values::decimal_text(kopecks)),
    );
    out.insert("CURRENCY_ID".into(), Value::from("RUB"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shtab_core::ports::{FieldLayout, StageLayout};

    fn layout() -> PipelineLayout {
        let stage = |id: &str, ru: &str, outcome| StageLayout {
            id: id.into(),
            name_ru: ru.into(),
            name_en: id.into(),
            outcome,
        };
        let field = |name: &str, kind: &str| FieldLayout {
            name: name.into(),
            kind: kind.into(),
            label_ru: name.into(),
            label_en: name.into(),
        };
        PipelineLayout {
            id: "tenders".into(),
            name_ru: "Тендеры".into(),
            name_en: "Tenders".into(),
            stages: vec![
                stage("new", "Новый", StageOutcome::Open),
                stage("won", "Выиграли", StageOutcome::Won),
            ],
            fields: vec![
                field("reg_number", "text"),
                field("recommended_price", "money"),
                field("recommended_prices", "money"),
            ],
        }
    }

    #[test]
    fn codes_fit_the_portals_limit_and_never_collide() {
        let portal = PortalLayout::default();
        assert_eq!(free_code("reg_number", &portal, &[]), "SHT_REGNUMBER");
        let first = free_code("recommended_price", &portal, &[]);
        assert_eq!(first, "SHT_RECOMMEND");
        let second = free_code(
            "recommended_prices",
            &portal,
            &[format!("{UF_PREFIX}{first}")],
        );
        assert_eq!(second, "SHT_RECOMMEN1");
        assert!(second.len() <= CODE_LIMIT);
    }

    #[test]
    fn a_check_names_the_category_stage_or_field_the_portal_lacks() {
        let portal = PortalLayout {
            categories: vec![super::super::portal::PortalCategory {
                id: PortalId(5),
                name: "Тендеры".into(),
            }],
            stages: vec![],
            fields: vec![],
        };
        let mut map = DealsMap {
            category_id: 7,
            ..DealsMap::default()
        };
        let missing = check(&map, &layout(), &portal);
        assert_eq!(missing, vec![Missing::Category { category_id: 7 }]);
        map.category_id = 5;
        map.stages.insert("new".into(), "C5:NEW".into());
        let missing = check(&map, &layout(), &portal);
        assert_eq!(missing[0].path(), "deals.stages.new");
        assert_eq!(missing[0].code(), "unknown_stage");
        assert!(
            missing[0].message().contains("C5:NEW"),
            "{}",
            missing[0].message()
        );
        assert_eq!(missing[1].code(), "stage_not_mapped");
        assert_eq!(missing.len(), 5);
        assert!(problem_text(&missing).unwrap().contains("reg_number"));
    }
}
