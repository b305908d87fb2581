//! The deals' part of `/api/v1/bitrix24/settings`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::deals::{DealSettings, DealsMap};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DealsSettingsDto {
    /// The portal's deal category (pipeline) the tenders go into; 0 is its default one.
    pub category_id: u64,
    /// Shtab's stage → the category's `STATUS_ID` (`"approval": "C5:PREPAYMENT_INVOICE"`).
    pub stages: BTreeMap<String, String>,
    /// Shtab's field → the deal's user field (`"reg_number": "UF_CRM_SHT_REGNUMBER"`).
    pub fields: BTreeMap<String, String>,
    /// What the last check found missing on the portal; nothing is written while it is set.
    pub problem: Option<String>,
}

impl From<DealSettings> for DealsSettingsDto {
    fn from(s: DealSettings) -> DealsSettingsDto {
        DealsSettingsDto {
            category_id: s.map.category_id,
            stages: s.map.stages,
            fields: s.map.fields,
            problem: s.problem,
        }
    }
}

/// The deals' settings to save: every stage and every field of Shtab's pipeline mapped.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealsSettingsInput {
    pub category_id: u64,
    #[serde(default)]
    pub stages: BTreeMap<String, String>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl DealsSettingsInput {
    pub fn into_map(self) -> DealsMap {
        let trim = |m: BTreeMap<String, String>| {
            m.into_iter()
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect()
        };
        DealsMap {
            category_id: self.category_id,
            stages: trim(self.stages),
            fields: trim(self.fields),
        }
    }
}
