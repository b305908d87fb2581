//! The people directory: who works at the agency, how to reach them, which e-mails and forge
//! logins are theirs (so commits find their author) and which SSH keys they use.

mod csv_import;
mod domain;
mod ssh_keys;
mod store;

pub use csv_import::{ImportReport, PeopleFile, RowError, SshKeysInImport, import_csv, read_csv};
pub use domain::{
    Forge, ForgeLogin, Person, PersonInput, PersonStatus, PersonSummary, RawPersonInput,
    StoredSshKey, parse_date,
};
pub use ssh_keys::{KEY_ADDED_TEMPLATE, KeyChange, tell_access_managers};
pub(crate) use store::insert;
pub use store::{
    ListFilter, ListPage, choices, count, create, deactivate, find_by_email, find_by_emails,
    find_by_forge_login, get, list, update,
};
