//! Memory stays flat over many real sends through the C ABI (what C, C++,
//! PHP and Python do: a new order and a response per send, each freed): the
//! heap in use (glibc's mallinfo2, exact to the byte, unlike RSS) may not
//! grow by what one leaked small allocation per send would add.

mod common;
mod faults;

use std::ffi::CString;

use faults::{script, Reply, Server};
use spread::ffi::client::*;
use spread::ffi::order::*;
use spread::ffi::response::*;
use spread::ffi::SpreadStatus;

const WARM_UP: usize = 2_000;
const SENDS: usize = 20_000;
/// 20,000 sends × 16 bytes, the smallest allocation glibc makes, is 320 kB.
const BOUND: usize = 200 * 1024;

fn heap_in_use() -> usize {
    // SAFETY: mallinfo2 only reads the allocator's counters.
    unsafe { libc::mallinfo2() }.uordblks
}

fn send_one(c: *mut SpreadClient, i: usize) {
    let o = spread_order_new();
    let id = CString::new(format!("mem-{}", i % 50)).unwrap();
    assert_eq!(spread_order_set_customer_email(o, c"m@example.com".as_ptr()), 0);
    assert_eq!(spread_order_set_order_idorder(o, id.as_ptr()), 0);
    assert_eq!(spread_order_set_order_state(o, 20), 0);
    assert_eq!(spread_order_set_order_amount(o, 12.5), 0);
    assert_eq!(spread_order_set_order_crea_dt(o, c"2024-01-02 03:04:05".as_ptr()), 0);
    assert_eq!(spread_order_add_tag(o, c"vip".as_ptr()), 0);
    let mut r = std::ptr::null_mut();
    assert_eq!(spread_send(c, o, &mut r), SpreadStatus::SPREAD_OK as i32);
    assert_eq!(spread_response_status(r), 200);
    spread_response_free(r);
    spread_order_free(o);
}

#[test]
fn the_heap_stays_flat_over_many_sends() {
    let server = Server::start_unrecorded(script(|_, _| Reply::ok()));
    let url = CString::new(server.url()).unwrap();
    let c = spread_client_new(c"PUBLIC_KEY".as_ptr(), c"PRIVATE_KEY".as_ptr());
    assert_eq!(spread_client_set_base_url(c, url.as_ptr()), 0);
    for i in 0..WARM_UP {
        send_one(c, i);
    }
    let before = heap_in_use();
    for i in 0..SENDS {
        send_one(c, i);
    }
    let after = heap_in_use();
    spread_client_free(c);
    assert_eq!(server.count(), WARM_UP + SENDS);
    let growth = after.saturating_sub(before);
    eprintln!("memory: heap in use {before} → {after} bytes over {SENDS} sends");
    assert!(growth <= BOUND, "heap grew {growth} bytes over {SENDS} sends (bound {BOUND})");
}
