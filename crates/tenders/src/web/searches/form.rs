//! The search editor's form: text fields as typed (so a refused form comes back as it was)
//! and checkboxes, turned into a [`SearchInput`] with an error per field that does not parse.

use serde::Deserialize;
use shtab_core::error::{FieldError, FieldErrors};
use shtab_core::ids::PersonId;

use crate::domain::{Kopecks, Law, SavedSearchSpec, Stage};
use crate::store::searches::{DEFAULT_SCHEDULE, SavedSearch, SearchInput};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchForm {
    pub name: String,
    pub keywords: String,
    pub exclude: String,
    pub law_44: String,
    pub law_223: String,
    pub price_min: String,
    pub price_max: String,
    pub okpd2: String,
    pub okpd2_ids: String,
    pub regions: String,
    pub region_ids: String,
    pub stage_submission: String,
    pub stage_commission: String,
    pub stage_completed: String,
    pub stage_cancelled: String,
    pub responsible: String,
    pub enabled: String,
    pub schedule: String,
    pub use_documents: String,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn list(s: &str) -> Vec<String> {
    s.split([',', ';', ' ', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn on(s: &str) -> bool {
    !s.is_empty()
}

fn checked(b: bool) -> String {
    if b { "on".into() } else { String::new() }
}

fn price(field: &str, s: &str) -> Result<Option<Kopecks>, FieldError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    Kopecks::parse_lenient(s)
        .map(Some)
        .map_err(|e| FieldError::new(field, "invalid_price", e.to_string()))
}

impl SearchForm {
    /// A blank form for a new search: enabled, every half hour, accepting applications.
    pub fn blank() -> SearchForm {
        SearchForm {
            enabled: "on".into(),
            schedule: DEFAULT_SCHEDULE.into(),
            stage_submission: "on".into(),
            ..SearchForm::default()
        }
    }

    pub fn of(s: &SavedSearch) -> SearchForm {
        let spec = &s.spec;
        SearchForm {
            name: s.name.clone(),
            keywords: spec.keywords.join("\n"),
            exclude: spec.exclude.join("\n"),
            law_44: checked(spec.laws.contains(&Law::Fz44)),
            law_223: checked(spec.laws.contains(&Law::Fz223)),
            price_min: spec.price_min.map(|p| p.to_string()).unwrap_or_default(),
            price_max: spec.price_max.map(|p| p.to_string()).unwrap_or_default(),
            okpd2: spec.okpd2_prefixes.join(", "),
            okpd2_ids: spec.okpd2_portal_ids.join(", "),
            regions: spec.regions.join(", "),
            region_ids: spec.region_portal_ids.join(", "),
            stage_submission: checked(spec.stages.contains(&Stage::Submission)),
            stage_commission: checked(spec.stages.contains(&Stage::Commission)),
            stage_completed: checked(spec.stages.contains(&Stage::Completed)),
            stage_cancelled: checked(spec.stages.contains(&Stage::Cancelled)),
            responsible: s.responsible.map(|p| p.to_string()).unwrap_or_default(),
            enabled: checked(s.enabled),
            schedule: s.schedule.clone(),
            use_documents: checked(s.use_documents),
        }
    }

    pub fn to_input(&self) -> Result<SearchInput, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let price_min = errors.take(price("price_min", &self.price_min)).flatten();
        let price_max = errors.take(price("price_max", &self.price_max)).flatten();
        let responsible = match self.responsible.trim() {
            "" => None,
            s => errors.take(s.parse::<i64>().map(PersonId).map_err(|_| {
                FieldError::new(
                    "responsible",
                    "invalid_person",
                    "choose a person from the list",
                )
            })),
        };
        if let Err(shtab_core::CoreError::Invalid(fields)) = errors.into_result() {
            return Err(fields);
        }
        let mut laws = Vec::new();
        if on(&self.law_44) {
            laws.push(Law::Fz44);
        }
        if on(&self.law_223) {
            laws.push(Law::Fz223);
        }
        let stages = [
            (&self.stage_submission, Stage::Submission),
            (&self.stage_commission, Stage::Commission),
            (&self.stage_completed, Stage::Completed),
            (&self.stage_cancelled, Stage::Cancelled),
        ]
        .into_iter()
        .filter(|(v, _)| on(v))
        .map(|(_, s)| s)
        .collect();
        Ok(SearchInput {
            name: self.name.clone(),
            spec: SavedSearchSpec {
                keywords: lines(&self.keywords),
                exclude: lines(&self.exclude),
                laws,
                price_min,
                price_max,
                okpd2_prefixes: list(&self.okpd2),
                okpd2_portal_ids: list(&self.okpd2_ids),
                regions: list(&self.regions),
                region_portal_ids: list(&self.region_ids),
                stages,
            },
            responsible,
            enabled: on(&self.enabled),
            schedule: if self.schedule.trim().is_empty() {
                DEFAULT_SCHEDULE.into()
            } else {
                self.schedule.clone()
            },
            use_documents: on(&self.use_documents),
        })
    }
}
