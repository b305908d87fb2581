//! What the client reports to the hub's Prometheus endpoint: requests per method and outcome,
//! how long they took, and how long they waited for the bucket (a back-fill that spends its
//! time there is paced by the portal's plan, not by Shtab).

use std::time::Duration;

pub const REQUESTS: &str = "bitrix24_requests_total";
pub const REQUEST_SECONDS: &str = "bitrix24_request_duration_seconds";
pub const BUCKET_WAIT_SECONDS: &str = "bitrix24_bucket_wait_seconds";

/// One HTTP request to the portal and how it ended: `ok`, or what went wrong
/// (`query_limit`, `expired_token`, `redirect`, an error's kind).
pub fn request(method: &str, outcome: &'static str, took: Duration) {
    metrics::counter!(REQUESTS, "method" => method.to_owned(), "outcome" => outcome).increment(1);
    metrics::histogram!(REQUEST_SECONDS, "method" => method.to_owned()).record(took.as_secs_f64());
}

/// Time a request waited for its place in the bucket, or for the method's resource time.
pub fn waited(method: &str, reason: &'static str, wait: Duration) {
    metrics::histogram!(BUCKET_WAIT_SECONDS, "method" => method.to_owned(), "reason" => reason)
        .record(wait.as_secs_f64());
}
