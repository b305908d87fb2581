//! Bitrix24 behind `shtab_core::ports`: one file per port (the tracker, the messenger),
//! translating between port types and portal shapes. What they need from the hub (whose
//! portal user a person is, what was already done on the portal, what was last read of a
//! task) comes through the small traits in [`people`], [`ledger`] and [`copies`], which the
//! hub implements over its database.

pub mod copies;
pub mod deals;
pub mod invoices;
pub mod ledger;
pub mod messenger;
pub mod people;
mod text;
pub mod tracker;
mod unusable;

pub use copies::{MemoryCopies, NoCopies, TaskCopies, TaskCopy};
pub use deals::PortalDeals;
pub use invoices::{PaymentDetails, PortalInvoices, UnusableInvoices};
pub use ledger::{Ledger, MemoryLedger};
pub use messenger::PortalMessenger;
pub use people::{MappedPeople, PortalPeople};
pub use tracker::PortalTracker;
pub use unusable::{UnusableCrm, UnusableMessenger, UnusableTracker};

/// A portal error as the ports report it.
pub(crate) fn port_error(e: crate::client::Bitrix24Error) -> shtab_core::CoreError {
    shtab_core::CoreError::from(e)
}
