//! What capabilities add to the home page and the header's search, each with its own
//! queries: counts of what needs attention, the first steps of a new installation, and
//! search results. The platform adds its own (robots, deliveries, people, tasks) the same
//! way; the home page and `/api/v1/attention`, `/api/v1/search` only gather and filter.

pub mod api;
pub mod attention;
pub mod first_steps;
pub mod platform;
pub mod search;
pub mod search_page;

use std::future::Future;
use std::pin::Pin;

use shtab_core::auth::Permission;
use shtab_core::error::CoreResult;

use crate::auth::CurrentUser;
use crate::i18n::Locale;
use crate::state::AppState;

/// A provider's answer, boxed so providers of different crates fit one list.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Counts something that needs the user's attention. A provider asks only what the user may
/// open (`user.can(…)`); the home page checks each item's permission once more.
pub type AttentionProvider = fn(AppState, CurrentUser) -> BoxFuture<CoreResult<Vec<AttentionItem>>>;

/// Looks for `query` in one or more kinds of things the user may open.
pub type SearchProvider =
    fn(AppState, CurrentUser, SearchQuery) -> BoxFuture<CoreResult<Vec<SearchGroup>>>;

/// Tells which first steps of a new installation are done, by looking at what is stored.
pub type FirstStepsProvider = fn(AppState) -> BoxFuture<CoreResult<Vec<FirstStep>>>;

/// What a capability plugs into the home page and the search.
#[derive(Clone, Default)]
pub struct Hooks {
    pub attention: Vec<AttentionProvider>,
    pub search: Vec<SearchProvider>,
    pub first_steps: Vec<FirstStepsProvider>,
}

impl Hooks {
    pub fn extend(&mut self, other: Hooks) {
        self.attention.extend(other.attention);
        self.search.extend(other.search);
        self.first_steps.extend(other.first_steps);
    }
}

/// A count of things needing a look, and the list that shows exactly them.
#[derive(Debug, Clone)]
pub struct AttentionItem {
    /// Stable name for programs, e.g. `bank.payments_attention`.
    pub key: &'static str,
    pub count: i64,
    pub label_ru: &'static str,
    pub label_en: &'static str,
    /// The filtered list; it shows `count` rows.
    pub href: String,
    /// Needed to open `href`.
    pub permission: Permission,
}

impl AttentionItem {
    pub fn label(&self, locale: Locale) -> &'static str {
        pick_label(locale, self.label_ru, self.label_en)
    }
}

/// A step of setting up, ticked when the stored state shows it works.
#[derive(Debug, Clone)]
pub struct FirstStep {
    pub key: &'static str,
    pub done: bool,
    pub label_ru: &'static str,
    pub label_en: &'static str,
    /// Where it is done.
    pub href: &'static str,
}

impl FirstStep {
    pub fn label(&self, locale: Locale) -> &'static str {
        pick_label(locale, self.label_ru, self.label_en)
    }
}

/// The search as providers receive it: trimmed, not empty, with a limit per group.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub text: String,
    pub limit: i64,
    pub locale: Locale,
}

/// Results of one kind (people, payments…).
#[derive(Debug, Clone)]
pub struct SearchGroup {
    pub key: &'static str,
    pub label_ru: &'static str,
    pub label_en: &'static str,
    /// Needed to open the hits' pages.
    pub permission: Permission,
    pub hits: Vec<SearchHit>,
}

impl SearchGroup {
    pub fn label(&self, locale: Locale) -> &'static str {
        pick_label(locale, self.label_ru, self.label_en)
    }
}

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub title: String,
    /// A second line: an INN, an amount, a status.
    pub detail: String,
    pub href: String,
}

fn pick_label(locale: Locale, ru: &'static str, en: &'static str) -> &'static str {
    match locale {
        Locale::Ru => ru,
        Locale::En => en,
    }
}
