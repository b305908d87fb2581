//! The deals' part of the Bitrix24 settings page: the mapping as a form (a portal code per
//! stage and field of Shtab), what the last check found, and, after a check, what the
//! portal holds.

use std::collections::BTreeMap;

use shtab_core::config::SystemOfRecord;
use shtab_core::error::CoreResult;
use shtab_core::types::Locale;
use shtab_web::AppState;

use super::DealsSetup;
use super::texts::{DealsTexts, texts};
use crate::adapters::deals::LiveCheck;
use crate::store::deals::DealsMap;

/// One stage or field of Shtab and the portal's code for it.
pub struct Row {
    pub name: String,
    pub label: String,
    pub value: String,
    pub error: String,
}

pub struct DealsSection {
    pub t: &'static DealsTexts,
    /// `systems.deals = "bitrix24"`.
    pub here: bool,
    /// A portal is configured.
    pub available: bool,
    pub set_up: bool,
    /// `saved` or `created`, after a redirect.
    pub done: String,
    pub problem: Option<String>,
    pub category_id: String,
    pub stages: Vec<Row>,
    pub fields: Vec<Row>,
    /// Errors without a row of their own (the category).
    pub errors: Vec<String>,
    /// After a check: what the portal holds.
    pub checked: Option<Checked>,
}

pub struct Checked {
    pub missing: Vec<String>,
    pub categories: Vec<(u64, String)>,
    pub stages: Vec<(String, String)>,
    pub fields: Vec<(String, String)>,
}

/// What the form shows instead of the saved settings: a check's suggestion or a refused
/// submission, with its errors by path (`deals.stages.approval`).
#[derive(Default)]
pub struct Shown {
    pub map: Option<DealsMap>,
    pub errors: BTreeMap<String, String>,
    pub check: Option<LiveCheck>,
    pub done: String,
    pub refused: Option<String>,
}

pub async fn section(
    state: &AppState,
    setup: &DealsSetup,
    locale: Locale,
    shown: Shown,
) -> CoreResult<DealsSection> {
    let t = texts(locale);
    let here = state.config.systems.deals == SystemOfRecord::Bitrix24;
    let Some(deals) = setup.0.as_ref() else {
        return Ok(DealsSection {
            t,
            here,
            available: false,
            set_up: false,
            done: String::new(),
            problem: None,
            category_id: String::new(),
            stages: Vec::new(),
            fields: Vec::new(),
            errors: Vec::new(),
            checked: None,
        });
    };
    let layout = deals.layout().await?;
    let saved = deals.settings().await?;
    let map = shown
        .map
        .or_else(|| shown.check.as_ref().map(|c| c.map.clone()))
        .or_else(|| saved.as_ref().map(|s| s.map.clone()))
        .unwrap_or_default();
    let error_of = |path: String| shown.errors.get(&path).cloned().unwrap_or_default();
    let stages = layout
        .stages
        .iter()
        .map(|s| Row {
            label: match locale {
                Locale::Ru => s.name_ru.clone(),
                Locale::En => s.name_en.clone(),
            },
            value: map.stages.get(&s.id).cloned().unwrap_or_default(),
            error: error_of(format!("deals.stages.{}", s.id)),
            name: s.id.clone(),
        })
        .collect();
    let fields = layout
        .fields
        .iter()
        .map(|f| Row {
            label: match locale {
                Locale::Ru => f.label_ru.clone(),
                Locale::En => f.label_en.clone(),
            },
            value: map.fields.get(&f.name).cloned().unwrap_or_default(),
            error: error_of(format!("deals.fields.{}", f.name)),
            name: f.name.clone(),
        })
        .collect();
    let mut errors: Vec<String> = shown
        .errors
        .iter()
        .filter(|(path, _)| {
            !path.starts_with("deals.stages.") && !path.starts_with("deals.fields.")
        })
        .map(|(_, m)| m.clone())
        .collect();
    if let Some(refused) = shown.refused {
        errors.push(format!("{} {refused}", t.refused));
    }
    let checked = shown.check.map(|c| Checked {
        missing: c.missing.iter().map(|m| m.message()).collect(),
        categories: c
            .portal
            .categories
            .iter()
            .map(|cat| (cat.id.0, cat.name.clone()))
            .collect(),
        stages: c
            .portal
            .stages
            .iter()
            .map(|s| (s.status_id.clone(), s.name.clone()))
            .collect(),
        fields: c
            .portal
            .fields
            .iter()
            .map(|f| (f.code.clone(), f.label.clone()))
            .collect(),
    });
    Ok(DealsSection {
        t,
        here,
        available: true,
        set_up: saved.is_some(),
        done: shown.done,
        problem: saved.and_then(|s| s.problem),
        category_id: if map == DealsMap::default()
            && !shown.errors.contains_key("deals.category_id")
        {
            String::new()
        } else {
            map.category_id.to_string()
        },
        stages,
        fields,
        errors,
        checked,
    })
}
