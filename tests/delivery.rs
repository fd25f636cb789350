//! Delivery guarantees against real servers on loopback: the sandbox's fault
//! modes, a hung TCP server, a closed port; store and forward through the
//! spool; crash safety under SIGKILL; many processes sharing one spool.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{client, free_port, order, temp_dir, Sandbox};
use spread::spool::Spool;
use spread::{ErrorKind, Sent};

fn delivered(sent: spread::Result<Sent>) -> spread::Response {
    match sent {
        Ok(Sent::Delivered(r)) => r,
        other => panic!("expected delivery, got {other:?}"),
    }
}

fn statuses(sb: &Sandbox) -> Vec<u64> {
    sb.requests().iter().map(|r| r["status"].as_u64().unwrap()).collect()
}

#[test]
fn a_503_burst_is_retried_until_delivered() {
    let sb = Sandbox::start();
    sb.fault(r#"{"mode":"status","code":503,"times":2}"#);
    let r = delivered(client(&sb.base_url()).send(&order("burst", 10)));
    assert_eq!(r.status, 200);
    assert_eq!(statuses(&sb), [503, 503, 200]);
}

#[test]
fn a_429_is_retried_after_its_retry_after() {
    let sb = Sandbox::start();
    sb.fault(r#"{"mode":"retry_after","code":429,"retry_after":"1","times":1}"#);
    let start = Instant::now();
    delivered(client(&sb.base_url()).send(&order("slowdown", 10)));
    assert!(start.elapsed() >= Duration::from_secs(1), "waited only {:?}", start.elapsed());
    assert_eq!(statuses(&sb), [429, 200]);
}

#[test]
fn a_dropped_connection_is_retried() {
    let sb = Sandbox::start();
    sb.fault(r#"{"mode":"drop","times":1}"#);
    delivered(client(&sb.base_url()).send(&order("dropped", 10)));
    assert_eq!(sb.requests().len(), 2);
    assert_eq!(sb.state()["orders"]["dropped"]["order_state"], "10");
}

#[test]
fn retries_stop_at_max_attempts() {
    let sb = Sandbox::start();
    sb.fault(r#"{"mode":"status","code":502}"#);
    let mut c = client(&sb.base_url());
    c.set_max_attempts(2).unwrap();
    let e = c.send(&order("down", 10)).unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Server, Some(502)));
    assert_eq!(statuses(&sb), [502, 502]);
}

#[test]
fn a_rejected_order_is_neither_retried_nor_spooled() {
    let sb = Sandbox::start();
    sb.fault(r#"{"mode":"status","code":400}"#);
    let spool_dir = temp_dir("rejected");
    let mut c = client(&sb.base_url());
    c.set_spool_dir(&spool_dir).unwrap();
    let e = c.send(&order("bad", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Rejected);
    assert_eq!(sb.requests().len(), 1);
    assert_eq!(c.pending().unwrap(), 0);
}

#[test]
fn a_hung_server_costs_no_more_than_the_timeout() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _hold = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(5));
        drop(conns);
    });
    let mut c = client(&format!("http://127.0.0.1:{port}/api"));
    c.set_timeout(Duration::from_secs(1)).unwrap();
    let start = Instant::now();
    let e = c.send(&order("hung", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(start.elapsed() < Duration::from_millis(1500), "took {:?}", start.elapsed());
}

#[test]
fn a_refused_connection_is_a_network_error_or_queued() {
    let url = format!("http://127.0.0.1:{}/api", free_port());
    let mut c = client(&url);
    c.set_max_attempts(1).unwrap();
    assert_eq!(c.send(&order("refused", 10)).unwrap_err().kind, ErrorKind::Network);
    c.set_spool_dir(&temp_dir("refused")).unwrap();
    assert_eq!(c.send(&order("refused", 10)).unwrap(), Sent::Queued);
    assert_eq!(c.pending().unwrap(), 1);
}

#[test]
fn digest_only_servers_are_answered() {
    let sb = Sandbox::start();
    sb.fault(r#"{"mode":"digest","algorithm":"SHA-256"}"#);
    delivered(client(&sb.base_url()).send(&order("digest", 10)));
    let schemes: Vec<_> = sb.requests().iter().map(|r| r["auth_scheme"].as_str().unwrap().to_owned()).collect();
    assert_eq!(schemes, ["Basic", "Digest"]);
}

#[test]
fn neither_credentials_nor_orders_follow_a_redirect_to_another_port() {
    let api = Sandbox::start();
    let elsewhere = Sandbox::start();
    api.fault(&format!(r#"{{"mode":"redirect","code":307,"location":"{}/updateOrder","times":1}}"#, elsewhere.base_url()));
    let e = client(&api.base_url()).send(&order("moved", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Redirect, "{e}");
    assert!(e.message.contains(&elsewhere.base_url()) && e.message.contains("update base_url"), "{e}");
    assert!(elsewhere.requests().is_empty(), "another origin is not followed (issue 21)");
}

/// Sends each order twice (state 10, then 20) to `c`.
fn send_updates(c: &spread::Client, ids: &[String]) -> Vec<Sent> {
    let mut outcomes = Vec::new();
    for id in ids {
        for state in [10, 20] {
            outcomes.push(c.send(&order(id, state)).unwrap());
        }
    }
    outcomes
}

#[test]
fn orders_sent_during_an_outage_arrive_in_order_after_a_restart() {
    let ids: Vec<String> = (0..15).map(|i| format!("outage-{i}")).collect();
    // The reference: the same sends with no outage.
    let direct = Sandbox::start();
    send_updates(&client(&direct.base_url()), &ids);

    let port = free_port();
    let spool_dir = temp_dir("outage");
    let mut c = client(&format!("http://127.0.0.1:{port}/api"));
    c.set_spool_dir(&spool_dir).unwrap();
    let outcomes = send_updates(&c, &ids);
    assert!(outcomes.iter().all(|o| *o == Sent::Queued));
    drop(c);

    let sb = Sandbox::start_on(port);
    let mut restarted = client(&sb.base_url());
    restarted.set_spool_dir(&spool_dir).unwrap();
    let report = restarted.flush().unwrap();
    assert_eq!((report.delivered, report.remaining, report.rejected), (30, 0, 0));
    assert_eq!(sb.state(), direct.state());
    // Both updates of an order arrived, the newer one last.
    let st = &sb.state()["orders"]["outage-0"];
    assert_eq!((st["order_state"].as_str(), st["updates"].as_u64()), (Some("20"), Some(2)));
}

#[test]
fn a_send_while_entries_wait_flushes_them_first() {
    let port = free_port();
    let spool_dir = temp_dir("behind");
    let mut c = client(&format!("http://127.0.0.1:{port}/api"));
    c.set_spool_dir(&spool_dir).unwrap();
    assert_eq!(c.send(&order("behind", 10)).unwrap(), Sent::Queued);
    let sb = Sandbox::start_on(port);
    // The newer update must not overtake the spooled one: the send flushes first.
    delivered(c.send(&order("behind", 50)));
    let states: Vec<String> = sb.requests().iter().map(|r| r["body"].as_str().unwrap().split("order_state%5D=").nth(1).unwrap()[..2].to_owned()).collect();
    assert_eq!(states, ["10", "50"]);
    assert_eq!(c.pending().unwrap(), 0);
}

#[test]
fn rejected_entries_are_kept_with_the_answer() {
    let port = free_port();
    let spool_dir = temp_dir("reject-later");
    let mut c = client(&format!("http://127.0.0.1:{port}/api"));
    c.set_spool_dir(&spool_dir).unwrap();
    c.send(&order("later", 10)).unwrap();
    let sb = Sandbox::start_on(port);
    sb.fault(r#"{"mode":"status","code":422,"times":1}"#);
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.rejected, report.remaining), (0, 1, 0));
    let answers: Vec<_> =
        std::fs::read_dir(spool_dir.join("rejected")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "answer")).collect();
    assert_eq!(answers.len(), 1);
    assert!(std::fs::read_to_string(&answers[0]).unwrap().contains("HTTP 422"));
}

/// Child processes of the tests below re-run this test binary with an
/// environment variable naming what to do.
fn child(test: &str, env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--ignored", "--nocapture", "--test-threads=1"]).stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// In a child: spools orders through `Client::send` until killed.
#[test]
#[ignore = "run as a child process by entries_survive_sigkill_whole_or_not_at_all"]
fn crash_child_spools_forever() {
    let dir = std::env::var("SPREAD_CRASH_SPOOL").expect("SPREAD_CRASH_SPOOL");
    let url = std::env::var("SPREAD_CRASH_URL").expect("SPREAD_CRASH_URL");
    let mut c = client(&url);
    c.set_max_attempts(1).unwrap();
    c.set_spool_dir(Path::new(&dir)).unwrap();
    for i in 0.. {
        c.send(&order(&format!("crash-{}-{i}", std::process::id()), 10)).unwrap();
    }
}

#[test]
fn entries_survive_sigkill_whole_or_not_at_all() {
    let spool_dir = temp_dir("crash");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    let env = [("SPREAD_CRASH_SPOOL", spool_dir.display().to_string()), ("SPREAD_CRASH_URL", url.clone())];
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    for _ in 0..100 {
        let mut proc = child("crash_child_spools_forever", &env).spawn().unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(2_000 + seed % 25_000));
        proc.kill().unwrap(); // SIGKILL
        proc.wait().unwrap();
    }
    let (spool, _) = Spool::open(&spool_dir).unwrap();
    let entries = spool.entries_for(client(&url).destination(), false).unwrap();
    assert!(!entries.is_empty(), "the children never got to spool anything");
    for path in &entries {
        spool.read(path).unwrap().expect("present").unwrap_or_else(|e| panic!("{e}"));
    }
    let sb = Sandbox::start_on(port);
    let mut c = client(&url);
    c.set_spool_dir(&spool_dir).unwrap();
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.remaining, report.rejected), (entries.len(), 0, 0));
    assert_eq!(sb.state()["orders"].as_object().unwrap().len(), entries.len());
    eprintln!("crash safety: 100 kills, {} whole entries delivered", entries.len());
}

const PROCESSES: usize = 8;
const ORDERS_PER_PROCESS: usize = 500;
/// Every tenth order of a process gets a second update, sent after all its orders.
const UPDATE_EVERY: usize = 10;

/// In a child: one process of the concurrency test.
#[test]
#[ignore = "run as a child process by many_processes_share_one_spool"]
fn concurrent_child_sends_during_outage() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name}"));
    let (dir, url, me) = (var("SPREAD_CONC_SPOOL"), var("SPREAD_CONC_URL"), var("SPREAD_CONC_ID"));
    let mut c = client(&url);
    c.set_max_attempts(1).unwrap();
    c.set_spool_dir(Path::new(&dir)).unwrap();
    for i in 0..ORDERS_PER_PROCESS {
        assert_eq!(c.send(&order(&format!("p{me}-{i}"), 10)).unwrap(), Sent::Queued);
    }
    for i in (0..ORDERS_PER_PROCESS).step_by(UPDATE_EVERY) {
        assert_eq!(c.send(&order(&format!("p{me}-{i}"), 50)).unwrap(), Sent::Queued);
    }
}

#[test]
fn many_processes_share_one_spool() {
    let spool_dir = temp_dir("concurrent");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    let start = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|p| {
            let env = [("SPREAD_CONC_SPOOL", spool_dir.display().to_string()), ("SPREAD_CONC_URL", url.clone()), ("SPREAD_CONC_ID", p.to_string())];
            child("concurrent_child_sends_during_outage", &env).spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a writer process failed");
    }
    let spooled = start.elapsed();
    let updates = ORDERS_PER_PROCESS.div_ceil(UPDATE_EVERY);
    let total = PROCESSES * (ORDERS_PER_PROCESS + updates);
    let sb = Sandbox::start_on(port);
    let mut c = client(&sb.base_url());
    c.set_spool_dir(&spool_dir).unwrap();
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (total, 0));
    let state = sb.state();
    let orders = state["orders"].as_object().unwrap();
    assert_eq!(orders.len(), PROCESSES * ORDERS_PER_PROCESS);
    for p in 0..PROCESSES {
        for i in 0..ORDERS_PER_PROCESS {
            let want = if i % UPDATE_EVERY == 0 { "50" } else { "10" };
            assert_eq!(orders[&format!("p{p}-{i}")]["order_state"], want, "order p{p}-{i} applied out of order");
        }
    }
    eprintln!("concurrency: {total} requests spooled by {PROCESSES} processes in {spooled:?}, all delivered in order");
}
