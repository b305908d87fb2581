//! The connectors against in-process fakes of the systems they drive. Each fake keeps the
//! system's state (links, members, mailboxes, users), answers the documented shapes, and
//! records every request so a test can assert exactly what was sent.

mod command;
mod mailcow;
mod mattermost;
mod registry;
mod telegram;
mod yandex360;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

use super::{ConnectorError, GrantWork, PersonInfo, ResourceInfo};

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    /// The JSON body; `Null` when there was none.
    pub body: Value,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `"POST /api/v4/teams/x/members"`, for asserting the order of calls.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// How a fake answers: status and JSON body, from its state and the request.
pub type Respond<S> = fn(&mut S, &Seen) -> (u16, Value);

pub struct Fake<S> {
    pub url: String,
    state: Arc<Mutex<S>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// When set, every request is answered with this instead (an outage, a broken proxy).
    outage: Arc<Mutex<Option<(u16, String)>>>,
    stop: Option<oneshot::Sender<()>>,
}

impl<S: Send + 'static> Fake<S> {
    pub async fn start(state: S, respond: Respond<S>) -> Fake<S> {
        let state = Arc::new(Mutex::new(state));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let outage: Arc<Mutex<Option<(u16, String)>>> = Arc::new(Mutex::new(None));
        let (s, r, o) = (state.clone(), seen.clone(), outage.clone());
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (state, seen, outage) = (s.clone(), r.clone(), o.clone());
                async move {
                    let request = Seen {
                        method: method.to_string(),
                        path: uri.path().to_owned(),
                        query: uri.query().unwrap_or("").to_owned(),
                        headers,
                        body: if body.is_empty() {
                            Value::Null
                        } else {
                            serde_json::from_slice(&body).unwrap_or_else(|_| {
                                Value::String(String::from_utf8_lossy(&body).into_owned())
                            })
                        },
                    };
                    seen.lock().unwrap().push(request.clone());
                    if let Some((status, text)) = outage.lock().unwrap().clone() {
                        return (StatusCode::from_u16(status).unwrap(), text).into_response();
                    }
                    let (status, answer) = respond(&mut state.lock().unwrap(), &request);
                    (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response()
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Fake {
            url,
            state,
            seen,
            outage,
            stop: Some(stop),
        }
    }

    /// The requests received since the last call.
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.seen.lock().unwrap())
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    /// Answer every request with `status` and `text` until cleared.
    pub fn outage(&self, status: u16, text: &str) {
        *self.outage.lock().unwrap() = Some((status, text.to_owned()));
    }

    pub fn restore(&self) {
        *self.outage.lock().unwrap() = None;
    }
}

impl<S> Drop for Fake<S> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The kind of client the hub passes: no redirects, the process's TLS provider installed.
pub fn client() -> reqwest::Client {
    shtab_core::tls::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn person() -> PersonInfo {
    PersonInfo {
        id: 3,
        full_name: "Иван Петров".into(),
        email: Some("ivan.petrov@agency.ru".into()),
        login: "ivan.petrov".into(),
        chat_ids: Map::new(),
    }
}

pub fn work(connector: &str, settings: Value, secret: &str, previous: Value) -> GrantWork {
    GrantWork {
        grant_id: 7,
        person: person(),
        resource: ResourceInfo {
            id: 2,
            name: format!("{connector} resource"),
            connector: connector.into(),
            settings,
            secret: secret.into(),
        },
        previous,
    }
}

/// A port nothing listens on: the system is down.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

pub fn permanent(result: Result<super::Applied, ConnectorError>) -> String {
    match result {
        Err(ConnectorError::Permanent(m)) => m,
        other => panic!("expected a permanent failure, got {other:?}"),
    }
}

pub fn retryable(result: Result<super::Applied, ConnectorError>) -> String {
    match result {
        Err(ConnectorError::Retryable(m)) => m,
        other => panic!("expected a retryable failure, got {other:?}"),
    }
}

#[test]
fn a_resources_debug_never_shows_its_secret() {
    let w = work("mailcow", json!({}), "s3cr3t-key", Value::Null);
    assert!(!format!("{w:?}").contains("s3cr3t-key"));
    assert!(
        !serde_json::to_string(&w.resource)
            .unwrap()
            .contains("s3cr3t-key")
    );
}
