//! A 1CClientBankExchange statement, as uploaded or fetched: any bytes, any encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = shtab_bank::sources::onec::parse(data);
});
