//! `Retry-After` values (seconds or an HTTP date): never a panic, never more than a year.
#![no_main]

use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    for now in [SystemTime::UNIX_EPOCH, SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)] {
        if let Some(wait) = spread::fuzzing::retry_after(value, now) {
            assert!(wait <= Duration::from_secs(366 * 24 * 3600), "{value:?}: {wait:?}");
        }
    }
});
