//! The portal's two limits: the request-rate bucket (503) and resource time per method (429).

use std::time::Duration;

use serde_json::json;
use shtab_bitrix24::client::{Bitrix24Error, Client, ClientConfig, RateLimit};
use shtab_bitrix24::fake::Fault;
use shtab_core::jobs::JobError;

use super::{fast_config, portal};

#[tokio::test]
async fn a_503_backs_off_slows_the_bucket_and_the_call_still_succeeds() {
    let (fake, client) = portal().await;
    fake.fail_next(None, Fault::QueryLimit);
    client
        .call("tasks.task.list", &json!({"filter": {"ID": 101}}))
        .await
        .unwrap();
    let sent = fake.http_requests();
    assert_eq!(sent.len(), 2, "the call was repeated once");
    assert_eq!(sent[1].body(), sent[0].body(), "with the same parameters");
    let budget = client.budget();
    assert_eq!(budget.limited, 1);
    assert!(
        budget.rate < budget.configured_rate,
        "slowed down: {budget:?}"
    );
}

#[tokio::test]
async fn repeated_503s_that_do_not_pass_end_as_a_transient_error_the_job_queue_retries_later() {
    let (fake, client) = portal().await;
    for _ in 0..3 {
        fake.fail_next(None, Fault::QueryLimit);
    }
    let err = client.call("user.get", &json!({})).await.unwrap_err();
    assert!(matches!(err, Bitrix24Error::RateLimited { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(matches!(JobError::from(err), JobError::RetryAfter { .. }));
    assert_eq!(fake.http_requests().len(), 3);
}

#[tokio::test]
async fn a_429_waits_for_the_methods_reset_then_repeats_the_call() {
    let (fake, client) = portal().await;
    fake.fail_next(
        Some("tasks.task.list"),
        Fault::OperationTimeLimit {
            reset_in: Duration::ZERO,
        },
    );
    client.call("tasks.task.list", &json!({})).await.unwrap();
    assert_eq!(fake.http_requests().len(), 2);
}

#[tokio::test]
async fn a_429_whose_reset_is_far_off_fails_at_once_saying_when_to_come_back() {
    let (fake, client) = portal().await;
    fake.fail_next(
        Some("tasks.task.list"),
        Fault::OperationTimeLimit {
            reset_in: Duration::from_secs(500),
        },
    );
    let err = client
        .call("tasks.task.list", &json!({}))
        .await
        .unwrap_err();
    let Bitrix24Error::OperationTimeLimit {
        ref method,
        retry_after,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(method, "tasks.task.list");
    assert!(retry_after >= Duration::from_secs(490), "{retry_after:?}");
    assert!(
        matches!(JobError::from(err), JobError::RetryAfter { after, .. } if after >= Duration::from_secs(490))
    );
    assert_eq!(
        fake.http_requests().len(),
        1,
        "no second try before the reset"
    );
}

#[tokio::test]
async fn a_method_near_its_resource_time_waits_before_the_portal_blocks_it_others_go_on() {
    let (fake, client) = portal().await;
    fake.set_operating("tasks.task.list", 477.0, 400.0);
    client.call("tasks.task.list", &json!({})).await.unwrap();
    let usage = client.operating_usage();
    assert_eq!(usage, vec![("tasks.task.list".to_owned(), 477.0, 480.0)]);
    // The next call of that method would be blocked: it is not sent.
    let err = client
        .call("tasks.task.list", &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::OperationTimeLimit { .. }),
        "{err:?}"
    );
    assert_eq!(fake.calls_of("tasks.task.list").len(), 1);
    // Another method has its own count.
    client.call("user.get", &json!({})).await.unwrap();
}

#[tokio::test]
async fn a_client_paced_like_the_portal_never_overflows_its_bucket() {
    let (fake, _) = portal().await;
    fake.limit_rate(10.0, 5.0);
    let config = ClientConfig {
        limit: RateLimit {
            rate: 10.0,
            burst: 5.0,
        },
        ..fast_config()
    };
    let client = Client::webhook(&fake.webhook_url(), config).unwrap();
    let mut calls = Vec::new();
    for _ in 0..15 {
        let c = client.clone();
        calls.push(tokio::spawn(async move {
            c.call("profile", &()).await.map(|_| ())
        }));
    }
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(fake.limited(), 0, "no 503 from the portal");
    assert_eq!(fake.http_requests().len(), 15);
}

#[tokio::test]
async fn without_pacing_the_fakes_bucket_answers_503() {
    // The fake's bucket is real: the test above would fail without the client's limiter.
    let (fake, client) = portal().await;
    fake.limit_rate(0.5, 3.0);
    for _ in 0..3 {
        client.call("profile", &()).await.unwrap();
    }
    let err = client.call("profile", &()).await;
    assert!(fake.limited() >= 1, "{err:?}");
}
