//! Customers' personal data (issue 21 item 10): never in a log record above debug
//! level, lenient drop-in warnings included; every file the `spread` command writes
//! with customers' data readable by its owner only, whatever the umask.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use common::{temp_dir, PRIVATE_KEY, PUBLIC_KEY};
use faults::{script, Reply, Server};
use spread::ffi::client::*;
use spread::ffi::logging::*;
use spread::ffi::order::*;

type Seen = (c_int, String, String, String);

unsafe extern "C" fn collect(user_data: *mut c_void, level: c_int, event: *const c_char, message: *const c_char, context: *const c_char) {
    let sink = unsafe { &*(user_data as *const Mutex<Vec<Seen>>) };
    let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    sink.lock().unwrap().push((level, text(event), text(message), text(context)));
}

const EMAIL: &str = "jane doe@shop.example";

#[test]
fn a_lenient_warning_logs_the_email_at_debug_level_only() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let records: &'static Mutex<Vec<Seen>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    let client = spread_client_new(c"PUBLIC_KEY".as_ptr(), c"PRIVATE_KEY".as_ptr());
    let url = CString::new(server.url()).unwrap();
    assert_eq!(spread_client_set_base_url(client, url.as_ptr()), 0);
    let data = records as *const Mutex<Vec<Seen>> as *mut c_void;
    assert_eq!(spread_client_set_logger(client, Some(collect), data, SpreadLogLevel::SPREAD_LOG_DEBUG as c_int), 0);
    // An external id carries the order; the e-mail beside it breaks its rule: sent as is, with
    // a warning. So do a phone number and a birthday (customer data too) and a country (not).
    let json = format!(
        r#"{{"customer_email":"{EMAIL}","external_id":"C-1","customer_tel":"06\u0007 12","customer_birthday":"1999-02-31","customer_country":"fr","order_idorder":"P-1","order_state":20,"order_amount":1,"order_crea_dt":"2024-01-02 03:04:05"}}"#
    );
    let json = CString::new(json).unwrap();
    let order = spread_order_from_json(json.as_ptr(), false);
    assert!(!order.is_null());
    assert_eq!(spread_order_warning_count(order), 4);
    let owned = spread_order_warning(order, 0);
    let first = unsafe { CStr::from_ptr(owned) }.to_str().unwrap().to_owned();
    spread::ffi::spread_string_free(owned);
    assert!(first.starts_with(&format!("customer_email: {EMAIL:?} is not an e-mail address")), "the caller's own copy keeps it: {first}");
    assert_eq!(spread_send(client, order, std::ptr::null_mut()), 0);
    spread_order_free(order);
    spread_client_free(client);

    let seen = records.lock().unwrap().clone();
    let warn = SpreadLogLevel::SPREAD_LOG_WARN as c_int;
    let warnings: Vec<&Seen> = seen.iter().filter(|r| r.1 == "warning").collect();
    assert_eq!(warnings.len(), 4, "{seen:?}");
    for r in &seen {
        if r.0 < SpreadLogLevel::SPREAD_LOG_DEBUG as c_int {
            for private in ["jane doe", "shop.example", "1999-02-31", "06\\u0007 12"] {
                assert!(!format!("{} {} {}", r.1, r.2, r.3).contains(private), "{private} above debug: {r:?}");
            }
        }
    }
    assert!(warnings.iter().all(|r| r.0 == warn));
    assert_eq!(warnings[0].2, "customer_email: (a customer's data, left out of the log) is not an e-mail address: contains ' ' (sent as is)");
    assert_eq!(warnings[3].2, r#"customer_country: "fr" is not an ISO 3166-1 alpha-2 code such as "FR" (sent as is)"#, "not personal");
    // At debug level, in full, for the two that left something out (the phone's names a
    // control character only).
    assert!(warnings[1].2.starts_with("customer_tel: contains the control character"), "{:?}", warnings[1]);
    let details: Vec<&Seen> = seen.iter().filter(|r| r.1 == "warning_detail").collect();
    assert_eq!(details.len(), 2, "{seen:?}");
    assert!(details.iter().all(|r| r.0 == SpreadLogLevel::SPREAD_LOG_DEBUG as c_int));
    assert_eq!(details[0].2, first);
    assert!(details[0].3.contains(r#""order_id":"P-1""#), "{:?}", details[0]);
}

/// `spread send --failed OUT` (OUT and OUT.errors hold customers' orders): 0600 under
/// umask 022, and a file that was there before, 0644, made 0600 too.
#[test]
fn send_failed_files_are_owner_only() {
    let dir = temp_dir("personal-failed");
    let input = dir.join("orders.jsonl");
    fs::write(&input, format!("{{not json, {EMAIL}\n")).unwrap();
    let failed = dir.join("failed.jsonl");
    let errors = dir.join("failed.jsonl.errors");
    fs::write(&errors, "old").unwrap();
    fs::set_permissions(&errors, fs::Permissions::from_mode(0o644)).unwrap();
    let out = unsafe {
        Command::new(env!("CARGO_BIN_EXE_spread"))
            .args(["send", input.to_str().unwrap(), "--failed", failed.to_str().unwrap(), "--base-url", "http://127.0.0.1:9/api"])
            .env("SPREAD_PUBLIC_KEY", PUBLIC_KEY)
            .env("SPREAD_PRIVATE_KEY", PRIVATE_KEY)
            .stdin(Stdio::null())
            .pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            })
            .output()
            .unwrap()
    };
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(fs::read_to_string(&failed).unwrap().contains(EMAIL));
    for file in [&failed, &errors] {
        let mode = fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}: {mode:o}", file.display());
    }
}
