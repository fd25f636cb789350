//! Redirects (issue 21, failure 3): a redirect to another origin is never a
//! delivery. SPREAD's endpoint answering `302 Location: http://other-host/…`
//! whose page answers 200 used to count as delivered (a flush emptied the
//! spool) although SPREAD never got the orders.

mod common;
mod faults;

use common::{order, temp_dir};
use faults::{script, Reply, Server};
use spread::{ErrorKind, Sent};

/// SPREAD's stand-in, 302ing every request to a maintenance page on another
/// loopback host (127.0.0.2, another port) that answers 200 to anything.
fn maintenance() -> (Server, Server, String) {
    let other = Server::start_at("127.0.0.2", 0, script(|_, _| Reply::ok().body("<h1>Maintenance</h1>")));
    let location = format!("http://127.0.0.2:{}/maintenance.php", other.port);
    let to = location.clone();
    let spread = Server::start(script(move |_, _| Reply::status(302).header("Location", &to)));
    (spread, other, location)
}

fn assert_names_the_move(e: &spread::Error, location: &str) {
    assert_eq!((e.kind, e.status), (ErrorKind::Redirect, Some(302)), "{e}");
    assert!(e.message.contains(location), "the error names the new location: {e}");
    assert!(e.message.contains("base_url"), "the error says to update base_url: {e}");
}

/// Failure 3: a flush of 3 entries against the redirecting endpoint keeps all 3.
#[test]
fn a_flush_keeps_every_entry_when_spread_redirects_to_another_host() {
    let (sb, other, location) = maintenance();
    let mut c = common::client(&sb.url());
    c.set_spool_dir(&temp_dir("redirect-flush")).unwrap();
    let spool = c.spool().unwrap();
    for id in ["m-1", "m-2", "m-3"] {
        spool.push(c.destination(), Some(id), order(id, 10).encode().as_bytes()).unwrap();
    }
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.rejected, report.remaining), (0, 0, 3), "{report:?}");
    assert_names_the_move(report.stopped_by.as_ref().expect("the flush stops"), &location);
    assert_eq!(c.pending().unwrap(), 3);
    assert_eq!(sb.requests().len(), 1, "the flush stops at the first entry");
    assert!(sb.requests()[0].header("authorization").is_some());
    let seen = other.requests();
    assert!(
        seen.is_empty(),
        "the other host was sent {} request(s), {} with Authorization",
        seen.len(),
        seen.iter().filter(|r| r.header("authorization").is_some()).count()
    );
}

/// Failure 3, live: a send reports the redirect (no spool) or queues the order (spool).
#[test]
fn a_live_send_redirected_to_another_host_is_never_delivered() {
    let (sb, other, location) = maintenance();
    let mut c = common::client(&sb.url());
    c.set_max_attempts(3).unwrap();
    let e = c.send(&order("live", 10)).unwrap_err();
    assert_names_the_move(&e, &location);
    assert_eq!(sb.requests().len(), 1, "not retried");

    c.set_spool_dir(&temp_dir("redirect-send")).unwrap();
    assert_eq!(c.send(&order("live", 20)).unwrap(), Sent::Queued);
    assert_eq!(c.pending().unwrap(), 1);
    assert!(other.requests().is_empty(), "the other host got {:?}", other.requests());
}

/// A redirect within the configured origin is followed as before: POST, body and keys kept.
#[test]
fn a_redirect_within_the_origin_is_still_followed() {
    let sb = Server::start(script(|r, _| if r.target.starts_with("/v2/") { Reply::ok() } else { Reply::status(307).header("Location", "/v2/updateOrder") }));
    match common::client(&sb.url()).send(&order("moved-here", 10)).unwrap() {
        Sent::Delivered(r) => assert_eq!(r.status, 200),
        other => panic!("{other:?}"),
    }
    let reqs = sb.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!((reqs[1].method.as_str(), reqs[1].target.as_str()), ("POST", "/v2/updateOrder"));
    assert_eq!(reqs[1].body, reqs[0].body);
    assert!(reqs[1].header("authorization").is_some_and(|a| a.starts_with("Basic ")));
}
