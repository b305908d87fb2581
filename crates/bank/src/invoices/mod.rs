//! The built-in invoices: what the agency billed whom, due when, and how much of it is paid.
//! The matcher reaches them through the invoices port ([`BuiltinInvoices`]); the invoice
//! pages, the API and the dashboard read the store directly. Bitrix24's invoices arrive
//! later behind the same port.

mod csv_import;
mod domain;
mod port;
mod store;

pub use csv_import::{FileRow, ImportReport, RowError, import_csv, read_csv};
pub use domain::{
    AMOUNT_MAX, Invoice, InvoiceAllocation, InvoiceChange, InvoiceId, InvoiceInput, NUMBER_MAX,
    PAYER_NAME_MAX, RawInvoiceChange, RawInvoiceInput, STATES, is_unpaid, parse_amount,
    parse_state, state_for, state_str,
};
pub use port::BuiltinInvoices;
pub use store::{
    ListFilter, ListPage, StateFilter, allocations, cancel, create, get, list, open_by_payer_inn,
    receivables, update,
};
