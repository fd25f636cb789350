//! `SpreadClient`: the keys, the settings and a pool of connections.
//! Thread-safe: share one client between threads. Configure it before
//! sharing: every function here is safe to call from any thread, but a
//! setter waits for the sends and flushes in progress to finish.

use std::ffi::{c_char, c_int};
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use super::order::SpreadOrder;
use super::response::SpreadResponse;
use super::{arg_ref, arg_str, guard, guard_status, FfiError, SpreadStatus};
use crate::client::{Client, Sent, MAX_CONCURRENCY};

/// A SPREAD client. Opaque.
pub struct SpreadClient {
    inner: RwLock<Client>,
}

impl SpreadClient {
    // A poisoned lock only means another thread panicked mid-call; the client is still whole.
    fn read(&self) -> RwLockReadGuard<'_, Client> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, Client> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// A client for the API keys from SPREAD's back office ("Paramétrage >
/// Tracker"), with the default base URL `https://social-sb.com/api`, a 30 s
/// total and 10 s connect timeout. The keys are copied. Owned by the caller:
/// free with `spread_client_free`. NULL on error (see `spread_last_error`).
#[no_mangle]
pub extern "C" fn spread_client_new(public_key: *const c_char, private_key: *const c_char) -> *mut SpreadClient {
    guard(|| {
        let client = Client::new(arg_str(public_key, "public_key")?, arg_str(private_key, "private_key")?)?;
        Ok(Box::into_raw(Box::new(SpreadClient { inner: RwLock::new(client) })))
    })
}

/// Frees a client. NULL is a no-op. No other thread may be using it.
#[no_mangle]
pub extern "C" fn spread_client_free(c: *mut SpreadClient) {
    guard(|| {
        if !c.is_null() {
            // SAFETY: `c` came from `Box::into_raw` in `spread_client_new` and is freed once.
            drop(unsafe { Box::from_raw(c) });
        }
        Ok(())
    })
}

fn configure(c: *const SpreadClient, change: impl FnOnce(&mut Client) -> Result<(), FfiError>) -> c_int {
    guard_status(|| change(&mut arg_ref(c, "client")?.write()))
}

/// Sets the API root (`https://social-sb.com/api` by default); orders go to
/// `<url>/updateOrder`. Plain `http://` only for loopback hosts unless
/// `spread_client_set_allow_insecure_http` was called first. `url` is copied.
#[no_mangle]
pub extern "C" fn spread_client_set_base_url(c: *mut SpreadClient, url: *const c_char) -> c_int {
    configure(c, |client| Ok(client.set_base_url(arg_str(url, "base_url")?)?))
}

/// Sets the total time budget of one send (authentication and redirects
/// included), in milliseconds; more than 0. Default 30000.
#[no_mangle]
pub extern "C" fn spread_client_set_timeout_ms(c: *mut SpreadClient, total_ms: u32) -> c_int {
    configure(c, |client| Ok(client.set_timeout(Duration::from_millis(total_ms.into()))?))
}

/// Sets the time allowed to open a connection, in milliseconds; more than 0.
/// Default 10000 (never more than the total budget).
#[no_mangle]
pub extern "C" fn spread_client_set_connect_timeout_ms(c: *mut SpreadClient, connect_ms: u32) -> c_int {
    configure(c, |client| Ok(client.set_connect_timeout(Duration::from_millis(connect_ms.into()))?))
}

/// Trusts only the CA certificates in this PEM file instead of the bundled
/// Mozilla roots. The file is read now; `path` is copied.
#[no_mangle]
pub extern "C" fn spread_client_set_ca_file(c: *mut SpreadClient, path: *const c_char) -> c_int {
    configure(c, |client| Ok(client.set_ca_file(Path::new(arg_str(path, "ca_file")?))?))
}

/// Allows plain http to non-loopback hosts (the keys then travel in clear).
/// Off by default.
#[no_mangle]
pub extern "C" fn spread_client_set_allow_insecure_http(c: *mut SpreadClient, allow: bool) -> c_int {
    configure(c, |client| Ok(client.set_allow_insecure_http(allow)?))
}

/// Validates `o` and sends it to SPREAD's `updateOrder`, retrying (see
/// `spread_client_set_max_attempts`) within the client's timeout. `c` and `o`
/// are borrowed; `o` may be freed or sent again afterwards (SPREAD updates by
/// order_idorder, so a resend is safe).
/// Returns SPREAD_OK when delivered: then, if `out` is not NULL, `*out`
/// receives a response owned by the caller (free with
/// `spread_response_free`). Returns SPREAD_QUEUED when a spool is set and the
/// order could not be delivered now (or older spooled orders are still
/// waiting, which it must not overtake): it is durably on disk for
/// `spread_flush`. On every status but SPREAD_OK, `*out` is set to NULL.
/// Safe to call from several threads with one client.
#[no_mangle]
pub extern "C" fn spread_send(c: *mut SpreadClient, o: *const SpreadOrder, out: *mut *mut SpreadResponse) -> c_int {
    if !out.is_null() {
        // SAFETY: a non-NULL `out` points to writable storage for one pointer.
        unsafe { *out = std::ptr::null_mut() };
    }
    guard(|| {
        let client = arg_ref(c, "client")?;
        let order = arg_ref(o, "order")?;
        match client.read().send(&order.inner)? {
            Sent::Queued => Ok(SpreadStatus::SPREAD_QUEUED as c_int),
            Sent::Delivered(response) => {
                if !out.is_null() {
                    // SAFETY: as above.
                    unsafe { *out = Box::into_raw(Box::new(SpreadResponse::from(response))) };
                }
                Ok(SpreadStatus::SPREAD_OK as c_int)
            }
        }
    })
}

/// Sends `n` orders on up to `concurrency` threads (1 to 32, else
/// SPREAD_ERR_CONFIG; connections are kept and reused), blocking until every
/// order is delivered, queued or failed. Updates of the same order_idorder
/// are sent one after the other in array order; spooled orders are flushed
/// first. `statuses` (an array of `n` ints owned by the caller) receives one
/// status per order, as `spread_send` would return it; senders that meet a
/// Retry-After (429, 503) all wait it out together. `orders` (an array of `n`
/// borrowed orders) is only read. Returns SPREAD_OK when every order was
/// delivered or queued; otherwise the first failed order's status, with
/// `spread_last_error` naming its index ("orders[3]: ..."). When the call
/// fails before looking at the orders (NULL client or arrays, bad
/// concurrency), `statuses` is left untouched.
#[no_mangle]
pub extern "C" fn spread_send_many(
    c: *mut SpreadClient,
    orders: *const *const SpreadOrder,
    n: usize,
    concurrency: u32,
    statuses: *mut c_int,
) -> c_int {
    guard_status(|| {
        let client = arg_ref(c, "client")?;
        if !(1..=MAX_CONCURRENCY).contains(&(concurrency as usize)) {
            return Err(crate::Error::config("concurrency", format!("{concurrency} is out of range (1 to {MAX_CONCURRENCY})")).into());
        }
        if n == 0 {
            return Ok(());
        }
        arg_ref(orders, "orders")?;
        arg_ref(statuses, "statuses")?;
        // SAFETY: the caller passes arrays of `n` elements (documented contract).
        let (orders, statuses) = unsafe { (std::slice::from_raw_parts(orders, n), std::slice::from_raw_parts_mut(statuses, n)) };
        let refs: Vec<Result<&crate::Order, FfiError>> =
            orders.iter().enumerate().map(|(i, &o)| arg_ref(o, &format!("orders[{i}]")).map(|o| &o.inner)).collect();
        let valid: Vec<&crate::Order> = refs.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        let mut outcomes = client.read().send_many(&valid, concurrency as usize).into_iter();
        let mut first_failure: Option<FfiError> = None;
        for (i, slot) in refs.into_iter().enumerate() {
            let outcome = slot.and_then(|_| match outcomes.next().expect("one outcome per valid order") {
                Ok(Sent::Delivered(_)) => Ok(SpreadStatus::SPREAD_OK),
                Ok(Sent::Queued) => Ok(SpreadStatus::SPREAD_QUEUED),
                Err(e) => Err(FfiError::from(e).prefixed(&format!("orders[{i}]: "))),
            });
            statuses[i] = match outcome {
                Ok(status) => status as c_int,
                Err(e) => {
                    let code = e.status() as c_int;
                    first_failure.get_or_insert(e);
                    code
                }
            };
        }
        first_failure.map_or(Ok(()), Err)
    })
}

/// How many times one `spread_send` may try (the first try included),
/// always within the timeout; at least 1. Default 3. Retried: connection
/// failures, timeouts, 5xx but 501/505, 408, and 429/503 after their
/// Retry-After.
#[no_mangle]
pub extern "C" fn spread_client_set_max_attempts(c: *mut SpreadClient, attempts: u32) -> c_int {
    configure(c, |client| Ok(client.set_max_attempts(attempts)?))
}

/// Keeps orders that cannot be delivered now in the folder `dir` (created
/// 0700 if missing; entries are 0600 files holding the endpoint and the body,
/// never credentials) instead of failing. Several processes may share one
/// folder. `dir` is copied.
#[no_mangle]
pub extern "C" fn spread_client_set_spool_dir(c: *mut SpreadClient, dir: *const c_char) -> c_int {
    configure(c, |client| Ok(client.set_spool_dir(Path::new(arg_str(dir, "spool_dir")?))?))
}

/// Delivers the spooled orders, oldest first. Stops at the first failure
/// that may pass (network, timeout, 5xx, 429) and returns its status; orders
/// SPREAD rejects (4xx) are moved to `rejected/` with its answer and the
/// flush goes on. Returns SPREAD_OK (with nothing done) while another thread
/// or process is flushing the same folder. `delivered` and `remaining`, when
/// not NULL, receive the counts, also on failure. SPREAD_ERR_CONFIG without
/// a spool folder.
#[no_mangle]
pub extern "C" fn spread_flush(c: *mut SpreadClient, delivered: *mut usize, remaining: *mut usize) -> c_int {
    for out in [delivered, remaining] {
        if !out.is_null() {
            // SAFETY: non-NULL out-pointers point to writable size_t storage.
            unsafe { *out = 0 };
        }
    }
    guard_status(|| {
        let report = arg_ref(c, "client")?.read().flush()?;
        // SAFETY: as above.
        unsafe {
            if !delivered.is_null() {
                *delivered = report.delivered;
            }
            if !remaining.is_null() {
                *remaining = report.remaining;
            }
        }
        match report.stopped_by {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    })
}

/// The number of orders waiting in the spool, into `*pending`.
/// SPREAD_ERR_CONFIG without a spool folder.
#[no_mangle]
pub extern "C" fn spread_spool_pending(c: *const SpreadClient, pending: *mut usize) -> c_int {
    guard_status(|| {
        if pending.is_null() {
            return Err(FfiError::new(SpreadStatus::SPREAD_ERR_NULL_ARGUMENT, "pending: is NULL"));
        }
        let client = arg_ref(c, "client")?.read();
        let spool = client.spool().ok_or_else(|| crate::Error::config("spool_dir", "no spool folder is set"))?;
        let count = spool.pending()?;
        // SAFETY: checked non-NULL above; points to writable size_t storage.
        unsafe { *pending = count };
        Ok(())
    })
}
