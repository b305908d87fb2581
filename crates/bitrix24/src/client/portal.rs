//! Where the portal is and how a method's address is made. Only `https` is accepted, plain
//! `http` only to this machine (tests, a tunnel): the webhook code travels in the path, and
//! a token in the body, so neither may cross a network in the clear.

use std::fmt;

use reqwest::Url;
use shtab_core::config::Secret;

use super::errors::Bitrix24Error;

/// A portal's origin: `https://agency.bitrix24.ru` (scheme, host, port; nothing else).
#[derive(Clone, PartialEq, Eq)]
pub struct PortalOrigin(Url);

impl PortalOrigin {
    /// Reads the origin of `text`, refusing anything but https (or http to loopback).
    pub fn parse(text: &str) -> Result<PortalOrigin, Bitrix24Error> {
        let url = Url::parse(text.trim()).map_err(|e| {
            Bitrix24Error::Config(format!("«{}» is not an address: {e}", redact_path(text)))
        })?;
        PortalOrigin::from_url(&url)
    }

    pub fn from_url(url: &Url) -> Result<PortalOrigin, Bitrix24Error> {
        let host = url.host_str().unwrap_or("");
        let shown = format!("{}://{host}", url.scheme());
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(Bitrix24Error::Config(format!(
                    "{shown}: the portal must be reached over https (plain http only to this \
                     machine)"
                )));
            }
            other => {
                return Err(Bitrix24Error::Config(format!(
                    "{shown}: «{other}» is not a web address"
                )));
            }
        }
        if host.is_empty() {
            return Err(Bitrix24Error::Config(
                "the portal's address has no host".into(),
            ));
        }
        let mut origin = url.clone();
        origin.set_path("/");
        origin.set_query(None);
        origin.set_fragment(None);
        let _ = origin.set_username("");
        let _ = origin.set_password(None);
        Ok(PortalOrigin(origin))
    }

    /// `https://agency.bitrix24.ru`, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or("")
    }

    /// The portal's name as it gives it in an event's `auth[domain]` and an OAuth redirect's
    /// `domain`: the host, and the port when it is not the scheme's own
    /// (`agency.bitrix24.ru`, `127.0.0.1:8443`).
    pub fn domain(&self) -> String {
        match self.0.port() {
            Some(port) => format!("{}:{port}", self.host()),
            None => self.host().to_owned(),
        }
    }

    /// The address of `path` on this portal.
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.0.clone();
        url.set_path(path);
        url
    }
}

impl fmt::Debug for PortalOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for PortalOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An address with everything after the host replaced, for messages about a URL that may
/// hold a webhook code.
fn redact_path(text: &str) -> String {
    match text.find("://") {
        Some(at) => {
            let rest = &text[at + 3..];
            let host_end = rest.find('/').unwrap_or(rest.len());
            format!("{}://{}/…", &text[..at], &rest[..host_end])
        }
        None => "(an address)".to_owned(),
    }
}

/// An incoming webhook: `https://{portal}/rest/{user_id}/{code}/`. The code is a password;
/// it is shown nowhere (see the `Debug` implementation).
#[derive(Clone)]
pub struct WebhookUrl {
    pub origin: PortalOrigin,
    /// The portal user the webhook acts as (its creator).
    pub user_id: u64,
    code: Secret,
}

impl WebhookUrl {
    /// Reads the address the portal shows for an incoming webhook. A method name after the
    /// code (`…/code/profile.json`, copied from the portal's example) is ignored.
    pub fn parse(text: &str) -> Result<WebhookUrl, Bitrix24Error> {
        let origin = PortalOrigin::parse(text)?;
        let url = Url::parse(text.trim()).map_err(|e| Bitrix24Error::Config(e.to_string()))?;
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).collect())
            .unwrap_or_default();
        let shape = || {
            Bitrix24Error::Config(format!(
                "{}: a webhook address looks like https://portal/rest/1/abcdef123456/ (user \
                 id, then the code)",
                redact_path(text)
            ))
        };
        match segments.as_slice() {
            ["rest", user, code, ..] => {
                let user_id = user.parse().map_err(|_| shape())?;
                if code.len() < 4 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(shape());
                }
                Ok(WebhookUrl {
                    origin,
                    user_id,
                    code: Secret::new(*code),
                })
            }
            _ => Err(shape()),
        }
    }

    /// The method's address at `origin` (the configured one, or where the portal moved).
    pub(crate) fn method_url(&self, origin: &PortalOrigin, method: &str) -> Url {
        origin.join(&format!(
            "/rest/{}/{}/{method}.json",
            self.user_id,
            self.code.expose()
        ))
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/rest/{}/***/", self.origin, self.user_id)
    }
}

/// A method's name as it may go into a path: `tasks.task.list`, `batch`.
pub(crate) fn check_method(method: &str) -> Result<(), Bitrix24Error> {
    let ok = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Bitrix24Error::Config(format!(
            "«{method}» is not a method name"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert_eq!(
            PortalOrigin::parse("https://a.bitrix24.ru/x?y")
                .unwrap()
                .as_str(),
            "https://a.bitrix24.ru"
        );
        assert!(PortalOrigin::parse("http://127.0.0.1:8080/").is_ok());
        assert!(PortalOrigin::parse("http://[::1]:8080/").is_ok());
        assert!(PortalOrigin::parse("http://localhost/").is_ok());
        let err = PortalOrigin::parse("http://a.bitrix24.ru/rest/1/secretcode/").unwrap_err();
        assert!(err.to_string().contains("https"), "{err}");
        assert!(!err.to_string().contains("secretcode"), "{err}");
        assert!(PortalOrigin::parse("ftp://a.ru/").is_err());
        assert_eq!(
            PortalOrigin::parse("https://A.bitrix24.ru:443/")
                .unwrap()
                .domain(),
            "a.bitrix24.ru"
        );
        assert_eq!(
            PortalOrigin::parse("http://127.0.0.1:8080/")
                .unwrap()
                .domain(),
            "127.0.0.1:8080"
        );
    }

    #[test]
    fn the_domain_events_name_carries_a_port_only_when_it_is_not_the_schemes() {
        let cloud = PortalOrigin::parse("https://A.Bitrix24.ru:443/rest/").unwrap();
        assert_eq!(cloud.domain(), "a.bitrix24.ru");
        let local = PortalOrigin::parse("http://127.0.0.1:8443/").unwrap();
        assert_eq!(local.domain(), "127.0.0.1:8443");
    }

    #[test]
    fn a_webhook_address_is_read_and_its_code_never_shown() {
        let w =
            WebhookUrl::parse("https://a.bitrix24.ru/rest/7/k3y9secret42/profile.json").unwrap();
        assert_eq!(w.user_id, 7);
        assert_eq!(w.origin.as_str(), "https://a.bitrix24.ru");
        assert_eq!(
            w.method_url(&w.origin, "user.get").as_str(),
            "https://a.bitrix24.ru/rest/7/k3y9secret42/user.get.json"
        );
        let shown = format!("{w:?}");
        assert!(!shown.contains("k3y9secret42"), "{shown}");
        for bad in [
            "https://a.bitrix24.ru/",
            "https://a.bitrix24.ru/rest/x/k3y9secret42/",
            "https://a.bitrix24.ru/rest/1/",
        ] {
            let err = WebhookUrl::parse(bad).unwrap_err();
            assert!(err.to_string().contains("looks like"), "{bad}: {err}");
        }
        let err = WebhookUrl::parse("https://a.bitrix24.ru/rest/1/k3y9-secret!/").unwrap_err();
        assert!(!err.to_string().contains("k3y9"), "{err}");
    }

    #[test]
    fn method_names_cannot_escape_the_path() {
        assert!(check_method("tasks.task.list").is_ok());
        assert!(check_method("../x").is_err());
        assert!(check_method("a/b").is_err());
        assert!(check_method("").is_err());
    }
}
