//! Every way a portal call fails, as something a person can act on (the settings page and a
//! robot's run show these messages) and as a verdict for the job queue: worth retrying, or
//! not until a person fixes something.

use std::time::Duration;

use serde::Deserialize;
use shtab_core::jobs::JobError;

/// The portal's own error answer: `{"error":"CODE","error_description":"text"}`. The code
/// may be text, numeric text (`"100"`) or the number `0`, and is often `""`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub description: String,
}

impl ApiError {
    /// Reads an error object, or `None` when `value` is not one.
    pub fn from_value(value: &serde_json::Value) -> Option<ApiError> {
        #[derive(Deserialize)]
        struct Raw {
            error: serde_json::Value,
            #[serde(default)]
            error_description: Option<serde_json::Value>,
        }
        let raw = Raw::deserialize(value).ok()?;
        let code = match raw.error {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Null => String::new(),
            // REST 3.0 nests it: {"error":{"code":"…","message":"…"}}.
            serde_json::Value::Object(o) => {
                let code = o
                    .get("code")
                    .and_then(|c| c.as_str())
                    .unwrap_or("")
                    .to_owned();
                let message = o.get("message").and_then(|m| m.as_str()).unwrap_or("");
                return Some(ApiError {
                    code,
                    description: message.to_owned(),
                });
            }
            _ => return None,
        };
        let description = match raw.error_description {
            Some(serde_json::Value::String(s)) => s,
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        Some(ApiError { code, description })
    }

    fn text(&self) -> String {
        match (self.code.is_empty(), self.description.is_empty()) {
            (true, true) => "no reason given".to_owned(),
            (true, false) => self.description.clone(),
            (false, true) => self.code.clone(),
            (false, false) => format!("{}: {}", self.code, self.description),
        }
    }
}

/// Why a call to the portal did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Bitrix24Error {
    /// The configured address or credentials cannot be used as they are.
    #[error("Bitrix24 settings: {0}")]
    Config(String),
    /// 401 `NO_AUTH_FOUND` to an incoming webhook: the code is wrong, or the webhook was
    /// deleted.
    #[error(
        "the portal {portal} refused the webhook's code (401 {code}): the webhook was deleted or \
         its address is mistyped; create one (Developer resources → Other → Incoming webhook) \
         and put its address in bitrix24.webhook_url"
    )]
    WrongWebhookCode { portal: String, code: String },
    /// The local application's tokens were refused even after a refresh, or cannot be
    /// refreshed (`invalid_grant`): an administrator must authorise the application again.
    #[error(
        "the portal {portal} refused the application's authorisation ({detail}): authorise the \
         application again on the Bitrix24 settings page"
    )]
    AppNotAuthorised { portal: String, detail: String },
    /// A local application nobody has authorised from this hub yet (or it was disconnected):
    /// there are no tokens to send.
    #[error(
        "the application is not authorised on the portal {portal} yet: an administrator \
         authorises it on the Bitrix24 settings page"
    )]
    AppNotConnected { portal: String },
    /// 403 `insufficient_scope`.
    #[error(
        "the webhook or application lacks the scope «{scope}» that {method} needs: add it to \
         the incoming webhook's permissions on the portal (or the application's, then \
         authorise it again)"
    )]
    MissingScope { method: String, scope: String },
    /// The webhook's user may not do this (403 `INVALID_CREDENTIALS`, `ACCESS_DENIED`,
    /// `user_access_error`, or an "Access denied" text).
    #[error("the portal does not allow {method} to the webhook's user: {detail}")]
    NoPermission { method: String, detail: String },
    /// An administrator must approve the application first (401 `method_confirm_waiting`).
    #[error("{method} waits for a portal administrator to approve the application")]
    AwaitingApproval { method: String },
    /// The portal has no such method: its edition or version lacks it.
    #[error("the portal has no method {method} (its edition or version lacks it): {detail}")]
    MethodMissing { method: String, detail: String },
    /// The object asked about does not exist or cannot be seen.
    #[error("{method}: not found ({detail})")]
    NotFound { method: String, detail: String },
    /// The request-rate limit (503 `QUERY_LIMIT_EXCEEDED`) did not pass after backing off.
    #[error("the portal limits the request rate (503 QUERY_LIMIT_EXCEEDED); try again in {}s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    /// The method is blocked for its resource time (429 `OPERATION_TIME_LIMIT`) longer than a
    /// call should wait.
    #[error("the portal blocked {method} for its operation time (429 OPERATION_TIME_LIMIT) for another {}s", retry_after.as_secs())]
    OperationTimeLimit {
        method: String,
        retry_after: Duration,
    },
    /// 5xx, an HTML page instead of JSON, or a support block: likely to pass later.
    #[error("the portal could not answer {method} (HTTP {status}): {detail}")]
    Unavailable {
        method: String,
        status: u16,
        detail: String,
    },
    /// No answer at all: refused connection, DNS, TLS, timeout.
    #[error("cannot reach the portal {portal}: {message}")]
    Network { portal: String, message: String },
    /// The portal was renamed and the new address redirected again, or somewhere unusable.
    #[error("the portal {portal} redirects to {location}: {reason}")]
    Redirect {
        portal: String,
        location: String,
        reason: String,
    },
    /// Any other refusal of the request itself (the portal's words).
    #[error("the portal refused {method} (HTTP {status}): {detail}")]
    Refused {
        method: String,
        status: u16,
        code: String,
        detail: String,
    },
    /// An answer that is JSON but not the shape the method documents.
    #[error("the portal's answer to {method} cannot be read: {message}")]
    Decode { method: String, message: String },
    /// The token store failed (the hub's database).
    #[error("cannot read or save the portal's tokens: {0}")]
    TokenStore(String),
}

impl Bitrix24Error {
    /// True when the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Bitrix24Error::RateLimited { .. }
                | Bitrix24Error::OperationTimeLimit { .. }
                | Bitrix24Error::Unavailable { .. }
                | Bitrix24Error::Network { .. }
                | Bitrix24Error::TokenStore(_)
        )
    }

    /// How long the portal asked to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Bitrix24Error::RateLimited { retry_after }
            | Bitrix24Error::OperationTimeLimit { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// A short stable name, for metrics and the settings page.
    pub fn kind(&self) -> &'static str {
        match self {
            Bitrix24Error::Config(_) => "config",
            Bitrix24Error::WrongWebhookCode { .. } => "wrong_webhook_code",
            Bitrix24Error::AppNotAuthorised { .. } => "not_authorised",
            Bitrix24Error::AppNotConnected { .. } => "not_connected",
            Bitrix24Error::MissingScope { .. } => "missing_scope",
            Bitrix24Error::NoPermission { .. } => "no_permission",
            Bitrix24Error::AwaitingApproval { .. } => "awaiting_approval",
            Bitrix24Error::MethodMissing { .. } => "method_missing",
            Bitrix24Error::NotFound { .. } => "not_found",
            Bitrix24Error::RateLimited { .. } => "rate_limited",
            Bitrix24Error::OperationTimeLimit { .. } => "operation_time_limit",
            Bitrix24Error::Unavailable { .. } => "unavailable",
            Bitrix24Error::Network { .. } => "network",
            Bitrix24Error::Redirect { .. } => "redirect",
            Bitrix24Error::Refused { .. } => "refused",
            Bitrix24Error::Decode { .. } => "decode",
            Bitrix24Error::TokenStore(_) => "token_store",
        }
    }

    /// The portal's error for one command of `method` (a whole call's, or a batch command's).
    /// `status` is the HTTP status (200 inside a batch).
    pub fn from_api(method: &str, status: u16, e: &ApiError) -> Bitrix24Error {
        let method_s = method.to_owned();
        let detail = e.text();
        let lower = e.description.to_lowercase();
        match e.code.as_str() {
            "insufficient_scope" => Bitrix24Error::MissingScope {
                method: method_s,
                scope: scope_of(method).to_owned(),
            },
            "INVALID_CREDENTIALS" | "ACCESS_DENIED" | "user_access_error" | "ACCESS_ERROR" => {
                Bitrix24Error::NoPermission {
                    method: method_s,
                    detail,
                }
            }
            "method_confirm_waiting" => Bitrix24Error::AwaitingApproval { method: method_s },
            "ERROR_METHOD_NOT_FOUND" | "METHOD_NOT_FOUND" => Bitrix24Error::MethodMissing {
                method: method_s,
                detail,
            },
            "QUERY_LIMIT_EXCEEDED" => Bitrix24Error::RateLimited {
                retry_after: Duration::from_secs(1),
            },
            "OPERATION_TIME_LIMIT" => Bitrix24Error::OperationTimeLimit {
                method: method_s,
                retry_after: Duration::from_secs(10),
            },
            "INTERNAL_SERVER_ERROR" | "ERROR_UNEXPECTED_ANSWER" | "OVERLOAD_LIMIT" => {
                Bitrix24Error::Unavailable {
                    method: method_s,
                    status,
                    detail,
                }
            }
            "NOT_FOUND" | "ERROR_ENTITY_NOT_FOUND" => Bitrix24Error::NotFound {
                method: method_s,
                detail,
            },
            // An empty code (or the number 0) says what happened only in words.
            "" | "0"
                if lower.contains("access denied")
                    || lower.contains("insufficient permissions") =>
            {
                Bitrix24Error::NoPermission {
                    method: method_s,
                    detail,
                }
            }
            "" | "0" if lower.contains("not found") => Bitrix24Error::NotFound {
                method: method_s,
                detail,
            },
            _ if status >= 500 => Bitrix24Error::Unavailable {
                method: method_s,
                status,
                detail,
            },
            code => Bitrix24Error::Refused {
                method: method_s,
                status,
                code: code.to_owned(),
                detail,
            },
        }
    }
}

/// The scope a method belongs to, named in "missing scope" messages. REST 3.0's task chat
/// lives in `tasks`, the old task methods in `task`.
pub fn scope_of(method: &str) -> &str {
    let m = method.to_ascii_lowercase();
    if m.starts_with("tasks.task.chat.") || m.starts_with("tasks.task.result.add") {
        return "tasks";
    }
    if m.starts_with("task.") || m.starts_with("tasks.") {
        return "task";
    }
    if m.starts_with("user.") || m == "profile" {
        return if m == "profile" { "basic" } else { "user" };
    }
    match m.split('.').next().unwrap_or("") {
        "im" => "im",
        "crm" => "crm",
        "department" => "department",
        "sale" => "sale",
        "bizproc" => "bizproc",
        "disk" => "disk",
        _ => method.split('.').next().unwrap_or(method),
    }
}

impl From<Bitrix24Error> for JobError {
    fn from(e: Bitrix24Error) -> JobError {
        match e.retry_after() {
            Some(after) => JobError::RetryAfter {
                after,
                message: e.to_string(),
            },
            None if e.is_transient() => JobError::Retry(e.to_string()),
            None => JobError::Permanent(e.to_string()),
        }
    }
}

impl From<Bitrix24Error> for shtab_core::CoreError {
    /// Transient errors stay transient, so the job that met them retries with backoff;
    /// the others (a missing scope, no permission…) end it, naming the reason.
    fn from(e: Bitrix24Error) -> shtab_core::CoreError {
        if e.is_transient() {
            return shtab_core::CoreError::Transient {
                retry_after: e.retry_after(),
                message: e.to_string(),
            };
        }
        shtab_core::CoreError::Internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What the tracker port returns reaches the job queue: a limit or a 5xx is retried (not
    /// before the portal's wait), a refusal ends the job naming why.
    #[test]
    fn through_the_ports_transient_errors_stay_retryable() {
        let job = |e: Bitrix24Error| JobError::from(shtab_core::CoreError::from(e));
        assert!(matches!(
            job(Bitrix24Error::RateLimited {
                retry_after: Duration::from_secs(3)
            }),
            JobError::RetryAfter { after, .. } if after == Duration::from_secs(3)
        ));
        assert!(matches!(
            job(Bitrix24Error::Unavailable {
                method: "batch".into(),
                status: 502,
                detail: "Bad Gateway".into()
            }),
            JobError::Retry(_)
        ));
        match job(Bitrix24Error::MissingScope {
            method: "tasks.task.list".into(),
            scope: "task".into(),
        }) {
            JobError::Permanent(m) => assert!(m.contains("task"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    fn api(v: serde_json::Value) -> ApiError {
        ApiError::from_value(&v).unwrap()
    }

    #[test]
    fn codes_as_text_numeric_text_or_zero() {
        assert_eq!(
            api(json!({"error":"100","error_description":"x"})).code,
            "100"
        );
        assert_eq!(
            api(json!({"error":0,"error_description":"Insufficient permissions"})).code,
            "0"
        );
        assert_eq!(
            api(json!({"error":"","error_description":"Not found"})).code,
            ""
        );
        assert_eq!(
            api(json!({"error":{"code":"BITRIX_REST_V3_EXCEPTION_X","message":"m"}})),
            ApiError {
                code: "BITRIX_REST_V3_EXCEPTION_X".into(),
                description: "m".into()
            }
        );
        assert!(ApiError::from_value(&json!({"result": 1})).is_none());
    }

    #[test]
    fn classification_names_what_to_do() {
        let e = Bitrix24Error::from_api(
            "im.notify.system.add",
            403,
            &api(json!({"error":"insufficient_scope","error_description":""})),
        );
        assert_eq!(
            e,
            Bitrix24Error::MissingScope {
                method: "im.notify.system.add".into(),
                scope: "im".into()
            }
        );
        assert!(e.to_string().contains("«im»"), "{e}");
        assert!(!e.is_transient());
        let e = Bitrix24Error::from_api(
            "crm.item.payment.pay",
            400,
            &api(json!({"error":0,"error_description":"Insufficient permissions"})),
        );
        assert_eq!(e.kind(), "no_permission");
        let e = Bitrix24Error::from_api(
            "crm.deal.get",
            400,
            &api(json!({"error":"","error_description":"Not found"})),
        );
        assert_eq!(e.kind(), "not_found");
        let e = Bitrix24Error::from_api(
            "tasks.task.get",
            400,
            &api(json!({"error":"100","error_description":"Required field"})),
        );
        assert_eq!(e.kind(), "refused");
        let e = Bitrix24Error::from_api(
            "x.y",
            500,
            &api(json!({"error":"PORTAL_DELETED","error_description":""})),
        );
        assert!(e.is_transient());
        let e = Bitrix24Error::from_api(
            "tasks.task.chat.message.send",
            404,
            &api(json!({"error":"ERROR_METHOD_NOT_FOUND","error_description":"Method not found!"})),
        );
        assert_eq!(e.kind(), "method_missing");
        assert!(e.to_string().contains("edition"), "{e}");
    }

    #[test]
    fn the_job_queue_hears_retry_or_permanent() {
        let limited = Bitrix24Error::RateLimited {
            retry_after: Duration::from_secs(3),
        };
        assert!(
            matches!(JobError::from(limited), JobError::RetryAfter { after, .. } if after == Duration::from_secs(3))
        );
        let down = Bitrix24Error::Network {
            portal: "p".into(),
            message: "timed out".into(),
        };
        assert!(matches!(JobError::from(down), JobError::Retry(_)));
        let scope = Bitrix24Error::MissingScope {
            method: "user.get".into(),
            scope: "user".into(),
        };
        assert!(matches!(JobError::from(scope), JobError::Permanent(_)));
    }

    #[test]
    fn scopes_by_method() {
        assert_eq!(scope_of("task.commentitem.add"), "task");
        assert_eq!(scope_of("tasks.task.list"), "task");
        assert_eq!(scope_of("tasks.task.chat.message.send"), "tasks");
        assert_eq!(scope_of("user.get"), "user");
        assert_eq!(scope_of("crm.item.list"), "crm");
        assert_eq!(scope_of("im.notify.system.add"), "im");
    }
}
