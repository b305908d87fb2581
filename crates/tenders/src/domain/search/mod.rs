//! A saved search: what the agency watches the portal for. It turns into the portal's
//! own search URLs, and into post-filters for what the portal cannot express.

mod filter;
mod urls;
mod words;

use serde::{Deserialize, Serialize};

pub use filter::{Rejection, SearchFacts};
pub use words::WordMatcher;

use super::{Kopecks, Law, Stage};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedSearchSpec {
    /// Any of these must match (each may be a phrase, all of whose words must match),
    /// in any word form: «охрана» finds «охраны», «охрану».
    pub keywords: Vec<String>,
    /// None of these may match, in any word form.
    pub exclude: Vec<String>,
    /// Empty means both laws.
    pub laws: Vec<Law>,
    pub price_min: Option<Kopecks>,
    pub price_max: Option<Kopecks>,
    /// OKPD2 code prefixes (`62`, `26.2`, `72.19.29`); a tender matches when one of its
    /// codes starts with one of them.
    pub okpd2_prefixes: Vec<String>,
    /// The portal's internal ids of the same OKPD2 entries (`okpd2Ids`), copied from a
    /// browser URL; without them the portal is not asked to filter by OKPD2 and only the
    /// post-filter does.
    pub okpd2_portal_ids: Vec<String>,
    /// Two-digit region codes of the customer (`77`, `50`).
    pub regions: Vec<String>,
    /// The portal's internal ids of those regions (`customerPlace`), as for OKPD2.
    pub region_portal_ids: Vec<String>,
    /// Empty means any stage.
    pub stages: Vec<Stage>,
}
