//! The C ABI. One module per C type (`SpreadClient`, `SpreadOrder`,
//! `SpreadResponse`, `SpreadBatch`), plus the logger and the spool's
//! maintenance calls; this module holds what they share: status codes, the
//! thread-local last error, the panic/NULL guard and string conversions.
//!
//! Conventions, stated once here and repeated on each function:
//! - every fallible function returns a `SpreadStatus` code as `int`;
//! - on failure it sets this thread's last error (`spread_last_error`);
//! - no panic crosses the boundary; NULL pointers are errors, `_free(NULL)` is a no-op;
//! - a pointer returned by a `_new` function is owned by the caller and freed
//!   with the matching `_free`; `const char *` results are borrowed unless the
//!   doc says "free with spread_string_free".
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

use crate::error::Error;

pub mod batch;
pub mod client;
pub mod logging;
pub mod options;
pub mod order;
pub mod order_dropin;
pub mod order_fields;
pub mod response;
pub mod spool;
pub mod status;

pub use status::SpreadStatus;
use SpreadStatus::*;

/// The ABI's version: raised whenever a function is added or changed, so a
/// binding (PHP's FFI header, Python's prototypes) refuses a library that is
/// not the one it was written for. `SPREAD_ABI_VERSION` in the headers.
pub const ABI_VERSION: i32 = 3;

/// A failure on its way to C: a status and a message for `spread_last_error`.
pub(crate) struct FfiError {
    status: SpreadStatus,
    message: String,
    /// The HTTP status SPREAD answered, when the failure is an answer.
    http_status: u16,
}

impl FfiError {
    pub(crate) fn new(status: SpreadStatus, message: impl Into<String>) -> Self {
        FfiError { status, message: message.into(), http_status: 0 }
    }

    pub(crate) fn status(&self) -> SpreadStatus {
        self.status
    }

    pub(crate) fn http_status(&self) -> u16 {
        self.http_status
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// The same failure, said of one item of a batch.
    pub(crate) fn prefixed(mut self, prefix: &str) -> Self {
        self.message.insert_str(0, prefix);
        self
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        FfiError { status: e.kind.into(), message: e.message, http_status: e.status.unwrap_or(0) }
    }
}

/// This thread's last failure: status, HTTP status (0 if none), message.
struct LastError {
    status: c_int,
    http_status: u16,
    message: CString,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> =
        RefCell::new(LastError { status: SPREAD_OK as c_int, http_status: 0, message: CString::default() });
}

fn set_last_error(e: &FfiError) {
    // Interior NULs cannot be shown by C; they cannot come from our messages anyway.
    let message = CString::new(e.message.replace('\0', "\\0")).unwrap_or_default();
    // `try_with`: during thread teardown the slot may be gone; losing the message beats a panic.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = LastError { status: e.status as c_int, http_status: e.http_status, message };
        }
    });
}

/// Reads this thread's last error, or `fallback` when the slot is gone (thread teardown).
fn with_last_error<T>(fallback: T, read: impl FnOnce(&LastError) -> T) -> T {
    LAST_ERROR.try_with(|slot| slot.try_borrow().map(|e| read(&e)).ok()).ok().flatten().unwrap_or(fallback)
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let what =
        payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_else(|| "unknown cause".into());
    format!("internal error in libspread (please report it): {what}")
}

/// What a function returns when it fails: its status, or NULL for pointers.
pub(crate) trait OnError {
    fn on_error(status: SpreadStatus) -> Self;
}

impl OnError for c_int {
    fn on_error(status: SpreadStatus) -> Self {
        status as c_int
    }
}

impl<T> OnError for *mut T {
    fn on_error(_: SpreadStatus) -> Self {
        std::ptr::null_mut()
    }
}

impl<T> OnError for *const T {
    fn on_error(_: SpreadStatus) -> Self {
        std::ptr::null()
    }
}

/// Runs an FFI body: a caught panic or an `Err` becomes the last error and
/// the function's failure value. Every entry point goes through here.
pub(crate) fn guard<R: OnError>(body: impl FnOnce() -> Result<R, FfiError>) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => {
            set_last_error(&e);
            R::on_error(e.status)
        }
        Err(payload) => {
            set_last_error(&FfiError::new(SPREAD_ERR_PANIC, panic_message(payload)));
            R::on_error(SPREAD_ERR_PANIC)
        }
    }
}

/// `guard` for functions that return a status.
pub(crate) fn guard_status(body: impl FnOnce() -> Result<(), FfiError>) -> c_int {
    guard(|| body().map(|()| SPREAD_OK as c_int))
}

/// Borrows a C string argument as UTF-8, naming the argument on failure.
pub(crate) fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::new(SPREAD_ERR_NULL_ARGUMENT, format!("{name}: is NULL")));
    }
    // SAFETY: the caller passes a NUL-terminated string that lives for this call.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    std::str::from_utf8(bytes).map_err(|e| FfiError::new(SPREAD_ERR_INVALID_UTF8, format!("{name}: not valid UTF-8 (bad byte at offset {})", e.valid_up_to())))
}

/// Borrows a handle argument, naming it when NULL.
pub(crate) fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, FfiError> {
    // SAFETY: a non-NULL handle was made by our `_new` and not yet freed (documented contract).
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::new(SPREAD_ERR_NULL_ARGUMENT, format!("{name}: is NULL")))
}

pub(crate) fn arg_mut<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, FfiError> {
    // SAFETY: as for `arg_ref`; the caller owns the handle and does not share it during the call.
    unsafe { ptr.as_mut() }.ok_or_else(|| FfiError::new(SPREAD_ERR_NULL_ARGUMENT, format!("{name}: is NULL")))
}

/// Hands a Rust string to C; the caller frees it with `spread_string_free`.
pub(crate) fn owned_c_string(s: String) -> Result<*mut c_char, FfiError> {
    CString::new(s).map(CString::into_raw).map_err(|_| FfiError::new(SPREAD_ERR_INVALID_VALUE, "text contains a NUL byte and cannot be returned to C"))
}

/// This thread's last error message: names the field or the cause of the
/// most recent failure of a libspread call on this thread. Never NULL
/// (an empty string before any failure), never contains a secret.
/// Borrowed: valid until the next failing libspread call on this thread.
#[no_mangle]
pub extern "C" fn spread_last_error() -> *const c_char {
    with_last_error(c"".as_ptr(), |e| e.message.as_ptr())
}

/// The status of this thread's most recent failure (SPREAD_OK before any):
/// what a function that returns a pointer (`spread_client_new`) failed with.
#[no_mangle]
pub extern "C" fn spread_last_status() -> c_int {
    with_last_error(SPREAD_OK as c_int, |e| e.status)
}

/// The HTTP status SPREAD answered in this thread's last failure (401, 429,
/// 503…), or 0 when that failure was not an answer (network, validation).
#[no_mangle]
pub extern "C" fn spread_last_http_status() -> u16 {
    with_last_error(0, |e| e.http_status)
}

/// `SPREAD_ABI_VERSION` of the library actually loaded: a binding compares
/// it with its own before any other call.
#[no_mangle]
pub extern "C" fn spread_abi_version() -> c_int {
    ABI_VERSION
}

/// The most threads `spread_send_many`/`spread_send_batch` take (32).
#[no_mangle]
pub extern "C" fn spread_max_concurrency() -> u32 {
    crate::send::transport::MAX_CONCURRENCY as u32
}

/// The library version, such as "0.1.0" (the crate version). Static: never freed.
#[no_mangle]
pub extern "C" fn spread_version() -> *const c_char {
    static VERSION: LazyLock<CString> = LazyLock::new(|| CString::new(crate::VERSION).expect("no NUL"));
    VERSION.as_ptr()
}

/// The name of the `index`-th scalar field (`customer_email`, ...,
/// `order_end_service`), in the seed's order; NULL past the end. Bindings
/// derive their setters from this list. Static: never freed.
#[no_mangle]
pub extern "C" fn spread_field_name(index: usize) -> *const c_char {
    static NAMES: LazyLock<Vec<CString>> =
        LazyLock::new(|| crate::order::fields::SCALAR_FIELDS.iter().map(|f| CString::new(f.name).expect("no NUL")).collect());
    NAMES.get(index).map_or(std::ptr::null(), |n| n.as_ptr())
}

/// Frees a string that libspread returned as owned (`spread_order_encode`).
/// `spread_string_free(NULL)` does nothing.
#[no_mangle]
pub extern "C" fn spread_string_free(s: *mut c_char) {
    guard(|| {
        if !s.is_null() {
            // SAFETY: `s` came from `CString::into_raw` in `owned_c_string` and is freed once.
            drop(unsafe { CString::from_raw(s) });
        }
        Ok(())
    })
}

impl OnError for () {
    fn on_error(_: SpreadStatus) -> Self {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_a_status_and_a_message() {
        let code: c_int = guard(|| -> Result<c_int, FfiError> { panic!("boom") });
        assert_eq!(code, SPREAD_ERR_PANIC as c_int);
        let msg = unsafe { CStr::from_ptr(spread_last_error()) }.to_str().unwrap();
        assert!(msg.contains("boom"), "{msg}");
    }
}
