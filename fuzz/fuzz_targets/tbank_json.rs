//! A T-Bank statement page or webhook operation: JSON of any shape.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = shtab_bank::sources::tbank::parse_statement(&value);
        let _ = shtab_bank::sources::tbank::parse_operation(&value);
    }
});
