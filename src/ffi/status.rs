//! The status codes, their names, and the exception class each binding
//! raises for them: one list (the enum; strum iterates it), one tree.

use std::ffi::{c_char, c_int, CString};
use std::sync::LazyLock;

use strum::IntoEnumIterator;

use super::{arg_str, guard};
use crate::error::ErrorKind;

/// Result codes. The numbers are part of the ABI and never change.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
#[allow(non_camel_case_types)]
pub enum SpreadStatus {
    /// Success: delivered (2xx) or done.
    SPREAD_OK = 0,
    /// Not delivered now, but durably spooled for a later flush.
    SPREAD_QUEUED = 1,
    /// A required pointer argument was NULL.
    SPREAD_ERR_NULL_ARGUMENT = 10,
    /// A string argument was not valid UTF-8.
    SPREAD_ERR_INVALID_UTF8 = 11,
    /// A value broke its field's rule; the order is unchanged.
    SPREAD_ERR_INVALID_VALUE = 12,
    /// A field SPREAD requires was not set.
    SPREAD_ERR_MISSING_FIELD = 13,
    /// The client configuration is wrong (URL, keys, CA file, timeout).
    SPREAD_ERR_CONFIG = 14,
    /// The connection failed or broke.
    SPREAD_ERR_NETWORK = 20,
    /// The time budget ran out.
    SPREAD_ERR_TIMEOUT = 21,
    /// TLS or certificate verification failed.
    SPREAD_ERR_TLS = 22,
    /// A redirect was refused: to another origin than the base URL's (never
    /// followed: update the base URL if SPREAD moved), https to http, too
    /// many, bad Location. The order is kept (spooled when a spool is set).
    SPREAD_ERR_REDIRECT = 23,
    /// SPREAD refused the API keys (401, 403), or a proxy its own credentials (407).
    SPREAD_ERR_AUTH = 30,
    /// SPREAD refused the order's content (400, 409, 422): the only answer
    /// after which a spooled order is set aside (in `rejected/`).
    SPREAD_ERR_REJECTED = 31,
    /// SPREAD failed (5xx) or asked to slow down (408, 429).
    SPREAD_ERR_SERVER = 32,
    /// The endpoint cannot take the request (404, 405, 410, 413…: check the
    /// base URL) or gave an answer SPREAD never gives (1xx, 300, 304…).
    SPREAD_ERR_ENDPOINT = 33,
    /// A local file operation failed.
    SPREAD_ERR_IO = 40,
    /// A bug in libspread was caught before it could reach the caller.
    SPREAD_ERR_PANIC = 99,
}

use SpreadStatus::*;

impl SpreadStatus {
    /// The status with this number, if there is one.
    pub fn from_code(code: c_int) -> Option<SpreadStatus> {
        SpreadStatus::iter().find(|s| *s as c_int == code)
    }

    /// The exception class every binding names for this status (stem only:
    /// PHP adds `Exception`, Python `Error`, C++ uses it as is), and the
    /// class it derives from (`Error` for the root). One tree for every language.
    pub fn class(self) -> (&'static str, &'static str) {
        match self {
            SPREAD_OK | SPREAD_QUEUED => ("", ""),
            SPREAD_ERR_NULL_ARGUMENT => ("NullArgument", "Error"),
            SPREAD_ERR_INVALID_UTF8 => ("InvalidUtf8", "InvalidValue"),
            SPREAD_ERR_INVALID_VALUE => ("InvalidValue", "Error"),
            SPREAD_ERR_MISSING_FIELD => ("MissingField", "Error"),
            SPREAD_ERR_CONFIG => ("Config", "Error"),
            SPREAD_ERR_NETWORK => ("Network", "Error"),
            SPREAD_ERR_TIMEOUT => ("Timeout", "Network"),
            SPREAD_ERR_TLS => ("Tls", "Error"),
            SPREAD_ERR_REDIRECT => ("Redirect", "Error"),
            SPREAD_ERR_AUTH => ("Auth", "Api"),
            SPREAD_ERR_REJECTED => ("Rejected", "Api"),
            SPREAD_ERR_SERVER => ("Server", "Api"),
            SPREAD_ERR_ENDPOINT => ("Endpoint", "Api"),
            SPREAD_ERR_IO => ("Io", "Error"),
            SPREAD_ERR_PANIC => ("Internal", "Error"),
        }
    }
}

impl From<ErrorKind> for SpreadStatus {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidValue => SPREAD_ERR_INVALID_VALUE,
            ErrorKind::MissingField => SPREAD_ERR_MISSING_FIELD,
            ErrorKind::Config => SPREAD_ERR_CONFIG,
            ErrorKind::Network => SPREAD_ERR_NETWORK,
            ErrorKind::Timeout => SPREAD_ERR_TIMEOUT,
            ErrorKind::Tls => SPREAD_ERR_TLS,
            ErrorKind::Redirect => SPREAD_ERR_REDIRECT,
            ErrorKind::Auth => SPREAD_ERR_AUTH,
            ErrorKind::Rejected => SPREAD_ERR_REJECTED,
            ErrorKind::Server => SPREAD_ERR_SERVER,
            ErrorKind::Endpoint => SPREAD_ERR_ENDPOINT,
            ErrorKind::Io => SPREAD_ERR_IO,
            ErrorKind::Internal => SPREAD_ERR_PANIC,
        }
    }
}

/// The name of a status code, such as "SPREAD_ERR_TIMEOUT";
/// "SPREAD_UNKNOWN_STATUS" for a number that is not one. Static: never freed.
#[no_mangle]
pub extern "C" fn spread_status_name(status: c_int) -> *const c_char {
    static NAMES: LazyLock<Vec<(c_int, CString)>> =
        LazyLock::new(|| SpreadStatus::iter().map(|s| (s as c_int, CString::new(format!("{s:?}")).expect("no NUL"))).collect());
    NAMES.iter().find(|(code, _)| *code == status).map_or(c"SPREAD_UNKNOWN_STATUS".as_ptr(), |(_, name)| name.as_ptr())
}

/// The `index`-th status code (0, 1, 10, 11…), in increasing order; -1
/// past the end. Bindings build their exception maps from this list.
#[no_mangle]
pub extern "C" fn spread_status_code(index: usize) -> c_int {
    SpreadStatus::iter().nth(index).map_or(-1, |s| s as c_int)
}

fn class_name(status: c_int, parent: bool) -> *const c_char {
    static NAMES: LazyLock<Vec<(c_int, CString, CString)>> = LazyLock::new(|| {
        SpreadStatus::iter()
            .map(|s| {
                let (class, base) = s.class();
                (s as c_int, CString::new(class).expect("no NUL"), CString::new(base).expect("no NUL"))
            })
            .collect()
    });
    NAMES.iter().find(|(code, _, _)| *code == status).map_or(if parent { c"Error".as_ptr() } else { c"Internal".as_ptr() }, |(_, class, base)| {
        if parent {
            base.as_ptr()
        } else {
            class.as_ptr()
        }
    })
}

/// The exception class the bindings raise for a status, as a stem
/// ("Timeout": PHP `Spread\TimeoutException`, Python `spread.TimeoutError`,
/// C++ `spread::Timeout`); "" for SPREAD_OK and SPREAD_QUEUED, "Internal"
/// for an unknown number. Static: never freed.
#[no_mangle]
pub extern "C" fn spread_status_class(status: c_int) -> *const c_char {
    class_name(status, false)
}

/// The class that `spread_status_class(status)` derives from: "Error" (the
/// root), "InvalidValue", "Network" or "Api". Static: never freed.
#[no_mangle]
pub extern "C" fn spread_status_parent_class(status: c_int) -> *const c_char {
    class_name(status, true)
}

/// The parent of an exception class given by its stem ("Timeout" →
/// "Network", "Api" → "Error", "Error" → ""), also for the grouping classes
/// no status names; NULL for a stem that is not a class. Static: never freed.
#[no_mangle]
pub extern "C" fn spread_class_parent(stem: *const c_char) -> *const c_char {
    guard(|| {
        let stem = arg_str(stem, "stem")?;
        if stem == "Error" {
            return Ok(c"".as_ptr());
        }
        if let Some(s) = SpreadStatus::iter().find(|s| !stem.is_empty() && s.class().0 == stem) {
            return Ok(spread_status_parent_class(s as c_int));
        }
        // A grouping class that no status names itself (Api) hangs from the root.
        let groups = SpreadStatus::iter().any(|s| s.class().1 == stem);
        Ok(if groups { c"Error".as_ptr() } else { std::ptr::null() })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn status_names_round_trip() {
        for s in SpreadStatus::iter() {
            let name = unsafe { CStr::from_ptr(spread_status_name(s as c_int)) }.to_str().unwrap();
            assert_eq!(name, format!("{s:?}"));
        }
        let unknown = unsafe { CStr::from_ptr(spread_status_name(12345)) };
        assert_eq!(unknown.to_str().unwrap(), "SPREAD_UNKNOWN_STATUS");
    }

    #[test]
    fn one_class_tree() {
        let parent = |stem: &std::ffi::CStr| {
            let p = spread_class_parent(stem.as_ptr());
            (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
        };
        assert_eq!(parent(c"Timeout").as_deref(), Some("Network"));
        assert_eq!(parent(c"Network").as_deref(), Some("Error"));
        assert_eq!(parent(c"Api").as_deref(), Some("Error"));
        assert_eq!(parent(c"Endpoint").as_deref(), Some("Api"));
        assert_eq!(parent(c"Error").as_deref(), Some(""));
        assert_eq!(parent(c"Nope"), None);
        for s in SpreadStatus::iter().filter(|s| !matches!(s, SPREAD_OK | SPREAD_QUEUED)) {
            let (class, base) = s.class();
            let named = unsafe { CStr::from_ptr(spread_status_class(s as c_int)) }.to_str().unwrap();
            assert_eq!(named, class);
            assert_eq!(parent(&CString::new(class).unwrap()).as_deref(), Some(base), "{s:?}");
        }
    }
}
