//! Gathers search results from the platform and every capability.

use shtab_core::db::can_match;
use shtab_core::error::CoreResult;

use super::{SearchGroup, SearchQuery};
use crate::auth::CurrentUser;
use crate::i18n::Locale;
use crate::state::AppState;

/// Results per group, enough to recognise what one looks for.
pub const PER_GROUP: i64 = 5;

/// The longest query looked for; a longer one is cut.
const MAX_QUERY_CHARS: usize = 200;

/// The query as providers get it; `None` when there is nothing to look for, or nothing can
/// match it ([`can_match`]).
pub fn query(text: &str, limit: i64, locale: Locale) -> Option<SearchQuery> {
    let text: String = text.trim().chars().take(MAX_QUERY_CHARS).collect();
    let text = text.trim().to_string();
    (!text.is_empty() && can_match(&text)).then_some(SearchQuery {
        text,
        limit: limit.clamp(1, 50),
        locale,
    })
}

/// Groups with at least one hit, of kinds the user may open.
pub async fn gather(
    state: &AppState,
    user: &CurrentUser,
    query: &SearchQuery,
) -> CoreResult<Vec<SearchGroup>> {
    let mut groups = Vec::new();
    for provider in state.hooks.search.iter() {
        groups.extend(provider(state.clone(), user.clone(), query.clone()).await?);
    }
    groups.retain(|g| !g.hits.is_empty() && user.can(g.permission));
    Ok(groups)
}
