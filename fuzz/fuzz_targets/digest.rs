//! `WWW-Authenticate` values from a server (lines of the input): never a panic, and an
//! answer never carries the private key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let headers: Vec<&str> = text.split('\n').collect();
    if let Some(answer) = spread::fuzzing::digest(&headers, "POST", "/api/updateOrder") {
        assert!(answer.starts_with("Digest "), "{answer}");
        assert!(!answer.contains("PRIVATE_KEY"), "{answer}");
    }
});
