//! The client's option table (`spread_option_*`), as the field list is
//! exported: bindings generate or check their options from it. And the
//! setter that takes any option by name, as text, with the check of the
//! rules between options.

use std::ffi::{c_char, c_int, CString};
use std::sync::LazyLock;

use super::client::{configure, SpreadClient};
use super::{arg_ref, arg_str, guard_status};
use crate::send::options::OPTIONS;

/// The table's texts as C strings, made once.
struct Texts {
    names: Vec<CString>,
    types: Vec<CString>,
    defaults: Vec<CString>,
    envs: Vec<Option<CString>>,
}

static TEXTS: LazyLock<Texts> = LazyLock::new(|| {
    let c = |s: &str| CString::new(s).expect("no NUL in the option table");
    Texts {
        names: OPTIONS.iter().map(|o| c(o.name)).collect(),
        types: OPTIONS.iter().map(|o| c(o.kind.name())).collect(),
        defaults: OPTIONS.iter().map(|o| c(o.default)).collect(),
        envs: OPTIONS.iter().map(|o| o.env.map(c)).collect(),
    }
});

fn nth(list: &[CString], index: usize) -> *const c_char {
    list.get(index).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// How many client options there are (`spread_option_name(0)` to
/// `spread_option_name(count - 1)`).
#[no_mangle]
pub extern "C" fn spread_option_count() -> usize {
    OPTIONS.len()
}

/// The name of the `index`-th client option ("base_url", "timeout_ms", ...),
/// as `spread_client_set_option` takes it and `spread_client_set_<name>`
/// spells it; NULL past the end. Bindings derive or check their options from
/// this list. Static: never freed.
#[no_mangle]
pub extern "C" fn spread_option_name(index: usize) -> *const c_char {
    nth(&TEXTS.names, index)
}

/// The type of the `index`-th option: "string", "bool" ("true"/"false"),
/// "integer", "milliseconds" (a whole number of them), "path" or "choice"
/// (tls_roots: "system", "bundled" or a path); NULL past the end. Static.
#[no_mangle]
pub extern "C" fn spread_option_type(index: usize) -> *const c_char {
    nth(&TEXTS.types, index)
}

/// The default of the `index`-th option as text ("30000", "false", "" for
/// none); NULL past the end. Static: never freed.
#[no_mangle]
pub extern "C" fn spread_option_default(index: usize) -> *const c_char {
    nth(&TEXTS.defaults, index)
}

/// The environment variable the `index`-th option is read from by a client
/// made from the environment ("SPREAD_BASE_URL" for base_url; the bindings'
/// `fromEnv`/`from_env` and the `spread` command read these), NULL for an
/// option read from none (or past the end). The secrets are not listed:
/// `spread_client_new_from_env` reads the keys and SPREAD_PROXY itself.
/// Static: never freed.
#[no_mangle]
pub extern "C" fn spread_option_env(index: usize) -> *const c_char {
    TEXTS.envs.get(index).and_then(Option::as_ref).map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Sets the option `name` (see `spread_option_name`) from its text form:
/// `spread_client_set_option(c, "timeout_ms", "5000")`, "true"/"false" for a
/// bool, "" for none where the default is none. The value is checked alone
/// now: SPREAD_ERR_CONFIG naming the option (or listing the options, for an
/// unknown name), and the client is unchanged. The rules between options are
/// checked when the client is first used (`spread_client_check`), so options
/// may be set in any order. `name` and `value` are copied.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_option(c: *mut SpreadClient, name: *const c_char, value: *const c_char) -> c_int {
    configure(c, |client| {
        let name = arg_str(name, "name")?;
        Ok(client.set_option(name, arg_str(value, name)?)?)
    })
}

/// Checks the rules between the client's options, as its first send,
/// enqueue or flush does: plain http to a host that is not loopback needs
/// allow_insecure_http; ca_file and a tls_roots naming other roots conflict.
/// SPREAD_ERR_CONFIG naming both options otherwise. A binding that sets all
/// options at once calls this after them.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_check(c: *const SpreadClient) -> c_int {
    guard_status(|| Ok(arg_ref(c, "client")?.read().check()?))
}
