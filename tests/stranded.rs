//! Orders spooled for a destination the shop no longer uses: its base URL
//! changed (SPREAD moved, a typo fixed, the sandbox replaced by production)
//! or its keys were rotated. They are reported (`stranded` in the status, a
//! warning at every flush, the age check failing) and, on request, adopted
//! by the current destination, each keeping its place in the queue.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::{order, temp_dir, PRIVATE_KEY, PUBLIC_KEY};
use faults::{script, Reply, Server};
use spread::log::{Level, Logger, Record};
use spread::{Client, Sent};

fn spooling(url: &str, public_key: &str, dir: &Path) -> Client {
    let mut c = Client::new(public_key, PRIVATE_KEY).unwrap();
    c.set_base_url(url).unwrap();
    c.set_spool_dir(dir).unwrap();
    c.set_max_attempts(1).unwrap();
    c
}

fn down_url() -> String {
    format!("http://127.0.0.1:{}/api", common::free_port())
}

/// Makes every entry look `secs` old (their files' times are what the age check reads).
fn age_entries(dir: &Path, secs: u64) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "req") {
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(SystemTime::now() - Duration::from_secs(secs)).unwrap();
        }
    }
}

fn spread(args: &[&str], extra_env: &[(&str, &str)]) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spread"));
    c.args(args).env("SPREAD_PUBLIC_KEY", PUBLIC_KEY).env("SPREAD_PRIVATE_KEY", PRIVATE_KEY).env_remove("SPREAD_BASE_URL").env_remove("SPREAD_SPOOL");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (out.status.code().unwrap_or(-1), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn ids(server: &Server) -> Vec<String> {
    server.requests().iter().filter_map(|r| r.field("order_idorder")).collect()
}

#[test]
fn orders_of_an_old_base_url_are_reported_then_adopted_in_their_order() {
    let dir = temp_dir("stranded-url");
    let (old, new) = (down_url(), down_url());
    let shop_before = spooling(&old, PUBLIC_KEY, &dir);
    let mut shop_after = spooling(&new, PUBLIC_KEY, &dir);
    // One order at a time, so the flush shows the queue's order itself (in parallel only
    // each order's own updates keep their order).
    shop_after.set_delivery_concurrency(1).unwrap();
    // The old URL's orders and one of the new URL's, interleaved in time.
    assert_eq!(shop_before.send(&order("a1", 10)).unwrap(), Sent::Queued);
    assert_eq!(shop_after.send(&order("b1", 10)).unwrap(), Sent::Queued);
    assert_eq!(shop_before.send(&order("a2", 10)).unwrap(), Sent::Queued);
    assert_eq!(shop_before.send(&order("a1", 20)).unwrap(), Sent::Queued);
    age_entries(&dir, 3600);

    let st = shop_after.spool_status().unwrap();
    assert_eq!((st.pending, st.foreign, st.stranded), (1, 3, 3), "{st:?}");
    assert!(st.stranded_oldest.is_some_and(|d| d >= Duration::from_secs(3000)), "{st:?}");

    // Every flush says so.
    let records = Arc::new(Mutex::new(Vec::<Record>::new()));
    let sink = records.clone();
    shop_after.set_logger(Logger::new(Arc::new(move |r: &Record| sink.lock().unwrap().push(r.clone())), Level::Warn));
    shop_after.flush().unwrap();
    let warned = records.lock().unwrap().iter().any(|r| r.event == "stranded" && r.level == Level::Warn && r.message.contains(&old));
    assert!(warned, "no stranded warning naming {old}: {:?}", records.lock().unwrap());

    // The monitoring check fails on them; `spread status` says what to do.
    let d = dir.to_str().unwrap();
    let (code, said) = spread(&["status", "--spool", d, "--base-url", &new, "--max-age", "60"], &[]);
    assert_eq!(code, 4, "{said}");
    assert!(said.contains("stranded 3") && said.contains("spread spool adopt"), "{said}");

    // Adopted through the command, then flushed: every order arrives, in the order it was made.
    let (code, said) = spread(&["spool", "adopt", "--spool", d, "--base-url", &new, "--from-base-url", &old], &[]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("adopted 3"), "{said}");
    let port: u16 = new.rsplit(':').next().unwrap().trim_end_matches("/api").parse().unwrap();
    let api = Server::start_on(port, script(|_, _| Reply::ok()));
    let report = shop_after.flush().unwrap();
    assert_eq!((report.delivered, report.remaining), (4, 0), "{report:?}");
    assert_eq!(ids(&api), ["a1", "b1", "a2", "a1"]);
    let states: Vec<String> = api.requests().iter().filter_map(|r| r.state()).collect();
    assert_eq!(states.last().map(String::as_str), Some("20"), "the newer update of a1 came last");
    assert_eq!(shop_after.spool_status().unwrap().stranded, 0);
}

#[test]
fn orders_of_a_rotated_key_are_adopted_only_when_asked() {
    let dir = temp_dir("stranded-key");
    let url = down_url();
    let old_key = spooling(&url, "OLD_PUBLIC_KEY", &dir);
    assert_eq!(old_key.send(&order("k1", 10)).unwrap(), Sent::Queued);
    assert_eq!(old_key.send(&order("k2", 10)).unwrap(), Sent::Queued);
    let new_key = spooling(&url, PUBLIC_KEY, &dir);
    // Another key's entries are foreign, not stranded: another shop may share the URL.
    let st = new_key.spool_status().unwrap();
    assert_eq!((st.pending, st.foreign, st.stranded), (0, 2, 0));
    // Through the library, then (for the second half) through the command with the old key from the environment.
    let d = dir.to_str().unwrap();
    let (code, said) = spread(&["spool", "adopt", "--spool", d, "--base-url", &url, "--from-old-key"], &[]);
    assert_eq!(code, 3, "without SPREAD_OLD_PUBLIC_KEY: {said}");
    assert!(said.contains("SPREAD_OLD_PUBLIC_KEY"), "{said}");
    let (code, said) = spread(&["spool", "adopt", "--spool", d, "--base-url", &url, "--from-old-key"], &[("SPREAD_OLD_PUBLIC_KEY", "OLD_PUBLIC_KEY")]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("adopted 2"), "{said}");
    assert_eq!(new_key.adopt(None, Some("OLD_PUBLIC_KEY")).unwrap(), 0, "nothing left to adopt");
    let port: u16 = url.rsplit(':').next().unwrap().trim_end_matches("/api").parse().unwrap();
    let api = Server::start_on(port, script(|_, _| Reply::ok()));
    assert_eq!(new_key.flush().unwrap().delivered, 2);
    assert_eq!(ids(&api), ["k1", "k2"]);
    let auth = api.requests()[0].header("authorization").unwrap_or_default().to_owned();
    assert!(!auth.is_empty(), "sent with the new keys");
    // The library refuses an adoption that names nothing.
    assert_eq!(new_key.adopt(None, None).unwrap_err().kind, spread::ErrorKind::InvalidValue);
}
