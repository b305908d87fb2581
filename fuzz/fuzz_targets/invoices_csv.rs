//! A CSV file of invoices for the bank's import (the part read before the database).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = shtab_bank::invoices::read_csv(data);
});
