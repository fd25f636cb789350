//! `SpreadResponse`: what SPREAD answered to a delivered order.

use std::ffi::{c_char, CString};

use super::guard;
use crate::send::client::Response;

/// SPREAD's answer. Opaque; owned by the caller of `spread_send`.
pub struct SpreadResponse {
    status: u16,
    body: CString,
    truncated: bool,
    warnings: Vec<CString>,
}

/// Text for C: a NUL cannot cross, so the text before it is kept.
pub(crate) fn c_text(s: &str) -> CString {
    CString::new(s.split('\0').next().unwrap_or_default()).unwrap_or_default()
}

impl SpreadResponse {
    pub(crate) fn new(r: Response, warnings: &[String]) -> Self {
        SpreadResponse { status: r.status, body: c_text(&r.body), truncated: r.truncated, warnings: warnings.iter().map(|w| c_text(w)).collect() }
    }
}

/// The HTTP status (2xx). 0 when `r` is NULL.
#[no_mangle]
pub extern "C" fn spread_response_status(r: *const SpreadResponse) -> u16 {
    // SAFETY: `r` is NULL or a live response from `spread_send`.
    unsafe { r.as_ref() }.map_or(0, |r| r.status)
}

/// The body SPREAD answered, as text (at most 1 MiB). Borrowed from `r`:
/// valid until `spread_response_free(r)`. An empty string when `r` is NULL.
#[no_mangle]
pub extern "C" fn spread_response_body(r: *const SpreadResponse) -> *const c_char {
    // SAFETY: as above.
    unsafe { r.as_ref() }.map_or(c"".as_ptr(), |r| r.body.as_ptr())
}

/// Whether SPREAD's answer was longer than 1 MiB and was cut (the order was
/// delivered all the same: a 2xx is a delivery whatever its size).
#[no_mangle]
pub extern "C" fn spread_response_truncated(r: *const SpreadResponse) -> bool {
    // SAFETY: as above.
    unsafe { r.as_ref() }.is_some_and(|r| r.truncated)
}

/// How many warnings the lenient drop-in path recorded for the order
/// (`spread_order_from_form`/`_from_json`): fields sent as they were
/// although they break a rule. 0 when `r` is NULL.
#[no_mangle]
pub extern "C" fn spread_response_warning_count(r: *const SpreadResponse) -> usize {
    // SAFETY: as above.
    unsafe { r.as_ref() }.map_or(0, |r| r.warnings.len())
}

/// The `index`-th warning ("customer_birthday: \"0000-00-00\" is not a date
/// … (sent as is)"), or NULL past the end. Borrowed from `r`.
#[no_mangle]
pub extern "C" fn spread_response_warning(r: *const SpreadResponse, index: usize) -> *const c_char {
    // SAFETY: as above.
    unsafe { r.as_ref() }.and_then(|r| r.warnings.get(index)).map_or(std::ptr::null(), |w| w.as_ptr())
}

/// Frees a response. NULL is a no-op.
#[no_mangle]
pub extern "C" fn spread_response_free(r: *mut SpreadResponse) {
    guard(|| {
        if !r.is_null() {
            // SAFETY: `r` came from `Box::into_raw` in `spread_send` and is freed once.
            drop(unsafe { Box::from_raw(r) });
        }
        Ok(())
    })
}
