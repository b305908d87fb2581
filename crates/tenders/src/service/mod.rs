//! What the capability does, between the portal and the stores: running a saved search
//! (fetch, parse, filter, store once, hand new tenders to the CRM) and previewing one.

pub mod deals;
pub mod inbox;
pub mod ingest;

pub use ingest::{Candidate, Ingest, IngestError, RunCounts};
