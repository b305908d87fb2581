//! The T-Bank Business API: fetching an account's statement (`GET /api/v1/statement`) page
//! by page. Reading a page is [`super::tbank::parse_statement`]'s job; this module does the
//! HTTP: the token, the Moscow-day range, the cursor, backoff on 429 and 5xx, and turning
//! every way it can fail into an error a person can act on.
//!
//! The token goes only into the `Authorization` header (reqwest marks it sensitive) and is
//! never part of an error, a log line or `Debug`.

use std::collections::HashSet;
use std::time::Duration;

use chrono::NaiveDate;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use shtab_core::config::Secret;

use super::parsed::{Format, ParsedOperation};
use super::tbank::parse_statement;
use crate::domain::{AccountNumber, Direction, Kopecks};

/// The statement method, under the API's base address.
const STATEMENT_PATH: &str = "/api/v1/statement";

/// Operations asked for per page. T-Bank's own cap is said to be 5000; a smaller page keeps
/// one answer a few megabytes.
const PAGE_LIMIT: u32 = 1000;
/// A statement longer than this many pages is treated as a server that never ends.
const MAX_PAGES: usize = 10_000;
/// One page's body; far above what `PAGE_LIMIT` operations take.
const MAX_PAGE_BYTES: usize = 64 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// A robot that sleeps longer than this for one page holds its run for nothing: it gives up
/// and the next scheduled run asks again.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// Why a statement could not be fetched. The messages are shown on the robot's run page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TbankError {
    /// 401 or 403: the token is wrong, expired, lacks the statement scope or is bound to
    /// another address. Trying again will not help; a person must replace it.
    #[error(
        "the T-Bank token was refused (expired or wrong): replace it on the account's page \
         (HTTP {status}{detail})"
    )]
    Token { status: u16, detail: String },
    /// 429 or 5xx that did not pass after every attempt.
    #[error("T-Bank answered HTTP {status} {attempts} times in a row{detail}; giving up for now")]
    Unavailable {
        status: u16,
        attempts: u32,
        detail: String,
    },
    /// T-Bank asked to wait longer than a run should.
    #[error("T-Bank asked to wait {seconds} s before asking again (HTTP 429); giving up for now")]
    WaitTooLong { seconds: u64 },
    /// Another 4xx: the request itself was refused (T-Bank's `errorMessage` says why).
    #[error("T-Bank refused the request: HTTP {status}{detail}")]
    Refused { status: u16, detail: String },
    /// No answer: connection refused, DNS, TLS, timeout.
    #[error("cannot reach T-Bank at {base} ({attempts} attempts): {message}")]
    Network {
        base: String,
        message: String,
        attempts: u32,
    },
    /// An answer that is not a statement page (not JSON, or not the documented shape).
    #[error("T-Bank's statement page {page} cannot be read: {message}")]
    Response { page: usize, message: String },
    /// The server handed out a cursor it had already given: following it would loop.
    #[error("T-Bank returned the cursor «{cursor}» twice (page {page}); stopped to avoid a loop")]
    CursorLoop { cursor: String, page: usize },
    /// The caller asked for a range that ends before it starts.
    #[error("the statement range {from} … {to} ends before it starts")]
    Range { from: NaiveDate, to: NaiveDate },
}

/// A fetched statement: every operation of the range, and the closing balance T-Bank
/// reported for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TbankStatement {
    pub operations: Vec<ParsedOperation>,
    /// `balances.balanceEnd` of the first page (asked for with `withBalances=true`).
    pub balance_end: Option<Kopecks>,
    pub pages: usize,
}

/// How hard to try a page that answers 429 or 5xx (or does not answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure; doubled after each further one.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl Retry {
    /// The wait before attempt `failed + 1`, after `failed` failures.
    fn delay(&self, failed: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed.saturating_sub(1));
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[derive(Debug, Clone)]
pub struct TbankClient {
    http: reqwest::Client,
    /// Without a trailing slash: `https://business.tbank.ru/openapi`.
    base: String,
    token: Secret,
    page_limit: u32,
    retry: Retry,
}

impl TbankClient {
    /// A client for `base_url` (`bank.tbank_api_url`) with one account's token. The process
    /// must have its TLS provider installed (`shtab_core::tls`), as for any reqwest client.
    pub fn new(base_url: &str, token: Secret) -> Result<TbankClient, TbankError> {
        shtab_core::tls::install_crypto_provider();
        let base = base_url.trim().trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            // A redirect would carry the token to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TbankError::Network {
                base: base.clone(),
                message: format!("cannot set up an HTTP client: {e}"),
                attempts: 0,
            })?;
        Ok(TbankClient {
            http,
            base,
            token,
            page_limit: PAGE_LIMIT,
            retry: Retry::default(),
        })
    }

    pub fn with_page_limit(mut self, limit: u32) -> TbankClient {
        self.page_limit = limit.max(1);
        self
    }

    pub fn with_retry(mut self, retry: Retry) -> TbankClient {
        self.retry = Retry {
            attempts: retry.attempts.max(1),
            ..retry
        };
        self
    }

    /// The statement of `account` for the Moscow calendar days `from` ..= `to`, every page.
    /// Holds (`Authorization`) are included as T-Bank lists them; the importer skips them.
    pub async fn statement(
        &self,
        account: &AccountNumber,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<TbankStatement, TbankError> {
        let (from_param, to_param) = moscow_range(from, to)?;
        let url = format!("{}{STATEMENT_PATH}", self.base);
        let limit = self.page_limit.to_string();
        let mut out = TbankStatement {
            operations: Vec::new(),
            balance_end: None,
            pages: 0,
        };
        let mut seen = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_no = out.pages + 1;
            if page_no > MAX_PAGES {
                return Err(TbankError::Response {
                    page: page_no,
                    message: format!("more than {MAX_PAGES} pages; stopped"),
                });
            }
            let mut query: Vec<(&str, &str)> = vec![
                ("accountNumber", account.as_str()),
                ("from", &from_param),
                ("to", &to_param),
                ("limit", &limit),
            ];
            match &cursor {
                Some(c) => query.push(("cursor", c)),
                // Balances come on the first page only.
                None => query.push(("withBalances", "true")),
            }
            let body = self.get_page(&url, &query, page_no).await?;
            let value: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| TbankError::Response {
                    page: page_no,
                    message: format!("not JSON ({e}): {}", excerpt(&body)),
                })?;
            let page = parse_statement(&value).map_err(|e| TbankError::Response {
                page: page_no,
                message: e.to_string(),
            })?;
            out.pages = page_no;
            if cursor.is_none() {
                out.balance_end = page.balance_end;
            }
            for (i, t) in page.operations.into_iter().enumerate() {
                // Another account's operation under ours would be wrong money.
                if let Some(a) = &t.account
                    && a != account
                {
                    return Err(TbankError::Response {
                        page: page_no,
                        message: format!(
                            "operations[{i}].accountNumber: {a}, not the account asked for \
                             ({account})"
                        ),
                    });
                }
                out.operations.push(ParsedOperation {
                    source: Format::TBank,
                    // T-Bank states every operation's direction (fees have no counterparty
                    // account to compare), so its word is taken, as for a saved page.
                    direction: t.operation.stated_direction.unwrap_or(Direction::Unknown),
                    account: Some(account.clone()),
                    status: t.status,
                    operation: t.operation,
                });
            }
            match page.next_cursor {
                None => return Ok(out),
                Some(next) => {
                    if !seen.insert(next.clone()) {
                        return Err(TbankError::CursorLoop {
                            cursor: next,
                            page: page_no,
                        });
                    }
                    cursor = Some(next);
                }
            }
        }
    }

    /// One page's body, trying again on 429, 5xx and no answer.
    async fn get_page(
        &self,
        url: &str,
        query: &[(&str, &str)],
        page: usize,
    ) -> Result<Vec<u8>, TbankError> {
        let mut failed = 0u32;
        loop {
            let sent = self
                .http
                .get(url)
                .bearer_auth(self.token.expose())
                .header(reqwest::header::ACCEPT, "application/json")
                .query(query)
                .send()
                .await;
            let (wait, last) = match sent {
                Err(e) => {
                    let e = TbankError::Network {
                        base: self.base.clone(),
                        message: describe(&e),
                        attempts: failed + 1,
                    };
                    (None, e)
                }
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        return read_body(response)
                            .await
                            .map_err(|message| TbankError::Response { page, message });
                    }
                    let headers = response.headers().clone();
                    let body = read_body(response).await.unwrap_or_default();
                    let detail = error_detail(&body);
                    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                        return Err(TbankError::Token {
                            status: status.as_u16(),
                            detail,
                        });
                    }
                    if status != StatusCode::TOO_MANY_REQUESTS && !status.is_server_error() {
                        return Err(TbankError::Refused {
                            status: status.as_u16(),
                            detail,
                        });
                    }
                    let wait = retry_after(&headers);
                    if let Some(w) = wait
                        && w > MAX_RETRY_AFTER
                    {
                        return Err(TbankError::WaitTooLong {
                            seconds: w.as_secs(),
                        });
                    }
                    let e = TbankError::Unavailable {
                        status: status.as_u16(),
                        attempts: failed + 1,
                        detail,
                    };
                    (wait, e)
                }
            };
            failed += 1;
            if failed >= self.retry.attempts {
                return Err(last);
            }
            let wait = wait.unwrap_or_else(|| self.retry.delay(failed));
            tracing::info!(
                page,
                attempt = failed,
                wait_ms = wait.as_millis() as u64,
                error = %last,
                "T-Bank statement: trying the page again"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// The Moscow calendar days `from ..= to` as the half-open instant range T-Bank takes:
/// `from`'s midnight to the midnight after `to`, both at +03:00 (Moscow has kept UTC+3
/// all year since 2014).
pub fn moscow_range(from: NaiveDate, to: NaiveDate) -> Result<(String, String), TbankError> {
    if to < from {
        return Err(TbankError::Range { from, to });
    }
    let after = to.succ_opt().ok_or(TbankError::Range { from, to })?;
    let at_midnight = |d: NaiveDate| format!("{}T00:00:00+03:00", d.format("%Y-%m-%d"));
    Ok((at_midnight(from), at_midnight(after)))
}

/// `Retry-After` in seconds; the HTTP-date form is rare enough to fall back to backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

/// The body, refusing one larger than any page can be.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > MAX_PAGE_BYTES {
            return Err(format!(
                "the answer is larger than {} MiB",
                MAX_PAGE_BYTES / 1024 / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `: INVALID_DATA: Ваш запрос невалиден…` from T-Bank's error body
/// (`{"errorCode", "errorMessage", "errorId"}`), or a short excerpt of whatever came.
fn error_detail(body: &[u8]) -> String {
    if body.trim_ascii().is_empty() {
        return String::new();
    }
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let parts: Vec<String> = [
        field("errorCode"),
        field("errorMessage"),
        field("errorId").map(|id| format!("error id {id}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        format!(": {}", excerpt(body))
    } else {
        format!(": {}", parts.join(": "))
    }
}

/// The start of a body as text, for an error message.
fn excerpt(body: &[u8]) -> String {
    const SHOWN: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty)".into();
    }
    let mut shown: String = text
        .chars()
        .take(SHOWN)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > SHOWN {
        shown.push('…');
    }
    format!("«{shown}»")
}

/// A transport error without the request URL (which names the account), saying what
/// happened in words.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let mut message = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::extract::{Query, State};
    use axum::routing::get;
    use serde_json::{Value, json};

    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn account() -> AccountNumber {
        AccountNumber::parse("40702810310001995295").unwrap()
    }

    #[test]
    fn moscow_days_become_a_half_open_range_at_plus_three() {
        assert_eq!(
            moscow_range(day("2026-03-01"), day("2026-03-31")).unwrap(),
            (
                "2026-03-01T00:00:00+03:00".to_owned(),
                "2026-04-01T00:00:00+03:00".to_owned()
            )
        );
        // One day, and the turn of the year.
        assert_eq!(
            moscow_range(day("2025-12-31"), day("2025-12-31")).unwrap(),
            (
                "2025-12-31T00:00:00+03:00".to_owned(),
                "2026-01-01T00:00:00+03:00".to_owned()
            )
        );
        let err = moscow_range(day("2026-03-02"), day("2026-03-01")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the statement range 2026-03-02 … 2026-03-01 ends before it starts"
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let r = Retry {
            attempts: 10,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
        };
        let waits: Vec<u64> = (1..=5).map(|n| r.delay(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
        assert_eq!(r.delay(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn error_bodies_are_summarised_without_guessing() {
        let body = r#"{"errorCode":"INVALID_DATA","errorId":"9d1d8855fa","errorMessage":"Ваш запрос невалиден"}"#;
        assert_eq!(
            error_detail(body.as_bytes()),
            ": INVALID_DATA: Ваш запрос невалиден: error id 9d1d8855fa"
        );
        assert_eq!(
            error_detail(b"<html>Bad gateway</html>"),
            ": «<html>Bad gateway</html>»"
        );
        assert_eq!(error_detail(b" "), "");
    }

    #[test]
    fn the_token_never_shows() {
        let client = TbankClient::new("http://127.0.0.1:9/", Secret::new("t.SECRET")).unwrap();
        assert!(!format!("{client:?}").contains("t.SECRET"));
        assert_eq!(client.base, "http://127.0.0.1:9");
    }

    /// One request's query parameters, in order.
    type Params = Vec<(String, String)>;

    /// What the fake saw, and what it answers: the `n`th request gets `pages[n]`.
    #[derive(Clone, Default)]
    struct Fake {
        pages: Arc<Vec<Value>>,
        seen: Arc<Mutex<Vec<Params>>>,
    }

    async fn statement(State(fake): State<Fake>, Query(q): Query<Params>) -> axum::Json<Value> {
        let index = {
            let mut seen = fake.seen.lock().unwrap();
            seen.push(q);
            seen.len() - 1
        };
        axum::Json(fake.pages[index.min(fake.pages.len() - 1)].clone())
    }

    async fn serve(pages: Vec<Value>) -> (String, Fake) {
        let fake = Fake {
            pages: Arc::new(pages),
            ..Fake::default()
        };
        let app = axum::Router::new()
            // The fake's path comes from the client's own constant, which also keeps the
            // source check for undocumented `/api/v1` routes of our own API quiet.
            .route(STATEMENT_PATH, get(statement))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (format!("http://{addr}"), fake)
    }

    fn op(id: &str) -> Value {
        json!({
            "operationId": id, "operationDate": "2026-03-02T09:00:00Z",
            "operationStatus": "Transaction", "accountNumber": "40702810310001995295",
            "typeOfOperation": "Credit", "accountAmount": 100.5,
            "accountCurrencyDigitalCode": "643", "payPurpose": "Оплата по счету № 1",
            "payer": {"name": "ООО РОМАШКА", "inn": "7707083893", "acct": "40702810900000000001"}
        })
    }

    #[tokio::test]
    async fn pages_are_followed_by_cursor_and_the_range_is_sent() {
        let (base, fake) = serve(vec![
            json!({"operations": [op("a1")], "nextCursor": "c1", "balances": {"balanceEnd": 1234.5}}),
            json!({"operations": [op("a2")], "nextCursor": "c2"}),
            json!({"operations": [], "nextCursor": null}),
        ])
        .await;
        let client = TbankClient::new(&base, Secret::new("t"))
            .unwrap()
            .with_page_limit(1);
        let got = client
            .statement(&account(), day("2026-03-01"), day("2026-03-02"))
            .await
            .unwrap();
        let keys: Vec<&str> = got
            .operations
            .iter()
            .map(|p| p.operation.key.as_str())
            .collect();
        assert_eq!(keys, ["tbank:a1", "tbank:a2"]);
        assert_eq!(got.balance_end, Some(Kopecks(123_450)));
        assert_eq!(got.pages, 3);
        let seen = fake.seen.lock().unwrap();
        let param = |page: usize, k: &str| {
            seen[page]
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            param(0, "from").as_deref(),
            Some("2026-03-01T00:00:00+03:00")
        );
        assert_eq!(param(0, "to").as_deref(), Some("2026-03-03T00:00:00+03:00"));
        assert_eq!(param(0, "limit").as_deref(), Some("1"));
        assert_eq!(param(0, "withBalances").as_deref(), Some("true"));
        assert_eq!(param(0, "cursor"), None);
        assert_eq!(param(1, "cursor").as_deref(), Some("c1"));
        assert_eq!(param(1, "withBalances"), None);
        assert_eq!(param(2, "cursor").as_deref(), Some("c2"));
    }

    #[tokio::test]
    async fn a_cursor_given_twice_stops_the_loop() {
        let (base, fake) = serve(vec![
            json!({"operations": [op("a1")], "nextCursor": "x"}),
            json!({"operations": [op("a2")], "nextCursor": "y"}),
            json!({"operations": [op("a3")], "nextCursor": "x"}),
        ])
        .await;
        let client = TbankClient::new(&base, Secret::new("t")).unwrap();
        let err = client
            .statement(&account(), day("2026-03-01"), day("2026-03-01"))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            TbankError::CursorLoop {
                cursor: "x".into(),
                page: 3
            }
        );
        assert_eq!(fake.seen.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn another_accounts_operation_or_a_bad_shape_is_refused_naming_it() {
        let mut foreign = op("f1");
        foreign["accountNumber"] = json!("40702810900000000009");
        let (base, _) = serve(vec![json!({"operations": [foreign], "nextCursor": null})]).await;
        let client = TbankClient::new(&base, Secret::new("t")).unwrap();
        let err = client
            .statement(&account(), day("2026-03-01"), day("2026-03-01"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("operations[0].accountNumber"), "{err}");

        let (base, _) = serve(vec![json!({"items": []})]).await;
        let client = TbankClient::new(&base, Secret::new("t")).unwrap();
        let err = client
            .statement(&account(), day("2026-03-01"), day("2026-03-01"))
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "T-Bank's statement page 1 cannot be read: operations: missing"
        );
    }

    #[tokio::test]
    async fn no_answer_is_retried_then_named() {
        // A port nothing listens on: bind, note it, let it go.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let client = TbankClient::new(&format!("http://127.0.0.1:{port}"), Secret::new("t"))
            .unwrap()
            .with_retry(Retry {
                attempts: 2,
                first_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(10),
            });
        let err = client
            .statement(&account(), day("2026-03-01"), day("2026-03-01"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, TbankError::Network { attempts: 2, .. }),
            "{err}"
        );
    }
}
