//! A fake Shtab hub that serves exactly the `/agent/v1/` protocol of
//! `shtab_access_protocol`, on 127.0.0.1 port 0, and records what the agent sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use shtab_access_protocol::{DesiredState, Register, Registered, Report};
use tokio::sync::oneshot;

#[derive(Default)]
pub struct Recorded {
    pub token: String,
    pub state: Option<DesiredState>,
    pub registrations: Vec<Register>,
    pub reports: Vec<Report>,
    /// The `If-None-Match` of each state request.
    pub conditions: Vec<Option<String>>,
    pub not_modified: usize,
}

type Shared = Arc<Mutex<Recorded>>;

pub struct FakeHub {
    pub url: String,
    pub shared: Shared,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeHub {
    pub fn start(token: &str) -> FakeHub {
        let shared: Shared = Arc::new(Mutex::new(Recorded {
            token: token.to_owned(),
            ..Recorded::default()
        }));
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready, address) = std::sync::mpsc::channel::<SocketAddr>();
        let app = Router::new()
            .route("/agent/v1/register", post(register))
            .route("/agent/v1/state", get(state))
            .route("/agent/v1/report", post(report))
            .with_state(shared.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the fake hub");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind the fake hub");
                ready.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("the fake hub serves");
            });
        });
        let address = address.recv().expect("the fake hub started");
        FakeHub {
            url: format!("http://{address}"),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn serve(&self, state: DesiredState) {
        self.shared.lock().unwrap().state = Some(state);
    }

    pub fn set_token(&self, token: &str) {
        self.shared.lock().unwrap().token = token.to_owned();
    }

    pub fn reports(&self) -> Vec<Report> {
        self.shared.lock().unwrap().reports.clone()
    }

    /// Stops listening: later connections are refused, as in a hub outage.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the fake hub thread ended cleanly");
        }
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.stop();
    }
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let expected = format!("Bearer {}", shared.lock().unwrap().token);
    headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes() == expected.as_bytes())
}

async fn register(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Register>,
) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    shared.lock().unwrap().registrations.push(body);
    Json(Registered {
        server: "web-1".into(),
    })
    .into_response()
}

async fn state(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let condition = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut recorded = shared.lock().unwrap();
    recorded.conditions.push(condition.clone());
    let Some(state) = recorded.state.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", state.revision);
    if condition.as_deref() == Some(etag.as_str()) {
        recorded.not_modified += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    ([(header::ETAG, etag)], Json(state)).into_response()
}

async fn report(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Report>,
) -> Response {
    if !authorized(&shared, &headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    shared.lock().unwrap().reports.push(body);
    StatusCode::NO_CONTENT.into_response()
}
