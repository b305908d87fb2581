//! A tender as a CRM deal: the pipeline, stages and field names agreed with the CRM side.

use serde_json::{Map, Value, json};
use shtab_core::ids::PersonId;
use shtab_core::ports::NewDeal;

use crate::domain::TenderFacts;

pub const PIPELINE: &str = "tenders";
pub const STAGE_NEW: &str = "new";
pub const STAGE_REVIEWING: &str = "reviewing";
pub const STAGE_LOST: &str = "lost";

/// The deal's tender fields, as the CRM stores them.
pub fn fields(facts: &TenderFacts) -> Map<String, Value> {
    let mut f = Map::new();
    f.insert("reg_number".into(), json!(facts.reg_number.as_str()));
    f.insert("tender_url".into(), json!(facts.url));
    f.insert("customer".into(), json!(facts.customer));
    f.insert("customer_inn".into(), json!(facts.customer_inn));
    f.insert("max_price".into(), json!(facts.max_price.map(|p| p.0)));
    f.insert("currency".into(), json!(facts.currency));
    f.insert(
        "deadline".into(),
        json!(facts.deadline.map(|d| d.to_rfc3339())),
    );
    f.insert("law".into(), json!(facts.law.to_string()));
    f.insert("platform".into(), json!(facts.platform));
    f.insert("okpd2".into(), json!(facts.okpd2));
    f.insert("region".into(), json!(facts.region));
    if facts.cancelled {
        f.insert("cancelled".into(), json!(true));
    }
    f
}

pub fn new_deal(facts: &TenderFacts, responsible: Option<PersonId>) -> NewDeal {
    NewDeal {
        pipeline: PIPELINE.into(),
        stage: STAGE_NEW.into(),
        title: facts.title.clone(),
        responsible,
        fields: fields(facts),
        external_key: facts.reg_number.to_string(),
    }
}
