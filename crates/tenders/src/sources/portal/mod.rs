//! The portal over HTTP: the RSS search feed, one notice's XML, and the token-based document
//! service (SOAP `getDocsIP`, in [`documents`]). Every answer is parsed here, at the edge;
//! an answer that is not what was asked for (the portal's HTML stub instead of RSS, a
//! timeout, a 5xx) is an error naming the address, never "nothing found".

pub mod documents;

use std::path::PathBuf;
use std::time::Duration;

use shtab_core::config::{Secret, TendersConfig};
use url::Url;

use super::archive::{ArchiveEntry, ArchiveError, notices_in_zip};
use super::notice::{MAX_NOTICE_BYTES, NoticeError, parse_notice};
use super::rss::{Feed, FeedError, MAX_FEED_BYTES, parse_feed};
use crate::domain::{Law, RegNumber, TenderNotice};

#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error("cannot set up the portal client: {0}")]
    Setup(String),
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{url}: the portal answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {source}")]
    Feed { url: String, source: FeedError },
    #[error("{url}: {source}")]
    Notice { url: String, source: NoticeError },
    #[error("{url}: {source}")]
    Archive { url: String, source: ArchiveError },
    #[error("{url}: the answer is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: the document service refused: {message}")]
    Service { url: String, message: String },
    #[error("the document service has no token (tenders.soap_token)")]
    NoToken,
    #[error("{0}")]
    Unsupported(String),
}

/// Archives of a region's day can be large, but not without end.
const MAX_ARCHIVE_BYTES: usize = 256 * 1024 * 1024;

/// The portal and its document service, as configured.
#[derive(Clone)]
pub struct PortalClient {
    http: reqwest::Client,
    base: Url,
    documents_url: String,
    token: Secret,
}

impl PortalClient {
    pub fn new(config: &TendersConfig) -> Result<PortalClient, PortalError> {
        shtab_core::tls::install_crypto_provider();
        let base = Url::parse(config.portal_url.trim())
            .map_err(|e| PortalError::Setup(format!("tenders.portal_url: {e}")))?;
        let timeout = Duration::from_secs(config.request_timeout_secs.max(1));
        let mut builder = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(20)))
            .timeout(timeout)
            .user_agent(concat!("shtab/", env!("CARGO_PKG_VERSION")))
            // Redirects stay on one host: reqwest keeps custom headers (the document
            // service's token) across a redirect, so another host would receive it.
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let from = attempt.previous().last().and_then(|u| u.host_str());
                if attempt.previous().len() < 5 && attempt.url().host_str() == from {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }));
        let extra = extra_certificates(&config.extra_ca_files())?;
        if !extra.is_empty() {
            builder = builder.tls_certs_merge(extra);
        }
        let http = builder
            .build()
            .map_err(|e| PortalError::Setup(e.to_string()))?;
        Ok(PortalClient {
            http,
            base,
            documents_url: config.soap_url.trim().to_owned(),
            token: config.soap_token.clone(),
        })
    }

    pub fn portal(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `url` (built for zakupki.gov.ru by the domain) pointed at the configured portal.
    pub fn on_portal(&self, url: &str) -> String {
        match Url::parse(url) {
            Ok(u) => {
                let mut rebased = self.base.clone();
                rebased.set_path(u.path());
                rebased.set_query(u.query());
                rebased.to_string()
            }
            Err(_) => url.to_owned(),
        }
    }

    /// One RSS search feed.
    pub async fn feed(&self, url: &str) -> Result<Feed, PortalError> {
        let url = self.on_portal(url);
        let body = self.get(&url, MAX_FEED_BYTES, None).await?;
        parse_feed(&body).map_err(|source| PortalError::Feed { url, source })
    }

    /// The notice XML of a tender (44-FZ; the portal documents no such address for 223-FZ).
    pub async fn notice(&self, reg: &RegNumber) -> Result<TenderNotice, PortalError> {
        if reg.law() != Law::Fz44 {
            return Err(PortalError::Unsupported(format!(
                "{reg}: the portal has no notice XML address for 223-FZ purchases"
            )));
        }
        let url = format!(
            "{}/epz/order/notice/printForm/viewXml.html?regNumber={reg}",
            self.portal()
        );
        let body = self.get(&url, MAX_NOTICE_BYTES, None).await?;
        parse_notice(&body).map_err(|source| PortalError::Notice { url, source })
    }

    /// The notices of one archive the document service pointed at.
    pub async fn archive(&self, url: &str) -> Result<Vec<ArchiveEntry>, PortalError> {
        let token = self.token()?;
        self.check_archive_host(url)?;
        let body = self
            .get(
                url,
                MAX_ARCHIVE_BYTES,
                Some(("individualPerson_token", token)),
            )
            .await?;
        notices_in_zip(&body).map_err(|source| PortalError::Archive {
            url: url.to_owned(),
            source,
        })
    }

    /// The token goes with the download, so the address the service's answer names must be
    /// the service's own host or the portal's (a spoofed or broken answer must not send the
    /// token elsewhere), over HTTPS unless the service itself is plain HTTP (a test).
    fn check_archive_host(&self, url: &str) -> Result<(), PortalError> {
        let refuse = |why: &str| {
            PortalError::Unsupported(format!("{url}: not downloaded with the token: {why}"))
        };
        let archive = Url::parse(url).map_err(|_| refuse("not an address"))?;
        let service = Url::parse(&self.documents_url).ok();
        let allowed = |u: &Url| {
            u.host_str().is_some()
                && u.host_str() == archive.host_str()
                && u.scheme() == archive.scheme()
        };
        let official = archive.scheme() == "https"
            && archive
                .host_str()
                .is_some_and(|h| h == "zakupki.gov.ru" || h.ends_with(".zakupki.gov.ru"));
        if official || service.as_ref().is_some_and(allowed) || allowed(&self.base) {
            Ok(())
        } else {
            Err(refuse(
                "another host than the document service's or the portal's",
            ))
        }
    }

    fn token(&self) -> Result<&str, PortalError> {
        if self.token.is_empty() {
            Err(PortalError::NoToken)
        } else {
            Ok(self.token.expose())
        }
    }

    async fn get(
        &self,
        url: &str,
        limit: usize,
        header: Option<(&str, &str)>,
    ) -> Result<Vec<u8>, PortalError> {
        let mut request = self.http.get(url);
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| network(url, &e))?;
        read_body(url, response, limit).await
    }
}

fn network(url: &str, e: &reqwest::Error) -> PortalError {
    let message = if e.is_timeout() {
        "the portal did not answer in time".to_owned()
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        e.to_string()
    };
    PortalError::Network {
        url: url.to_owned(),
        message,
    }
}

/// The body of a 2xx answer, refusing more than `limit` bytes as they arrive.
async fn read_body(
    url: &str,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, PortalError> {
    let status = response.status();
    if !status.is_success() {
        return Err(PortalError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| network(url, &e))? {
        if body.len() + chunk.len() > limit {
            return Err(PortalError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The certificates in the configured PEM files; a file that cannot be read or holds no
/// certificate is an error naming it (a silently missing CA would only show as TLS failures).
fn extra_certificates(files: &[PathBuf]) -> Result<Vec<reqwest::Certificate>, PortalError> {
    let mut certs = Vec::new();
    for file in files {
        let pem = std::fs::read(file).map_err(|e| {
            PortalError::Setup(format!("tenders.extra_ca_files: {}: {e}", file.display()))
        })?;
        let found = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            PortalError::Setup(format!("tenders.extra_ca_files: {}: {e}", file.display()))
        })?;
        if found.is_empty() {
            return Err(PortalError::Setup(format!(
                "tenders.extra_ca_files: {}: no PEM certificate in it",
                file.display()
            )));
        }
        certs.extend(found);
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> TendersConfig {
        TendersConfig {
            extra_ca_files: extra.into(),
            ..TendersConfig::default()
        }
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("shtab-ca-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for (file, what) in [
            (dir.join("missing.pem"), "missing.pem"),
            (empty.clone(), "no PEM certificate"),
        ] {
            let Err(e) = PortalClient::new(&config(&file.to_string_lossy())) else {
                panic!("{} was accepted", file.display());
            };
            let message = e.to_string();
            assert!(
                message.contains("tenders.extra_ca_files") && message.contains(what),
                "{message}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(PortalClient::new(&config("")).is_ok());
    }

    #[test]
    fn zakupki_urls_are_pointed_at_the_configured_portal() {
        let c = PortalClient::new(&TendersConfig {
            portal_url: "http://127.0.0.1:9/".into(),
            ..TendersConfig::default()
        })
        .unwrap();
        assert_eq!(
            c.on_portal("https://zakupki.gov.ru/epz/order/extendedsearch/rss.html?a=1&b=%D0%BE"),
            "http://127.0.0.1:9/epz/order/extendedsearch/rss.html?a=1&b=%D0%BE"
        );
    }

    #[test]
    fn the_token_goes_only_to_the_services_the_portals_or_the_official_hosts() {
        let c = PortalClient::new(&TendersConfig {
            portal_url: "http://127.0.0.1:9/".into(),
            soap_url: "http://127.0.0.1:10/eis-integration/services/getDocsIP".into(),
            ..TendersConfig::default()
        })
        .unwrap();
        for good in [
            "http://127.0.0.1:10/archive/1.zip",
            "http://127.0.0.1:9/archive/2.zip",
            "https://int44.zakupki.gov.ru/dstore/3.zip",
        ] {
            assert!(c.check_archive_host(good).is_ok(), "{good}");
        }
        for bad in [
            "https://evil.example/4.zip",
            "http://int44.zakupki.gov.ru/5.zip",
            "https://zakupki.gov.ru.evil.example/6.zip",
            "https://127.0.0.1:10/7.zip",
            "not a url",
        ] {
            let e = c.check_archive_host(bad).unwrap_err().to_string();
            assert!(e.contains("not downloaded with the token"), "{bad}: {e}");
        }
    }
}
