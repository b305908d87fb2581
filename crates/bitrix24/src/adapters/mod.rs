//! Bitrix24 behind `shtab_core::ports`: one file per port, translating between port types and
//! portal shapes. What they need from the hub (whose portal user a person is, what was
//! already done on the portal) comes through the small traits in [`people`] and [`ledger`],
//! which the hub implements over its database.

pub mod invoices;
pub mod ledger;
pub mod people;
mod text;
pub mod tracker;
mod unusable;

pub use invoices::{PaymentDetails, PortalInvoices, UnusableInvoices};
pub use ledger::{Ledger, MemoryLedger};
pub use people::{MappedPeople, PortalPeople};
pub use tracker::PortalTracker;
pub use unusable::UnusableTracker;

/// A portal error as the ports report it.
pub(crate) fn port_error(e: crate::client::Bitrix24Error) -> shtab_core::CoreError {
    shtab_core::CoreError::from(e)
}
