//! The robot «Поиск тендеров» (`tenders.searches`): runs each enabled saved search whose own
//! schedule came due since its last run, counting found / new / updated. A search that
//! fails (the portal's error page, a timeout, broken XML) is logged with its name and
//! stores nothing; the other searches still run, and the run fails naming the broken ones.

use shtab_core::audit::Actor;
use shtab_core::robots::{LogLevel, Robot, RobotError, RunContext, Schedule};
use shtab_core::time::now_ms;
use shtab_core::types::Locale;

use crate::service::Ingest;
use crate::store::searches::{self, SavedSearch};

pub const NAME: &str = "tenders.searches";

pub struct Searches {
    ingest: Ingest,
    time_zone: String,
}

impl Searches {
    pub fn new(ingest: Ingest, time_zone: &str) -> Searches {
        Searches {
            ingest,
            time_zone: time_zone.to_owned(),
        }
    }

    /// A search runs when it never ran, or its schedule ticked since it last ran.
    fn is_due(&self, search: &SavedSearch, now: i64) -> bool {
        let Some(last) = search.last_run_at else {
            return true;
        };
        match Schedule::parse(&search.schedule, &self.time_zone) {
            Ok(schedule) => schedule.next_after(last).is_some_and(|next| next <= now),
            Err(_) => false,
        }
    }
}

#[async_trait::async_trait]
impl Robot for Searches {
    fn name(&self) -> &'static str {
        NAME
    }

    fn title(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ru => "Поиск тендеров",
            Locale::En => "Tender searches",
        }
    }

    fn default_schedule(&self) -> &'static str {
        "*/10 * * * *"
    }

    async fn run(&self, ctx: &RunContext) -> Result<(), RobotError> {
        for counter in ["found", "new", "updated"] {
            ctx.count(counter, 0).await?;
        }
        let now = now_ms();
        let due: Vec<SavedSearch> = searches::list(ctx.db())
            .await?
            .into_iter()
            .filter(|s| s.enabled && self.is_due(s, now))
            .collect();
        let actor = Actor::robot(NAME);
        let mut failed = Vec::new();
        ctx.progress(0, due.len() as i64).await?;
        for (done, search) in due.iter().enumerate() {
            match self.ingest.run(search, &actor).await {
                Ok(counts) => {
                    ctx.count("searches", 1).await?;
                    ctx.count("found", counts.found).await?;
                    ctx.count("new", counts.new).await?;
                    ctx.count("updated", counts.updated).await?;
                    ctx.log(
                        LogLevel::Info,
                        format!(
                            "«{}»: found {}, new {}, updated {}",
                            search.name, counts.found, counts.new, counts.updated
                        ),
                    )
                    .await?;
                }
                Err(e) => {
                    ctx.count("failed", 1).await?;
                    ctx.log(LogLevel::Error, format!("«{}»: {e}", search.name))
                        .await?;
                    failed.push(format!("«{}»: {e}", search.name));
                }
            }
            ctx.progress(done as i64 + 1, due.len() as i64).await?;
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(RobotError(format!(
                "{} search(es) failed, nothing of theirs was stored. {}",
                failed.len(),
                failed.join("; ")
            )))
        }
    }
}
