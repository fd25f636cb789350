//! One spool folder shared by php-fpm (www-data) and a root cron, with two
//! real users, as docs/spool.md's "shared spool" recipe sets it up:
//! `install -d -o www-data -g www-data -m 2770 DIR`. Root's cron is the
//! `spread` command, which becomes the folder's owner before touching it;
//! the library in a root process refuses the folder (tests/hostile_spool.rs
//! has the attacks this prevents). Root's flush used to leave a root-only
//! `.lock` behind, after which every www-data send failed.
//! Needs root (CI runs as root) and the www-data user.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{order, ReachableCopy};
use faults::{script, Reply, Server};
use spread::{ErrorKind, Sent};

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "this test switches users: run it as root (CI does)");
}

/// Runs one of this binary's child tests as www-data, from a copy www-data
/// can reach (the build folder may be in a 0700 home).
fn as_www_data(test: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let exe = ReachableCopy::of(&std::env::current_exe().unwrap());
    let env: String = vars.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
    let cmd = format!("{env}exec '{}' {test} --exact --ignored --nocapture", exe.path.display());
    Command::new("su").args(["-s", "/bin/sh", "www-data", "-c", &cmd]).output().unwrap()
}

fn shared_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spread-shared-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ok = Command::new("install").args(["-d", "-o", "www-data", "-g", "www-data", "-m", "2770"]).arg(&dir).status().unwrap();
    assert!(ok.success());
    dir
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name}"))
}

/// As www-data: sends `SPREAD_N` orders to `SPREAD_URL` with the spool `SPREAD_DIR`; all must be kept or delivered.
#[test]
#[ignore = "run as www-data by the tests below"]
fn child_www_data_sends() {
    let mut c = common::client(&var("SPREAD_URL"));
    c.set_max_attempts(1).unwrap();
    c.set_spool_dir(Path::new(&var("SPREAD_DIR"))).unwrap();
    for i in 0..var("SPREAD_N").parse().unwrap() {
        let id = format!("{}-{i}", var("SPREAD_TAG"));
        match c.send(&order(&id, 10)) {
            Ok(Sent::Queued) | Ok(Sent::Delivered(_)) => {}
            Err(e) => panic!("www-data lost order {id}: {e}"),
        }
    }
}

/// As www-data: a flush that must stop on an entry it cannot read, moving nothing.
#[test]
#[ignore = "run as www-data by the tests below"]
fn child_www_data_flush_stops_on_an_unreadable_entry() {
    let mut c = common::client(&var("SPREAD_URL"));
    c.set_spool_dir(Path::new(&var("SPREAD_DIR"))).unwrap();
    let report = c.flush().unwrap();
    let e = report.stopped_by.expect("stopped");
    assert_eq!(e.kind, ErrorKind::Io, "{e}");
    assert_eq!((report.rejected, report.unreadable), (0, 0));
}

/// As www-data: the rejected entries root's flush set aside are ours to manage.
#[test]
#[ignore = "run as www-data by the tests below"]
fn child_www_data_manages_rejected() {
    let mut c = common::client(&var("SPREAD_URL"));
    c.set_spool_dir(Path::new(&var("SPREAD_DIR"))).unwrap();
    let spool = c.spool().unwrap();
    assert_eq!(spool.rejected().unwrap().len(), 1);
    assert_eq!(spool.purge_rejected(std::time::Duration::ZERO).unwrap(), 1);
}

fn check(out: std::process::Output, what: &str) {
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn counts(report: &spread::FlushReport) -> (usize, usize, usize) {
    (report.delivered, report.rejected, report.remaining)
}

/// Root's cron: `spread flush` on the folder; what it printed.
fn root_cron_flush(dir: &Path, url: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_spread"))
        .args(["flush", "--spool", dir.to_str().unwrap(), "--base-url", url])
        .env("SPREAD_PUBLIC_KEY", common::PUBLIC_KEY)
        .env("SPREAD_PRIVATE_KEY", common::PRIVATE_KEY)
        .output()
        .unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn php_fpm_and_a_root_cron_share_one_spool() {
    require_root();
    let dir = shared_dir("cron");
    let d = dir.to_str().unwrap();
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    // An outage: www-data spools.
    check(as_www_data("child_www_data_sends", &[("SPREAD_URL", &url), ("SPREAD_DIR", d), ("SPREAD_N", "3"), ("SPREAD_TAG", "a")]), "www-data spools");
    // Root's cron flushes during the outage (it stops, keeping everything)…
    let said = root_cron_flush(&dir, &url);
    assert!(said.contains("remaining 3") && said.contains("flush stopped"), "{said}");
    // …and www-data can still spool afterwards (the bug: a root-only lock file).
    check(
        as_www_data("child_www_data_sends", &[("SPREAD_URL", &url), ("SPREAD_DIR", d), ("SPREAD_N", "3"), ("SPREAD_TAG", "b")]),
        "www-data after root's flush",
    );
    for entry in walk(&dir) {
        let meta = std::fs::metadata(&entry).unwrap();
        assert_eq!(meta.gid(), 33, "{} keeps the folder's group", entry.display());
        assert_eq!(meta.mode() & 0o060, 0o060, "{} is the group's to read and write", entry.display());
        assert_eq!(meta.mode() & 0o007, 0, "{} is nobody else's", entry.display());
    }
    // The API is back: www-data (the next request's pre-flush) delivers everything, root's files included.
    let api = Server::start_on(port, script(|_, _| Reply::ok()));
    check(as_www_data("child_www_data_flush_delivers", &[("SPREAD_URL", &url), ("SPREAD_DIR", d), ("SPREAD_EXPECT", "6")]), "www-data flushes after root");
    assert_eq!(api.requests().len(), 6);
    std::fs::remove_dir_all(dir).unwrap();
}

/// As www-data: a flush that must deliver `SPREAD_EXPECT` entries and leave none.
#[test]
#[ignore = "run as www-data by the tests below"]
fn child_www_data_flush_delivers() {
    let mut c = common::client(&var("SPREAD_URL"));
    c.set_spool_dir(Path::new(&var("SPREAD_DIR"))).unwrap();
    let report = c.flush().unwrap();
    assert!(report.stopped_by.is_none(), "{:?}", report.stopped_by);
    assert_eq!(counts(&report), (var("SPREAD_EXPECT").parse().unwrap(), 0, 0));
}

#[test]
fn what_root_sets_aside_www_data_can_manage() {
    require_root();
    let dir = shared_dir("rejected");
    let d = dir.to_str().unwrap();
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    check(as_www_data("child_www_data_sends", &[("SPREAD_URL", &url), ("SPREAD_DIR", d), ("SPREAD_N", "3"), ("SPREAD_TAG", "r")]), "www-data spools");
    let _api = Server::start_on(port, script(|r, _| if r.field("order_idorder").as_deref() == Some("r-1") { Reply::status(422) } else { Reply::ok() }));
    let said = root_cron_flush(&dir, &url);
    assert!(said.contains("delivered 2, rejected 1, remaining 0"), "{said}");
    for entry in walk(&dir) {
        assert_eq!(std::fs::metadata(&entry).unwrap().uid(), 33, "{} was made by root's cron as www-data", entry.display());
    }
    check(as_www_data("child_www_data_manages_rejected", &[("SPREAD_URL", &url), ("SPREAD_DIR", d)]), "www-data manages rejected/");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every file and folder under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

#[test]
fn a_folder_of_another_user_is_refused_with_the_fix() {
    require_root();
    let dir = shared_dir("private");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut c = common::client("http://127.0.0.1:1/api");
    let e = c.set_spool_dir(&dir).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("belongs to uid 33") && e.message.contains("run `spread` as root"), "{e}");
    // World-writable is refused even for its owner.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o2777)).unwrap();
    let out = as_www_data(
        "child_www_data_sends",
        &[("SPREAD_URL", "http://127.0.0.1:1/api"), ("SPREAD_DIR", dir.to_str().unwrap()), ("SPREAD_N", "1"), ("SPREAD_TAG", "w")],
    );
    assert!(!out.status.success());
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("writable by every user"), "{said}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_entry_that_cannot_be_read_now_is_left_where_it_is() {
    require_root();
    let dir = shared_dir("unreadable");
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    check(
        as_www_data("child_www_data_sends", &[("SPREAD_URL", &url), ("SPREAD_DIR", dir.to_str().unwrap()), ("SPREAD_N", "1"), ("SPREAD_TAG", "locked")]),
        "www-data spools",
    );
    let path = walk(&dir).into_iter().find(|p| p.extension().is_some_and(|e| e == "req")).expect("the entry");
    std::os::unix::fs::chown(&path, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap(); // root's only
    let api = Server::start_on(port, script(|_, _| Reply::ok()));
    check(
        as_www_data("child_www_data_flush_stops_on_an_unreadable_entry", &[("SPREAD_URL", &api.url()), ("SPREAD_DIR", dir.to_str().unwrap())]),
        "www-data's flush stops",
    );
    assert!(path.exists(), "the entry stays in place");
    assert!(api.requests().is_empty());
    std::os::unix::fs::chown(&path, Some(33), Some(33)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660)).unwrap();
    assert!(root_cron_flush(&dir, &url).contains("delivered 1"));
    std::fs::remove_dir_all(dir).unwrap();
}
