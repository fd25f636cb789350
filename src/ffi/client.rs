//! `SpreadClient`: the keys, the settings and a pool of connections.
//! Thread-safe: share one client between threads. Configure it before
//! sharing: every function here but `spread_client_free` is safe to call
//! from any thread, but a setter waits for the sends and flushes in progress
//! to finish.

use std::ffi::{c_char, c_int};
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use super::order::SpreadOrder;
use super::response::SpreadResponse;
use super::{arg_ref, arg_str, guard, guard_status, FfiError, SpreadStatus};
use crate::send::client::{Client, Sent};
use crate::send::secrets::Secrets;

/// A SPREAD client. Opaque.
pub struct SpreadClient {
    inner: RwLock<Client>,
}

impl SpreadClient {
    // A poisoned lock only means another thread panicked mid-call; the client is still whole.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Client> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Client> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// A client for the API keys from SPREAD's back office ("Paramétrage >
/// Tracker"), with the default base URL `https://social-sb.com/api`, a 30 s
/// total and 10 s connect timeout, the host's CA store, no proxy. The keys
/// are copied. Owned by the caller: free with `spread_client_free`. NULL on
/// error (see `spread_last_error`).
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_new(public_key: *const c_char, private_key: *const c_char) -> *mut SpreadClient {
    guard(|| {
        let client = Client::new(arg_str(public_key, "public_key")?, arg_str(private_key, "private_key")?)?;
        Ok(boxed(client))
    })
}

fn boxed(client: Client) -> *mut SpreadClient {
    Box::into_raw(Box::new(SpreadClient { inner: RwLock::new(client) }))
}

/// A client configured as the `spread` command finds its secrets: the keys
/// file named by SPREAD_KEYS_FILE (`NAME=value` lines; refused unless a
/// regular file of this user or root, mode 0600 or 0640, UTF-8, at most
/// 64 KiB), then the systemd credentials of CREDENTIALS_DIRECTORY, then the
/// variables SPREAD_PUBLIC_KEY, SPREAD_PRIVATE_KEY and SPREAD_PROXY; the
/// first non-empty value of each wins. SPREAD_PROXY, when found, is the
/// proxy. `environ_json` is a JSON object of those variables (a binding's
/// own mapping), or NULL for the process's environment. The keys never
/// leave the library, and an error never quotes a line of the file.
/// SPREAD_ERR_CONFIG naming the file, the credential or the missing key.
/// Owned by the caller: free with `spread_client_free`. NULL on error.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_new_from_env(environ_json: *const c_char) -> *mut SpreadClient {
    guard(|| {
        let secrets = if environ_json.is_null() {
            Secrets::from_process(None)?
        } else {
            let vars: std::collections::HashMap<String, serde_json::Value> = serde_json::from_str(arg_str(environ_json, "environ_json")?)
                .map_err(|e| crate::Error::invalid("environ_json", format!("not a JSON object: {e}")))?;
            let var = |name: &str| vars.get(name).and_then(|v| v.as_str()).map(str::to_owned);
            let keys_file = var("SPREAD_KEYS_FILE").filter(|f| !f.is_empty()).map(std::path::PathBuf::from);
            Secrets::load(keys_file.as_deref(), var)?
        };
        Ok(boxed(Client::from_secrets(&secrets)?))
    })
}

/// A client for the keys in the keys file `path` (SPREAD_PUBLIC_KEY and
/// SPREAD_PRIVATE_KEY lines, and its SPREAD_PROXY if any), checked as
/// `spread_client_new_from_env` checks it; nothing else is read. `path` is
/// borrowed. Owned by the caller: free with `spread_client_free`. NULL on error.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_new_from_keys_file(path: *const c_char) -> *mut SpreadClient {
    guard(|| {
        let secrets = Secrets::load(Some(Path::new(arg_str(path, "keys_file")?)), |_| None)?;
        Ok(boxed(Client::from_secrets(&secrets)?))
    })
}

/// Frees a client. NULL is a no-op. Not thread-safe: no other thread may be
/// using the client, now or afterwards. If the client enqueued orders, this
/// waits for their background delivery at most the shutdown timeout
/// (`spread_client_set_shutdown_timeout_ms`, 2 s by default, and not at all
/// while SPREAD cannot be reached); what is left stays in the spool for the
/// next flush.
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

/// Waits, as `spread_client_free` would, for the background delivery of
/// what this client enqueued (at most the shutdown timeout; not at all
/// while SPREAD cannot be reached), but keeps the client usable: a binding
/// drains the last log records (`spread_client_next_log`) before freeing it.
/// Safe to call from any thread; NULL is a no-op.
#[no_mangle]
pub extern "C" fn spread_client_close(c: *mut SpreadClient) {
    guard(|| {
        if let Some(client) = unsafe_ref(c) {
            client.read().close();
        }
        Ok(())
    })
}

fn unsafe_ref<'a>(c: *const SpreadClient) -> Option<&'a SpreadClient> {
    // SAFETY: `c` is NULL or a live client (documented contract).
    unsafe { c.as_ref() }
}

pub(crate) fn configure(c: *const SpreadClient, change: impl FnOnce(&mut Client) -> Result<(), FfiError>) -> c_int {
    guard_status(|| change(&mut arg_ref(c, "client")?.write()))
}

/// Sets the API root (`https://social-sb.com/api` by default); orders go to
/// `<url>/updateOrder`. Plain `http://` to a host that is not loopback also
/// needs `spread_client_set_allow_insecure_http`, before or after: checked
/// when the client is first used (`spread_client_check`). `url` is copied.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_base_url(c: *mut SpreadClient, url: *const c_char) -> c_int {
    configure(c, |client| Ok(client.set_base_url(arg_str(url, "base_url")?)?))
}

/// Sets the total time budget of one send (authentication, redirects and
/// retries included), in milliseconds; more than 0. Default 30000.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_timeout_ms(c: *mut SpreadClient, total_ms: u32) -> c_int {
    configure(c, |client| Ok(client.set_timeout(Duration::from_millis(total_ms.into()))?))
}

/// Sets the time allowed to open a connection, in milliseconds; more than 0.
/// Default 10000 (never more than the total budget).
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_connect_timeout_ms(c: *mut SpreadClient, connect_ms: u32) -> c_int {
    configure(c, |client| Ok(client.set_connect_timeout(Duration::from_millis(connect_ms.into()))?))
}

/// Trusts only the CA certificates in this PEM file (as
/// `spread_client_set_tls_roots(c, path)` does; with tls_roots naming other
/// roots, the first use fails naming both). The file is read now; `path` is copied.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_ca_file(c: *mut SpreadClient, path: *const c_char) -> c_int {
    configure(c, |client| Ok(client.set_ca_file(Path::new(arg_str(path, "ca_file")?))?))
}

/// Which certificate authorities https trusts: "system" (the default: the
/// host's store as curl and OpenSSL read it, SSL_CERT_FILE and SSL_CERT_DIR
/// included; the bundled Mozilla roots if the host has none, said once
/// through the logger), "bundled" (the Mozilla roots inside libspread), or
/// the path of a PEM file. `roots` is copied.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_tls_roots(c: *mut SpreadClient, roots: *const c_char) -> c_int {
    configure(c, |client| Ok(client.set_tls_roots(arg_str(roots, "tls_roots")?)?))
}

/// Sends through this HTTP CONNECT proxy (`http://host:port`, credentials
/// in the URL if it needs them), except to loopback hosts. NULL or "" for no
/// proxy, the default: proxy variables in the environment (HTTP_PROXY…) are
/// never read, since under CGI a client can set HTTP_PROXY (httpoxy). `url` is copied.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_proxy(c: *mut SpreadClient, url: *const c_char) -> c_int {
    configure(c, |client| {
        let url = if url.is_null() { None } else { Some(arg_str(url, "proxy")?) };
        Ok(client.set_proxy(url)?)
    })
}

/// Names the caller's application in the User-Agent, after libspread's
/// own: "MyShop/2.1" gives `libspread/0.1.0 MyShop/2.1`. Printable ASCII
/// (inner spaces allowed, no CR/LF or other control character), at most 128
/// bytes; NULL or "" for none, the default. SPREAD_ERR_CONFIG naming
/// app_info otherwise, and the client is unchanged. `app_info` is copied.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_app_info(c: *mut SpreadClient, app_info: *const c_char) -> c_int {
    configure(c, |client| {
        let app_info = if app_info.is_null() { None } else { Some(arg_str(app_info, "app_info")?) };
        Ok(client.set_app_info(app_info)?)
    })
}

/// Allows plain http to non-loopback hosts (the keys then travel in clear).
/// Off by default. May come before or after `spread_client_set_base_url`.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_allow_insecure_http(c: *mut SpreadClient, allow: bool) -> c_int {
    configure(c, |client| Ok(client.set_allow_insecure_http(allow)?))
}

/// How many times one `spread_send` may try (the first try included),
/// always within the timeout; at least 1. Default 3. Retried: connection
/// failures, timeouts, 5xx but 501/505, 408, and 429/503 after their
/// Retry-After (when it fits the budget).
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_max_attempts(c: *mut SpreadClient, attempts: u32) -> c_int {
    configure(c, |client| Ok(client.set_max_attempts(attempts)?))
}

/// How long one `spread_flush` may run before it leaves the rest for the
/// next one, in milliseconds; more than 0. Default 240000 (4 minutes: a
/// cron flush every 5 minutes never overlaps the next).
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_flush_budget_ms(c: *mut SpreadClient, budget_ms: u32) -> c_int {
    configure(c, |client| Ok(client.set_flush_budget(Duration::from_millis(budget_ms.into()))?))
}

/// How many orders of different ids `spread_flush` and the background
/// delivery thread keep in flight at once, 1 to 32; default 8. Updates of
/// one order still go one at a time, in the order they were made.
#[no_mangle]
pub extern "C" fn spread_client_set_delivery_concurrency(c: *mut SpreadClient, concurrency: u32) -> c_int {
    configure(c, |client| Ok(client.set_delivery_concurrency(concurrency as usize)?))
}

/// How long `spread_client_free` waits for the background delivery of
/// orders this client enqueued, in milliseconds (0: not at all). Default 2000.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_shutdown_timeout_ms(c: *mut SpreadClient, timeout_ms: u32) -> c_int {
    configure(c, |client| {
        client.set_shutdown_timeout(Duration::from_millis(timeout_ms.into()));
        Ok(())
    })
}

/// Keeps orders that cannot be delivered now in the folder `dir` instead
/// of failing. Created 0700 if missing (and made again if removed); refused
/// (SPREAD_ERR_CONFIG) when others may write it: world-writable, or owned by
/// another user unless it is group-writable and shared with this process's
/// group (then files are 0660 with the folder's group: the php-fpm + cron
/// set-up in the README). Entries hold the body and its destination (base
/// URL, a fingerprint of the public key), never a key. `dir` is copied.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_client_set_spool_dir(c: *mut SpreadClient, dir: *const c_char) -> c_int {
    configure(c, |client| Ok(client.set_spool_dir(Path::new(arg_str(dir, "spool_dir")?))?))
}

/// Validates `o` and sends it to SPREAD's `updateOrder`, retrying (see
/// `spread_client_set_max_attempts`) within the client's timeout. `c` and `o`
/// are borrowed; `o` may be freed or sent again afterwards (SPREAD updates by
/// order_idorder, so a resend is safe).
/// Returns SPREAD_OK when delivered: then, if `out` is not NULL, `*out`
/// receives a response owned by the caller (free with
/// `spread_response_free`). Returns SPREAD_QUEUED when a spool is set and the
/// order was not delivered now for any reason but SPREAD refusing its
/// content (or older updates wait, which it must not overtake): it is
/// durably on disk for `spread_flush`. On every status but SPREAD_OK, `*out`
/// is set to NULL. Safe to call from several threads with one client.
#[must_use]
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
                    unsafe { *out = Box::into_raw(Box::new(SpreadResponse::new(response, order.inner.warnings()))) };
                }
                Ok(SpreadStatus::SPREAD_OK as c_int)
            }
        }
    })
}

/// Validates `o` and writes it durably to the client's spool (fsync'd), then
/// returns SPREAD_QUEUED at once: a delivery thread of this process sends it
/// in the background, oldest first, with the usual retries, Retry-After,
/// ordering and rejection rules. A validation failure returns its error, as
/// `spread_send` would; without a spool folder, SPREAD_ERR_CONFIG.
/// The thread starts on the first enqueue (never before a fork) and is
/// shared by the clients of the same spool and destination in the process.
/// An order reported SPREAD_QUEUED is never lost: if the process dies, the
/// next flush (any process, the cron `spread flush`) sends it. `c` and `o`
/// are borrowed. Safe to call from several threads with one client.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_enqueue(c: *mut SpreadClient, o: *const SpreadOrder) -> c_int {
    guard(|| {
        let client = arg_ref(c, "client")?;
        let order = arg_ref(o, "order")?;
        client.read().enqueue(&order.inner)?;
        Ok(SpreadStatus::SPREAD_QUEUED as c_int)
    })
}

/// Delivers this client's spooled orders, oldest first, within the flush
/// budget. Stops at the first failure that is not about an order (network,
/// timeout, TLS, 5xx, 408/429, 401/403/404…) and returns its status, leaving
/// every entry pending; an order SPREAD refuses for its content (400, 409,
/// 422) is moved to `rejected/` with its answer and the flush goes on.
/// Entries of other destinations (another base URL or key) are left alone.
/// Returns SPREAD_OK (with nothing done) while another thread or process is
/// flushing the same folder. `delivered` and `remaining`, when not NULL,
/// receive the counts, also on failure. SPREAD_ERR_CONFIG without a spool folder.
#[must_use]
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

/// The number of this client's orders waiting in the spool, into `*pending`.
/// SPREAD_ERR_CONFIG without a spool folder.
#[must_use]
#[no_mangle]
pub extern "C" fn spread_spool_pending(c: *const SpreadClient, pending: *mut usize) -> c_int {
    guard_status(|| {
        if pending.is_null() {
            return Err(FfiError::new(SpreadStatus::SPREAD_ERR_NULL_ARGUMENT, "pending: is NULL"));
        }
        let count = arg_ref(c, "client")?.read().pending()?;
        // SAFETY: checked non-NULL above; points to writable size_t storage.
        unsafe { *pending = count };
        Ok(())
    })
}
