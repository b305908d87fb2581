//! A CSV file of people for the directory's import (the part read before the database).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shtab_core::people::{SshKeysInImport, read_csv};

fuzz_target!(|data: &[u8]| {
    let _ = read_csv(data, SshKeysInImport::Allowed);
});
