//! A flush (and so the background delivery thread and `spread flush`) keeps
//! up to `delivery_concurrency` orders of different ids in flight, and every
//! rule of the sequential flush still holds: updates of one order in the
//! order they were made (across threads and processes), a stop on the first
//! failure that is not about an order leaving every entry, the budget,
//! rejected/, and one flusher per folder. No timing is asserted: the servers
//! record what they saw and when, and the assertions read those records.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{order, temp_dir};
use faults::{script, Reply, Request, Server};
use spread::ErrorKind;

fn spooled_client(server: &Server, tag: &str) -> (spread::Client, std::path::PathBuf) {
    let dir = temp_dir(tag);
    let mut c = common::client(&server.url());
    c.set_spool_dir(&dir).unwrap();
    c.set_max_attempts(1).unwrap();
    (c, dir)
}

/// Spools update number `n` of order `id` (as a send that could not deliver does);
/// `n` travels as `external_id`, for the server's records.
fn push(c: &spread::Client, id: &str, n: i64) {
    let mut o = order(id, 10);
    o.set("external_id", &n.to_string()).unwrap();
    c.spool().unwrap().push(c.destination(), Some(id), o.encode().as_bytes()).unwrap();
}

fn id_of(r: &Request) -> String {
    r.field("order_idorder").unwrap()
}

fn n_of(r: &Request) -> i64 {
    r.field("external_id").unwrap().parse().unwrap()
}

#[test]
fn orders_of_different_ids_are_in_flight_at_once() {
    let server = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(40))));
    let (c, _dir) = spooled_client(&server, "pf-inflight");
    for i in 0..40 {
        push(&c, &format!("p-{i}"), 10);
    }
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.remaining, report.stopped_by), (40, 0, None));
    // Default concurrency 8: more than one at once, never more than 8.
    let most = server.max_in_flight();
    assert!(most > 1, "the flush sent one order at a time");
    assert!(most <= 8, "{most} requests at once, more than the default concurrency of 8");
    let delivered: std::collections::HashSet<String> = server.requests().iter().map(id_of).collect();
    assert_eq!(delivered.len(), 40);
}

#[test]
fn concurrency_one_is_one_at_a_time_and_the_setting_is_checked() {
    let server = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(10))));
    let (mut c, _dir) = spooled_client(&server, "pf-one");
    for bad in [0, 33] {
        let e = c.set_delivery_concurrency(bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(e.message.contains("delivery_concurrency"), "{e}");
    }
    c.set_delivery_concurrency(1).unwrap();
    for i in 0..10 {
        push(&c, &format!("s-{i}"), 10);
    }
    assert_eq!(c.flush().unwrap().delivered, 10);
    assert_eq!(server.max_in_flight(), 1);
}

#[test]
fn the_slow_older_update_of_an_order_is_answered_before_its_next_update_is_sent() {
    // Order A's first update is answered slowly; its second must wait for that answer,
    // while the other orders go past it.
    let server = Server::start(script(|r, _| {
        if r.field("order_idorder").as_deref() == Some("A") && r.field("external_id").as_deref() == Some("1") {
            Reply::ok().after(Duration::from_millis(400))
        } else {
            Reply::ok().after(Duration::from_millis(5))
        }
    }));
    let (c, _dir) = spooled_client(&server, "pf-slow");
    // (The flush sends one order alone until an answer shows the endpoint works.)
    push(&c, "first", 0);
    push(&c, "A", 1);
    for i in 0..6 {
        push(&c, &format!("o-{i}"), 10);
    }
    push(&c, "A", 2);
    for i in 6..12 {
        push(&c, &format!("o-{i}"), 10);
    }
    push(&c, "A", 3);
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (16, 0));
    let requests = server.requests();
    let a: Vec<&Request> = requests.iter().filter(|r| id_of(r) == "A").collect();
    let states: Vec<i64> = a.iter().map(|r| n_of(r)).collect();
    assert_eq!(states, [1, 2, 3], "A's updates out of order");
    for pair in a.windows(2) {
        let answered = pair[0].answered.expect("answered");
        assert!(pair[1].at >= answered, "A's update {} was sent before {} was answered", n_of(pair[1]), n_of(pair[0]));
    }
    // The others did not wait for A's slow answer: some were sent while it was outstanding.
    let overlapped = requests.iter().filter(|r| id_of(r) != "A" && r.at > a[0].at && r.at < a[0].answered.unwrap()).count();
    assert!(overlapped > 0, "the flush waited for A's slow answer before sending other orders");
}

#[test]
fn an_order_whose_lock_is_held_elsewhere_waits_with_all_its_updates() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let (c, _dir) = spooled_client(&server, "pf-held");
    push(&c, "B", 1);
    for i in 0..10 {
        push(&c, &format!("h-{i}"), 10);
    }
    push(&c, "B", 2);
    // An update of B in flight elsewhere (another thread's send, another process's flush).
    let lock = c.spool().unwrap().lock_order(c.destination(), "B", Instant::now()).unwrap().expect("the lock is free");
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (10, 2));
    assert!(server.requests().iter().all(|r| id_of(r) != "B"), "B was sent while its lock was held");
    drop(lock);
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (2, 0));
    let states: Vec<i64> = server.requests().iter().filter(|r| id_of(r) == "B").map(n_of).collect();
    assert_eq!(states, [1, 2]);
}

/// Entries are answered 200 until `ok` requests were seen, then `status`:
/// the endpoint (or the account) went away in the middle of a parallel flush.
fn stops_leaving_every_entry(status: u16, kind: ErrorKind) {
    const ENTRIES: usize = 60;
    let server =
        Server::start(script(
            move |_, n| if n < 12 { Reply::ok().after(Duration::from_millis(20)) } else { Reply::status(status).after(Duration::from_millis(20)) },
        ));
    let (c, dir) = spooled_client(&server, "pf-stop");
    for i in 0..ENTRIES {
        push(&c, &format!("m-{}", i % 20), i as i64);
    }
    let report = c.flush().unwrap();
    let e = report.stopped_by.clone().expect("the flush stopped");
    assert_eq!(e.kind, kind, "{e}");
    assert_eq!(e.status, Some(status));
    let requests = server.requests();
    let refused: Vec<&Request> = requests.iter().skip(12).collect();
    assert_eq!(report.delivered, 12, "every 200 is a delivered entry");
    assert_eq!(report.rejected, 0);
    assert_eq!(report.delivered + report.remaining, ENTRIES, "{report:?}");
    assert_eq!(c.pending().unwrap(), ENTRIES - 12);
    assert!(!refused.is_empty());
    // It stopped at once: at most one refused request per order that was in flight.
    assert!(refused.len() <= 8, "{} requests after the first {status}", refused.len());
    // Nothing went to rejected/ and the refused entries are all still waiting, with the
    // later updates of their orders behind them.
    assert_eq!(c.spool_status().unwrap().rejected, 0);
    let names = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(".req")).count();
    assert_eq!(names, ENTRIES - 12);
    // Per order, what was delivered is a prefix of its updates (no update overtook a refused one).
    let mut delivered: HashMap<String, Vec<i64>> = HashMap::new();
    for r in requests.iter().take(12) {
        delivered.entry(id_of(r)).or_default().push(n_of(r));
    }
    for (id, states) in delivered {
        let n: usize = id[2..].parse().unwrap();
        let expected: Vec<i64> = (0..ENTRIES as i64).filter(|s| *s as usize % 20 == n).take(states.len()).collect();
        assert_eq!(states, expected, "order {id}");
    }
}

#[test]
fn a_404_in_the_middle_of_a_parallel_flush_leaves_every_entry() {
    stops_leaving_every_entry(404, ErrorKind::Endpoint);
}

#[test]
fn a_401_in_the_middle_of_a_parallel_flush_leaves_every_entry() {
    stops_leaving_every_entry(401, ErrorKind::Auth);
}

#[test]
fn refused_entries_go_to_rejected_and_the_flush_goes_on() {
    // Updates 3, 10 and 17 are refused for their content.
    let server = Server::start(script(|r, _| if n_of(r) % 7 == 3 { Reply::status(422) } else { Reply::ok().after(Duration::from_millis(10)) }));
    let (c, dir) = spooled_client(&server, "pf-rejected");
    for i in 0..20 {
        push(&c, &format!("r-{}", i % 5), i);
    }
    let report = c.flush().unwrap();
    let refused = (0..20).filter(|i| i % 7 == 3).count();
    assert_eq!((report.rejected, report.delivered, report.remaining, report.stopped_by), (refused, 20 - refused, 0, None));
    assert_eq!(
        std::fs::read_dir(dir.join("rejected")).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".req")).count(),
        refused
    );
    // Each order's updates reached the server in the order they were made, refused ones included.
    let mut by_order: HashMap<String, Vec<i64>> = HashMap::new();
    for r in server.requests() {
        by_order.entry(id_of(&r)).or_default().push(n_of(&r));
    }
    for (id, states) in by_order {
        let n: i64 = id[2..].parse().unwrap();
        let expected: Vec<i64> = (0..20).filter(|i| i % 5 == n).collect();
        assert_eq!(states, expected, "order {id}");
    }
}

#[test]
fn the_budget_stops_a_parallel_flush_and_leaves_the_rest() {
    let server = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(100))));
    let (mut c, _dir) = spooled_client(&server, "pf-budget");
    c.set_flush_budget(Duration::from_millis(350)).unwrap();
    for i in 0..200 {
        push(&c, &format!("b-{i}"), 10);
    }
    let report = c.flush().unwrap();
    assert_eq!(report.stopped_by.as_ref().map(|e| e.kind), Some(ErrorKind::Timeout), "{report:?}");
    assert!(report.delivered > 0 && report.delivered < 200, "{report:?}");
    assert_eq!(report.delivered + report.remaining, 200);
    // Requests cut off by the budget (at most one per order in flight) leave their entries.
    let sent = server.requests().len();
    assert!(sent >= report.delivered && sent <= report.delivered + 8, "{sent} sent, {report:?}");
    assert_eq!(c.pending().unwrap(), report.remaining);
}

#[test]
fn two_parallel_flushers_of_one_folder_deliver_each_entry_once() {
    let server = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(5))));
    let (c, dir) = spooled_client(&server, "pf-two");
    for i in 0..200 {
        push(&c, &format!("t-{}", i % 50), i);
    }
    let flushed = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..3 {
            let (dir, url, flushed) = (&dir, server.url(), flushed.clone());
            s.spawn(move || {
                let mut c = common::client(&url);
                c.set_spool_dir(Path::new(dir)).unwrap();
                while c.pending().unwrap() > 0 {
                    flushed.fetch_add(c.flush().unwrap().delivered, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(flushed.load(Ordering::SeqCst), 200);
    let requests = server.requests();
    assert_eq!(requests.len(), 200, "an entry was delivered twice");
    let mut by_order: HashMap<String, Vec<i64>> = HashMap::new();
    for r in &requests {
        by_order.entry(id_of(r)).or_default().push(n_of(r));
    }
    for states in by_order.values() {
        assert!(states.windows(2).all(|w| w[0] < w[1]), "{states:?}");
    }
}

#[test]
fn spread_flush_takes_a_concurrency() {
    let server = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(30))));
    let (c, dir) = spooled_client(&server, "pf-cli");
    for i in 0..24 {
        push(&c, &format!("c-{}", i % 12), i);
    }
    let flush = |concurrency: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spread"))
            .args(["flush", "--spool", dir.to_str().unwrap(), "--base-url", &server.url(), "--concurrency", concurrency])
            .env("SPREAD_PUBLIC_KEY", common::PUBLIC_KEY)
            .env("SPREAD_PRIVATE_KEY", common::PRIVATE_KEY)
            .env_remove("SPREAD_SPOOL")
            .env_remove("SPREAD_BASE_URL")
            .output()
            .unwrap()
    };
    let refused = flush("33");
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    let run = flush("3");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stdout).contains("delivered 24"), "{}", String::from_utf8_lossy(&run.stdout));
    assert!((2..=3).contains(&server.max_in_flight()), "{} at once", server.max_in_flight());
    let mut by_order: HashMap<String, Vec<i64>> = HashMap::new();
    for r in server.requests() {
        by_order.entry(id_of(&r)).or_default().push(n_of(&r));
    }
    assert!(by_order.values().all(|n| n.windows(2).all(|w| w[0] < w[1])), "{by_order:?}");
}
