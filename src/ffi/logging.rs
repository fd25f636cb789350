//! Logging for C callers and bindings: either a callback, called on
//! whichever thread did the work (C, C++, Python), or a queue of records
//! the caller drains on its own thread (PHP, whose FFI callbacks crash when
//! called from another thread).

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Arc;

use super::client::{configure, SpreadClient};
use super::{arg_ref, guard, guard_status, owned_c_string, FfiError, SpreadStatus};
use crate::log::{Level, Logger, Record};

/// Log levels, most important first. A logger set at a level receives the
/// records of that level and the more important ones.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum SpreadLogLevel {
    SPREAD_LOG_ERROR = 1,
    SPREAD_LOG_WARN = 2,
    SPREAD_LOG_INFO = 3,
    SPREAD_LOG_DEBUG = 4,
}

/// A log callback: `level` (a SpreadLogLevel), `event` (a stable name such
/// as "retry"), `message` (one sentence) and `context_json` (a JSON object:
/// `{"order_id":"42","status":503,"wait_ms":400}`) are borrowed for the
/// call only. Never given a key, an Authorization header or a body; the
/// customer's e-mail only at debug level.
pub type SpreadLogFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: c_int, event: *const c_char, message: *const c_char, context_json: *const c_char)>;

/// The caller's user_data, which the caller promised may be used from any thread.
struct UserData(*mut c_void);
// SAFETY: the header tells callers that the callback runs on libspread's
// threads, with this pointer; sharing it is their documented choice.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

impl UserData {
    /// Through a method, so closures capture the whole (Send) wrapper, not the raw field.
    fn get(&self) -> *mut c_void {
        self.0
    }
}

fn level(min_level: c_int) -> Result<Option<Level>, FfiError> {
    match min_level {
        0 => Ok(None),
        n => Level::from_number(n)
            .map(Some)
            .ok_or_else(|| FfiError::new(SpreadStatus::SPREAD_ERR_CONFIG, format!("min_level: {n} is not a SpreadLogLevel (1 error … 4 debug, 0 for none)"))),
    }
}

/// Sends this client's log records of `min_level` (a SpreadLogLevel) and
/// above to `callback`, with `user_data`. The callback is called on the
/// thread that did the work: the caller's, a `spread_send_many` worker, or
/// the background delivery thread of `spread_enqueue`; it must be
/// thread-safe and must not call back into libspread with this client.
/// `callback` NULL or `min_level` 0 turns logging off. Replaces the log queue.
/// Returns once no call of the callback it replaces is running, and none
/// will run again; so it must not be called from inside the callback itself
/// (it would wait for itself). `spread_client_free` turns logging off the same way.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_logger(c: *mut SpreadClient, callback: SpreadLogFn, user_data: *mut c_void, min_level: c_int) -> c_int {
    configure(c, |client| {
        let logger = match (callback, level(min_level)?) {
            (Some(callback), Some(min)) => {
                let user_data = UserData(user_data);
                Logger::new(
                    Arc::new(move |r: &Record| {
                        let text = |s: &str| CString::new(s.replace('\0', "\\0")).unwrap_or_default();
                        let (event, message, context) = (text(r.event), text(&r.message), text(&r.context_json()));
                        // SAFETY: the caller gave a callback with this signature; the strings live for the call.
                        unsafe { callback(user_data.get(), r.level as c_int, event.as_ptr(), message.as_ptr(), context.as_ptr()) };
                    }),
                    min,
                )
            }
            _ => Logger::default(),
        };
        client.set_logger(logger);
        Ok(())
    })
}

/// Keeps this client's log records of `min_level` and above in a queue (up
/// to 1000; the oldest go first, and a "log_dropped" record says so) that
/// the caller drains with `spread_client_next_log` on its own thread, for
/// languages that cannot be called back from other threads (PHP).
/// `min_level` 0 turns logging off. Replaces a callback logger.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_log_queue(c: *mut SpreadClient, min_level: c_int) -> c_int {
    guard_status(|| {
        let client = arg_ref(c, "client")?;
        client.read().set_log_queue(level(min_level)?);
        Ok(())
    })
}

/// The oldest queued log record as one JSON object (`{"level":"warn",
/// "event":"retry","message":"…","context":{…}}`), or NULL when none waits
/// (or `c` is NULL). Owned by the caller: free with `spread_string_free`.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_next_log(c: *const SpreadClient) -> *mut c_char {
    guard(|| match arg_ref(c, "client")?.read().next_log() {
        Some(json) => owned_c_string(json),
        None => Ok(std::ptr::null_mut()),
    })
}
