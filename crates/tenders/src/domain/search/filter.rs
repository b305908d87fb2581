//! Post-filters: what a saved search asks that the feed cannot express (OKPD2, region,
//! deadline) or expresses loosely (word forms). A fact that is not known yet passes: a
//! feed item has no OKPD2, and the notice fetched later is filtered again.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{SavedSearchSpec, WordMatcher};
use crate::domain::{FeedItem, Kopecks, Law, Stage, TenderNotice};

/// What the filters need to know about a tender; `None` means not known.
pub trait SearchFacts {
    fn texts(&self) -> Vec<&str>;
    fn law(&self) -> Law;
    fn price(&self) -> Option<Kopecks>;
    fn okpd2(&self) -> Option<&[String]>;
    fn region(&self) -> Option<&str>;
    fn deadline(&self) -> Option<DateTime<Utc>>;
    fn stage(&self) -> Option<&Stage>;
}

/// Why a search does not want a tender, for the "run now" preview and the robot's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Rejection {
    Law,
    NoKeyword,
    ExcludedWord,
    PriceBelowMin,
    PriceAboveMax,
    Okpd2,
    Region,
    DeadlinePassed,
    Stage,
}

impl SavedSearchSpec {
    pub fn accepts(&self, tender: &impl SearchFacts, now: DateTime<Utc>) -> bool {
        self.rejection(tender, now).is_none()
    }

    /// The first filter `tender` fails, if any.
    pub fn rejection(&self, tender: &impl SearchFacts, now: DateTime<Utc>) -> Option<Rejection> {
        if !self.laws.is_empty() && !self.laws.contains(&tender.law()) {
            return Some(Rejection::Law);
        }
        if let Some(price) = tender.price() {
            if self.price_min.is_some_and(|min| price < min) {
                return Some(Rejection::PriceBelowMin);
            }
            if self.price_max.is_some_and(|max| price > max) {
                return Some(Rejection::PriceAboveMax);
            }
        }
        if let Some(deadline) = tender.deadline()
            && deadline < now
        {
            return Some(Rejection::DeadlinePassed);
        }
        if let Some(stage) = tender.stage()
            && !self.stages.is_empty()
            && !self.stages.contains(stage)
        {
            return Some(Rejection::Stage);
        }
        if let Some(codes) = tender.okpd2().filter(|c| !c.is_empty())
            && !self.okpd2_prefixes.is_empty()
            && !codes.iter().any(|code| {
                self.okpd2_prefixes
                    .iter()
                    .any(|p| !p.trim().is_empty() && code.starts_with(p.trim()))
            })
        {
            return Some(Rejection::Okpd2);
        }
        if let Some(region) = tender.region()
            && !self.regions.is_empty()
            && !self.regions.iter().any(|r| r.trim() == region)
        {
            return Some(Rejection::Region);
        }
        let texts = tender.texts();
        let wanted = WordMatcher::new(&self.keywords);
        if !wanted.is_empty() && !wanted.matches_any(&texts) {
            return Some(Rejection::NoKeyword);
        }
        if WordMatcher::new(&self.exclude).matches_any(&texts) {
            return Some(Rejection::ExcludedWord);
        }
        None
    }
}

impl SearchFacts for FeedItem {
    fn texts(&self) -> Vec<&str> {
        [Some(self.title.as_str()), self.object.as_deref()]
            .into_iter()
            .flatten()
            .collect()
    }
    fn law(&self) -> Law {
        self.law
    }
    fn price(&self) -> Option<Kopecks> {
        self.max_price
    }
    fn okpd2(&self) -> Option<&[String]> {
        None
    }
    fn region(&self) -> Option<&str> {
        None
    }
    fn deadline(&self) -> Option<DateTime<Utc>> {
        None
    }
    fn stage(&self) -> Option<&Stage> {
        self.stage.as_ref()
    }
}

impl SearchFacts for TenderNotice {
    fn texts(&self) -> Vec<&str> {
        vec![self.title.as_str()]
    }
    fn law(&self) -> Law {
        self.law
    }
    fn price(&self) -> Option<Kopecks> {
        self.max_price
    }
    fn okpd2(&self) -> Option<&[String]> {
        Some(&self.okpd2)
    }
    fn region(&self) -> Option<&str> {
        self.customer.region.as_deref()
    }
    fn deadline(&self) -> Option<DateTime<Utc>> {
        self.application_deadline
    }
    fn stage(&self) -> Option<&Stage> {
        self.stage.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::{Party, RegNumber};

    fn notice() -> TenderNotice {
        TenderNotice {
            reg_number: RegNumber::parse("0123456789012345678").unwrap(),
            law: Law::Fz44,
            kind: "epNotificationEF2020".into(),
            version: Some(1),
            title: "Оказание услуг по охране зданий".into(),
            method_code: None,
            method_name: None,
            customer: Party {
                region: Some("77".into()),
                ..Party::default()
            },
            placer: None,
            max_price: Some(Kopecks(10_000_000)),
            currency: Some("RUB".into()),
            published_at: None,
            application_deadline: Some(Utc.with_ymd_and_hms(2026, 8, 1, 7, 0, 0).unwrap()),
            okpd2: vec!["80.10.12.000".into()],
            platform: None,
            url: None,
            stage: None,
            cancelled: false,
            modification: None,
            status: None,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 29, 0, 0, 0).unwrap()
    }

    #[test]
    fn accepts_a_matching_notice() {
        let spec = SavedSearchSpec {
            keywords: vec!["охрана".into()],
            laws: vec![Law::Fz44],
            price_min: Some(Kopecks(5_000_000)),
            okpd2_prefixes: vec!["80.10".into()],
            regions: vec!["77".into(), "50".into()],
            ..Default::default()
        };
        assert_eq!(spec.rejection(&notice(), now()), None);
    }

    #[test]
    fn each_filter_rejects() {
        let n = notice();
        let cases = [
            (
                SavedSearchSpec {
                    laws: vec![Law::Fz223],
                    ..Default::default()
                },
                Rejection::Law,
            ),
            (
                SavedSearchSpec {
                    keywords: vec!["видеонаблюдение".into()],
                    ..Default::default()
                },
                Rejection::NoKeyword,
            ),
            (
                SavedSearchSpec {
                    exclude: vec!["здание".into()],
                    ..Default::default()
                },
                Rejection::ExcludedWord,
            ),
            (
                SavedSearchSpec {
                    price_min: Some(Kopecks(20_000_000)),
                    ..Default::default()
                },
                Rejection::PriceBelowMin,
            ),
            (
                SavedSearchSpec {
                    price_max: Some(Kopecks(9_999_999)),
                    ..Default::default()
                },
                Rejection::PriceAboveMax,
            ),
            (
                SavedSearchSpec {
                    okpd2_prefixes: vec!["62".into()],
                    ..Default::default()
                },
                Rejection::Okpd2,
            ),
            (
                SavedSearchSpec {
                    regions: vec!["50".into()],
                    ..Default::default()
                },
                Rejection::Region,
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(spec.rejection(&n, now()), Some(want.clone()), "{want:?}");
        }
        let later = Utc.with_ymd_and_hms(2026, 8, 2, 0, 0, 0).unwrap();
        assert_eq!(
            SavedSearchSpec::default().rejection(&n, later),
            Some(Rejection::DeadlinePassed)
        );
    }

    #[test]
    fn unknown_facts_pass() {
        let mut n = notice();
        n.okpd2.clear();
        n.customer.region = None;
        n.application_deadline = None;
        n.max_price = None;
        let spec = SavedSearchSpec {
            okpd2_prefixes: vec!["62".into()],
            regions: vec!["50".into()],
            price_min: Some(Kopecks(1)),
            ..Default::default()
        };
        assert!(spec.accepts(&n, now()));
    }

    #[test]
    fn feed_items_from_the_real_feed() {
        let Some(bytes) = shtab_core::samples::read("eis/rss/real-eis-rss.xml") else {
            return;
        };
        let feed = crate::sources::parse_feed(&bytes).unwrap();
        let spec = SavedSearchSpec {
            keywords: vec!["охрана".into()],
            ..Default::default()
        };
        // The portal matched «охрана» inside «здравоохранения» in customer names; the
        // word-form filter does not.
        let kept: Vec<&str> = feed
            .items
            .iter()
            .filter(|i| spec.accepts(*i, now()))
            .map(|i| i.reg_number.as_str())
            .collect();
        assert!(kept.is_empty(), "{kept:?}");
        let spec = SavedSearchSpec {
            keywords: vec!["поставка".into()],
            stages: vec![Stage::Submission],
            ..Default::default()
        };
        let kept = feed
            .items
            .iter()
            .filter(|i| spec.accepts(*i, now()))
            .count();
        assert_eq!(kept, 3, "«Поставка…», «…на поставку…» twice");
    }
}
