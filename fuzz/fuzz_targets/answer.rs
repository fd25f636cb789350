//! SPREAD's answer (a status, then the body a rejected order's error quotes): never a
//! panic; the excerpt is one line of at most 301 characters.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((status, body)) = data.split_first_chunk::<2>() else { return };
    let status = u16::from_le_bytes(*status) % 1000;
    let body = String::from_utf8_lossy(body);
    let (_, excerpt) = spread::fuzzing::answer(status, &body);
    assert!(excerpt.chars().count() <= 301 && !excerpt.chars().any(char::is_control), "{excerpt:?}");
});
