//! Nothing lost, nothing leaked, in the deployments shops run (issue 10):
//! each failure reproduced against small real servers on loopback, and the
//! delivery table of docs/delivery.md checked row by row.

mod common;
mod faults;

use std::time::{Duration, Instant};

use common::{order, temp_dir};
use faults::{script, Reply, Server};
use spread::{Client, ErrorKind, Sent};

fn client(url: &str) -> Client {
    common::client(url)
}

fn spooling(url: &str, tag: &str) -> Client {
    let mut c = client(url);
    c.set_spool_dir(&temp_dir(tag)).unwrap();
    c
}

/// Failure 1: `Retry-After: 18446744073709551615` used to panic (Instant overflow).
#[test]
fn a_huge_retry_after_neither_panics_nor_waits() {
    let sb = Server::start(script(|_, _| Reply::status(503).header("Retry-After", "18446744073709551615")));
    let start = Instant::now();
    let e = client(&sb.url()).send(&order("huge", 10)).unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Server, Some(503)));
    assert!(start.elapsed() < Duration::from_secs(2), "waited {:?}", start.elapsed());
    assert_eq!(sb.requests().len(), 1, "a wait beyond the budget is not waited for");
    // With a spool: queued now, not after the wait.
    let c = spooling(&sb.url(), "huge");
    assert_eq!(c.send(&order("huge", 10)).unwrap(), Sent::Queued);
    assert_eq!(c.pending().unwrap(), 1);
    // In a batch: every order keeps its own outcome.
    let (a, b) = (order("huge-a", 10), order("huge-b", 10));
    let outcomes = client(&sb.url()).send_many(&[&a, &b], 2, None).unwrap();
    assert!(outcomes.iter().all(|o| o.as_ref().unwrap_err().status == Some(503)));
}

/// Failure 2: A 2xx with a body over 1 MiB used to be retried as a network error,
/// then spooled and POSTed again at every flush.
#[test]
fn a_huge_2xx_is_a_delivery() {
    let big = "x".repeat(3 << 20);
    let sb = Server::start(script(move |_, _| Reply::ok().body(big.clone())));
    let c = spooling(&sb.url(), "big-2xx");
    match c.send(&order("big", 20)).unwrap() {
        Sent::Delivered(r) => {
            assert_eq!(r.status, 200);
            assert!(r.truncated);
            assert_eq!(r.body.len(), 1 << 20);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sb.requests().len(), 1);
    assert_eq!(c.pending().unwrap(), 0);
    assert_eq!(c.flush().unwrap().delivered, 0);
    assert_eq!(sb.requests().len(), 1, "nothing is posted again");
}

/// Non-2xx answers are read by status, whatever their size.
#[test]
fn a_huge_error_answer_is_read_by_its_status() {
    let big = "y".repeat(2 << 20);
    let sb = Server::start(script(move |_, _| Reply::status(422).body(big.clone())));
    let e = client(&sb.url()).send(&order("big-422", 20)).unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Rejected, Some(422)));
}

/// Failure 4: An entry belongs to its destination: another base URL, or other keys,
/// never delivers it; `status` counts it apart.
#[test]
fn a_flush_delivers_only_its_own_destination() {
    let (a, b) = (Server::start(script(|_, _| Reply::ok())), Server::start(script(|_, _| Reply::ok())));
    let dir = temp_dir("two-shops");
    let down = format!("http://127.0.0.1:{}/api", common::free_port());
    let mut shop_a = client(&down);
    shop_a.set_max_attempts(1).unwrap();
    shop_a.set_spool_dir(&dir).unwrap();
    for i in 0..3 {
        assert_eq!(shop_a.send(&order(&format!("a-{i}"), 10)).unwrap(), Sent::Queued);
    }
    // Shop B: another URL, other keys, same folder.
    let mut shop_b = Client::new("OTHER_PUBLIC", "OTHER_PRIVATE").unwrap();
    shop_b.set_base_url(&b.url()).unwrap();
    shop_b.set_spool_dir(&dir).unwrap();
    let report = shop_b.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (0, 0));
    assert!(b.requests().is_empty());
    let st = shop_b.spool_status().unwrap();
    assert_eq!((st.pending, st.foreign), (0, 3));
    // The same URL with other keys is another destination too.
    let mut same_url = Client::new("OTHER_PUBLIC", "OTHER_PRIVATE").unwrap();
    same_url.set_base_url(&down).unwrap();
    same_url.set_spool_dir(&dir).unwrap();
    assert_eq!(same_url.spool_status().unwrap().foreign, 3);
    // The owner, once its API is back (same base URL: the entries record it).
    drop(a);
    let back = Server::start(script(|_, _| Reply::ok()));
    let mut owner = client(&down);
    owner.set_spool_dir(&dir).unwrap();
    assert_eq!(owner.spool_status().unwrap().pending, 3);
    drop(back);
}

/// Failure 5: Only a refusal of the order's content sets an entry aside; a wrong
/// path, a refused account, an odd answer keep every entry and stop the flush.
#[test]
fn endpoint_and_account_failures_keep_every_entry() {
    for status in [404u16, 405, 410, 413, 401, 403, 407, 300, 301, 304, 305, 500, 505] {
        let sb = Server::start(script(move |_, _| Reply::status(status)));
        let mut c = spooling(&sb.url(), "keep");
        c.set_max_attempts(1).unwrap();
        for i in 0..3 {
            assert_eq!(c.send(&order(&format!("k-{i}"), 10)).unwrap(), Sent::Queued, "HTTP {status}: a send with a spool keeps the order");
        }
        let report = c.flush().unwrap();
        assert!(report.stopped_by.is_some(), "HTTP {status}: the flush stops");
        assert_eq!((report.delivered, report.rejected, report.remaining), (0, 0, 3), "HTTP {status}");
        assert_eq!(c.spool_status().unwrap().rejected, 0, "HTTP {status}: nothing set aside");
        // One try per send (the later sends try the oldest entry first), one for the flush.
        assert_eq!(sb.requests().len(), 4, "HTTP {status}");
    }
}

#[test]
fn a_content_refusal_sets_that_one_entry_aside() {
    let sb =
        Server::start(script(|r, _| if r.field("order_idorder").as_deref() == Some("bad") { Reply::status(422).body("missing field") } else { Reply::ok() }));
    let c = spooling(&sb.url(), "content");
    let spool = c.spool().unwrap();
    for id in ["good-1", "bad", "good-2"] {
        spool.push(c.destination(), Some(id), order(id, 10).encode().as_bytes()).unwrap();
    }
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.rejected, report.remaining), (2, 1, 0));
    let rejected = spool.rejected().unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].order_id.as_deref(), Some("bad"));
    assert!(rejected[0].answer.contains("HTTP 422") && rejected[0].answer.contains("missing field"), "{}", rejected[0].answer);
}

/// A send with a spool keeps the order on every failure but a content refusal.
#[test]
fn a_send_with_a_spool_keeps_the_order_unless_its_content_is_refused() {
    let status = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(403));
    let s = status.clone();
    let sb = Server::start(script(move |_, _| Reply::status(s.load(std::sync::atomic::Ordering::SeqCst))));
    let c = spooling(&sb.url(), "send-keeps");
    for code in [403u16, 401, 404, 503, 301] {
        status.store(code, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(c.send(&order(&format!("s-{code}"), 10)).unwrap(), Sent::Queued, "HTTP {code}");
    }
    status.store(400, std::sync::atomic::Ordering::SeqCst);
    let mut fresh = client(&sb.url());
    fresh.set_spool_dir(&temp_dir("send-400")).unwrap();
    let e = fresh.send(&order("s-400", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Rejected);
    assert_eq!(fresh.pending().unwrap(), 0);
}

/// Failure 6: A removed spool folder (a tmp cleaner) used to break every send.
#[test]
fn a_removed_spool_folder_is_made_again() {
    let sb = Server::start(script(|_, _| Reply::ok()));
    let dir = temp_dir("removed");
    let mut c = client(&sb.url());
    c.set_spool_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(c.send(&order("r-1", 10)).unwrap(), Sent::Delivered(_)));
    std::fs::remove_dir_all(&dir).unwrap();
    let mut down = client(&format!("http://127.0.0.1:{}/api", common::free_port()));
    down.set_max_attempts(1).unwrap();
    down.set_spool_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(down.send(&order("r-2", 10)).unwrap(), Sent::Queued);
    assert_eq!(down.pending().unwrap(), 1);
}

/// An update of an order never lands before an older one still in flight.
#[test]
fn a_newer_update_waits_for_an_older_one_in_flight() {
    // The first request (v2, state 20) hangs 1.5 s, then fails; everything after succeeds.
    let sb = Server::start(script(|_, n| if n == 0 { Reply::status(503).after(Duration::from_millis(1500)) } else { Reply::ok() }));
    let dir = temp_dir("in-flight");
    let mut c1 = client(&sb.url());
    c1.set_max_attempts(1).unwrap();
    c1.set_spool_dir(&dir).unwrap();
    let mut c2 = client(&sb.url());
    c2.set_spool_dir(&dir).unwrap();
    let older = std::thread::spawn(move || c1.send(&order("42", 20)).unwrap());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(c2.send(&order("42", 50)).unwrap(), Sent::Queued, "v3 queues behind v2, still in flight");
    assert_eq!(older.join().unwrap(), Sent::Queued, "v2 failed and was kept");
    let report = c2.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (2, 0));
    let states: Vec<String> = sb.requests().iter().filter_map(|r| r.state()).collect();
    assert_eq!(states, ["20", "20", "50"], "v2 (failed, then flushed) before v3");
}

/// Redirects never carry the keys, nor the order, to another host or another
/// scheme, even on the same port: such a redirect is not followed at all
/// (issue 21: a 200 from there is not SPREAD's) and the order is kept.
#[test]
fn credentials_stay_on_the_configured_origin() {
    // Another host on the same port: only the host tells the origins apart.
    let port = common::free_port();
    let other_host = Server::start_at("127.0.0.2", port, script(|_, _| Reply::ok()));
    let to = format!("{}/updateOrder", other_host.url());
    let sb = Server::start_on(port, script(move |_, _| Reply::status(307).header("Location", &to)));
    let e = client(&sb.url()).send(&order("moved", 10)).unwrap_err();
    assert!(sb.requests()[0].header("authorization").is_some());
    assert_eq!((e.kind, e.status), (ErrorKind::Redirect, Some(307)), "{e}");
    assert!(e.message.contains(&format!("http://127.0.0.2:{port}/api/updateOrder")), "{e}");
    assert!(other_host.requests().is_empty(), "the redirect to 127.0.0.2 was followed");
    // Same host and port, other scheme: a server speaking TLS and plain HTTP on one port.
    let ca = faults::TestCa::new("libspread test CA");
    let identity = ca.leaf(&["127.0.0.1", "localhost"], false);
    let ca_file = temp_dir("scheme").join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let port = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(0));
    let p = port.clone();
    let both = Server::start_tls(
        script(move |r, _| {
            if r.tls {
                Reply::ok()
            } else {
                Reply::status(308).header("Location", &format!("https://127.0.0.1:{}/api/updateOrder", p.load(std::sync::atomic::Ordering::SeqCst)))
            }
        }),
        &identity,
    );
    port.store(both.port, std::sync::atomic::Ordering::SeqCst);
    let mut c = client(&both.url());
    c.set_ca_file(&ca_file).unwrap();
    let e = c.send(&order("scheme", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Redirect, "{e}");
    assert!(e.message.contains("update base_url"), "{e}");
    let reqs = both.requests();
    assert_eq!(reqs.len(), 1);
    assert!(!reqs[0].tls, "the redirect to https was followed");
}

/// Digest: several challenges in one header, any case, and one more try on `stale=true`.
#[test]
fn digest_stale_nonces_and_combined_challenges() {
    let sb = Server::start(script(|r, n| {
        let auth = r.header("authorization").unwrap_or_default().to_owned();
        match n {
            0 => Reply::status(401).header("WWW-Authenticate", r#"Basic realm="x", DIGEST realm="api", nonce="n1", qop="auth""#),
            1 if auth.contains("nonce=\"n1\"") => Reply::status(401).header("WWW-Authenticate", r#"Digest realm="api", nonce="n2", qop="auth", stale=true"#),
            2 if auth.contains("nonce=\"n2\"") => Reply::ok(),
            _ => Reply::status(401),
        }
    }));
    let r = client(&sb.url()).send(&order("digest", 10)).unwrap();
    assert!(matches!(r, Sent::Delivered(_)));
    let schemes: Vec<String> = sb.requests().iter().map(|r| r.header("authorization").unwrap_or("").split(' ').next().unwrap().to_owned()).collect();
    assert_eq!(schemes, ["Basic", "Digest", "Digest"]);
    // A second stale answer is a refusal, not a loop.
    let sb = Server::start(script(|_, _| Reply::status(401).header("WWW-Authenticate", r#"Digest realm="api", nonce="n", stale=true"#)));
    assert_eq!(client(&sb.url()).send(&order("stale", 10)).unwrap_err().kind, ErrorKind::Auth);
    assert_eq!(sb.requests().len(), 3);
}

/// Odd statuses are a clear "unexpected answer", not retried.
#[test]
fn odd_statuses_are_not_retried() {
    for status in [300u16, 304, 305, 306, 399] {
        let sb = Server::start(script(move |_, _| Reply::status(status)));
        let e = client(&sb.url()).send(&order("odd", 10)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Endpoint, "HTTP {status}: {e}");
        assert!(e.message.contains("unexpected answer"), "{e}");
        assert_eq!(sb.requests().len(), 1, "HTTP {status} is not retried");
    }
}

/// A 1xx left before the real answer (102 Processing) is skipped, not taken for the answer.
#[test]
fn an_informational_answer_before_the_real_one_is_skipped() {
    let sb = Server::start(script(|_, _| {
        Reply::Raw(b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec())
    }));
    match client(&sb.url()).send(&order("1xx", 10)).unwrap() {
        Sent::Delivered(r) => assert_eq!((r.status, r.body.as_str()), (200, "ok")),
        other => panic!("{other:?}"),
    }
    assert_eq!(sb.requests().len(), 1);
}

/// Retry-After in the other HTTP-date forms is honoured.
#[test]
fn retry_after_as_an_rfc850_date_is_waited_for() {
    let sb = Server::start(script(|_, n| {
        if n == 0 {
            Reply::status(503).header("Retry-After", &rfc850(std::time::SystemTime::now() + Duration::from_secs(2)))
        } else {
            Reply::ok()
        }
    }));
    let start = Instant::now();
    client(&sb.url()).send(&order("dated", 10)).unwrap();
    let waited = sb.requests()[1].at.duration_since(sb.requests()[0].at);
    assert!(waited >= Duration::from_millis(900), "waited {waited:?}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

fn rfc850(t: std::time::SystemTime) -> String {
    // IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" → RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT".
    let imf = httpdate::fmt_http_date(t);
    let days = [("Mon", "Monday"), ("Tue", "Tuesday"), ("Wed", "Wednesday"), ("Thu", "Thursday"), ("Fri", "Friday"), ("Sat", "Saturday"), ("Sun", "Sunday")];
    let (day, rest) = imf.split_once(", ").unwrap();
    let long = days.iter().find(|(s, _)| *s == day).unwrap().1;
    let parts: Vec<&str> = rest.split(' ').collect();
    format!("{long}, {}-{}-{} {} GMT", parts[0], parts[1], &parts[2][2..], parts[3])
}

/// The retry cases docs/delivery.md promises: 408 retried, 505 not, 503 after its
/// Retry-After, and a Retry-After longer than the budget gives up at once.
#[test]
fn retry_rules() {
    let sb = Server::start(script(|_, n| if n == 0 { Reply::status(408) } else { Reply::ok() }));
    client(&sb.url()).send(&order("408", 10)).unwrap();
    assert_eq!(sb.requests().len(), 2);

    let sb = Server::start(script(|_, _| Reply::status(505)));
    assert_eq!(client(&sb.url()).send(&order("505", 10)).unwrap_err().status, Some(505));
    assert_eq!(sb.requests().len(), 1);

    let sb = Server::start(script(|_, n| if n == 0 { Reply::status(503).header("Retry-After", "1") } else { Reply::ok() }));
    client(&sb.url()).send(&order("503", 10)).unwrap();
    let r = sb.requests();
    assert!(r[1].at.duration_since(r[0].at) >= Duration::from_millis(950));

    let sb = Server::start(script(|_, _| Reply::status(503).header("Retry-After", "120")));
    let mut c = client(&sb.url());
    c.set_timeout(Duration::from_secs(5)).unwrap();
    let start = Instant::now();
    assert_eq!(c.send(&order("long", 10)).unwrap_err().status, Some(503));
    assert!(start.elapsed() < Duration::from_secs(1), "gave up at once, not after {:?}", start.elapsed());
}

/// "Never hangs": a connect that never completes costs the connect timeout.
#[test]
fn a_connect_that_hangs_costs_the_connect_timeout() {
    let hole = faults::Blackhole::start();
    let mut c = client(&hole.url());
    c.set_max_attempts(1).unwrap();
    c.set_connect_timeout(Duration::from_millis(700)).unwrap();
    let start = Instant::now();
    let e = c.send(&order("syn", 10)).unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(took >= Duration::from_millis(600) && took < Duration::from_millis(2500), "took {took:?}");
}

/// An answer whose body stops coming costs the budget, and is a timeout.
#[test]
fn a_body_that_stalls_costs_the_budget() {
    let sb = Server::start(script(|_, _| Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec())));
    let mut c = client(&sb.url());
    c.set_timeout(Duration::from_millis(1500)).unwrap();
    c.set_max_attempts(1).unwrap();
    let start = Instant::now();
    let e = c.send(&order("stall", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(start.elapsed() < Duration::from_millis(2500), "took {:?}", start.elapsed());
}

/// The defaults: 10 s to connect, 30 s in all, never infinite.
#[test]
fn the_default_timeouts_hold() {
    let defaults = client("http://127.0.0.1:1/api");
    assert_eq!((defaults.settings().connect_timeout, defaults.settings().timeout), (Duration::from_secs(10), Duration::from_secs(30)));
    let hole = faults::Blackhole::start();
    let mut c = client(&hole.url());
    c.set_max_attempts(1).unwrap();
    let start = Instant::now();
    assert_eq!(c.send(&order("syn-default", 10)).unwrap_err().kind, ErrorKind::Timeout);
    let took = start.elapsed();
    assert!(took >= Duration::from_secs(9) && took < Duration::from_secs(13), "connect timeout took {took:?}");
    // A server that accepts and never answers: the 30 s total, all attempts included.
    let hung = Server::start(script(|_, _| Reply::ok().after(Duration::from_secs(120))));
    let start = Instant::now();
    assert_eq!(client(&hung.url()).send(&order("hung-default", 10)).unwrap_err().kind, ErrorKind::Timeout);
    let took = start.elapsed();
    assert!(took >= Duration::from_secs(29) && took < Duration::from_secs(33), "total took {took:?}");
}

/// Issue 21, failure 8, in a network namespace of its own (run by
/// `plain_http_is_checked_when_a_request_is_made`): 10.213.0.1 is a
/// non-loopback address there and nowhere else.
#[test]
#[ignore = "run inside a network namespace by plain_http_is_checked_when_a_request_is_made"]
fn child_plain_http_rule_in_a_namespace() {
    let sb = Server::start_in_namespace("10.213.0.1", script(|_, _| Reply::ok()));
    let url = format!("http://10.213.0.1:{}/api", sb.port);
    let mut c = Client::new(common::PUBLIC_KEY, common::PRIVATE_KEY).unwrap();
    c.set_max_attempts(1).unwrap();
    c.set_allow_insecure_http(true).unwrap();
    c.set_base_url(&url).unwrap();
    // The opt-in holds: plain http to this host goes out (so the namespace works).
    assert!(matches!(c.send(&order("insecure-ok", 10)).unwrap(), Sent::Delivered(_)));
    assert_eq!(sb.requests().len(), 1);

    // Withdrawn after the URL was set: nothing may leave in clear any more.
    c.set_allow_insecure_http(false).unwrap();
    let e = c.send(&order("insecure-no", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    assert!(e.message.contains("base_url") && e.message.contains("in clear"), "{e}");
    // Nor through a spool: the send is refused (not queued), a flush leaves its entry.
    c.set_spool_dir(&temp_dir("insecure")).unwrap();
    let e = c.send(&order("insecure-no", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config, "{e}");
    let spool = c.spool().unwrap();
    spool.push(c.destination(), Some("insecure-old"), order("insecure-old", 10).encode().as_bytes()).unwrap();
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (0, 1), "{report:?}");
    assert_eq!(report.stopped_by.map(|e| e.kind), Some(ErrorKind::Config));
    let seen = sb.requests();
    assert_eq!(seen.len(), 1, "sent in clear after the opt-in was withdrawn: {:?}", seen.iter().map(|r| r.header("authorization")).collect::<Vec<_>>());
}

/// Issue 21, failure 8: allow insecure http, set an http:// non-loopback
/// base URL, disallow, send: it went out in plain http with the keys,
/// because the rule was checked when the URL was set, not when used.
#[test]
fn plain_http_is_checked_when_a_request_is_made() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("unshare")
        .args([
            "-n",
            "sh",
            "-c",
            r#"ip link set lo up && ip addr add 10.213.0.1/32 dev lo && exec "$0" child_plain_http_rule_in_a_namespace --exact --ignored --nocapture"#,
        ])
        .arg(&exe)
        .output()
        .expect("unshare (util-linux) is installed");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the namespace child failed (needs root for unshare -n):\n{text}");
    assert!(text.contains("1 passed"), "{text}");
}
