//! Batches: `spread_send_many` (one status per order) and
//! `spread_send_batch`, whose `SpreadBatch` result gives every order's
//! status, HTTP status and message, with progress reported on the calling thread.

use std::ffi::{c_char, c_int, c_void, CString};

use super::client::SpreadClient;
use super::order::SpreadOrder;
use super::response::c_text;
use super::{arg_ref, guard, guard_status, FfiError, SpreadStatus};
use crate::error::Error;
use crate::send::client::Sent;

/// A progress callback: `done` of `total` orders are finished. Called on
/// the thread that called `spread_send_batch`, at most every 100 ms and
/// once at the end (`done == total`).
pub type SpreadProgressFn = Option<unsafe extern "C" fn(user_data: *mut c_void, done: usize, total: usize)>;

/// What became of one order of a batch.
struct Item {
    status: c_int,
    http_status: u16,
    message: CString,
}

/// The outcome of every order of a `spread_send_batch`. Opaque; owned by
/// the caller: free with `spread_batch_free`.
pub struct SpreadBatch {
    items: Vec<Item>,
}

/// Borrows the `n` orders of a C array; a NULL entry fails alone.
fn orders_of<'a>(orders: *const *const SpreadOrder, n: usize) -> Result<Vec<Result<&'a crate::Order, FfiError>>, FfiError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if n > isize::MAX as usize / std::mem::size_of::<*const SpreadOrder>() {
        return Err(Error::invalid("n", format!("{n} orders cannot be an array in memory")).into());
    }
    arg_ref(orders, "orders")?;
    // SAFETY: the caller passes an array of `n` order pointers (documented contract); `n` fits in memory.
    let orders = unsafe { std::slice::from_raw_parts(orders, n) };
    Ok(orders.iter().enumerate().map(|(i, &o)| arg_ref(o, &format!("orders[{i}]")).map(|o| &o.inner)).collect())
}

/// Sends the valid orders and gives one result per entry, in order.
fn run(
    c: *mut SpreadClient,
    orders: *const *const SpreadOrder,
    n: usize,
    concurrency: u32,
    progress: Option<&mut dyn FnMut(usize, usize)>,
) -> Result<Vec<Result<SpreadStatus, FfiError>>, FfiError> {
    let client = arg_ref(c, "client")?;
    let refs = orders_of(orders, n)?;
    let valid: Vec<&crate::Order> = refs.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    // A NULL entry is finished (failed) from the start: progress counts all `n`.
    let failed = refs.len() - valid.len();
    let outcomes = match progress {
        Some(report) => {
            let mut of_all = |done: usize, total: usize| report(done + failed, total + failed);
            client.read().send_many(&valid, concurrency as usize, Some(&mut of_all))?
        }
        None => client.read().send_many(&valid, concurrency as usize, None)?,
    };
    let mut outcomes = outcomes.into_iter();
    Ok(refs
        .into_iter()
        .enumerate()
        .map(|(i, slot)| {
            slot.and_then(|_| match outcomes.next().expect("one outcome per valid order") {
                Ok(Sent::Delivered(_)) => Ok(SpreadStatus::SPREAD_OK),
                Ok(Sent::Queued) => Ok(SpreadStatus::SPREAD_QUEUED),
                Err(e) => Err(FfiError::from(e).prefixed(&format!("orders[{i}]: "))),
            })
        })
        .collect())
}

/// Sends `n` orders on up to `concurrency` threads (1 to
/// `spread_max_concurrency()`, else SPREAD_ERR_CONFIG; connections are kept
/// and reused), blocking until every order is delivered, queued or failed.
/// Updates of the same order_idorder are sent one after the other in array
/// order; spooled orders are flushed first; senders that meet a Retry-After
/// (429, 503) all wait it out together. `statuses` (an array of `n` ints
/// owned by the caller) receives one status per order, as `spread_send`
/// would return it. `orders` (an array of `n` borrowed orders; a NULL entry
/// fails alone) is only read. Returns SPREAD_OK when every order was
/// delivered or queued; otherwise the first failed order's status, with
/// `spread_last_error` naming its index (`"orders[3]: ..."`). For every
/// order's message and HTTP status, use `spread_send_batch`. When the call
/// fails before looking at the orders (NULL client or arrays, bad
/// concurrency, an `n` too large for memory), `statuses` is left untouched.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_send_many(c: *mut SpreadClient, orders: *const *const SpreadOrder, n: usize, concurrency: u32, statuses: *mut c_int) -> c_int {
    guard_status(|| {
        if n > 0 {
            arg_ref(statuses, "statuses")?;
        }
        let outcomes = run(c, orders, n, concurrency, None)?;
        // SAFETY: `statuses` is an array of `n` ints owned by the caller (checked non-NULL when n > 0).
        let statuses = if n == 0 { &mut [][..] } else { unsafe { std::slice::from_raw_parts_mut(statuses, n) } };
        let mut first_failure: Option<FfiError> = None;
        for (slot, outcome) in statuses.iter_mut().zip(outcomes) {
            *slot = match outcome {
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

/// The caller's user_data for a progress callback called on its own thread.
struct Progress {
    callback: unsafe extern "C" fn(*mut c_void, usize, usize),
    user_data: *mut c_void,
}

/// `spread_send_many` with every order's outcome: `*out` receives a
/// SpreadBatch (owned by the caller, free with `spread_batch_free`) whenever
/// the orders were looked at, NULL otherwise. `progress` (may be NULL) is
/// called with `user_data` on this thread at most every 100 ms and once at
/// the end. Returns SPREAD_OK when every order was delivered or queued;
/// otherwise the first failed order's status (each order's own is in the
/// batch). `orders` and `c` are borrowed.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_send_batch(
    c: *mut SpreadClient,
    orders: *const *const SpreadOrder,
    n: usize,
    concurrency: u32,
    progress: SpreadProgressFn,
    user_data: *mut c_void,
    out: *mut *mut SpreadBatch,
) -> c_int {
    guard_status(|| {
        if out.is_null() {
            return Err(FfiError::new(SpreadStatus::SPREAD_ERR_NULL_ARGUMENT, "out: is NULL"));
        }
        // SAFETY: checked non-NULL; points to writable storage for one pointer.
        unsafe { *out = std::ptr::null_mut() };
        let reporter = progress.map(|callback| Progress { callback, user_data });
        let mut report = |done: usize, total: usize| {
            if let Some(p) = &reporter {
                // SAFETY: the caller's callback and user_data, on the caller's own thread.
                unsafe { (p.callback)(p.user_data, done, total) };
            }
        };
        let outcomes = run(c, orders, n, concurrency, Some(&mut report))?;
        let mut first_failure: Option<FfiError> = None;
        let items = outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Ok(status) => Item { status: status as c_int, http_status: 0, message: CString::default() },
                Err(e) => {
                    let item = Item { status: e.status() as c_int, http_status: e.http_status(), message: c_text(e.message()) };
                    first_failure.get_or_insert(e);
                    item
                }
            })
            .collect();
        // SAFETY: as above.
        unsafe { *out = Box::into_raw(Box::new(SpreadBatch { items })) };
        first_failure.map_or(Ok(()), Err)
    })
}

fn item<'a>(b: *const SpreadBatch, index: usize) -> Option<&'a Item> {
    // SAFETY: `b` is NULL or a live batch from `spread_send_batch`; the item
    // lives as long as the batch, which the caller keeps until `spread_batch_free`.
    unsafe { b.as_ref() }.and_then(|b| b.items.get(index))
}

/// How many orders the batch holds (the `n` it was sent with); 0 for NULL.
#[no_mangle]
pub extern "C" fn spread_batch_len(b: *const SpreadBatch) -> usize {
    // SAFETY: as in `item`.
    unsafe { b.as_ref() }.map_or(0, |b| b.items.len())
}

/// The `index`-th order's status: SPREAD_OK (delivered), SPREAD_QUEUED
/// (spooled) or its SPREAD_ERR_*; -1 past the end or for NULL.
#[no_mangle]
pub extern "C" fn spread_batch_status(b: *const SpreadBatch, index: usize) -> c_int {
    item(b, index).map_or(-1, |i| i.status)
}

/// The HTTP status SPREAD answered when the `index`-th order failed on an
/// answer (401, 422, 503…); 0 otherwise.
#[no_mangle]
pub extern "C" fn spread_batch_http_status(b: *const SpreadBatch, index: usize) -> u16 {
    item(b, index).map_or(0, |i| i.http_status)
}

/// Why the `index`-th order failed (`"orders[3]: order_state: 7 is not one
/// of …"`); "" when it did not fail, NULL past the end. Borrowed from `b`.
#[no_mangle]
pub extern "C" fn spread_batch_message(b: *const SpreadBatch, index: usize) -> *const c_char {
    item(b, index).map_or(std::ptr::null(), |i| i.message.as_ptr())
}

/// Frees a batch. NULL is a no-op.
#[no_mangle]
pub extern "C" fn spread_batch_free(b: *mut SpreadBatch) {
    guard(|| {
        if !b.is_null() {
            // SAFETY: `b` came from `Box::into_raw` in `spread_send_batch` and is freed once.
            drop(unsafe { Box::from_raw(b) });
        }
        Ok(())
    })
}
