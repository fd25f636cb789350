//! `SpreadResponse`: what SPREAD answered to a delivered order.

use std::ffi::{c_char, CString};

use super::guard;
use crate::client::Response;

/// SPREAD's answer. Opaque; owned by the caller of `spread_send`.
pub struct SpreadResponse {
    status: u16,
    body: CString,
}

impl From<Response> for SpreadResponse {
    fn from(r: Response) -> Self {
        // A NUL in an answer cannot cross to C; the text before it is kept.
        let bytes: Vec<u8> = r.body.into_bytes().into_iter().take_while(|&b| b != 0).collect();
        SpreadResponse { status: r.status, body: CString::new(bytes).unwrap_or_default() }
    }
}

/// The HTTP status (2xx). 0 when `r` is NULL.
#[no_mangle]
pub extern "C" fn spread_response_status(r: *const SpreadResponse) -> u16 {
    // SAFETY: `r` is NULL or a live response from `spread_send`.
    unsafe { r.as_ref() }.map_or(0, |r| r.status)
}

/// The body SPREAD answered, as text. Borrowed from `r`: valid until
/// `spread_response_free(r)`. An empty string when `r` is NULL.
#[no_mangle]
pub extern "C" fn spread_response_body(r: *const SpreadResponse) -> *const c_char {
    // SAFETY: as above.
    unsafe { r.as_ref() }.map_or(c"".as_ptr(), |r| r.body.as_ptr())
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
