//! Looking after a client's spool: its counts, and the entries SPREAD
//! refused (`rejected/`): list, requeue, purge.

use std::ffi::{c_char, c_int};
use std::time::Duration;

use super::client::SpreadClient;
use super::{arg_ref, arg_str, guard, guard_status, owned_c_string, FfiError, SpreadStatus};

fn write_count(out: *mut usize, count: usize) {
    if !out.is_null() {
        // SAFETY: a non-NULL out-pointer points to writable size_t storage.
        unsafe { *out = count };
    }
}

/// The spool's counts from this client's point of view (`spread_spool_status`).
/// Set `size` to `sizeof(SpreadSpoolStatus)` before the call: fields are only
/// ever added at the end, and a program built against an older header gets
/// the fields it knows.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SpreadSpoolStatus {
    /// `sizeof(SpreadSpoolStatus)`, set by the caller.
    pub size: usize,
    /// This client's orders waiting.
    pub pending: usize,
    /// Entries of other destinations (another base URL or key), left alone.
    pub foreign: usize,
    /// Entries written by libspread 0.1, destination unknown.
    pub legacy: usize,
    /// Orders SPREAD refused for their content, in rejected/.
    pub rejected: usize,
    /// Complete files that are not entries, in unreadable/.
    pub unreadable: usize,
    /// Entries of this public key under another base URL (see `spread_spool_adopt`).
    pub stranded: usize,
    /// Age of the oldest pending order in seconds; -1 when nothing is pending.
    pub oldest_secs: i64,
    /// Age of the oldest stranded entry in seconds; -1 when none.
    pub stranded_oldest_secs: i64,
}

/// The struct as first published (ABI 2): the least a caller may pass.
/// Fields added later go after `stranded_oldest_secs`; this stays.
const SPOOL_STATUS_V1_SIZE: usize = std::mem::offset_of!(SpreadSpoolStatus, stranded_oldest_secs) + std::mem::size_of::<i64>();

fn age_secs(d: Option<Duration>) -> i64 {
    d.map_or(-1, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Fills `*out` with the spool's counts from this client's point of view
/// (see `SpreadSpoolStatus`); the caller sets `out->size` first:
/// `SpreadSpoolStatus st = { sizeof st };`. On error `*out` is left as it
/// was but for `size`; SPREAD_ERR_CONFIG without a spool,
/// SPREAD_ERR_INVALID_VALUE naming `status.size` when it is too small.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_spool_status(c: *const SpreadClient, out: *mut SpreadSpoolStatus) -> c_int {
    guard_status(|| {
        if out.is_null() {
            return Err(FfiError::new(SpreadStatus::SPREAD_ERR_NULL_ARGUMENT, "status: is NULL"));
        }
        // SAFETY: non-NULL, and the caller provides at least `size` bytes (its contract); read it unaligned-safe.
        let size = unsafe { std::ptr::addr_of!((*out).size).read_unaligned() };
        if size < SPOOL_STATUS_V1_SIZE {
            return Err(FfiError::new(
                SpreadStatus::SPREAD_ERR_INVALID_VALUE,
                format!("status.size: is {size}, set it to sizeof(SpreadSpoolStatus) ({})", std::mem::size_of::<SpreadSpoolStatus>()),
            ));
        }
        // An older caller's struct is shorter: fill only what it has room for.
        let len = size.min(std::mem::size_of::<SpreadSpoolStatus>());
        let st = arg_ref(c, "client")?.read().spool_status()?;
        let filled = SpreadSpoolStatus {
            size: len,
            pending: st.pending,
            foreign: st.foreign,
            legacy: st.legacy,
            rejected: st.rejected,
            unreadable: st.unreadable,
            stranded: st.stranded,
            oldest_secs: age_secs(st.oldest),
            stranded_oldest_secs: age_secs(st.stranded_oldest),
        };
        // SAFETY: `out` is non-NULL with room for `size` >= `len` bytes (checked above).
        unsafe { std::ptr::copy_nonoverlapping((&raw const filled).cast::<u8>(), out.cast::<u8>(), len) };
        Ok(())
    })
}

/// The spool's counts from this client's point of view, as a JSON object:
/// `{"pending":3,"foreign":0,"legacy":0,"rejected":1,"unreadable":0,"oldest_secs":42,"stranded":0,"stranded_oldest_secs":null}`
/// (`foreign`: entries of other destinations, left alone; `oldest_secs`:
/// null when nothing is pending; `stranded`: entries of this public key
/// under another base URL, which nothing sends until `spread_spool_adopt`). Owned by the caller: free with
/// `spread_string_free`. NULL on error; SPREAD_ERR_CONFIG without a spool.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_spool_status_json(c: *const SpreadClient) -> *mut c_char {
    guard(|| {
        let st = arg_ref(c, "client")?.read().spool_status()?;
        owned_c_string(st.to_json().to_string())
    })
}

/// The rejected entries, oldest first, as a JSON array of objects with
/// `name` (what `spread_spool_requeue` takes), `order_id`, `answer`
/// (SPREAD's), `age_secs` and `base_url`. They hold customers' data: the
/// files are 0600 (0660 in a shared folder). Owned by the caller: free with
/// `spread_string_free`. NULL on error.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_spool_rejected_json(c: *const SpreadClient) -> *mut c_char {
    guard(|| {
        let rejected = arg_ref(c, "client")?.read().rejected()?;
        owned_c_string(serde_json::to_string(&rejected).map_err(|e| FfiError::new(SpreadStatus::SPREAD_ERR_PANIC, e.to_string()))?)
    })
}

/// Puts the rejected entry `name` (or, with NULL, every rejected entry of
/// this client's destination) back at the end of the queue, for when the
/// cause was fixed on SPREAD's side. `requeued` (may be NULL) receives how
/// many. A name that is not a rejected entry is SPREAD_ERR_INVALID_VALUE.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_spool_requeue(c: *mut SpreadClient, name: *const c_char, requeued: *mut usize) -> c_int {
    write_count(requeued, 0);
    guard_status(|| {
        let client = arg_ref(c, "client")?.read();
        let only = if name.is_null() { None } else { Some(arg_str(name, "name")?) };
        write_count(requeued, client.requeue(only)?);
        Ok(())
    })
}

/// Deletes the rejected entries set aside at least `older_than_secs`
/// seconds ago (0: all of them), so `rejected/` does not grow forever.
/// `purged` (may be NULL) receives how many.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_spool_purge_rejected(c: *mut SpreadClient, older_than_secs: u64, purged: *mut usize) -> c_int {
    write_count(purged, 0);
    guard_status(|| {
        write_count(purged, arg_ref(c, "client")?.read().purge_rejected(Duration::from_secs(older_than_secs))?);
        Ok(())
    })
}

/// Moves the spooled entries of another destination to this client's, each
/// keeping its place in the queue: after the base URL changed
/// (`from_base_url`: the old one) or the keys were rotated
/// (`from_public_key`: the old public key). NULL stands for this client's
/// own; at least one must be given. Never done automatically, since another
/// shop may share the folder (`spread_spool_status_json` counts such
/// entries of this key as `stranded`). `adopted` (may be NULL) receives how
/// many. SPREAD_ERR_CONFIG without a spool.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_spool_adopt(c: *mut SpreadClient, from_base_url: *const c_char, from_public_key: *const c_char, adopted: *mut usize) -> c_int {
    write_count(adopted, 0);
    guard_status(|| {
        let client = arg_ref(c, "client")?.read();
        let url = if from_base_url.is_null() { None } else { Some(arg_str(from_base_url, "from_base_url")?) };
        let key = if from_public_key.is_null() { None } else { Some(arg_str(from_public_key, "from_public_key")?) };
        write_count(adopted, client.adopt(url, key)?);
        Ok(())
    })
}
