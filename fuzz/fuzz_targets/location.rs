//! A redirect's `Location` (after a status byte): never a panic; a hop it allows is
//! http(s), and from https never http.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(location) = std::str::from_utf8(rest) else { return };
    let status = [301, 302, 303, 307, 308, 300, 200][usize::from(first % 7)];
    for from in ["https://social-sb.com/api/updateOrder", "http://127.0.0.1:8080/api/updateOrder"] {
        for insecure in [false, true] {
            if let Some(Ok(to)) = spread::fuzzing::location(from, Some(location), status, insecure) {
                assert!(to.starts_with("https://") || to.starts_with("http://"), "{location:?} -> {to}");
                assert!(!(from.starts_with("https:") && to.starts_with("http:")), "{location:?} -> {to}");
            }
        }
    }
});
