//! A local application's authorisation against the fake portal and OAuth server: the
//! portal's authorisation page hands back a code with `state`, `domain` and `member_id`; the
//! code is exchanged once, by a form POST, for tokens naming the portal that issued it.

use std::sync::Arc;

use shtab_bitrix24::client::{
    AppCredentials, Bitrix24Error, Client, Credentials, MemoryTokenStore, PortalOrigin,
};
use shtab_bitrix24::fake::FakePortal;
use shtab_core::config::Secret;

use super::{fast_config, portal};

const CLIENT_ID: &str = "local.66f1c2a0.70414732";
const CLIENT_SECRET: &str = "app-secret-77";
const HANDLER: &str = "http://127.0.0.1:9/settings/bitrix24/oauth/callback";

/// A client for `portal`'s application whose OAuth server is `oauth`'s.
fn app_client(portal: &FakePortal, oauth: &FakePortal) -> Client {
    let credentials = Credentials::App(AppCredentials {
        portal: PortalOrigin::parse(&portal.origin()).unwrap(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        oauth_url: oauth.oauth_url(),
        store: Arc::new(MemoryTokenStore::new(None)),
    });
    Client::new(credentials, fast_config()).unwrap()
}

/// Opens the authorisation page as the administrator's browser would; returns where the
/// portal sends them back, as (name, value) pairs of its query.
async fn authorise_at(portal: &FakePortal, client: &Client, state: &str) -> Vec<(String, String)> {
    let mut url = client.authorize_url(state).unwrap();
    // The address is the configured portal's; `portal` may be another one (a forged flow).
    let origin = reqwest::Url::parse(&portal.origin()).unwrap();
    url.set_port(origin.port()).unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(url).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(HANDLER), "{back}");
    reqwest::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} in {pairs:?}"))
}

#[tokio::test]
async fn a_code_is_exchanged_once_by_a_form_post_for_tokens_naming_the_portal() {
    let (fake, _) = portal().await;
    fake.install_app(CLIENT_ID, CLIENT_SECRET);
    fake.set_app_handler(HANDLER);
    let client = app_client(&fake, &fake);

    let url = client.authorize_url("st-1").unwrap();
    assert_eq!(
        url.as_str(),
        format!(
            "{}/oauth/authorize/?client_id={CLIENT_ID}&state=st-1",
            fake.origin()
        )
    );
    let back = authorise_at(&fake, &client, "st-1").await;
    assert_eq!(value(&back, "state"), "st-1");
    assert_eq!(
        value(&back, "domain"),
        fake.origin().trim_start_matches("http://")
    );
    assert_eq!(value(&back, "member_id"), fake.member_id());
    assert_eq!(value(&back, "server_domain"), "oauth.bitrix.info");
    let code = value(&back, "code").to_owned();

    let grant = client.exchange_code(&code).await.unwrap();
    assert_eq!(grant.portal.unwrap().as_str(), fake.origin());
    assert_eq!(grant.member_id, fake.member_id());
    assert_eq!(grant.portal_user_id, Some(1));
    assert_eq!(grant.tokens.access_token.expose(), "access-1");
    assert_eq!(grant.tokens.refresh_token.expose(), "refresh-1");
    assert!(grant.tokens.scope.split(',').any(|s| s == "task"));

    let sent = fake.token_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].query, None, "no secret in the address");
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&sent[0].form).unwrap();
    assert_eq!(
        form,
        [
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", code.as_str()),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );

    // A code works once.
    let again = client.exchange_code(&code).await.unwrap_err();
    assert!(
        matches!(again, Bitrix24Error::AppNotAuthorised { .. }),
        "{again:?}"
    );
    assert!(again.to_string().contains("invalid_grant"), "{again}");
    assert!(!again.to_string().contains(CLIENT_SECRET));
}

#[tokio::test]
async fn a_code_issued_by_another_portal_is_answered_as_that_portals() {
    let (ours, _) = portal().await;
    let (theirs, _) = portal().await;
    ours.install_app(CLIENT_ID, CLIENT_SECRET);
    theirs.install_app(CLIENT_ID, CLIENT_SECRET);
    theirs.set_app_handler(HANDLER);
    // Configured for our portal; the code comes from theirs. The OAuth server is one for all
    // portals, so it says whose the tokens are.
    let client = app_client(&ours, &ours);
    let back = authorise_at(&theirs, &client, "st-2").await;
    assert_eq!(value(&back, "member_id"), theirs.member_id());
    let grant = client.exchange_code(value(&back, "code")).await.unwrap();
    assert_eq!(grant.portal.unwrap().as_str(), theirs.origin());
    assert_eq!(grant.member_id, theirs.member_id());
    assert_ne!(theirs.member_id(), ours.member_id());
}

#[tokio::test]
async fn an_application_the_portal_does_not_have_gets_an_error_page() {
    let (fake, _) = portal().await;
    fake.install_app("local.other", CLIENT_SECRET);
    let client = app_client(&fake, &fake);
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(client.authorize_url("st-3").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let webhook = Client::webhook(&fake.webhook_url(), fast_config()).unwrap();
    assert!(matches!(
        webhook.authorize_url("x"),
        Err(Bitrix24Error::Config(_))
    ));
}
