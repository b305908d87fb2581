//! A tender as its notice XML describes it: the record the robot stores per
//! registration number and updates when a new version of the notice comes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Kopecks, Law, RegNumber, Stage};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenderNotice {
    pub reg_number: RegNumber,
    pub law: Law,
    /// The notice's document type as the XML names it (`epNotificationEF2020`,
    /// `purchaseNoticeZK`…).
    pub kind: String,
    /// 1 for the first publication; each change publishes the next one.
    pub version: Option<u32>,
    /// The purchase object («Наименование объекта закупки»), whitespace collapsed.
    pub title: String,
    /// How the supplier is chosen (`EAP20` «Электронный аукцион», 223-FZ method codes).
    pub method_code: Option<String>,
    pub method_name: Option<String>,
    /// Who buys. For 44-FZ purchases placed by an authorised body this is the first customer
    /// of the notice, not the body that placed it (that one is [`Placer`]).
    pub customer: Party,
    pub placer: Option<Placer>,
    pub max_price: Option<Kopecks>,
    /// ISO 4217 letter code (`RUB`) as the notice gives it.
    pub currency: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// When application submission closes.
    pub application_deadline: Option<DateTime<Utc>>,
    /// OKPD2 codes of the purchase objects, in notice order, without repeats.
    pub okpd2: Vec<String>,
    pub platform: Option<TradingPlatform>,
    /// The notice page on the portal.
    pub url: Option<String>,
    /// Notices do not state the search stage; it comes from the feed.
    pub stage: Option<Stage>,
    /// A cancellation notice, or a 223-FZ notice whose every lot is cancelled.
    pub cancelled: bool,
    pub modification: Option<Modification>,
    /// 223-FZ publication status code as written (`P`).
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub inn: Option<String>,
    pub kpp: Option<String>,
    /// The portal's registry number of the organisation (44-FZ `regNum`, 11 digits).
    pub reg_num: Option<String>,
    /// Two-digit code of the Russian region (subject): `77` Moscow, `01` Adygea. Taken from
    /// the tax registration (first digits of the KPP), which is where the organisation is
    /// registered, because 44-FZ notices have no region field.
    pub region: Option<String>,
}

impl Party {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.inn.is_none() && self.reg_num.is_none()
    }

    /// Sets the region from the KPP when nothing better is known.
    pub(crate) fn fill_region_from_kpp(&mut self) {
        if self.region.is_none() {
            self.region = self.kpp.as_deref().and_then(region_of_kpp);
        }
    }
}

/// The first two digits of a 9-digit KPP are the region of the tax office.
pub(crate) fn region_of_kpp(kpp: &str) -> Option<String> {
    (kpp.len() == 9 && kpp.bytes().all(|b| b.is_ascii_digit()) && !kpp.starts_with("00"))
        .then(|| kpp[..2].to_owned())
}

/// The organisation that placed the notice and in what role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placer {
    pub party: Party,
    /// 44-FZ `responsibleRole`: `CU` customer, `RA` authorised body, `OCU`/`AI`… others.
    pub role: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TradingPlatform {
    pub code: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Modification {
    /// What changed («Корректировка», «Продление срока подачи заявок», «Выгрузка из САР»).
    pub info: Option<String>,
    /// The change document's number («№ИИ1»).
    pub doc_number: Option<String>,
    /// When the change was decided or made, as written.
    pub date: Option<String>,
}
