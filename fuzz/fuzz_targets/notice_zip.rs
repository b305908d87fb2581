//! A ZIP archive of notices from the portal's documents service.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = shtab_tenders::sources::archive::notices_in_zip(data);
});
