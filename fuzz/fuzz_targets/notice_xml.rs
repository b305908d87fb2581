//! A procurement notice from the portal (44-FZ and 223-FZ XML).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = shtab_tenders::sources::notice::parse_notice(data);
});
