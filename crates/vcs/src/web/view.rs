//! How a repository reads on the pages and in the API, shared by both: the webhook address
//! to paste into the forge, times in the agency's zone.

use shtab_core::time::format_ms;
use shtab_web::AppState;

use crate::domain::repository::RepoForge;

/// Where `forge` must send its pushes; `None` for plain git, which sends none.
pub fn webhook_url(state: &AppState, forge: RepoForge) -> Option<String> {
    forge
        .hook_forge()
        .map(|f| state.link(&format!("/hooks/{}", f.as_str())))
}

/// A stored instant as people here read it; `fallback` when there is none.
pub fn when(state: &AppState, ms: Option<i64>, fallback: &str) -> String {
    match ms {
        Some(ms) => format_ms(ms, state.config.time_zone()),
        None => fallback.to_string(),
    }
}
