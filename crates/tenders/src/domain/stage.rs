//! The stage of a purchase as the portal's search knows it («Этап размещения»).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// «Подача заявок»: applications are being accepted.
    Submission,
    /// «Работа комиссии».
    Commission,
    /// «Закупка завершена».
    Completed,
    /// «Закупка отменена».
    Cancelled,
    /// A stage name this code does not know yet, kept as the portal wrote it.
    Other(String),
}

impl Stage {
    pub fn from_portal_name(name: &str) -> Stage {
        let lower = name.trim().to_lowercase();
        if lower.starts_with("подача заявок") {
            Stage::Submission
        } else if lower.starts_with("работа комиссии") {
            Stage::Commission
        } else if lower.contains("заверш") {
            Stage::Completed
        } else if lower.contains("отмен") {
            Stage::Cancelled
        } else {
            Stage::Other(name.trim().to_owned())
        }
    }

    /// The search form's checkbox for this stage (`af=on` …), if it has one.
    pub fn search_param(&self) -> Option<&'static str> {
        match self {
            Stage::Submission => Some("af"),
            Stage::Commission => Some("ca"),
            Stage::Completed => Some("pc"),
            Stage::Cancelled => Some("pa"),
            Stage::Other(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_portal_names() {
        assert_eq!(Stage::from_portal_name("Подача заявок"), Stage::Submission);
        assert_eq!(
            Stage::from_portal_name("Работа комиссии"),
            Stage::Commission
        );
        assert_eq!(
            Stage::from_portal_name("Закупка завершена"),
            Stage::Completed
        );
        assert_eq!(
            Stage::from_portal_name("Закупка отменена"),
            Stage::Cancelled
        );
        assert_eq!(
            Stage::from_portal_name(" Новое "),
            Stage::Other("Новое".into())
        );
    }
}
