//! Guards for behaviours that once had no test (issue 27): each test here
//! failed on a copy of the code with that behaviour removed. They look only
//! at what is visible from outside (what a real loopback server received,
//! files on disk, system calls, what the public API and the CLI return), so
//! that they hold across rewrites of the spool and of redirect handling.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{order, temp_dir, PRIVATE_KEY, PUBLIC_KEY};
use faults::{script, Reply, Server};
use spread::{Client, Sent};

/// A server that answers 503 until `up` is set, then `when_up`.
fn switchable(when_up: impl Fn(&faults::Request) -> Reply + Send + Sync + 'static) -> (Server, Arc<AtomicBool>) {
    let up = Arc::new(AtomicBool::new(false));
    let flag = up.clone();
    let server = Server::start(script(move |r, _| if flag.load(Ordering::SeqCst) { when_up(r) } else { Reply::status(503) }));
    (server, up)
}

fn spooling(url: &str, dir: &Path) -> Client {
    let mut c = common::client(url);
    c.set_max_attempts(1).unwrap();
    c.set_spool_dir(dir).unwrap();
    c
}

/// The entry files (`*.req`) directly in `dir`, sorted.
fn entry_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.ends_with(".req")).collect();
    names.sort();
    names
}

/// Every file under `dir`, at any depth (symlinks are not followed).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

/// Whether some regular file under `dir` holds `needle` (an order is not lost).
fn kept_somewhere(dir: &Path, needle: &str) -> bool {
    walk(dir)
        .iter()
        .any(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()) && String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).contains(needle))
}

// ---------------------------------------------------------------------------
// 1. A flush sends only entries whose *recorded* destination is this client's.

/// An entry whose file name carries this client's tag while its metadata
/// names another destination (another account's keys) is never sent with
/// this client's keys, and is not lost.
#[test]
fn a_flush_never_sends_an_entry_recorded_for_another_destination() {
    let (server, up) = switchable(|_| Reply::ok());
    let dir = temp_dir("guards-foreign");
    let ours = spooling(&server.url(), &dir);
    assert_eq!(ours.send(&order("ours", 10)).unwrap(), Sent::Queued);
    let [our_name] = entry_files(&dir).try_into().unwrap();

    // Another shop on the same server and folder, with other keys.
    let mut theirs = Client::new("OTHER_PUBLIC_KEY", "OTHER_PRIVATE_KEY").unwrap();
    theirs.set_base_url(&server.url()).unwrap();
    theirs.set_max_attempts(1).unwrap();
    theirs.set_spool_dir(&dir).unwrap();
    assert_eq!(theirs.send(&order("theirs", 10)).unwrap(), Sent::Queued);
    let their_name = entry_files(&dir).into_iter().find(|n| *n != our_name).unwrap();

    // Names are `<seq>-<tag>-…-<random>.req`: give theirs our tag, its content unchanged.
    let our_tag = our_name.split('-').nth(1).unwrap();
    let mut parts: Vec<&str> = their_name.split('-').collect();
    assert!(parts.len() >= 3, "entry names changed shape: {their_name}");
    parts[1] = our_tag;
    let disguised = parts.join("-");
    std::fs::rename(dir.join(&their_name), dir.join(&disguised)).unwrap();

    up.store(true, Ordering::SeqCst);
    let before = server.requests().len();
    let report = ours.flush();
    let sent: Vec<String> = server.requests()[before..].iter().filter_map(|r| r.field("order_idorder")).collect();
    assert!(!sent.contains(&"theirs".to_owned()), "another destination's entry was sent with our keys: {sent:?} ({report:?})");
    assert!(sent.contains(&"ours".to_owned()), "our own entry is delivered: {sent:?} ({report:?})");
    assert!(kept_somewhere(&dir, "data%5Border_idorder%5D=theirs"), "the other destination's entry was lost");
}

// ---------------------------------------------------------------------------
// 2. A Digest challenge from a host a redirect led to is never answered.

/// A 401 Digest challenge, answered 200 once a Digest Authorization comes.
fn digest_challenger() -> faults::Script {
    script(|r, _| match r.header("authorization") {
        Some(a) if a.starts_with("Digest") => Reply::ok(),
        _ => Reply::status(401).header("WWW-Authenticate", r#"Digest realm="x", nonce="n1", qop="auth""#),
    })
}

fn assert_no_credentials(who: &str, requests: &[faults::Request]) {
    for r in requests {
        assert!(r.header("authorization").is_none(), "{who} was sent credentials: {:?}", r.header("authorization"));
        for (name, value) in &r.headers {
            for secret in [PUBLIC_KEY, PRIVATE_KEY, "Digest", "response="] {
                assert!(!value.contains(secret), "{who} received {secret:?} in {name}: {value}");
            }
        }
        assert!(!r.target.contains(PRIVATE_KEY) && !r.target.contains(PUBLIC_KEY), "{who}: keys in the URL {}", r.target);
    }
}

#[test]
fn a_digest_challenge_from_a_host_a_redirect_led_to_is_not_answered() {
    // Another host on the same port (only the host differs), and another port on the same host.
    let port = common::free_port();
    let other_host = Server::start_at("127.0.0.2", port, digest_challenger());
    let other_port = Server::start(digest_challenger());
    for (who, target) in [("127.0.0.2", &other_host), ("another port", &other_port)] {
        let to = format!("{}/updateOrder", target.url());
        let origin = Server::start_on(common::free_port(), script(move |_, _| Reply::status(307).header("Location", &to)));
        let sent = common::client(&origin.url()).send(&order("moved", 10));
        assert!(origin.requests()[0].header("authorization").is_some(), "the configured origin gets the keys");
        assert_no_credentials(who, &target.requests());
        assert!(sent.is_err(), "a redirect target that wants credentials cannot have them: {sent:?}");
        drop(origin);
    }
    drop(other_host);
}

// ---------------------------------------------------------------------------
// 4. A flush that only delivers syncs the folder after its removals.

const FLUSHED_MARK: &str = "MARK:guards-flushed";

#[test]
#[ignore = "run under strace by a_flush_that_only_delivers_syncs_the_folder_before_it_returns"]
fn child_flushes_deliveries_only() {
    let c = spooling(&std::env::var("SPREAD_URL").unwrap(), Path::new(&std::env::var("SPREAD_DIR").unwrap()));
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.rejected, report.remaining), (2, 0, 0), "{report:?}");
    use std::io::Write;
    let mut out = std::io::stdout();
    out.write_all(format!("{FLUSHED_MARK}\n").as_bytes()).unwrap();
    out.flush().unwrap();
}

/// `strace -y` names each descriptor's file, so a folder synced through a
/// descriptor opened long before (or an `unlinkat` relative to one) is seen.
#[test]
fn a_flush_that_only_delivers_syncs_the_folder_before_it_returns() {
    let (server, up) = switchable(|_| Reply::ok());
    let dir = temp_dir("guards-sync");
    let c = spooling(&server.url(), &dir);
    for id in ["s1", "s2"] {
        assert_eq!(c.send(&order(id, 10)).unwrap(), Sent::Queued);
    }
    up.store(true, Ordering::SeqCst);
    let dir = dir.canonicalize().unwrap();
    let out_file = temp_dir("guards-strace").join("trace");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-y", "-s", "300", "-e", "trace=write,unlink,unlinkat,fsync,fdatasync,syncfs,sync", "-o"])
        .arg(&out_file)
        .arg(std::env::current_exe().unwrap())
        .args(["child_flushes_deliveries_only", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("SPREAD_URL", server.url())
        .env("SPREAD_DIR", &dir)
        .output()
        .expect("strace is installed (.ci/setup)");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&out_file).unwrap();
    let calls: Vec<&str> = text.lines().map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest).trim_start()).collect();
    let flushed = calls.iter().position(|c| c.starts_with("write(") && c.contains(FLUSHED_MARK)).expect("the child's mark");
    let removed = calls[..flushed]
        .iter()
        .rposition(|c| c.starts_with("unlink") && c.contains(".req") && c.ends_with(" = 0"))
        .unwrap_or_else(|| panic!("no entry was removed:\n{}", calls.join("\n")));
    // The folder itself, by its descriptor's path (`fsync(5</tmp/…>)`), or a whole-file-system sync.
    let folder = format!("<{}>)", dir.display());
    let synced = calls[removed..flushed].iter().any(|c| {
        let sync = c.starts_with("fsync(") || c.starts_with("fdatasync(");
        (sync && c.contains(&folder) && c.ends_with(" = 0")) || c.starts_with("syncfs(") || c.starts_with("sync(")
    });
    assert!(synced, "the flush returned before the folder was synced after its last removal:\n{}", calls[removed..=flushed].join("\n"));
    assert!(server.requests().len() >= 2);
}

// ---------------------------------------------------------------------------
// 5. A symlink planted at `.seq` or at `rejected/<name>.answer` is never followed.

const OUTSIDE: &str = "an outside file: precious, must stay as it is\n";

/// A file outside the spool, with known content and mode.
fn outside_file(tag: &str) -> PathBuf {
    let path = temp_dir(tag).join("outside.txt");
    std::fs::write(&path, OUTSIDE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    path
}

fn assert_untouched(path: &Path, after: &str) {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("after {after}: the outside file is gone: {e}"));
    assert_eq!(std::fs::read_to_string(path).unwrap(), OUTSIDE, "after {after}: the outside file was rewritten through a symlink");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640, "after {after}: the outside file's mode changed");
}

/// `spread` with the test keys, none of the caller's settings; its output (stdout and stderr).
fn cli(args: &[&str]) -> (Option<i32>, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spread"));
    c.args(args).env("SPREAD_PUBLIC_KEY", PUBLIC_KEY).env("SPREAD_PRIVATE_KEY", PRIVATE_KEY).stdin(Stdio::null());
    for var in ["SPREAD_BASE_URL", "SPREAD_SPOOL", "SPREAD_PROXY", "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        c.env_remove(var);
    }
    let out = c.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned())
}

/// Ran to an end of its own (an exit code, not a signal: no abort, no crash).
fn assert_exited(what: &str, run: &(Option<i32>, String)) {
    assert!(run.0.is_some(), "{what} died of a signal: {}", run.1);
    assert!(run.0 != Some(101), "{what} panicked: {}", run.1);
    assert!(!run.1.contains(OUTSIDE.trim()), "{what} printed the outside file: {}", run.1);
}

#[test]
fn a_symlink_at_seq_is_never_followed() {
    let (server, up) = switchable(|_| Reply::ok());
    let dir = temp_dir("guards-seq");
    spooling(&server.url(), &dir); // the folder as the library lays it out
    let outside = outside_file("guards-seq-outside");
    std::os::unix::fs::symlink(&outside, dir.join(".seq")).unwrap();

    // Sends that fail (queued, or an error today), an enqueue, a flush.
    let c = spooling(&server.url(), &dir);
    let _ = c.send(&order("seq-1", 10));
    assert_untouched(&outside, "a send that had to spool");
    let _ = c.enqueue(&order("seq-2", 10));
    c.close();
    assert_untouched(&outside, "an enqueue");
    up.store(true, Ordering::SeqCst);
    let _ = c.send(&order("seq-3", 10));
    let _ = c.flush();
    assert_untouched(&outside, "a delivered send and a flush");
    up.store(false, Ordering::SeqCst);

    // The CLI's commands on that folder.
    let (d, url) = (dir.to_str().unwrap(), server.url());
    let lines = temp_dir("guards-seq-lines").join("orders.jsonl");
    std::fs::write(
        &lines,
        r#"{"data":{"customer_email":"c@example.com","order_idorder":"seq-cli","order_state":10,"order_amount":1,"order_crea_dt":"2024-01-02 03:04:05"}}"#
            .to_owned()
            + "\n",
    )
    .unwrap();
    for args in [
        &["send", lines.to_str().unwrap(), "--spool", d, "--base-url", &url][..],
        &["flush", "--spool", d, "--base-url", &url],
        &["status", "--spool", d, "--base-url", &url],
        &["rejected", "list", "--spool", d],
    ] {
        let run = cli(args);
        assert_exited(&format!("spread {}", args[0]), &run);
        assert_untouched(&outside, &format!("spread {}", args[..2].join(" ")));
    }
}

/// Refused at the flush (422), while `rejected/<its name>.answer` is a
/// symlink to an outside file: the answer is not written through it.
#[test]
fn a_symlink_at_a_rejected_answer_is_never_written_through() {
    let (server, up) = switchable(|_| Reply::status(422).body("{\"status\":\"error\",\"message\":\"refused by the test\"}"));
    let dir = temp_dir("guards-answer");
    let c = spooling(&server.url(), &dir);
    assert_eq!(c.send(&order("refused", 10)).unwrap(), Sent::Queued);
    let [name] = entry_files(&dir).try_into().unwrap();
    let outside = outside_file("guards-answer-outside");
    std::fs::create_dir_all(dir.join("rejected")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("rejected").join(format!("{name}.answer"))).unwrap();
    up.store(true, Ordering::SeqCst);
    let _ = c.flush();
    assert_untouched(&outside, "a flush that rejected the entry");
    assert!(kept_somewhere(&dir, "data%5Border_idorder%5D=refused"), "the refused order was lost");
    let run = cli(&["flush", "--spool", dir.to_str().unwrap(), "--base-url", &server.url()]);
    assert_exited("spread flush", &run);
    assert_untouched(&outside, "spread flush");
}

/// A rejected entry whose `.answer` was replaced by a symlink (the spool's
/// writer is not trusted to reach outside it): `spread rejected
/// list/show/requeue/purge` neither print nor change the outside file.
#[test]
fn spread_rejected_neither_prints_nor_changes_what_an_answer_symlink_points_to() {
    let (server, up) = switchable(|_| Reply::status(422).body("{\"status\":\"error\",\"message\":\"refused by the test\"}"));
    let dir = temp_dir("guards-rejected");
    let (d, url) = (dir.to_str().unwrap(), server.url());
    // Two entries queued while the server is down, then refused by a real flush.
    let c = spooling(&url, &dir);
    for id in ["r-1", "r-2"] {
        assert_eq!(c.send(&order(id, 10)).unwrap(), Sent::Queued);
    }
    up.store(true, Ordering::SeqCst);
    assert_eq!(c.flush().unwrap().rejected, 2);
    let rejected = dir.join("rejected");
    let names = entry_files(&rejected);
    assert_eq!(names.len(), 2, "{names:?}");
    let outside = outside_file("guards-rejected-outside");
    for name in &names {
        let answer = rejected.join(format!("{name}.answer"));
        let _ = std::fs::remove_file(&answer);
        std::os::unix::fs::symlink(&outside, &answer).unwrap();
    }
    for args in [
        &["rejected", "list", "--spool", d][..],
        &["rejected", "list", "--json", "--spool", d],
        &["rejected", "show", &names[0], "--spool", d],
        &["rejected", "show", &names[0], "--raw", "--spool", d],
        &["status", "--spool", d, "--base-url", &url],
        &["rejected", "requeue", &names[0], "--spool", d, "--base-url", &url],
        &["flush", "--spool", d, "--base-url", &url],
        &["rejected", "purge", "--older-than", "0", "--spool", d],
    ] {
        let run = cli(args);
        assert_exited(&format!("spread {}", args[..2].join(" ")), &run);
        assert_untouched(&outside, &format!("spread {}", args[..2].join(" ")));
    }
}

// ---------------------------------------------------------------------------
// Ordering without a spool and without a batch: one order, several threads.

/// Five threads send updates of one order through one client with no spool,
/// each starting while the previous one is still in flight (the server holds
/// the first answer 1 s). The server sees one update at a time, in the order
/// the sends started.
#[test]
fn updates_of_one_order_from_several_threads_land_one_at_a_time_in_order() {
    // Each request's (state, start, end of its handling); the answer is written after `end`
    // is recorded, so a send that waited for it can only arrive later.
    let handled = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = handled.clone();
    let server = Server::start(script(move |r, n| {
        let start = std::time::Instant::now();
        std::thread::sleep(Duration::from_millis(if n == 0 { 1000 } else { 50 }));
        log.lock().unwrap().push((r.state().unwrap_or_default(), start, std::time::Instant::now()));
        Reply::ok()
    }));
    let client = Arc::new(common::client(&server.url()));
    let states = [0i64, 10, 20, 50, 100];
    let mut threads = Vec::new();
    for (i, state) in states.into_iter().enumerate() {
        let client = client.clone();
        threads.push(std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150 * i as u64));
            client.send(&order("one-order", state)).map(|s| matches!(s, Sent::Delivered(_)))
        }));
    }
    for t in threads {
        assert!(t.join().unwrap().unwrap(), "delivered");
    }
    let handled = handled.lock().unwrap().clone();
    let got: Vec<&str> = handled.iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(got, ["0", "10", "20", "50", "100"], "the updates landed out of order");
    for pair in handled.windows(2) {
        assert!(pair[1].1 >= pair[0].2, "update {} reached the server while {} was still in flight", pair[1].0, pair[0].0);
    }
}
