//! A kept connection the server has closed is never used for a send: the
//! pool's liveness check (src/send/transport/tcp.rs) must find it closed,
//! and one that dies as the request goes out is replaced at once, with no
//! retry to hide a miss (max_attempts 1). Servers that close without saying
//! `Connection: close` are common: an idle timeout (nginx's
//! `keepalive_timeout`, a load balancer's), or one answer per connection.

mod common;
mod faults;

use std::time::Duration;

use common::{client, order};
use faults::{script, Reply, Server};
use spread::Sent;

fn one_try(url: &str) -> spread::Client {
    let mut c = client(url);
    c.set_max_attempts(1).unwrap();
    c
}

#[test]
fn a_connection_closed_while_idle_is_not_used_again() {
    let server = Server::start_idle(script(|_, _| Reply::ok()), Duration::from_millis(20));
    let c = one_try(&server.url());
    for i in 0..3 {
        let sent = c.send(&order(&format!("idle-{i}"), 10));
        assert!(matches!(sent, Ok(Sent::Delivered(_))), "send {i}: {sent:?}");
        // Well past the server's idle timeout: its close has arrived.
        std::thread::sleep(Duration::from_millis(120));
    }
    assert_eq!(server.connections(), 3, "one connection per send: each was closed by the server");
}

#[test]
fn back_to_back_sends_to_a_server_that_closes_after_each_answer() {
    let server = Server::start(script(|_, _| Reply::ok().then_close()));
    let c = one_try(&server.url());
    for i in 0..50 {
        let sent = c.send(&order(&format!("once-{i}"), 10));
        assert!(matches!(sent, Ok(Sent::Delivered(_))), "send {i}: {sent:?}");
    }
    assert_eq!(server.connections(), 50);
}

#[test]
fn a_kept_connection_is_reused_while_the_server_keeps_it() {
    let server = Server::start_idle(script(|_, _| Reply::ok()), Duration::from_secs(5));
    let c = one_try(&server.url());
    for i in 0..20 {
        assert!(matches!(c.send(&order(&format!("kept-{i}"), 10)), Ok(Sent::Delivered(_))));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert!(matches!(c.send(&order("kept-late", 10)), Ok(Sent::Delivered(_))));
    assert_eq!(server.connections(), 1);
}
