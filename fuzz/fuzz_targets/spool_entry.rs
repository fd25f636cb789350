//! A spool entry's bytes, as a hostile writer of the folder may leave them: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = spread::spool::parse_entry_bytes(data);
});
