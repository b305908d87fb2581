//! The portal's smart-invoice pipelines and their stages, read live (`crm.category.list`,
//! then `crm.status.list` per pipeline in one batch), and which stage a paid, a partly paid
//! and a final invoice is in. The admin's choices ([`InvoiceSettings`]) win for their
//! pipeline; a choice the portal no longer has is an error naming it, never a write.

use std::collections::BTreeMap;

use serde_json::json;
use shtab_core::error::CoreResult;
use shtab_core::{CoreError, FieldError};

use super::shapes::{Categories, Category, SMART_INVOICE, Stage, stage_entity};
use crate::adapters::port_error;
use crate::client::{Batch, Client};
use crate::store::invoice_settings::InvoiceSettings;

/// The smart-invoice pipelines as the portal has them now.
#[derive(Debug, Clone, Default)]
pub struct Pipelines {
    pub categories: Vec<Category>,
    /// Stages per pipeline, in the portal's order.
    pub stages: BTreeMap<u64, Vec<Stage>>,
}

impl Pipelines {
    /// Reads the pipelines and their stages: two requests.
    pub async fn read(client: &Client) -> CoreResult<Pipelines> {
        let categories: Categories = client
            .call("crm.category.list", &json!({"entityTypeId": SMART_INVOICE}))
            .await
            .and_then(|a| a.decode())
            .map_err(port_error)?;
        let mut pipelines = Pipelines {
            categories: categories.categories,
            stages: BTreeMap::new(),
        };
        for chunk in pipelines
            .categories
            .clone()
            .chunks(crate::client::batch::MAX_COMMANDS)
        {
            let mut batch = Batch::new();
            for c in chunk {
                batch
                    .add(
                        &format!("s{}", c.id),
                        "crm.status.list",
                        &json!({"filter": {"ENTITY_ID": stage_entity(c.id.0)}}),
                    )
                    .map_err(port_error)?;
            }
            let answer = client.batch(&batch).await.map_err(port_error)?;
            for c in chunk {
                let mut stages: Vec<Stage> =
                    answer.decode(&format!("s{}", c.id)).map_err(port_error)?;
                stages.sort_by_key(|s| s.sort.map_or(0, |n| n.0));
                pipelines.stages.insert(c.id.0, stages);
            }
        }
        Ok(pipelines)
    }

    pub fn category(&self, id: u64) -> Option<&Category> {
        self.categories.iter().find(|c| c.id.0 == id)
    }

    pub fn stage(&self, category: u64, status_id: &str) -> Option<&Stage> {
        self.stages
            .get(&category)?
            .iter()
            .find(|s| s.status_id == status_id)
    }

    /// Every paid or failed stage of every pipeline: invoices there are not open.
    pub fn final_stages(&self) -> Vec<String> {
        self.stages
            .values()
            .flatten()
            .filter(|s| s.is_final())
            .map(|s| s.status_id.clone())
            .collect()
    }

    /// The stage a fully paid invoice of `category` goes to.
    pub fn paid_stage(&self, category: u64, settings: &InvoiceSettings) -> CoreResult<String> {
        if settings.category_id == Some(category)
            && let Some(stage) = &settings.paid_stage
        {
            return self.configured(category, stage, "paid_stage");
        }
        self.stages
            .get(&category)
            .and_then(|stages| stages.iter().find(|s| s.is_success()))
            .map(|s| s.status_id.clone())
            .ok_or_else(|| {
                CoreError::Internal(format!(
                    "the portal's smart-invoice pipeline {category} has no success stage to mark \
                     an invoice paid: pick the paid stage on the Bitrix24 settings page"
                ))
            })
    }

    /// The stage a partly paid invoice of `category` goes to, if the admin picked one.
    pub fn partly_paid_stage(
        &self,
        category: u64,
        settings: &InvoiceSettings,
    ) -> CoreResult<Option<String>> {
        match (&settings.partly_paid_stage, settings.category_id) {
            (Some(stage), Some(c)) if c == category => self
                .configured(category, stage, "partly_paid_stage")
                .map(Some),
            _ => Ok(None),
        }
    }

    fn configured(&self, category: u64, stage: &str, what: &str) -> CoreResult<String> {
        match self.stage(category, stage) {
            Some(s) => Ok(s.status_id.clone()),
            None => Err(CoreError::Internal(format!(
                "the {what} «{stage}» picked on the Bitrix24 settings page is not a stage of the \
                 portal's smart-invoice pipeline {category} any more (renamed or deleted?): pick \
                 it again; nothing was written to the portal"
            ))),
        }
    }

    /// What is wrong with `settings` on this portal: a field error per choice the portal does
    /// not have (`not_on_portal`), a "partly paid" stage that is final (`final_stage`), stages
    /// without their pipeline (`required`). Empty when they can be used.
    pub fn problems(&self, settings: &InvoiceSettings) -> Vec<FieldError> {
        let mut out = Vec::new();
        let Some(category) = settings.category_id else {
            if settings.paid_stage.is_some() || settings.partly_paid_stage.is_some() {
                out.push(FieldError::new(
                    "category_id",
                    "required",
                    "stages are picked within a pipeline: name the category_id",
                ));
            }
            return out;
        };
        if self.category(category).is_none() {
            out.push(FieldError::new(
                "category_id",
                "not_on_portal",
                format!("the portal has no smart-invoice pipeline {category}"),
            ));
            return out;
        }
        if let Some(stage) = &settings.paid_stage
            && self.stage(category, stage).is_none()
        {
            out.push(FieldError::new(
                "paid_stage",
                "not_on_portal",
                format!("the pipeline {category} has no stage «{stage}»"),
            ));
        }
        if let Some(stage) = &settings.partly_paid_stage {
            match self.stage(category, stage) {
                None => out.push(FieldError::new(
                    "partly_paid_stage",
                    "not_on_portal",
                    format!("the pipeline {category} has no stage «{stage}»"),
                )),
                // A partly paid invoice must stay open, or the rest could never be matched.
                Some(s) if s.is_final() => out.push(FieldError::new(
                    "partly_paid_stage",
                    "final_stage",
                    format!("«{stage}» is a final stage; a partly paid invoice must stay open"),
                )),
                Some(_) => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pipeline 2 as `crm.status.list` writes it: strings, `SEMANTICS` null for stages in
    /// progress, a custom "partly paid" stage, and a custom paid stage known only by `EXTRA`.
    fn pipelines() -> Pipelines {
        let stages: Vec<Stage> = serde_json::from_str(
            r#"[{"ID":"1","ENTITY_ID":"SMART_INVOICE_STAGE_2","STATUS_ID":"DT31_2:N","NAME":"Новый","SORT":"10","SEMANTICS":null,"EXTRA":{"SEMANTICS":"process"}},
                {"ID":"2","ENTITY_ID":"SMART_INVOICE_STAGE_2","STATUS_ID":"DT31_2:UC_PART","NAME":"Частично","SORT":"20","SEMANTICS":null,"EXTRA":{"SEMANTICS":"process"}},
                {"ID":"3","ENTITY_ID":"SMART_INVOICE_STAGE_2","STATUS_ID":"DT31_2:UC_PAID","NAME":"Оплачен","SORT":"30","SEMANTICS":"","EXTRA":{"SEMANTICS":"success"}},
                {"ID":"4","ENTITY_ID":"SMART_INVOICE_STAGE_2","STATUS_ID":"DT31_2:D","NAME":"Не оплачен","SORT":"40","SEMANTICS":"F","EXTRA":{"SEMANTICS":"failure"}}]"#,
        )
        .unwrap();
        let categories: Categories = serde_json::from_str(
            r#"{"categories":[{"id":2,"name":"Общая","sort":500,"entityTypeId":31,"isDefault":"Y"}]}"#,
        )
        .unwrap();
        Pipelines {
            categories: categories.categories,
            stages: BTreeMap::from([(2, stages)]),
        }
    }

    fn picked(paid: Option<&str>, partly: Option<&str>) -> InvoiceSettings {
        InvoiceSettings {
            category_id: Some(2),
            paid_stage: paid.map(str::to_owned),
            partly_paid_stage: partly.map(str::to_owned),
        }
    }

    #[test]
    fn the_paid_stage_is_the_pipelines_success_unless_the_admin_picked_one() {
        let p = pipelines();
        let none = InvoiceSettings::default();
        assert_eq!(p.paid_stage(2, &none).unwrap(), "DT31_2:UC_PAID");
        assert_eq!(
            p.final_stages(),
            vec!["DT31_2:UC_PAID".to_owned(), "DT31_2:D".to_owned()]
        );
        assert_eq!(p.partly_paid_stage(2, &none).unwrap(), None);
        let s = picked(Some("DT31_2:N"), Some("DT31_2:UC_PART"));
        assert_eq!(p.paid_stage(2, &s).unwrap(), "DT31_2:N");
        assert_eq!(
            p.partly_paid_stage(2, &s).unwrap().as_deref(),
            Some("DT31_2:UC_PART")
        );
        // Another pipeline's invoices are not touched by pipeline 2's choices.
        assert!(p.paid_stage(3, &s).is_err());
        assert_eq!(p.partly_paid_stage(3, &s).unwrap(), None);
    }

    #[test]
    fn a_choice_the_portal_lacks_is_named_and_never_used() {
        let p = pipelines();
        assert!(
            p.problems(&picked(Some("DT31_2:N"), Some("DT31_2:UC_PART")))
                .is_empty()
        );
        let gone = picked(Some("DT31_2:P"), None);
        let problems = p.problems(&gone);
        assert_eq!(
            (problems[0].field.as_str(), problems[0].code),
            ("paid_stage", "not_on_portal")
        );
        let err = p.paid_stage(2, &gone).unwrap_err().to_string();
        assert!(
            err.contains("DT31_2:P") && err.contains("nothing was written"),
            "{err}"
        );
        let final_partly = p.problems(&picked(None, Some("DT31_2:D")));
        assert_eq!(final_partly[0].code, "final_stage");
        let no_pipeline = p.problems(&InvoiceSettings {
            category_id: Some(7),
            ..InvoiceSettings::default()
        });
        assert_eq!(
            (no_pipeline[0].field.as_str(), no_pipeline[0].code),
            ("category_id", "not_on_portal")
        );
        let stages_alone = p.problems(&InvoiceSettings {
            paid_stage: Some("DT31_2:N".into()),
            ..InvoiceSettings::default()
        });
        assert_eq!(stages_alone[0].code, "required");
    }
}
