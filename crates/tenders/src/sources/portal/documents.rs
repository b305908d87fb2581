//! The token-based document service (SOAP `getDocsIP`, reference §1b): for a region and a
//! day it answers with archive URLs; each archive is a ZIP of notice XML. Element order in
//! the request matters; the token travels in the SOAP header and, for the archive download,
//! in an HTTP header.

use chrono::{NaiveDate, Utc};
use quick_xml::escape::escape;

use super::{PortalClient, PortalError, read_body};
use crate::domain::Law;
use crate::sources::xml::{self, Visitor, WalkError};

pub const NAMESPACE: &str = "http://zakupki.gov.ru/fz44/get-docs-ip/ws";

/// The notice types asked for per law (subsystem, document types).
pub fn document_types(law: Law) -> (&'static str, &'static [&'static str]) {
    match law {
        Law::Fz44 => (
            "PRIZ",
            &[
                "epNotificationEF2020",
                "epNotificationEOK2020",
                "epNotificationEZK2020",
                "epNotificationEZT2020",
                "epNotificationCancel",
            ],
        ),
        Law::Fz223 => (
            "RI223",
            &[
                "purchaseNotice",
                "purchaseNoticeAE",
                "purchaseNoticeAESMBO",
                "purchaseNoticeOA",
            ],
        ),
    }
}

/// The request body for one region, day and document type.
pub fn request_body(
    token: &str,
    request_id: &str,
    region: &str,
    law: Law,
    document_type: &str,
    day: NaiveDate,
) -> String {
    let (subsystem, _) = document_types(law);
    let type_element = match law {
        Law::Fz44 => "documentType44",
        Law::Fz223 => "documentType223",
    };
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ws="{NAMESPACE}">
<soapenv:Header><individualPerson_token>{token}</individualPerson_token></soapenv:Header>
<soapenv:Body><ws:getDocsByOrgRegionRequest>
<index><id>{request_id}</id><createDateTime>{now}</createDateTime><mode>PROD</mode></index>
<selectionParams><orgRegion>{region}</orgRegion><subsystemType>{subsystem}</subsystemType><{type_element}>{document_type}</{type_element}><periodInfo><exactDate>{day}</exactDate></periodInfo></selectionParams>
</ws:getDocsByOrgRegionRequest></soapenv:Body></soapenv:Envelope>"#,
        token = escape(token),
        request_id = escape(request_id),
        region = escape(region),
        document_type = escape(document_type),
    )
}

/// What the service answered: archive URLs, or its own refusal.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DocsAnswer {
    pub archive_urls: Vec<String>,
    pub fault: Option<String>,
}

struct AnswerVisitor(DocsAnswer);

impl Visitor for AnswerVisitor {
    type Error = std::convert::Infallible;

    fn text(&mut self, path: &[String], text: &str, _: usize) -> Result<(), Self::Error> {
        match path.last().map(String::as_str) {
            Some("archiveUrl") => self.0.archive_urls.push(text.to_owned()),
            Some("faultstring") => self.0.fault = Some(text.to_owned()),
            // The service's own error block (`errorInfo/{code,message}`).
            Some("message") if path.iter().any(|p| p == "errorInfo") => {
                self.0.fault = Some(text.to_owned())
            }
            _ => {}
        }
        Ok(())
    }
}

/// Reads a `getDocsIP` answer (SOAP envelope, namespaces by local name).
pub fn parse_answer(body: &[u8]) -> Result<DocsAnswer, String> {
    let mut visitor = AnswerVisitor(DocsAnswer::default());
    match xml::walk(body, &mut visitor) {
        Ok(()) => Ok(visitor.0),
        Err(WalkError::Xml(fault)) => Err(format!("not a SOAP answer: malformed XML at {fault}")),
        Err(WalkError::Visitor(never)) => match never {},
    }
}

fn request_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap_or_default();
    // A version-4 UUID, as the service's `index/id` expects.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl PortalClient {
    /// The archive URLs the service has for `region` (two digits), `law`'s notice type
    /// `document_type` and `day`.
    pub async fn archive_urls(
        &self,
        region: &str,
        law: Law,
        document_type: &str,
        day: NaiveDate,
    ) -> Result<Vec<String>, PortalError> {
        let token = self.token()?;
        let url = self.documents_url.clone();
        let body = request_body(token, &request_id(), region, law, document_type, day);
        let response = self
            .http
            .post(&url)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", "")
            .body(body)
            .send()
            .await
            .map_err(|e| super::network(&url, &e))?;
        // A SOAP fault comes with HTTP 500 and says why in the body.
        let status = response.status();
        let bytes = if status.is_server_error() {
            let mut r = response;
            let mut b = Vec::new();
            while let Ok(Some(chunk)) = r.chunk().await {
                b.extend_from_slice(&chunk);
                if b.len() > 1024 * 1024 {
                    break;
                }
            }
            match parse_answer(&b) {
                Ok(DocsAnswer {
                    fault: Some(message),
                    ..
                }) => return Err(PortalError::Service { url, message }),
                _ => {
                    return Err(PortalError::Status {
                        url,
                        status: status.as_u16(),
                    });
                }
            }
        } else {
            read_body(&url, response, 16 * 1024 * 1024).await?
        };
        let answer = parse_answer(&bytes).map_err(|message| PortalError::Service {
            url: url.clone(),
            message,
        })?;
        if let Some(message) = answer.fault {
            return Err(PortalError::Service { url, message });
        }
        Ok(answer.archive_urls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_keeps_the_order_and_escapes_values() {
        let day = NaiveDate::from_ymd_opt(2025, 11, 7).unwrap();
        let body = request_body("t<k>", "id-1", "77", Law::Fz44, "epNotificationEF2020", day);
        let order = [
            "<index>",
            "<orgRegion>77",
            "<subsystemType>PRIZ",
            "<documentType44>",
            "<exactDate>2025-11-07",
        ];
        let mut at = 0;
        for part in order {
            let found = body[at..]
                .find(part)
                .unwrap_or_else(|| panic!("{part} after {at}"));
            at += found;
        }
        assert!(body.contains("t&lt;k&gt;"));
    }

    #[test]
    fn answers_give_urls_from_text_or_cdata_and_faults() {
        let ok = br#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
            <ns2:getDocsByOrgRegionResponse xmlns:ns2="http://zakupki.gov.ru/fz44/get-docs-ip/ws">
            <dataInfo><archiveUrl><![CDATA[https://x/a.zip?u=1&v=2]]></archiveUrl>
            <archiveUrl>https://x/b.zip</archiveUrl></dataInfo></ns2:getDocsByOrgRegionResponse>
            </S:Body></S:Envelope>"#;
        assert_eq!(
            parse_answer(ok).unwrap().archive_urls,
            vec![
                "https://x/a.zip?u=1&v=2".to_string(),
                "https://x/b.zip".into()
            ]
        );
        let fault = br#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
            <S:Fault><faultcode>S:Client</faultcode><faultstring>token is not valid</faultstring></S:Fault>
            </S:Body></S:Envelope>"#;
        assert_eq!(
            parse_answer(fault).unwrap().fault.as_deref(),
            Some("token is not valid")
        );
        assert!(parse_answer(b"<html><body>oops").is_err());
    }
}
