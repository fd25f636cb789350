//! The drop-in's form body (PHP's http_build_query output, whatever a shop's array held):
//! never a panic; the quick scan and the whole parse agree; an accepted whole
//! `$post_data` is sent byte for byte; strict accepts only what lenient accepts without
//! a warning; changing an accepted order re-parses the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    for strict in [false, true] {
        let quick = spread::dropin::from_form(body, strict);
        let whole = spread::fuzzing::form_whole(body, strict);
        match (&quick, &whole) {
            (Ok(q), Ok(w)) => {
                assert_eq!(q.warnings(), w.warnings(), "{body:?}");
                assert_eq!((q.id(), q.encode()), (w.id(), w.encode()), "{body:?}");
            }
            (Err(q), Err(w)) => assert_eq!(q, w, "{body:?}"),
            _ => panic!("quick scan and whole parse disagree on {body:?} (strict {strict}): {quick:?} / {whole:?}"),
        }
    }
    if let Ok(mut order) = spread::dropin::from_form(body, false) {
        let strict = spread::dropin::from_form(body, true);
        assert_eq!(strict.is_ok(), order.warnings().is_empty(), "{body:?}");
        let _ = order.set("customer_name", "Doe");
        let _ = order.encode();
    }
});
