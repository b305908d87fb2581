//! Gathers what needs the user's attention from the platform and every capability.

use shtab_core::error::CoreResult;

use super::AttentionItem;
use crate::auth::CurrentUser;
use crate::state::AppState;

/// Every count the user may open, zero or not, in the order the providers give them.
pub async fn gather(state: &AppState, user: &CurrentUser) -> CoreResult<Vec<AttentionItem>> {
    let mut items = Vec::new();
    for provider in state.hooks.attention.iter() {
        items.extend(provider(state.clone(), user.clone()).await?);
    }
    // A provider that forgot to ask still shows nothing the user may not open.
    items.retain(|i| user.can(i.permission));
    Ok(items)
}
