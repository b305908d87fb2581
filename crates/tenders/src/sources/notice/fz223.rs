//! 223-FZ notices: `purchaseNotice/body/item/purchaseNoticeData` and the typed variants
//! that rename both (`purchaseNoticeZK/…/purchaseNoticeZKData`, `…AE…`, `…OA…`), which a
//! reader of `purchaseNoticeData` alone would lose (reference §2c).

use chrono::{DateTime, Utc};

use super::NoticeError;
use super::fields::{At, is, push_unique};
use crate::domain::{
    Kopecks, Law, Modification, Party, Placer, RegNumber, TenderNotice, TradingPlatform,
};
use crate::sources::xml::{self, Visitor, collapse_whitespace};

/// Subtrees with nothing we read. The typed 2012 scheme spells attachments `attachements`.
const SKIP: &[&str] = &[
    "attachments",
    "attachements",
    "templateStructure",
    "extendFields",
    "contact",
    "documentationDelivery",
    "signature",
];

pub(super) fn parse(input: &[u8], kind: String) -> Result<TenderNotice, NoticeError> {
    let mut v = Fz223 {
        input,
        ..Fz223::default()
    };
    xml::walk(input, &mut v)?;
    v.finish(kind)
}

#[derive(Default)]
struct Lot {
    price: Option<Kopecks>,
    currency: Option<String>,
    cancelled: bool,
}

#[derive(Default)]
struct Fz223<'a> {
    input: &'a [u8],
    reg_number: Option<RegNumber>,
    name: Option<String>,
    url_eis: Option<String>,
    url_oos: Option<String>,
    version: Option<u32>,
    status: Option<String>,
    modification: Modification,
    published_at: Option<DateTime<Utc>>,
    deadline: Option<DateTime<Utc>>,
    method_code: Option<String>,
    method_name: Option<String>,
    customer: Party,
    placer: Party,
    lots: Vec<Lot>,
    okpd2: Vec<String>,
    platform: TradingPlatform,
}

/// The part of `path` inside the `…Data` element, if the path is inside one.
fn data_rel(path: &[String]) -> Option<&[String]> {
    let inside = path.len() > 4
        && path[1] == "body"
        && path[2] == "item"
        && path[3].starts_with("purchaseNotice")
        && path[3].ends_with("Data");
    inside.then(|| &path[4..])
}

impl Visitor for Fz223<'_> {
    type Error = NoticeError;

    fn start(&mut self, path: &[String]) -> Result<bool, NoticeError> {
        let name = path.last().map(String::as_str).unwrap_or_default();
        if let Some(rel) = data_rel(path)
            && is(rel, &["lots", "lot"])
        {
            self.lots.push(Lot::default());
        }
        Ok(!SKIP.contains(&name))
    }

    fn text(&mut self, path: &[String], text: &str, offset: usize) -> Result<(), NoticeError> {
        let Some(rel) = data_rel(path) else {
            return Ok(());
        };
        let at = At {
            input: self.input,
            path,
            offset,
        };
        let names: Vec<&str> = rel.iter().map(String::as_str).collect();
        let value = Some(text.to_owned());
        match names.as_slice() {
            ["registrationNumber"] => {
                let number = at.reg_number(text)?;
                if number.law() != Law::Fz223 {
                    return Err(at.invalid(text, "a 223-FZ notice needs an 11-digit number"));
                }
                self.reg_number = Some(number);
            }
            ["name"] => self.name = Some(collapse_whitespace(text)),
            ["urlEIS"] => self.url_eis = value,
            ["urlOOS"] => self.url_oos = value,
            ["version"] => self.version = Some(at.version(text)?),
            ["status"] => self.status = value,
            ["modificationDescription"] => self.modification.info = Some(collapse_whitespace(text)),
            ["modificationDate"] => self.modification.date = value,
            ["publicationDateTime"] => self.published_at = Some(at.instant(text)?),
            ["submissionCloseDateTime"] => self.deadline = Some(at.instant(text)?),
            ["purchaseMethodCode"] => self.method_code = value,
            ["purchaseCodeName"] => self.method_name = value,
            ["customer", "mainInfo", field] => fill_party(&mut self.customer, field, text),
            ["placer", "mainInfo", field] => fill_party(&mut self.placer, field, text),
            ["electronicPlaceInfo", "name"] => self.platform.name = value,
            ["electronicPlaceInfo", "url"] => self.platform.url = value,
            ["electronicPlaceInfo", "electronicPlaceId"] => self.platform.code = value,
            ["lots", "lot", rest @ ..] => self.lot(rest, text, &at)?,
            _ => {}
        }
        Ok(())
    }
}

impl Fz223<'_> {
    /// A lot's fields sit in `lotData` in newer schemes and directly in `lot` in 2012.
    fn lot(&mut self, rel: &[&str], text: &str, at: &At<'_>) -> Result<(), NoticeError> {
        let rel = match rel {
            ["lotData", rest @ ..] => rest,
            rest => rest,
        };
        let Some(lot) = self.lots.last_mut() else {
            return Ok(());
        };
        match rel {
            ["initialSum"] => lot.price = Some(at.money(text)?),
            ["currency", "code"] => lot.currency = Some(text.to_owned()),
            ["cancelled"] => lot.cancelled = text == "true",
            ["lotItems", "lotItem", "okpd2", "code"] => push_unique(&mut self.okpd2, text),
            _ => {}
        }
        Ok(())
    }

    fn finish(self, kind: String) -> Result<TenderNotice, NoticeError> {
        let reg_number = self.reg_number.ok_or_else(|| NoticeError::Missing {
            path: format!("{kind}/body/item/{kind}Data/registrationNumber"),
        })?;
        let (max_price, currency) = lots_total(&self.lots);
        let mut customer = self.customer;
        customer.fill_region_from_kpp();
        let mut placer = self.placer;
        placer.fill_region_from_kpp();
        let modification =
            (self.modification != Modification::default()).then_some(self.modification);
        Ok(TenderNotice {
            reg_number,
            law: Law::Fz223,
            kind,
            version: self.version,
            title: self.name.unwrap_or_default(),
            method_code: self.method_code,
            method_name: self.method_name,
            customer,
            placer: (!placer.is_empty()).then_some(Placer {
                party: placer,
                role: None,
            }),
            max_price,
            currency,
            published_at: self.published_at,
            application_deadline: self.deadline,
            okpd2: self.okpd2,
            platform: (self.platform != TradingPlatform::default()).then_some(self.platform),
            url: self.url_eis.or(self.url_oos),
            stage: None,
            cancelled: !self.lots.is_empty() && self.lots.iter().all(|l| l.cancelled),
            modification,
            status: self.status,
        })
    }
}

/// The notice's price is the sum of its lots' prices when they share one currency;
/// sums across currencies would mean nothing, so then there is no single price.
fn lots_total(lots: &[Lot]) -> (Option<Kopecks>, Option<String>) {
    let currency = lots.iter().find_map(|l| l.currency.clone());
    if lots
        .iter()
        .any(|l| l.currency.is_some() && l.currency != currency)
    {
        return (None, None);
    }
    let mut total: Option<i64> = None;
    for price in lots.iter().filter_map(|l| l.price) {
        total = Some(match total {
            None => price.0,
            Some(t) => match t.checked_add(price.0) {
                Some(sum) => sum,
                None => return (None, currency),
            },
        });
    }
    (total.map(Kopecks), currency)
}

fn fill_party(party: &mut Party, field: &str, text: &str) {
    let value = Some(collapse_whitespace(text));
    match field {
        "fullName" => party.name = value,
        "shortName" => party.short_name = value,
        "inn" => party.inn = value,
        "kpp" => party.kpp = value,
        // The scheme's own region field, where a newer notice has it as a 2-digit code.
        "region" if text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()) => {
            party.region = value
        }
        _ => {}
    }
}
