//! The local application's OAuth tokens: an expired token is refreshed once (secrets in a form
//! body), concurrent calls share one refresh, a refresh another hub holds is waited for, a dead
//! refresh token fails clearly.

use std::sync::Arc;

use shtab_bitrix24::client::{
    AppCredentials, Bitrix24Error, Client, Credentials, Lease, MemoryTokenStore, PortalOrigin,
    RefreshClaim, TokenStore, Tokens,
};
use shtab_bitrix24::fake::FakePortal;
use shtab_core::config::Secret;

use super::{fast_config, portal};

const CLIENT_SECRET: &str = "app-secret-77";

fn tokens(access: &str, refresh: &str) -> Tokens {
    Tokens {
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        expires_at: chrono::Utc::now().timestamp() + 3600,
        scope: "task,user,im".into(),
    }
}

fn app_client(fake: &FakePortal, store: Arc<dyn TokenStore>) -> Client {
    let credentials = Credentials::App(AppCredentials {
        portal: PortalOrigin::parse(&fake.origin()).unwrap(),
        client_id: "local.app.1".into(),
        client_secret: Secret::new(CLIENT_SECRET),
        oauth_url: fake.oauth_url(),
        store,
    });
    Client::new(credentials, fast_config()).unwrap()
}

#[tokio::test]
async fn the_token_goes_in_the_body_and_an_expired_one_is_refreshed_once_by_a_form_post() {
    let (fake, _) = portal().await;
    let (access, refresh) = fake.install_app("local.app.1", CLIENT_SECRET);
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(&access, &refresh))));
    let client = app_client(&fake, store.clone());

    client.call("profile", &()).await.unwrap();
    assert!(fake.refreshes().is_empty(), "a live token is not refreshed");

    fake.expire_access_token();
    client.call("profile", &()).await.unwrap();
    let refreshes = fake.refreshes();
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].query, None, "no secret in the address");
    assert!(
        refreshes[0].form.contains("grant_type=refresh_token"),
        "{}",
        refreshes[0].form
    );
    assert!(
        refreshes[0]
            .form
            .contains(&format!("client_secret={CLIENT_SECRET}"))
    );
    assert!(refreshes[0].form.contains("refresh_token=refresh-0"));
    // The rotated pair is kept: the old refresh token no longer works.
    let stored = store.load().await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.expose(), "refresh-1");
    assert_eq!(stored.access_token.expose(), "access-1");
    // Every call carried its token in the body, none in the address.
    for r in fake.http_requests() {
        assert_eq!(r.query, None);
    }
    let last = fake.http_requests().pop().unwrap();
    assert_eq!(last.body()["auth"], "access-1");
}

#[tokio::test]
async fn concurrent_calls_with_an_expired_token_share_one_refresh() {
    let (fake, _) = portal().await;
    let (access, refresh) = fake.install_app("local.app.1", CLIENT_SECRET);
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(&access, &refresh))));
    let client = app_client(&fake, store);
    fake.expire_access_token();
    let mut calls = Vec::new();
    for _ in 0..6 {
        let c = client.clone();
        calls.push(tokio::spawn(async move {
            c.call("user.current", &()).await.map(|_| ())
        }));
    }
    for call in calls {
        call.await.unwrap().expect("every call succeeds");
    }
    assert_eq!(
        fake.refreshes().len(),
        1,
        "refresh tokens rotate: one refresh, shared"
    );
}

#[tokio::test]
async fn a_dead_refresh_token_fails_clearly_and_asks_for_a_new_authorisation() {
    let (fake, _) = portal().await;
    let (access, _) = fake.install_app("local.app.1", CLIENT_SECRET);
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(
        &access,
        "refresh-stale",
    ))));
    let client = app_client(&fake, store);
    fake.expire_access_token();
    let err = client.call("profile", &()).await.unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::AppNotAuthorised { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("invalid_grant"), "{err}");
    assert!(
        err.to_string().contains("authorise the application again"),
        "{err}"
    );
    assert!(!err.is_transient());
    assert_eq!(fake.refreshes().len(), 1);
}

#[tokio::test]
async fn a_token_refused_again_after_a_refresh_is_not_refreshed_twice() {
    let (fake, _) = portal().await;
    let (_, refresh) = fake.install_app("local.app.1", CLIENT_SECRET);
    // A token the portal never issued: `invalid_token`, treated like an expired one.
    let store = Arc::new(MemoryTokenStore::new(Some(tokens("forged", &refresh))));
    let client = app_client(&fake, store);
    client
        .call("profile", &())
        .await
        .expect("refreshed once, then fine");
    assert_eq!(fake.refreshes().len(), 1);
}

#[tokio::test]
async fn an_application_not_yet_authorised_says_so_without_calling() {
    let (fake, _) = portal().await;
    fake.install_app("local.app.1", CLIENT_SECRET);
    let client = app_client(&fake, Arc::new(MemoryTokenStore::new(None)));
    let err = client.call("profile", &()).await.unwrap_err();
    assert!(
        matches!(err, Bitrix24Error::AppNotConnected { .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), "not_connected");
    assert!(err.to_string().contains("settings page"), "{err}");
    assert!(fake.http_requests().is_empty());
    assert!(fake.token_requests().is_empty());
}

#[tokio::test]
async fn secrets_never_show_in_debug_output() {
    let (fake, _) = portal().await;
    let store = Arc::new(MemoryTokenStore::new(Some(tokens(
        "access-secret-1",
        "refresh-secret-1",
    ))));
    let client = app_client(&fake, store.clone());
    let shown = format!("{client:?} {:?}", store.load().await.unwrap());
    for secret in [CLIENT_SECRET, "access-secret-1", "refresh-secret-1"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// A store shared with another hub: the first reads return the pair as it was before the
/// other hub refreshed it.
struct SharedWithAnotherHub {
    stale: Tokens,
    stale_reads: std::sync::Mutex<usize>,
    inner: MemoryTokenStore,
}

#[async_trait::async_trait]
impl TokenStore for SharedWithAnotherHub {
    async fn load(&self) -> Result<Option<Tokens>, String> {
        {
            let mut left = self.stale_reads.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                return Ok(Some(self.stale.clone()));
            }
        }
        self.inner.load().await
    }

    async fn save(&self, tokens: &Tokens) -> Result<(), String> {
        self.inner.save(tokens).await
    }
}

#[tokio::test]
async fn when_another_hub_rotated_the_tokens_first_its_pair_is_used_not_an_error() {
    let (fake, _) = portal().await;
    let (access, refresh) = fake.install_app("local.app.1", CLIENT_SECRET);
    let shared = Arc::new(MemoryTokenStore::new(Some(tokens(&access, &refresh))));
    // The other hub refreshes first.
    fake.expire_access_token();
    app_client(&fake, shared.clone())
        .call("profile", &())
        .await
        .unwrap();
    let rotated = shared.load().await.unwrap().unwrap();
    // This hub read the store before that: its first two reads still see the old pair.
    let store = Arc::new(SharedWithAnotherHub {
        stale: tokens(&access, &refresh),
        stale_reads: std::sync::Mutex::new(2),
        inner: MemoryTokenStore::new(Some(rotated.clone())),
    });
    let client = app_client(&fake, store);
    client
        .call("profile", &())
        .await
        .expect("uses the other hub's pair");
    assert_eq!(
        fake.refreshes().len(),
        2,
        "the other hub's, and this hub's refused one"
    );
    assert_eq!(
        fake.http_requests().last().unwrap().body()["auth"],
        rotated.access_token.expose()
    );
}

/// A store shared with another hub that is refreshing right now: the first claim finds the
/// refresh taken; by the next look the other hub has stored its new pair.
struct AnotherHubRefreshing {
    inner: MemoryTokenStore,
    rotated: Tokens,
    claims: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl TokenStore for AnotherHubRefreshing {
    async fn load(&self) -> Result<Option<Tokens>, String> {
        self.inner.load().await
    }

    async fn save(&self, tokens: &Tokens) -> Result<(), String> {
        self.inner.save(tokens).await
    }

    async fn claim_refresh(
        &self,
        read: &Tokens,
        _lease_for: std::time::Duration,
    ) -> Result<RefreshClaim, String> {
        let first = {
            let mut claims = self.claims.lock().unwrap();
            claims.push(read.refresh_token.expose().to_owned());
            claims.len() == 1
        };
        if first {
            // The other hub holds the lease, and finishes while this one waits.
            self.inner.save(&self.rotated).await?;
            return Ok(RefreshClaim::Busy);
        }
        Ok(RefreshClaim::Granted(Lease("this hub".into())))
    }
}

#[tokio::test]
async fn a_refresh_another_hub_holds_is_waited_for_and_its_pair_used() {
    let (fake, _) = portal().await;
    let (access, refresh) = fake.install_app("local.app.1", CLIENT_SECRET);
    let other = Arc::new(MemoryTokenStore::new(Some(tokens(&access, &refresh))));
    fake.expire_access_token();
    app_client(&fake, other.clone())
        .call("profile", &())
        .await
        .unwrap();
    let rotated = other.load().await.unwrap().unwrap();
    let store = Arc::new(AnotherHubRefreshing {
        inner: MemoryTokenStore::new(Some(tokens(&access, &refresh))),
        rotated: rotated.clone(),
        claims: std::sync::Mutex::new(Vec::new()),
    });
    app_client(&fake, store.clone())
        .call("profile", &())
        .await
        .expect("the other hub's pair works");
    assert_eq!(
        fake.refreshes().len(),
        1,
        "only the other hub refreshed: this one waited"
    );
    assert_eq!(*store.claims.lock().unwrap(), vec![refresh.clone()]);
    assert_eq!(
        fake.http_requests().last().unwrap().body()["auth"],
        rotated.access_token.expose()
    );
}
