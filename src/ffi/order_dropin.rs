//! The drop-in entry points of `SpreadOrder`: an order from the seed's
//! `$post_data` as PHP's `http_build_query` wrote it or as JSON, and the
//! warnings of the lenient path. The rules are the core's (`order::dropin`).

use std::ffi::c_char;

use super::order::SpreadOrder;
use super::response::c_text;
use super::{arg_ref, arg_str, guard, FfiError};
use crate::order::Order;

fn new_order(make: impl FnOnce() -> Result<Order, FfiError>) -> *mut SpreadOrder {
    guard(|| Ok(Box::into_raw(Box::new(SpreadOrder { inner: make()? }))))
}

/// The drop-in path for PHP: an order from the body that PHP's
/// `http_build_query($post_data)` built for the seed's whole `$post_data`
/// (then sent byte for byte) or for just its `data` part (then wrapped as
/// the seed does). Only what SPREAD requires is strict (a customer
/// identifier, order_idorder, order_state, order_amount, order_crea_dt);
/// another field that breaks its rule is sent as is and recorded as a
/// warning (`spread_order_warning`), unless `strict` is true (then it is an
/// error naming it). Owned by the caller: free with `spread_order_free`.
/// NULL on error (see `spread_last_error`, `spread_last_status`).
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_from_form(body: *const c_char, strict: bool) -> *mut SpreadOrder {
    new_order(|| Ok(crate::order::dropin::from_form(arg_str(body, "body")?, strict)?))
}

/// The drop-in path from JSON: the seed's `$post_data` (whole, or its
/// `data` part) as a JSON object, encoded as PHP's `http_build_query`
/// would (nulls left out, booleans 1/0, floats as PHP prints them with
/// precision 14). Lenient or strict as `spread_order_from_form`. Owned by
/// the caller: free with `spread_order_free`. NULL on error.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_from_json(json: *const c_char, strict: bool) -> *mut SpreadOrder {
    new_order(|| Ok(crate::order::dropin::from_json(arg_str(json, "json")?, strict)?))
}

/// How many warnings the lenient drop-in path recorded for `o` (0 for
/// orders built with setters, and for NULL).
#[no_mangle]
pub extern "C" fn spread_order_warning_count(o: *const SpreadOrder) -> usize {
    // SAFETY: `o` is NULL or a live order.
    unsafe { o.as_ref() }.map_or(0, |o| o.inner.warnings().len())
}

/// The `index`-th warning of `o`, or NULL past the end. Owned by the
/// caller: free with `spread_string_free`.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_order_warning(o: *const SpreadOrder, index: usize) -> *mut c_char {
    guard(|| match arg_ref(o, "order")?.inner.warnings().get(index) {
        Some(w) => Ok(c_text(w).into_raw()),
        None => Ok(std::ptr::null_mut()),
    })
}
