//! Pure types and rules of the tenders capability: what a tender is, how money and
//! registration numbers look, what a saved search asks for. No IO here.

pub mod facts;
pub mod feed;
pub mod notice;
pub mod reg_number;
pub mod search;
pub mod stage;
pub mod time;

pub use facts::TenderFacts;
pub use feed::FeedItem;
pub use notice::{Modification, Party, Placer, TenderNotice, TradingPlatform};
pub use reg_number::{Law, RegNumber, RegNumberError};
pub use search::SavedSearchSpec;
/// The one money type of the tree, from core.
pub use shtab_core::types::{Kopecks, MoneyError};
pub use stage::Stage;
