//! One call to a method, from the bucket to a decoded answer: pacing, the POST, and what to do
//! with each way the portal can say no (back off on 503, wait for a 429's reset, refresh an
//! expired token once, repeat once at a renamed portal's new address).
//!
//! Nothing here logs an address: a webhook's address holds its code. Log lines name the
//! portal's origin and the method.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde::Serialize;
use shtab_core::config::Secret;

use super::answer::{Parsed, parse_body};
use super::auth::Credentials;
use super::errors::{ApiError, Bitrix24Error};
use super::operating::{Pace, TimeInfo};
use super::params::Ordered;
use super::portal::{PortalOrigin, check_method};
use super::{Answer, Client, metrics, unix_now};

/// What one HTTP exchange came to.
enum Exchange {
    Answer(Answer),
    Api(u16, ApiError, Option<TimeInfo>),
    Redirect(String),
    /// 5xx or a body that is not the portal's JSON.
    Broken(u16, String),
    Network(String),
}

impl Client {
    /// Calls `method` with `params` (a struct or map; its order is kept, see
    /// [`super::params`]) and returns the answer, or why there is none.
    pub async fn call<P: Serialize + ?Sized>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<Answer, Bitrix24Error> {
        let outcome = self.call_inner(method, params).await;
        let mut last = self.inner.last_error.lock().expect("last_error lock");
        match &outcome {
            Ok(_) => *last = None,
            Err(e) => *last = Some(e.clone()),
        }
        outcome
    }

    /// Calls `method` once with someone else's access token (a placement's `AUTH_ID`, a
    /// viewer's): paced with the application's own calls, never refreshed or retried, since
    /// the token is not the application's to renew. Only a local application has such tokens.
    pub async fn call_as<P: Serialize + ?Sized>(
        &self,
        method: &str,
        params: &P,
        token: &Secret,
    ) -> Result<Answer, Bitrix24Error> {
        check_method(method)?;
        if !matches!(self.inner.credentials, Credentials::App(_)) {
            return Err(Bitrix24Error::Config(
                "only a local application is given its users' tokens".into(),
            ));
        }
        let params = Ordered::from_params(params)?;
        self.pace(method).await?;
        let origin = self.current_origin();
        let started = Instant::now();
        let exchange = self.exchange(&origin, method, &params, Some(token)).await;
        let took = started.elapsed();
        match exchange {
            Exchange::Answer(answer) => {
                metrics::request(method, "ok", took);
                Ok(answer)
            }
            Exchange::Api(status, error, _) => {
                let e = Bitrix24Error::from_api(method, status, &error);
                metrics::request(method, e.kind(), took);
                Err(e)
            }
            Exchange::Redirect(location) => Err(Bitrix24Error::Refused {
                method: method.to_owned(),
                status: 302,
                code: String::new(),
                detail: format!("the portal moved to {}", shown_location(&location)),
            }),
            Exchange::Broken(status, detail) => Err(Bitrix24Error::Unavailable {
                method: method.to_owned(),
                status,
                detail,
            }),
            Exchange::Network(message) => Err(Bitrix24Error::Network {
                portal: origin.to_string(),
                message,
            }),
        }
    }

    async fn call_inner<P: Serialize + ?Sized>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<Answer, Bitrix24Error> {
        check_method(method)?;
        let params = Ordered::from_params(params)?;
        let config = &self.inner.config;
        let mut failures = 0u32;
        let mut refreshed = false;
        let mut redirected = false;
        let mut waited_for_reset = false;
        loop {
            self.pace(method).await?;
            let token = self.access_token(&mut refreshed).await?;
            let origin = self.current_origin();
            let started = Instant::now();
            let exchange = self
                .exchange(&origin, method, &params, token.as_ref())
                .await;
            let took = started.elapsed();
            match exchange {
                Exchange::Answer(answer) => {
                    metrics::request(method, "ok", took);
                    self.inner.bucket.lock().expect("bucket lock").succeeded();
                    if let Some(time) = &answer.time {
                        self.record_time(method, time);
                    }
                    return Ok(answer);
                }
                Exchange::Redirect(location) => {
                    metrics::request(method, "redirect", took);
                    self.follow_redirect(&origin, &location, redirected)?;
                    redirected = true;
                }
                Exchange::Network(message) => {
                    metrics::request(method, "network", took);
                    failures += 1;
                    if failures >= config.attempts {
                        return Err(Bitrix24Error::Network {
                            portal: origin.to_string(),
                            message,
                        });
                    }
                    self.back_off(method, failures).await;
                }
                Exchange::Broken(status, detail) if (400..500).contains(&status) => {
                    // A 4xx page that is not the portal's JSON: a wrong address (nginx's 404),
                    // not something waiting helps.
                    metrics::request(method, "refused", took);
                    return Err(Bitrix24Error::Refused {
                        method: method.to_owned(),
                        status,
                        code: String::new(),
                        detail,
                    });
                }
                Exchange::Broken(status, detail) => {
                    metrics::request(method, "unavailable", took);
                    failures += 1;
                    if failures >= config.attempts {
                        return Err(Bitrix24Error::Unavailable {
                            method: method.to_owned(),
                            status,
                            detail,
                        });
                    }
                    self.back_off(method, failures).await;
                }
                Exchange::Api(status, error, time) => {
                    if let Some(time) = &time {
                        self.record_time(method, time);
                    }
                    match error.code.as_str() {
                        "QUERY_LIMIT_EXCEEDED" => {
                            metrics::request(method, "query_limit", took);
                            self.inner
                                .bucket
                                .lock()
                                .expect("bucket lock")
                                .limited(Instant::now());
                            failures += 1;
                            let wait = self.backoff_delay(failures);
                            if failures >= config.attempts {
                                return Err(Bitrix24Error::RateLimited { retry_after: wait });
                            }
                            tracing::warn!(portal = %origin, method, "the portal limits the request rate (503); backing off and slowing down");
                            metrics::waited(method, "query_limit", wait);
                            tokio::time::sleep(wait).await;
                        }
                        "OPERATION_TIME_LIMIT" => {
                            metrics::request(method, "operation_time_limit", took);
                            let wait = self.until_reset(method, time.as_ref());
                            if waited_for_reset || wait > config.max_wait {
                                return Err(Bitrix24Error::OperationTimeLimit {
                                    method: method.to_owned(),
                                    retry_after: wait,
                                });
                            }
                            tracing::warn!(portal = %origin, method, seconds = wait.as_secs(), "the portal blocked the method for its resource time (429); waiting for the reset");
                            metrics::waited(method, "operation_time_limit", wait);
                            tokio::time::sleep(wait).await;
                            waited_for_reset = true;
                        }
                        "expired_token" | "invalid_token" | "NO_AUTH_FOUND"
                            if matches!(self.inner.credentials, Credentials::App(_)) =>
                        {
                            metrics::request(method, "expired_token", took);
                            let Credentials::App(app) = &self.inner.credentials else {
                                unreachable!()
                            };
                            if refreshed {
                                return Err(Bitrix24Error::AppNotAuthorised {
                                    portal: app.portal.to_string(),
                                    detail: format!(
                                        "{} even after the tokens were refreshed",
                                        error.code
                                    ),
                                });
                            }
                            let failed = token.clone().unwrap_or_default();
                            self.refresh_tokens(app, &failed).await?;
                            refreshed = true;
                        }
                        "NO_AUTH_FOUND" => {
                            metrics::request(method, "wrong_webhook_code", took);
                            return Err(Bitrix24Error::WrongWebhookCode {
                                portal: origin.to_string(),
                                code: error.code,
                            });
                        }
                        _ => {
                            let e = Bitrix24Error::from_api(method, status, &error);
                            metrics::request(method, e.kind(), took);
                            if matches!(e, Bitrix24Error::Unavailable { .. }) {
                                failures += 1;
                                if failures < config.attempts {
                                    self.back_off(method, failures).await;
                                    continue;
                                }
                            }
                            return Err(e);
                        }
                    }
                }
            }
        }
    }

    /// Waits for the bucket, and for the method's resource time when it runs low.
    async fn pace(&self, method: &str) -> Result<(), Bitrix24Error> {
        let pace = self
            .inner
            .operating
            .lock()
            .expect("operating lock")
            .pace(method, unix_now());
        match pace {
            Pace::Go => {}
            Pace::Pause(wait) => {
                metrics::waited(method, "operating", wait);
                tokio::time::sleep(wait).await;
            }
            Pace::Blocked(wait) if wait <= self.inner.config.max_wait => {
                metrics::waited(method, "operating", wait);
                tokio::time::sleep(wait).await;
            }
            Pace::Blocked(wait) => {
                return Err(Bitrix24Error::OperationTimeLimit {
                    method: method.to_owned(),
                    retry_after: wait,
                });
            }
        }
        let wait = self
            .inner
            .bucket
            .lock()
            .expect("bucket lock")
            .reserve(Instant::now());
        metrics::waited(method, "bucket", wait);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    fn record_time(&self, method: &str, time: &TimeInfo) {
        self.inner
            .operating
            .lock()
            .expect("operating lock")
            .record(method, time);
    }

    /// How long until a blocked method may run: the answer's `operating_reset_at`, else the
    /// last one the method reported, else ten seconds (what the JS SDK waits at least).
    fn until_reset(&self, method: &str, time: Option<&TimeInfo>) -> Duration {
        let reset_at = time.and_then(|t| t.operating_reset_at).or_else(|| {
            self.inner
                .operating
                .lock()
                .expect("operating lock")
                .reset_at(method)
        });
        match reset_at {
            Some(at) => Duration::from_secs_f64((at - unix_now()).max(0.0) + 1.0),
            None => Duration::from_secs(10),
        }
    }

    fn backoff_delay(&self, failures: u32) -> Duration {
        self.inner
            .bucket
            .lock()
            .expect("bucket lock")
            .backoff(failures, self.inner.config.backoff_base)
    }

    async fn back_off(&self, method: &str, failures: u32) {
        let wait = self.backoff_delay(failures);
        metrics::waited(method, "retry", wait);
        tokio::time::sleep(wait).await;
    }

    fn current_origin(&self) -> PortalOrigin {
        self.moved_to()
            .unwrap_or_else(|| self.inner.credentials.origin().clone())
    }

    /// A renamed portal answers 302 with its new address. The call is repeated there once
    /// (with its body: a followed redirect would drop it), and the client keeps using the new
    /// address, which the settings page shows so the configuration gets fixed.
    fn follow_redirect(
        &self,
        from: &PortalOrigin,
        location: &str,
        already: bool,
    ) -> Result<(), Bitrix24Error> {
        let refuse = |reason: &str| Bitrix24Error::Redirect {
            portal: from.to_string(),
            location: shown_location(location),
            reason: reason.to_owned(),
        };
        if already {
            return Err(refuse(
                "the new address redirects again; not following further",
            ));
        }
        let target = from
            .join("/")
            .join(location)
            .map_err(|_| refuse("the new address cannot be read"))?;
        let to = PortalOrigin::from_url(&target).map_err(|e| refuse(&e.to_string()))?;
        if &to == from {
            return Err(refuse("it redirects to itself"));
        }
        tracing::warn!(
            portal = %from,
            moved_to = %to,
            "the portal answered 302: it was renamed; calls go to the new address now, update \
             bitrix24.webhook_url (or portal_url) to it"
        );
        *self.inner.moved_to.lock().expect("moved_to lock") = Some(to);
        Ok(())
    }

    /// One POST.
    async fn exchange(
        &self,
        origin: &PortalOrigin,
        method: &str,
        params: &Ordered,
        token: Option<&Secret>,
    ) -> Exchange {
        let (url, body) = match (&self.inner.credentials, token) {
            (Credentials::Webhook(w), _) => (w.method_url(origin, method), params.clone()),
            (Credentials::App(_), token) => {
                let mut body = params.clone();
                if let (Ordered::Object(entries), Some(token)) = (&mut body, token) {
                    // At the end: positional methods read the parameters before it.
                    entries.push(("auth".into(), Ordered::String(token.expose().to_owned())));
                }
                (origin.join(&format!("/rest/{method}.json")), body)
            }
        };
        let body = match serde_json::to_vec(&body) {
            Ok(b) => b,
            Err(e) => return Exchange::Network(format!("cannot write the request: {e}")),
        };
        let answer = self
            .inner
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let answer = match answer {
            Ok(a) => a,
            // without_url: the address holds the webhook's code.
            Err(e) => return Exchange::Network(e.without_url().to_string()),
        };
        let status = answer.status();
        if status.is_redirection() {
            return match answer.headers().get(LOCATION).and_then(|l| l.to_str().ok()) {
                Some(location) => Exchange::Redirect(location.to_owned()),
                None => Exchange::Broken(status.as_u16(), "a redirect without an address".into()),
            };
        }
        let text = match answer.text().await {
            Ok(t) => t,
            Err(e) => return Exchange::Network(e.without_url().to_string()),
        };
        match parse_body(method, &text) {
            Parsed::Ok(a) if status.is_success() => Exchange::Answer(a),
            Parsed::Ok(_) => {
                Exchange::Broken(status.as_u16(), "an error status with a result".into())
            }
            Parsed::Err(e, time) => Exchange::Api(status.as_u16(), e, time),
            Parsed::Unreadable(_) if status == StatusCode::SERVICE_UNAVAILABLE => {
                // The limiter's 503 sometimes comes from a proxy in front of the portal.
                Exchange::Api(
                    503,
                    ApiError {
                        code: "QUERY_LIMIT_EXCEEDED".into(),
                        description: "Too many requests".into(),
                    },
                    None,
                )
            }
            Parsed::Unreadable(what) => Exchange::Broken(status.as_u16(), what),
        }
    }
}

/// A redirect's target for a message: its origin only (the path repeats the webhook code).
fn shown_location(location: &str) -> String {
    match reqwest::Url::parse(location) {
        Ok(u) => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("")),
        Err(_) => "(a relative address)".into(),
    }
}
