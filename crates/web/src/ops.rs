//! Operations: `/healthz` for load balancers and containers, `/metrics` for Prometheus
//! (its database counts cached for `ops.metrics_cache_secs`), and the request metrics
//! behind it.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_page))
}

/// 200 when the database answers within two seconds, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    if state.db.ping(Duration::from_secs(2)).await {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
    }
}

async fn metrics_page(State(state): State<AppState>) -> Response {
    let (size, idle) = state.db.pool_stats();
    metrics::gauge!("db_pool_connections").set(f64::from(size));
    metrics::gauge!("db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("db_pool_max_connections")
        .set(f64::from(state.config.database.max_connections));
    let counts = state.metrics_counts.get(&state.db).await;
    // Jobs by kind and state, read from the queue itself so every hub process reports the
    // whole queue. A state with no jobs reads 0 rather than keeping its last value.
    if let Some(jobs) = &counts.jobs {
        let mut kinds: Vec<&str> = jobs.iter().map(|c| c.kind.as_str()).collect();
        kinds.dedup();
        for kind in kinds {
            for st in shtab_core::jobs::JobState::ALL {
                let n = jobs
                    .iter()
                    .find(|c| c.kind == kind && c.state == st.as_str())
                    .map_or(0, |c| c.count);
                metrics::gauge!("jobs", "kind" => kind.to_string(), "state" => st.as_str())
                    .set(n as f64);
            }
        }
    }
    // Runs per robot and status: queued, running, failed… for each robot.
    if let Some(runs) = &counts.runs {
        let mut names: Vec<&str> = runs.iter().map(|c| c.robot.as_str()).collect();
        names.dedup();
        for robot in names {
            for st in shtab_core::robots::RunStatus::ALL {
                let n = runs
                    .iter()
                    .find(|c| c.robot == robot && c.status == st.as_str())
                    .map_or(0, |c| c.count);
                metrics::gauge!("robot_runs", "robot" => robot.to_string(), "status" => st.as_str())
                    .set(n as f64);
            }
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// What `/metrics` reads from the database. `None` where the query failed (the gauges
/// then keep their last value).
#[derive(Debug, Clone, Default)]
pub struct Counts {
    jobs: Option<Vec<shtab_core::jobs::StateCount>>,
    runs: Option<Vec<shtab_core::robots::RunCount>>,
}

/// The database counts of `/metrics`, reused for a few seconds. `/metrics` is public, and
/// its counts are aggregate queries over whole tables: without this, anyone could keep the
/// database busy by asking in a loop. Requests that arrive while the counts are being
/// taken wait for them instead of taking their own.
pub struct CountsCache {
    for_how_long: Duration,
    latest: tokio::sync::Mutex<Option<(Instant, Arc<Counts>)>>,
}

impl CountsCache {
    pub fn new(for_how_long: Duration) -> CountsCache {
        CountsCache {
            for_how_long,
            latest: tokio::sync::Mutex::new(None),
        }
    }

    async fn get(&self, db: &shtab_core::db::Db) -> Arc<Counts> {
        let mut latest = self.latest.lock().await;
        if let Some((at, counts)) = latest.as_ref()
            && at.elapsed() < self.for_how_long
        {
            return counts.clone();
        }
        let counts = Arc::new(Counts {
            jobs: shtab_core::jobs::counts(db).await.ok(),
            runs: shtab_core::robots::run_counts(db).await.ok(),
        });
        *latest = Some((Instant::now(), counts.clone()));
        counts
    }
}

/// The process-wide metrics recorder. The `metrics` facade has one global recorder, so
/// every application built in this process (tests build many) shares it.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then ours just stays empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts requests and their durations by route pattern (not raw path, which would make
/// one series per person id).
pub async fn track_requests(req: Request<Body>, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
