//! `send_many` and connection reuse, against the sandbox and against the
//! scripted server of tests/faults, which counts the connections it is given.

mod common;
mod faults;

use std::time::{Duration, Instant};

use common::{client, order, Sandbox};
use spread::Sent;

#[test]
fn send_many_delivers_every_order_once() {
    let sb = Sandbox::start();
    let orders: Vec<_> = (0..40).map(|i| order(&format!("bulk-{i}"), 20)).collect();
    let refs: Vec<_> = orders.iter().collect();
    let outcomes = client(&sb.base_url()).send_many(&refs, 8, None).unwrap();
    assert_eq!(outcomes.len(), 40);
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Sent::Delivered(_)))), "{outcomes:?}");
    assert_eq!(sb.state()["orders"].as_object().unwrap().len(), 40);
    assert_eq!(sb.requests().len(), 40);
}

#[test]
fn send_many_reports_each_failure_in_its_place() {
    let sb = Sandbox::start();
    let mut bad = spread::Order::new(); // no customer: refused before anything is sent
    bad.set("order_idorder", "no-customer").unwrap();
    let good = order("bulk-good", 20);
    let outcomes = client(&sb.base_url()).send_many(&[&good, &bad, &good], 2, None).unwrap();
    assert!(matches!(outcomes[0], Ok(Sent::Delivered(_))));
    assert_eq!(outcomes[1].as_ref().unwrap_err().kind, spread::ErrorKind::MissingField);
    assert!(matches!(outcomes[2], Ok(Sent::Delivered(_))));
}

#[test]
fn senders_wait_out_a_retry_after_together() {
    let sb = Sandbox::start();
    sb.fault(r#"{"mode":"retry_after","code":429,"retry_after":"1","times":1}"#);
    let orders: Vec<_> = (0..8).map(|i| order(&format!("gate-{i}"), 20)).collect();
    let refs: Vec<_> = orders.iter().collect();
    let start = Instant::now();
    let outcomes = client(&sb.base_url()).send_many(&refs, 4, None).unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Sent::Delivered(_)))));
    assert!(start.elapsed() >= Duration::from_secs(1));
    let log = sb.requests();
    let throttled = log.iter().position(|r| r["status"] == 429).expect("one 429");
    // After the 429, only requests already in flight (one per other sender)
    // arrive within the second it asked for; everything else waits.
    let t429 = log[throttled]["time"].as_f64().unwrap();
    let later: Vec<f64> = log[throttled + 1..].iter().map(|r| r["time"].as_f64().unwrap()).collect();
    let early = later.iter().filter(|t| **t < t429 + 0.9).count();
    assert!(early <= 3, "{early} requests did not wait: {t429} then {later:?}");
    assert_eq!(log.len(), 9, "8 orders and one retry");
}

#[test]
fn a_new_client_per_request_reuses_the_process_connections() {
    let server = faults::Server::start(faults::script(|_, _| faults::Reply::ok()));
    let url = server.url();
    for i in 0..5 {
        // What a php-fpm worker does: a new client on each request.
        let c = client(&url);
        assert!(matches!(c.send(&order(&format!("reuse-{i}"), 10)), Ok(Sent::Delivered(_))));
    }
    assert_eq!(server.connections(), 1, "each client opened its own connection");
}

#[test]
fn updates_of_one_order_in_a_batch_keep_their_order() {
    // The older update of "same" is held 500 ms by the server, deterministically; four
    // senders are free, so without per-order sequencing the newer one (state 50)
    // would reach the server first and then be overwritten by the older one.
    let server = faults::Server::start(faults::script(|r, _| {
        if r.field("order_idorder").as_deref() == Some("same") && r.state().as_deref() == Some("10") {
            faults::Reply::ok().after(Duration::from_millis(500))
        } else {
            // Others take a while too, so they overlap the older update even when a
            // loaded machine is slow to start its sender (they all finished first once).
            faults::Reply::ok().after(Duration::from_millis(150))
        }
    }));
    let (older, newer) = (order("same", 10), order("same", 50));
    let others: Vec<_> = (0..6).map(|i| order(&format!("other-{i}"), 20)).collect();
    let mut batch = vec![&older];
    batch.extend(others.iter());
    batch.push(&newer);
    let outcomes = client(&server.url()).send_many(&batch, 4, None).unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Sent::Delivered(_)))), "{outcomes:?}");
    let log = server.requests();
    let same: Vec<_> = log.iter().filter(|r| r.field("order_idorder").as_deref() == Some("same")).collect();
    assert_eq!(same.iter().map(|r| r.state().unwrap()).collect::<Vec<_>>(), ["10", "50"]);
    assert!(same[1].at >= same[0].answered.unwrap(), "the newer update was sent before the older one was answered");
    assert!(server.max_in_flight() >= 2, "the batch did run in parallel");
}

#[test]
fn a_batch_flushes_the_spool_first_and_then_sends_directly() {
    let port = common::free_port();
    let spool = common::temp_dir("bulk-spool");
    let mut c = client(&format!("http://127.0.0.1:{port}/api"));
    c.set_max_attempts(1).unwrap();
    c.set_spool_dir(&spool).unwrap();
    assert_eq!(c.send(&order("waiting", 10)).unwrap(), Sent::Queued);
    let sb = Sandbox::start_on(port);
    let orders: Vec<_> = (0..12).map(|i| order(&format!("fresh-{i}"), 20)).collect();
    let refs: Vec<_> = orders.iter().collect();
    let outcomes = c.send_many(&refs, 4, None).unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, Ok(Sent::Delivered(_)))), "{outcomes:?}");
    assert_eq!(c.pending().unwrap(), 0);
    let log = sb.requests();
    assert_eq!(log.len(), 13);
    assert!(log[0]["body"].as_str().unwrap().contains("waiting"), "the spooled order went first");
}

#[test]
fn host_names_resolve_and_connections_are_kept() {
    let server = faults::Server::start(faults::script(|_, _| faults::Reply::ok()));
    let c = client(&format!("http://localhost:{}/api", server.port));
    for i in 0..3 {
        assert!(matches!(c.send(&order(&format!("named-{i}"), 10)), Ok(Sent::Delivered(_))));
    }
    assert_eq!(server.connections(), 1);
}
