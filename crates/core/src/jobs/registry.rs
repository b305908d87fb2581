use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{Job, JobError};
use crate::db::Db;

/// What a handler knows about the attempt it is making.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub job_id: i64,
    /// 1 for the first attempt.
    pub attempt: i64,
}

type BoxedFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;
type Handler = Arc<dyn Fn(String, JobContext) -> BoxedFuture + Send + Sync>;

/// The handlers of the job kinds this process runs. Workers claim only these kinds, so a
/// process that does not know a kind (an older version during an upgrade) leaves it alone.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the handler of job kind `J`. A payload that does not decode fails the job
    /// for good: retrying would not make it decode.
    pub fn register<J, F, Fut>(mut self, handler: F) -> Self
    where
        J: Job,
        F: Fn(J, JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let boxed: Handler = Arc::new(move |payload: String, ctx: JobContext| {
            let handler = handler.clone();
            Box::pin(async move {
                let job: J = serde_json::from_str(&payload).map_err(|e| {
                    JobError::Permanent(format!("payload of {} does not decode: {e}", J::KIND))
                })?;
                handler(job, ctx).await
            }) as BoxedFuture
        });
        self.handlers.insert(J::KIND, boxed);
        self
    }

    /// Adds every handler of `other`.
    pub fn merge(mut self, other: Registry) -> Self {
        self.handlers.extend(other.handlers);
        self
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = self.handlers.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }

    pub(super) fn start(&self, kind: &str, payload: String, ctx: JobContext) -> BoxedFuture {
        match self.handlers.get(kind) {
            Some(h) => h(payload, ctx),
            None => {
                let kind = kind.to_string();
                Box::pin(async move {
                    Err(JobError::Permanent(format!(
                        "no handler for job kind {kind}"
                    )))
                })
            }
        }
    }
}
