//! What the logger is told, through the C ABI's callback (the path C, C++
//! and Python take): a record for each attempt, retry, redirect, queued and
//! rejected order, with its context; never a key, an Authorization header
//! or a body.

mod common;
mod faults;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::Mutex;
use std::time::Duration;

use common::temp_dir;
use faults::{script, Reply, Server};
use spread::ffi::client::*;
use spread::ffi::logging::*;
use spread::ffi::order::*;
use spread::ffi::SpreadStatus;

#[derive(Debug, Clone)]
struct Seen {
    level: c_int,
    event: String,
    message: String,
    context: serde_json::Value,
    thread: std::thread::ThreadId,
}

unsafe extern "C" fn collect(user_data: *mut c_void, level: c_int, event: *const c_char, message: *const c_char, context: *const c_char) {
    let sink = unsafe { &*(user_data as *const Mutex<Vec<Seen>>) };
    let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned();
    sink.lock().unwrap().push(Seen {
        level,
        event: text(event),
        message: text(message),
        context: serde_json::from_str(&text(context)).expect("context is JSON"),
        thread: std::thread::current().id(),
    });
}

struct Logged {
    client: *mut SpreadClient,
    /// Leaked: it must outlive the client, and a test looks at it after the free.
    records: &'static Mutex<Vec<Seen>>,
}

impl Logged {
    fn new(url: &str, spool: bool) -> Logged {
        let client = spread_client_new(c"PUBLIC_KEY".as_ptr(), c"PRIVATE_KEY".as_ptr());
        let url = CString::new(url).unwrap();
        assert_eq!(spread_client_set_base_url(client, url.as_ptr()), 0);
        if spool {
            let dir = CString::new(temp_dir("logging").to_str().unwrap()).unwrap();
            assert_eq!(spread_client_set_spool_dir(client, dir.as_ptr()), 0);
        }
        let records: &'static Mutex<Vec<Seen>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let data = records as *const Mutex<Vec<Seen>> as *mut c_void;
        assert_eq!(spread_client_set_logger(client, Some(collect), data, SpreadLogLevel::SPREAD_LOG_DEBUG as c_int), 0);
        Logged { client, records }
    }

    fn send(&self, id: &str) -> c_int {
        let o = new_order(id);
        let status = spread_send(self.client, o, std::ptr::null_mut());
        spread_order_free(o);
        status
    }

    fn events(&self, event: &str) -> Vec<Seen> {
        self.records.lock().unwrap().iter().filter(|r| r.event == event).cloned().collect()
    }

    fn all(&self) -> Vec<Seen> {
        self.records.lock().unwrap().clone()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        spread_client_free(self.client);
    }
}

/// A valid order `id` through the C setters (free it with spread_order_free).
fn new_order(id: &str) -> *mut SpreadOrder {
    let o = spread_order_new();
    let id = CString::new(id).unwrap();
    assert_eq!(spread_order_set_customer_email(o, c"secret.customer@example.com".as_ptr()), 0);
    assert_eq!(spread_order_set_order_idorder(o, id.as_ptr()), 0);
    assert_eq!(spread_order_set_order_state(o, 20), 0);
    assert_eq!(spread_order_set_order_amount(o, 10.0), 0);
    assert_eq!(spread_order_set_order_crea_dt(o, c"2024-01-02 03:04:05".as_ptr()), 0);
    o
}

/// No record carries a key, an Authorization value, a body, or (above debug) the e-mail.
fn no_secrets(records: &[Seen]) {
    let basic = "UFVCTElDX0tFWTpQUklWQVRFX0tFWQ"; // base64 of PUBLIC_KEY:PRIVATE_KEY
    for r in records {
        let all = format!("{} {} {}", r.event, r.message, r.context);
        // Digest too: its header value, or any piece of it that carries the key or the proof.
        let digest = ["Digest username", "username=", "response=", "cnonce=", "\"PUBLIC_KEY\""];
        for secret in ["PRIVATE_KEY", basic, "Authorization", "authorization", "data%5B", "order_state%5D"].into_iter().chain(digest) {
            assert!(!all.contains(secret), "{secret:?} in {r:?}");
        }
        if r.level < SpreadLogLevel::SPREAD_LOG_DEBUG as c_int {
            assert!(!all.contains("secret.customer"), "the e-mail above debug: {r:?}");
        }
    }
}

#[test]
fn a_retried_503_and_a_429_with_retry_after() {
    let server = Server::start(script(|_, n| match n {
        0 => Reply::status(503),
        1 => Reply::status(429).header("Retry-After", "1"),
        _ => Reply::ok(),
    }));
    let log = Logged::new(&server.url(), false);
    assert_eq!(log.send("42"), 0);
    let retries = log.events("retry");
    assert_eq!(retries.len(), 2, "{:?}", log.all());
    assert_eq!(retries[0].level, SpreadLogLevel::SPREAD_LOG_WARN as c_int);
    assert_eq!((retries[0].context["order_id"].as_str(), retries[0].context["status"].as_u64()), (Some("42"), Some(503)));
    assert_eq!((retries[1].context["status"].as_u64(), retries[1].context["wait_ms"].as_u64()), (Some(429), Some(1000)));
    let attempts = log.events("attempt");
    assert_eq!(attempts.len(), 3);
    for a in &attempts {
        assert_eq!(a.level, SpreadLogLevel::SPREAD_LOG_DEBUG as c_int);
        assert_eq!(a.context["method"], "POST");
        assert_eq!(a.context["host"], format!("http://127.0.0.1:{}", server.port));
        assert!(a.context["elapsed_ms"].is_u64() && a.context["status"].is_u64(), "{a:?}");
    }
    no_secrets(&log.all());
}

#[test]
fn a_redirect_a_queued_and_a_rejected_order() {
    // Within the origin: a redirect elsewhere is not followed (tests/redirects.rs).
    let server = Server::start(script(move |r, _| match r.field("order_idorder").as_deref() {
        Some("moved") if r.target.starts_with("/v2/") => Reply::ok(),
        Some("moved") => Reply::status(307).header("Location", "/v2/updateOrder"),
        Some("down") => Reply::status(503),
        _ => Reply::status(422).body("{\"status\":\"error\",\"message\":\"missing field\"}"),
    }));
    let log = Logged::new(&server.url(), true);
    log.send("moved");
    let redirect = log.events("redirect");
    assert_eq!(redirect.len(), 1);
    assert_eq!(redirect[0].context["to"], format!("http://127.0.0.1:{}", server.port));
    assert_eq!(log.send("down"), SpreadStatus::SPREAD_QUEUED as c_int);
    let queued = log.events("queued");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].context["order_id"], "down");
    assert!(queued[0].context["why"].as_str().unwrap().contains("HTTP 503"), "{queued:?}");
    // A fresh client without the queued entry, so that the send is tried (not queued behind it).
    let fresh = Logged::new(&server.url(), false);
    assert_eq!(fresh.send("refused"), SpreadStatus::SPREAD_ERR_REJECTED as c_int);
    let rejected = fresh.events("rejected");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].level, SpreadLogLevel::SPREAD_LOG_ERROR as c_int);
    assert_eq!(rejected[0].context["status"], 422);
    assert!(rejected[0].message.contains("missing field"), "SPREAD's own words: {rejected:?}");
    no_secrets(&log.all());
    no_secrets(&fresh.all());
}

fn enqueue(client: *mut SpreadClient, id: &str) {
    let o = new_order(id);
    assert_eq!(spread_enqueue(client, o), SpreadStatus::SPREAD_QUEUED as c_int);
    spread_order_free(o);
}

#[test]
fn the_delivery_thread_logs_on_its_own_thread_and_never_after_free() {
    let server = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(300))));
    let log = Logged::new(&server.url(), true);
    enqueue(log.client, "bg-1");
    spread_client_close(log.client); // waits for the delivery
    let flushed = log.events("flushed");
    assert_eq!(flushed.len(), 1, "{:?}", log.all());
    assert_ne!(flushed[0].thread, std::thread::current().id(), "the delivery thread's own record");
    assert_eq!(flushed[0].context["delivered"], 1);
    // Freed while the thread is still delivering (no wait at all): its records must not reach the callback.
    assert_eq!(spread_client_set_shutdown_timeout_ms(log.client, 0), 0);
    enqueue(log.client, "bg-2");
    let records = log.records;
    let before = records.lock().unwrap().len();
    drop(log);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(server.requests().len(), 2, "the second order was delivered after the free");
    assert_eq!(records.lock().unwrap().len(), before, "a record after free: {:?}", &records.lock().unwrap()[before..]);
}

/// A Digest exchange (a challenge, then a stale nonce) after a redirect on
/// the same origin: every record, debug included, is free of the
/// Authorization value and of its parts.
#[test]
fn a_digest_exchange_after_a_redirect_logs_no_authorization_value() {
    let server = Server::start(script(|r, _| {
        let auth = r.header("authorization").unwrap_or_default().to_owned();
        if r.target == "/api/updateOrder" {
            return Reply::status(307).header("Location", "/api/v2/updateOrder");
        }
        if auth.contains("nonce=\"n2\"") {
            Reply::ok()
        } else if auth.contains("nonce=\"n1\"") {
            Reply::status(401).header("WWW-Authenticate", r#"Digest realm="api", nonce="n2", qop="auth", stale=true"#)
        } else {
            Reply::status(401).header("WWW-Authenticate", r#"Digest realm="api", nonce="n1", qop="auth", algorithm=SHA-256"#)
        }
    }));
    let log = Logged::new(&server.url(), false);
    assert_eq!(log.send("digest-1"), 0, "{:?}", log.all());
    let schemes: Vec<String> = server.requests().iter().map(|r| r.header("authorization").unwrap_or("").split(' ').next().unwrap().to_owned()).collect();
    assert_eq!(schemes, ["Basic", "Basic", "Digest", "Digest"], "the exchange this test is about took place");
    assert_eq!(log.events("redirect").len(), 1, "{:?}", log.all());
    assert_eq!(log.events("digest").len(), 2, "{:?}", log.all());
    assert_eq!(log.events("attempt").len(), 4, "{:?}", log.all());
    no_secrets(&log.all());
    // The very values sent, and the Digest proof alone (a hash, however it is labelled).
    for r in server.requests() {
        let value = r.header("authorization").unwrap().to_owned();
        let proof = value.split("response=\"").nth(1).map(|v| v.split('"').next().unwrap().to_owned());
        for record in log.all() {
            let all = format!("{} {} {}", record.event, record.message, record.context);
            assert!(!all.contains(&value), "an Authorization value in {record:?}");
            if let Some(proof) = &proof {
                assert!(!all.contains(proof.as_str()), "the Digest response in {record:?}");
            }
        }
    }
}
