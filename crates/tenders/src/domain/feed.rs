//! One entry of the portal's RSS search feed: enough to know a tender exists and whether
//! it is new; the notice XML fills in the rest.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Kopecks, Law, RegNumber, Stage};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedItem {
    pub reg_number: RegNumber,
    pub law: Law,
    /// The item title as the feed gives it: procedure name and number.
    pub title: String,
    /// The procedure name («Электронный аукцион»), the title without the number.
    pub method: Option<String>,
    /// The purchase object; the feed writes `null` for ч.12 ст.93 purchases, kept as `None`.
    pub object: Option<String>,
    /// The notice page, absolute.
    pub link: String,
    pub customer: Option<String>,
    pub max_price: Option<Kopecks>,
    /// `RUB` for «Российский рубль», otherwise the name the feed gives.
    pub currency: Option<String>,
    /// «Размещено».
    pub published: Option<NaiveDate>,
    /// «Обновлено»: changes when a new notice version or stage comes.
    pub updated: Option<NaiveDate>,
    /// `pubDate`: the moment of publication.
    pub pub_date: Option<DateTime<Utc>>,
    pub stage: Option<Stage>,
    /// «Идентификационный код закупки (ИКЗ)».
    pub ikz: Option<String>,
}
