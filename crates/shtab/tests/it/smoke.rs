use crate::testkit::TestApp;

#[tokio::test]
async fn healthz_answers_ok_and_pages_ask_for_login() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    let client = crate::testkit::WebClient::new(&app.base);
    let r = client.get("/people").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?next=%2Fpeople");
}

#[tokio::test]
async fn an_admin_logs_in_and_sees_the_home_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let home = admin.get_text("/").await;
    assert!(home.contains("Здравствуйте"), "{home}");
}
