//! The client against the fake portal: one binary, one module per area. Every test starts its
//! own fake on a free port of 127.0.0.1.

mod auth;
mod batch;
mod calls;
mod limits;
mod metrics;
mod oauth;
mod paging;
mod redirect;
mod tracker;

use std::time::Duration;

use shtab_bitrix24::client::{Client, ClientConfig, RateLimit};
use shtab_bitrix24::fake::{FakePortal, FakeTask, FakeUser};

/// reqwest is built without a TLS provider of its own: install the process's one first.
#[ctor::ctor(unsafe)]
fn install_tls_provider() {
    shtab_core::tls::install_crypto_provider();
}

/// A client that paces and retries as in production, but without waiting a second between
/// tries, so the tests run fast. The waits' lengths are the limiter's unit tests' business.
pub fn fast_config() -> ClientConfig {
    ClientConfig {
        limit: RateLimit {
            rate: 1000.0,
            burst: 1000.0,
        },
        timeout: Duration::from_secs(10),
        attempts: 3,
        backoff_base: Duration::ZERO,
        max_wait: Duration::from_secs(5),
        ..ClientConfig::default()
    }
}

/// A fake with the webhook's user, user 7, and tasks 101 and 102.
pub async fn portal() -> (FakePortal, Client) {
    let fake = FakePortal::start().await;
    fake.add_user(FakeUser::new(1, "Anna", "Admin", "anna@agency.example"));
    fake.add_user(FakeUser::new(
        7,
        "Ivan",
        "Petrov",
        "Ivan.Petrov@agency.example",
    ));
    fake.add_task(FakeTask::new(101, "Landing page"));
    fake.add_task(FakeTask::new(102, "Checkout"));
    let client = Client::webhook(&fake.webhook_url(), fast_config()).expect("client");
    (fake, client)
}
