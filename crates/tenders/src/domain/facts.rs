//! What Shtab knows about one tender: the feed item's facts, completed by its notice. A
//! change of these facts is a new version of the tender.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::search::SearchFacts;
use super::{FeedItem, Kopecks, Law, RegNumber, Stage, TenderNotice};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenderFacts {
    pub reg_number: RegNumber,
    pub law: Law,
    pub title: String,
    /// The notice page on the portal.
    pub url: String,
    pub customer: Option<String>,
    pub customer_inn: Option<String>,
    /// Two-digit region code of the customer.
    pub region: Option<String>,
    pub max_price: Option<Kopecks>,
    pub currency: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    pub okpd2: Vec<String>,
    pub platform: Option<String>,
    pub stage: Option<Stage>,
    pub notice_version: Option<u32>,
    pub cancelled: bool,
    /// The feed's «Обновлено» date (`yyyy-mm-dd`): a newer one means the notice changed.
    pub feed_updated: Option<String>,
}

impl TenderFacts {
    pub fn from_feed(item: &FeedItem) -> TenderFacts {
        let title = match item.object.as_deref().map(str::trim) {
            Some(object) if !object.is_empty() && object != "null" => object.to_owned(),
            _ => item.title.clone(),
        };
        TenderFacts {
            reg_number: item.reg_number.clone(),
            law: item.law,
            title,
            url: item.link.clone(),
            customer: item.customer.clone(),
            customer_inn: None,
            region: None,
            max_price: item.max_price,
            currency: item.currency.clone(),
            published_at: item.pub_date,
            deadline: None,
            okpd2: Vec::new(),
            platform: None,
            cancelled: item.stage == Some(Stage::Cancelled),
            stage: item.stage.clone(),
            notice_version: None,
            feed_updated: item.updated.map(|d| d.to_string()),
        }
    }

    pub fn from_notice(notice: &TenderNotice, portal: &str) -> TenderFacts {
        let url = notice
            .url
            .clone()
            .unwrap_or_else(|| notice_page_url(portal, &notice.reg_number));
        TenderFacts {
            reg_number: notice.reg_number.clone(),
            law: notice.law,
            title: notice.title.clone(),
            url,
            customer: notice
                .customer
                .name
                .clone()
                .or_else(|| notice.customer.short_name.clone()),
            customer_inn: notice.customer.inn.clone(),
            region: notice.customer.region.clone(),
            max_price: notice.max_price,
            currency: notice.currency.clone(),
            published_at: notice.published_at,
            deadline: notice.application_deadline,
            okpd2: notice.okpd2.clone(),
            platform: notice
                .platform
                .as_ref()
                .and_then(|p| p.name.clone().or_else(|| p.code.clone())),
            stage: notice.stage.clone(),
            notice_version: notice.version,
            cancelled: notice.cancelled,
            feed_updated: None,
        }
    }

    /// The feed's facts completed by the notice: the notice is the fuller and more exact
    /// source, the feed knows the current stage and its own update date.
    pub fn enriched_by(mut self, notice: &TenderNotice, portal: &str) -> TenderFacts {
        let n = TenderFacts::from_notice(notice, portal);
        if !n.title.trim().is_empty() {
            self.title = n.title;
        }
        self.customer = n.customer.or(self.customer);
        self.customer_inn = n.customer_inn.or(self.customer_inn);
        self.region = n.region.or(self.region);
        self.max_price = n.max_price.or(self.max_price);
        self.currency = n.currency.or(self.currency);
        self.published_at = n.published_at.or(self.published_at);
        self.deadline = n.deadline.or(self.deadline);
        if !n.okpd2.is_empty() {
            self.okpd2 = n.okpd2;
        }
        self.platform = n.platform.or(self.platform);
        self.stage = self.stage.or(n.stage);
        self.notice_version = n.notice_version.or(self.notice_version);
        self.cancelled |= n.cancelled;
        self
    }

    /// What a later sighting adds to what is stored: a feed item alone does not know the
    /// notice's fields, so those stay as the last notice said.
    pub fn merged_over(mut self, stored: &TenderFacts) -> TenderFacts {
        if self.customer_inn.is_none() {
            self.customer_inn = stored.customer_inn.clone();
        }
        if self.region.is_none() {
            self.region = stored.region.clone();
        }
        if self.deadline.is_none() {
            self.deadline = stored.deadline;
        }
        if self.okpd2.is_empty() {
            self.okpd2 = stored.okpd2.clone();
        }
        if self.platform.is_none() {
            self.platform = stored.platform.clone();
        }
        if self.notice_version.is_none() {
            self.notice_version = stored.notice_version;
        }
        if self.feed_updated.is_none() {
            self.feed_updated = stored.feed_updated.clone();
        }
        // A cancellation is final.
        self.cancelled |= stored.cancelled;
        self
    }
}

/// The notice page of a registration number (reference §3), when the notice gave none.
pub fn notice_page_url(portal: &str, reg: &RegNumber) -> String {
    let portal = portal.trim_end_matches('/');
    match reg.law() {
        Law::Fz44 => {
            format!("{portal}/epz/order/notice/ea20/view/common-info.html?regNumber={reg}")
        }
        Law::Fz223 => {
            format!("{portal}/epz/order/notice/notice223/common-info.html?regNumber={reg}")
        }
    }
}

impl SearchFacts for TenderFacts {
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
        (!self.okpd2.is_empty()).then_some(self.okpd2.as_slice())
    }
    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }
    fn deadline(&self) -> Option<DateTime<Utc>> {
        self.deadline
    }
    fn stage(&self) -> Option<&Stage> {
        self.stage.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> FeedItem {
        FeedItem {
            reg_number: RegNumber::parse("0373200215526000664").unwrap(),
            law: Law::Fz44,
            title: "Электронный аукцион №0373200215526000664".into(),
            method: None,
            object: Some("Охрана объектов".into()),
            link: "https://zakupki.gov.ru/x?regNumber=0373200215526000664".into(),
            customer: Some("ГБУ".into()),
            max_price: Some(Kopecks(44_166_667)),
            currency: Some("RUB".into()),
            published: None,
            updated: None,
            pub_date: None,
            stage: Some(Stage::Submission),
            ikz: None,
        }
    }

    #[test]
    fn the_object_name_is_the_title_and_a_later_feed_sighting_keeps_notice_facts() {
        let feed = TenderFacts::from_feed(&item());
        assert_eq!(feed.title, "Охрана объектов");
        let mut stored = feed.clone();
        stored.customer_inn = Some("7701234567".into());
        stored.okpd2 = vec!["80.10.12".into()];
        stored.cancelled = true;
        let again = TenderFacts::from_feed(&item()).merged_over(&stored);
        assert_eq!(again.customer_inn.as_deref(), Some("7701234567"));
        assert_eq!(again.okpd2, vec!["80.10.12".to_string()]);
        assert!(again.cancelled);
    }
}
