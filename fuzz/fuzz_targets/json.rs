//! The drop-in's JSON (`json_encode($post_data)`, Python's dict, the CLI's lines):
//! never a panic, and an accepted order encodes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    if let Ok(order) = spread::dropin::from_json(json, false) {
        let body = order.encode();
        assert!(!body.is_empty());
        assert_eq!(spread::dropin::from_json(json, true).is_ok(), order.warnings().is_empty(), "{json:?}");
    }
});
