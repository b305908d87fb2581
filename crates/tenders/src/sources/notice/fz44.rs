//! 44-FZ notices of the 2020 schemes: `export/epNotification{EF,EOK,EZK,EZT}2020`
//! (reference §2a). Cancellations (`epNotificationCancel`) give a cancelled notice.

use chrono::{DateTime, Utc};

use super::NoticeError;
use super::fields::{At, ends, is, push_unique, under};
use crate::domain::{
    Kopecks, Law, Modification, Party, Placer, RegNumber, TenderNotice, TradingPlatform,
};
use crate::sources::xml::{self, Visitor, collapse_whitespace};

/// Big subtrees with nothing we read: base64 signatures (most of a notice's bytes),
/// attachments, evaluation criteria, KTRU characteristics, payment schedules.
const SKIP: &[&str] = &[
    "attachmentsInfo",
    "cryptoSigns",
    "signature",
    "characteristics",
    "criteriaInfo",
    "stagesInfo",
    "financingSourcesInfo",
    "deliveryPlacesInfo",
    "requirementsInfo",
];

pub(super) fn parse(input: &[u8], kind: String) -> Result<TenderNotice, NoticeError> {
    let mut v = Fz44 {
        input,
        base: None,
        requirements: 0,
        ..Fz44::default()
    };
    xml::walk(input, &mut v)?;
    v.finish(kind)
}

#[derive(Default)]
struct Fz44<'a> {
    input: &'a [u8],
    /// Index in the path of the notice element (1 inside `export`, 0 without it).
    base: Option<usize>,
    /// How many `customerRequirementInfo` have opened: only the first customer is read.
    requirements: usize,
    reg_number: Option<RegNumber>,
    version: Option<u32>,
    doc_number: Option<String>,
    title: Option<String>,
    href: Option<String>,
    published_at: Option<DateTime<Utc>>,
    deadline: Option<DateTime<Utc>>,
    method_code: Option<String>,
    method_name: Option<String>,
    platform: TradingPlatform,
    responsible: Party,
    role: Option<String>,
    customer: Party,
    customer_code: Option<String>,
    max_price: Option<Kopecks>,
    currency: Option<String>,
    okpd2: Vec<String>,
    fallback_okpd2: Vec<String>,
    modification: Option<Modification>,
}

impl Visitor for Fz44<'_> {
    type Error = NoticeError;

    fn start(&mut self, path: &[String]) -> Result<bool, NoticeError> {
        if self.base.is_none() {
            let last = path.last().map(String::as_str).unwrap_or_default();
            if last.starts_with("epNotification") {
                self.base = Some(path.len() - 1);
            }
        }
        let name = path.last().map(String::as_str).unwrap_or_default();
        if name == "customerRequirementInfo" {
            self.requirements += 1;
        }
        if name == "modificationInfo" && self.modification.is_none() {
            self.modification = Some(Modification::default());
        }
        Ok(!SKIP.contains(&name))
    }

    fn text(&mut self, path: &[String], text: &str, offset: usize) -> Result<(), NoticeError> {
        let Some(base) = self.base else {
            return Ok(());
        };
        if path.len() <= base + 1 {
            return Ok(());
        }
        let rel = &path[base + 1..];
        let at = At {
            input: self.input,
            path,
            offset,
        };
        let value = || Some(text.to_owned());
        if is(rel, &["versionNumber"]) {
            self.version = Some(at.version(text)?);
        } else if is(rel, &["commonInfo", "purchaseNumber"]) || is(rel, &["purchaseNumber"]) {
            let number = at.reg_number(text)?;
            if number.law() != Law::Fz44 {
                return Err(at.invalid(text, "a 44-FZ notice needs a 19-digit number"));
            }
            self.reg_number = Some(number);
        } else if under(rel, &["commonInfo"]) {
            self.common_info(&rel[1..], text, &at)?;
        } else if under(rel, &["purchaseResponsibleInfo", "responsibleOrgInfo"]) && rel.len() == 3 {
            fill_party(&mut self.responsible, &rel[2], text);
        } else if is(rel, &["purchaseResponsibleInfo", "responsibleRole"]) {
            self.role = value();
        } else if is(
            rel,
            &[
                "notificationInfo",
                "procedureInfo",
                "collectingInfo",
                "endDT",
            ],
        ) {
            self.deadline = Some(at.instant(text)?);
        } else if is(
            rel,
            &[
                "notificationInfo",
                "contractConditionsInfo",
                "maxPriceInfo",
                "maxPrice",
            ],
        ) {
            self.max_price = Some(at.money(text)?);
        } else if is(
            rel,
            &[
                "notificationInfo",
                "contractConditionsInfo",
                "maxPriceInfo",
                "currency",
                "code",
            ],
        ) {
            self.currency = value();
        } else if under(
            rel,
            &[
                "notificationInfo",
                "customerRequirementsInfo",
                "customerRequirementInfo",
            ],
        ) {
            if self.requirements == 1 {
                let inner = &rel[3..];
                if inner.len() == 2 && inner[0] == "customer" {
                    fill_party(&mut self.customer, &inner[1], text);
                } else if ends(inner, &["IKZInfo", "customerCode"]) {
                    self.customer_code = value();
                } else if ends(inner, &["OKPD2Info", "OKPD2", "OKPDCode"]) {
                    push_unique(&mut self.fallback_okpd2, text);
                }
            }
        } else if under(rel, &["notificationInfo", "purchaseObjectsInfo"])
            && (ends(rel, &["OKPD2", "OKPDCode"]) || ends(rel, &["OKPD2", "code"]))
        {
            push_unique(&mut self.okpd2, text);
        } else if under(rel, &["modificationInfo"]) {
            let m = self.modification.get_or_insert_with(Modification::default);
            if is(rel, &["modificationInfo", "info"]) {
                m.info = Some(collapse_whitespace(text));
            } else if rel.last().is_some_and(|n| n == "decisionDate") && m.date.is_none() {
                m.date = value();
            }
        }
        Ok(())
    }
}

impl Fz44<'_> {
    fn common_info(&mut self, rel: &[String], text: &str, at: &At<'_>) -> Result<(), NoticeError> {
        let value = Some(text.to_owned());
        match rel
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["docNumber"] => self.doc_number = value,
            ["publishDTInEIS"] => self.published_at = Some(at.instant(text)?),
            ["href"] => self.href = value,
            ["purchaseObjectInfo"] => self.title = Some(collapse_whitespace(text)),
            ["placingWay", "code"] => self.method_code = value,
            ["placingWay", "name"] => self.method_name = value,
            ["ETP", "code"] => self.platform.code = value,
            ["ETP", "name"] => self.platform.name = value,
            ["ETP", "url"] => self.platform.url = value,
            _ => {}
        }
        Ok(())
    }

    fn finish(self, kind: String) -> Result<TenderNotice, NoticeError> {
        let reg_number = self.reg_number.ok_or_else(|| NoticeError::Missing {
            path: format!("{kind}/commonInfo/purchaseNumber"),
        })?;
        let mut responsible = self.responsible;
        responsible.fill_region_from_kpp();
        let mut customer = self.customer;
        // The customer element has no INN/KPP; the purchase code's customer part does:
        // one digit of budget level, the 10-digit INN, the 9-digit KPP.
        if let Some(code) = self.customer_code.as_deref()
            && code.len() == 20
            && code.bytes().all(|b| b.is_ascii_digit())
        {
            customer.inn.get_or_insert_with(|| code[1..11].to_owned());
            customer.kpp.get_or_insert_with(|| code[11..].to_owned());
        }
        let placed_by_customer = self.role.as_deref() == Some("CU")
            && (customer.is_empty() || customer.reg_num == responsible.reg_num);
        if placed_by_customer || customer.is_empty() {
            let name = customer.name.take();
            customer = Party {
                name: name.or_else(|| responsible.name.clone()),
                ..responsible.clone()
            };
        }
        customer.fill_region_from_kpp();
        let placer = (!responsible.is_empty()).then_some(Placer {
            party: responsible,
            role: self.role,
        });
        let mut modification = self.modification;
        if let Some(doc) = self.doc_number.filter(|d| !d.contains(reg_number.as_str())) {
            // A change is numbered «№ИИ1»; the first publication repeats the purchase number.
            modification
                .get_or_insert_with(Modification::default)
                .doc_number = Some(doc);
        }
        let okpd2 = if self.okpd2.is_empty() {
            self.fallback_okpd2
        } else {
            self.okpd2
        };
        Ok(TenderNotice {
            law: Law::Fz44,
            cancelled: kind.starts_with("epNotificationCancel"),
            kind,
            version: self.version,
            title: self.title.filter(|t| t != "null").unwrap_or_default(),
            method_code: self.method_code,
            method_name: self.method_name,
            customer,
            placer,
            max_price: self.max_price,
            currency: self.currency,
            published_at: self.published_at,
            application_deadline: self.deadline,
            okpd2,
            platform: (self.platform != TradingPlatform::default()).then_some(self.platform),
            url: self.href,
            stage: None,
            modification,
            status: None,
            reg_number,
        })
    }
}

fn fill_party(party: &mut Party, field: &str, text: &str) {
    let value = Some(collapse_whitespace(text));
    match field {
        "regNum" => party.reg_num = value,
        "fullName" => party.name = value,
        "shortName" => party.short_name = value,
        "INN" => party.inn = value,
        "KPP" => party.kpp = value,
        _ => {}
    }
}
