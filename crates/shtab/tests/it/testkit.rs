#![allow(dead_code)] // helpers serve many test modules; not every module uses each one

//! The test application: a hub on a free loopback port with its own database, and clients
//! that act as a logged-in person or an API token.
//!
//! The database is a temporary SQLite file, or, when `SHTAB_TEST_DATABASE_URL` names a
//! PostgreSQL server, a fresh database created on it for this test and dropped after.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use shtab_core::audit::Actor;
use shtab_core::auth::{Role, users};
use shtab_core::config::{Config, Secret};
use shtab_core::db::{self, Db};
use shtab_core::types::Email;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub addr: SocketAddr,
    pub db: Db,
    pub config: Arc<Config>,
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    _pg: Option<PgDatabase>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`spawn`], letting the test adjust the configuration first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        let pg = match postgres_url() {
            Some(server) => {
                let created = PgDatabase::create(&server).await;
                config.database.url = Secret::new(created.url.clone());
                Some(created)
            }
            None => None,
        };
        adjust(&mut config);
        Self::start(config, dir, pg).await
    }

    /// A second hub on this hub's database, as two `shtab serve` behind one proxy are: its
    /// own server and pool, the same data.
    pub async fn another_hub(&self) -> TestApp {
        let config = (*self.config).clone();
        Self::start(config, tempfile::tempdir().expect("temp dir"), None).await
    }

    async fn start(mut config: Config, dir: tempfile::TempDir, pg: Option<PgDatabase>) -> TestApp {
        let db = db::connect(&config)
            .await
            .expect("connect to the test database");
        db.migrate(shtab::server::CAPABILITY_MIGRATIONS)
            .await
            .expect("migrate the test database");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().unwrap();
        config.server.public_url = format!("http://{addr}");
        let config = Arc::new(config);
        let app = shtab::server::application(db.clone(), config.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = shtab::server::serve(listener, app, async {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            base: format!("http://{addr}"),
            addr,
            db,
            config,
            dir,
            shutdown: Some(tx),
            _pg: pg,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The number a `SELECT COUNT(*) …` of the hub's database answers.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(self.db.pool())
            .await
            .unwrap()
    }

    /// Adds a person to the directory (not a user).
    pub async fn add_person(&self, name: &str, email: &str) -> shtab_core::ids::PersonId {
        let input = shtab_core::people::RawPersonInput {
            full_name: name.into(),
            emails: vec![email.into()],
            ..Default::default()
        }
        .parse()
        .expect("a valid person");
        shtab_core::people::create(&self.db, &Actor::system("test"), &input)
            .await
            .expect("add person")
            .id
    }

    /// Creates a user (and their person) with the test password.
    pub async fn create_user(&self, email: &str, name: &str, roles: &[Role]) -> users::User {
        let email = Email::parse("email", email).unwrap();
        users::create_with_person(
            &self.db,
            &Actor::system("test"),
            &email,
            Some(name),
            roles,
            Some(PASSWORD),
        )
        .await
        .expect("create user")
    }

    /// A browser-like client logged in as a new user with `roles`.
    pub async fn login_as(&self, email: &str, roles: &[Role]) -> WebClient {
        self.create_user(email, email.split('@').next().unwrap(), roles)
            .await;
        self.login(email, PASSWORD).await
    }

    pub async fn admin(&self) -> WebClient {
        self.login_as("admin@agency.test", &[Role::Admin]).await
    }

    /// Logs in through the login form, as a browser does.
    pub async fn login(&self, email: &str, password: &str) -> WebClient {
        let client = WebClient::new(&self.base);
        let response = client.try_login(email, password).await;
        assert!(
            response.status().is_redirection(),
            "login of {email} failed: {}",
            response.status()
        );
        client
    }

    /// An API token for a new user with `roles`.
    pub async fn token_as(&self, email: &str, roles: &[Role]) -> ApiClient {
        let user = self
            .create_user(email, email.split('@').next().unwrap(), roles)
            .await;
        let (_, secret) =
            shtab_core::auth::tokens::create(&self.db, &Actor::system("test"), user.id, "test")
                .await
                .expect("token");
        ApiClient::new(&self.base, &secret)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("SHTAB_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database of its own on the test PostgreSQL server, dropped when the test ends.
pub struct PgDatabase {
    server: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create(server: &str) -> PgDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "shtab_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            shtab_core::auth::random_token()[..8]
                .to_lowercase()
                .replace(['-', '_'], "x")
        );
        admin_sql(server, &format!("CREATE DATABASE {name}")).await;
        let (base, _) = server
            .rsplit_once('/')
            .expect("SHTAB_TEST_DATABASE_URL ends in /database");
        PgDatabase {
            server: server.to_string(),
            name: name.clone(),
            url: format!("{base}/{name}"),
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let server = self.server.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // Drop cannot wait on the test's runtime; a short-lived one on its own thread can.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(admin_sql(&server, &sql));
        })
        .join();
    }
}

async fn admin_sql(server: &str, sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(server)
        .await
        .expect("connect to SHTAB_TEST_DATABASE_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .expect(sql);
    let _ = conn.close().await;
}

/// A client that keeps cookies, like a browser, and knows its session's CSRF token.
pub struct WebClient {
    pub http: reqwest::Client,
    base: String,
}

impl WebClient {
    pub fn new(base: &str) -> WebClient {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        WebClient {
            http,
            base: base.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Posts the login form (with the token the form page hands out) and returns the answer.
    pub async fn try_login(&self, email: &str, password: &str) -> reqwest::Response {
        let form = self.get_text("/login").await;
        let csrf = hidden_value(&form, "csrf_token").expect("the login form has a csrf_token");
        self.http
            .post(self.url("/login"))
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// The session's CSRF token, as the pages carry it.
    pub async fn csrf(&self) -> String {
        let page = self.get_text("/settings").await;
        hidden_value(&page, "csrf_token").expect("logged-in pages carry the CSRF token")
    }

    /// Submits a form as a browser would: with the session's CSRF token in the form.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &csrf));
        self.http
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .unwrap()
    }
}

/// Reads `<input type="hidden" name="NAME" value="...">` from a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// A client of `/api/v1` with a bearer token.
pub struct ApiClient {
    pub http: reqwest::Client,
    base: String,
    token: String,
}

impl ApiClient {
    pub fn new(base: &str, token: &str) -> ApiClient {
        ApiClient {
            http: reqwest::Client::new(),
            base: base.to_string(),
            token: token.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The same token, calling the hub at `base` (another hub on the same database).
    pub fn on(&self, base: &str) -> ApiClient {
        ApiClient::new(base, &self.token)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.token)
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(&self.token)
    }

    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.patch(self.url(path)).bearer_auth(&self.token)
    }

    pub fn put(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.put(self.url(path)).bearer_auth(&self.token)
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(&self.token)
    }
}

/// Sends and decodes JSON, asserting the status first so a failure shows the body.
pub async fn json(request: reqwest::RequestBuilder, expected: u16) -> serde_json::Value {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(status, expected, "unexpected status; body: {body}");
    serde_json::from_str(&body).unwrap_or(serde_json::Value::Null)
}
