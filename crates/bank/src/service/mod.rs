//! What the pages, the CLI and the robot ask of the capability: importing statements and
//! matching payments to invoices.

pub mod import;
pub mod matching;
