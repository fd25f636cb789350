//! The `spread` command as cron, monitoring and a person at a terminal use
//! it: the real binary against the sandbox. Exit codes (`spread --help`):
//! 0 done, 1 failure, 2 usage, 3 configuration, 4 orders not delivered.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

#[path = "common/cli.rs"]
mod cli;
mod common;
mod faults;

use std::fs;
use std::io::Read;
use std::os::fd::FromRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cli::{assert_no_secret, command, finish, spread, Run};
use common::{client, free_port, order, temp_dir, Sandbox, PUBLIC_KEY};
use serde_json::Value;
use spread::Sent;

/// `spread` with no key in its environment: they must come from elsewhere.
fn keyless(args: &[&str]) -> Command {
    let mut c = command(args);
    c.env_remove("SPREAD_PUBLIC_KEY").env_remove("SPREAD_PRIVATE_KEY");
    c
}

/// A keys file as an administrator writes one: `mode`, owned by the caller.
fn keys_file(dir: &Path, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("keys-{mode:o}-{}", text.len()));
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// A runtime failure says one line, `spread: …`, and no usage text.
fn assert_one_line_failure(run: &Run, needle: &str) {
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("spread: ") && run.stderr.contains(needle), "{}", run.stderr);
    assert!(!run.stderr.contains("Usage"), "{}", run.stderr);
}

/// The seed's `$post_data` for a small order, as `json_encode` writes it.
fn post_data(id: &str, state: i64) -> String {
    format!(
        r#"{{"data":{{"customer_email":"{id}@example.com","order_idorder":"{id}","order_state":{state},"order_amount":12.5,"order_crea_dt":"2024-01-02 03:04:05"}},"request":{{"order_idorder":"{id}"}}}}"#
    )
}

fn write_lines(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn orders_in(sb: &Sandbox) -> Vec<String> {
    sb.state()["orders"].as_object().unwrap().keys().cloned().collect()
}

/// A spool with `ids` queued by a till that could not deliver to `url`.
fn spool_with(url: &str, ids: &[&str]) -> PathBuf {
    let spool = temp_dir("cli-spool");
    let mut till = client(url);
    till.set_max_attempts(1).unwrap();
    till.set_spool_dir(&spool).unwrap();
    for id in ids {
        assert_eq!(till.send(&order(id, 20)).unwrap(), Sent::Queued);
    }
    spool
}

/// A spool with `ids` queued by a till while the sandbox answered 503.
fn spooled_while_down(sb: &Sandbox, ids: &[&str]) -> PathBuf {
    sb.fault(r#"{"mode":"status","code":503}"#);
    let spool = spool_with(&sb.base_url(), ids);
    sb.fault(r#"{"mode":"none"}"#);
    spool
}

#[test]
fn help_and_version_exit_0_with_complete_usage() {
    for args in [&["--help"][..], &["-h"], &["help"], &["rejected", "--help"], &["rejected", "requeue", "--help"]] {
        let run = spread(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stdout.contains("Usage: spread"), "{args:?}: {}", run.stdout);
    }
    let top = spread(&["--help"]).stdout;
    for needle in ["flush", "status", "send", "check", "rejected", "SPREAD_PUBLIC_KEY", "Exit codes:", "  4  some orders"] {
        assert!(top.contains(needle), "{needle}: {top}");
    }
    for (command, option) in [("flush", "--quiet"), ("status", "--max-age"), ("send", "--failed"), ("check", "--strict")] {
        let run = spread(&[command, "--help"]);
        assert_eq!(run.code, 0);
        assert!(run.stdout.contains(option) && run.stdout.contains("Exit:"), "{command}: {}", run.stdout);
        assert!(run.stdout.contains("--spool") || command == "check", "{command}: {}", run.stdout);
    }
    let version = spread(&["--version"]);
    assert_eq!((version.code, version.stdout.trim()), (0, format!("spread {}", spread::VERSION).as_str()));
}

#[test]
fn bad_usage_exits_2_without_noise() {
    for args in [
        &[][..],
        &["flush"],
        &["frobnicate"],
        &["flush", "--spool", "/tmp", "--bogus"],
        &["send", "--concurrency", "0", "x.jsonl"],
        &["send", "--concurrency=33", "x.jsonl"],
        &["status", "--spool", "/tmp", "--max-age", "soon"],
        &["flush", "--spool", "/tmp", "--tls-roots", "bundled", "--ca-file", "/etc/ssl/x.pem"],
        &["rejected", "requeue", "--spool", "/tmp"],
    ] {
        let run = spread(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        assert!(run.stderr.starts_with("error:") && run.stderr.lines().count() <= 8, "{args:?}: {}", run.stderr);
    }
}

#[test]
fn configuration_errors_exit_3_and_name_the_cause() {
    let spool = temp_dir("cli-config");
    let dir = spool.to_str().unwrap();
    let run = finish(command(&["flush", "--spool", dir]).env_remove("SPREAD_PRIVATE_KEY"));
    assert_eq!(run.code, 3);
    assert_one_line_failure(&run, "SPREAD_PRIVATE_KEY is not set");
    let run = finish(command(&["status", "--spool", dir]).env_remove("SPREAD_PUBLIC_KEY"));
    assert_eq!(run.code, 3);
    assert_one_line_failure(&run, "SPREAD_PUBLIC_KEY is not set");

    // status needs only the public key; --opt=value works as --opt value.
    let run = finish(command(&["status", &format!("--spool={dir}"), "--json"]).env_remove("SPREAD_PRIVATE_KEY"));
    assert_eq!(run.code, 0, "{}", run.stderr);

    for (args, needle) in [
        (&["flush", "--spool", dir, "--base-url", "ftp://example.com"][..], "base_url"),
        (&["flush", "--spool", dir, "--proxy", "not a proxy url"], "proxy"),
        (&["flush", "--spool", dir, "--tls-roots", "/nonexistent/ca.pem"], "nonexistent"),
        (&["flush", "--spool", dir, "--ca-file", "/nonexistent/ca.pem"], "nonexistent"),
    ] {
        let run = spread(args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert_one_line_failure(&run, needle);
    }
    let run = finish(command(&["flush", "--spool", dir]).env("SPREAD_PROXY", "socks9://nowhere"));
    assert_eq!(run.code, 3);
    assert_one_line_failure(&run, "proxy");
}

#[test]
fn a_missing_spool_folder_is_an_error_and_is_not_created() {
    let missing = temp_dir("cli-missing").join("typo");
    let dir = missing.to_str().unwrap();
    for args in [&["status", "--spool", dir][..], &["flush", "--spool", dir], &["rejected", "list", "--spool", dir]] {
        let run = spread(args);
        assert_eq!(run.code, 3, "{args:?}");
        assert_one_line_failure(&run, "does not exist");
        assert!(!missing.exists(), "{args:?} created {dir}");
    }
    let run = finish(command(&["status"]).env("SPREAD_SPOOL", dir));
    assert_eq!(run.code, 3);
    assert!(!missing.exists());
}

#[test]
fn cron_flushes_what_a_till_spooled_offline() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    let spool = spool_with(&url, &["till-0", "till-1", "till-2", "till-3"]);
    let dir = spool.to_str().unwrap();

    let status = spread(&["status", "--spool", dir, "--base-url", &url]);
    assert_eq!(status.code, 0);
    assert!(status.stdout.starts_with("pending 4, foreign 0, legacy 0, rejected 0, unreadable 0, oldest "), "{}", status.stdout);
    let json: Value = serde_json::from_str(&spread(&["status", "--spool", dir, "--base-url", &url, "--json"]).stdout).unwrap();
    assert_eq!((json["pending"].as_u64(), json["rejected"].as_u64(), json["foreign"].as_u64()), (Some(4), Some(0), Some(0)));
    assert!(json["oldest_secs"].is_u64(), "{json}");
    // Seen from another destination, they are foreign.
    let json: Value = serde_json::from_str(&spread(&["status", "--spool", dir, "--json"]).stdout).unwrap();
    assert_eq!((json["pending"].as_u64(), json["foreign"].as_u64(), json["oldest_secs"].is_null()), (Some(0), Some(4), true));

    // --max-age: a Nagios-style threshold on the oldest pending order.
    std::thread::sleep(Duration::from_millis(1100));
    let fresh = spread(&["status", "--spool", dir, "--base-url", &url, "--max-age", "3600", "--json"]);
    assert_eq!(fresh.code, 0);
    assert_eq!(serde_json::from_str::<Value>(&fresh.stdout).unwrap()["too_old"], Value::Bool(false));
    let stale = spread(&["status", "--spool", dir, "--base-url", &url, "--max-age", "0"]);
    assert_eq!(stale.code, 4);
    assert_one_line_failure(&stale, "CRITICAL");

    // SPREAD unreachable: exit 1, one line, everything still pending; --quiet still reports trouble.
    let offline = spread(&["flush", "--spool", dir, "--base-url", &url, "--timeout-ms", "2000"]);
    assert_eq!(offline.code, 1);
    assert_one_line_failure(&offline, "flush stopped: connection to 127.0.0.1");
    assert_eq!(offline.stdout.trim(), "delivered 0, rejected 0, remaining 4");
    let quiet = spread(&["flush", "--quiet", "--spool", dir, "--base-url", &url]);
    assert_eq!(quiet.code, 1);
    assert!(quiet.stdout.contains("remaining 4"), "{}", quiet.stdout);

    // Back up: a quiet flush that delivers everything prints nothing.
    let sb = Sandbox::start_on(port);
    let flushed = spread(&["flush", "--quiet", "--spool", dir, "--base-url", &url]);
    assert_eq!((flushed.code, flushed.stdout.as_str(), flushed.stderr.as_str()), (0, "", ""));
    assert_eq!(orders_in(&sb).len(), 4);
    let empty = spread(&["flush", "--quiet", "--spool", dir, "--base-url", &url]);
    assert_eq!((empty.code, empty.stdout.as_str(), empty.stderr.as_str()), (0, "", ""));
    let loud = spread(&["flush", "--spool", dir, "--base-url", &url]);
    assert_eq!((loud.code, loud.stdout.trim()), (0, "delivered 0, rejected 0, remaining 0"));
    let status = spread(&["status", "--spool", dir, "--base-url", &url]).stdout;
    assert_eq!(status.lines().next(), Some("pending 0, foreign 0, legacy 0, rejected 0, unreadable 0, oldest -, stranded 0"));
    assert!(status.lines().nth(1).unwrap().contains("ago: ok, delivered 0, rejected 0, remaining 0"), "{status}");
}

#[test]
fn a_flush_that_rejects_exits_4_and_rejected_entries_are_managed() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let spool = spooled_while_down(&sb, &["r-1", "r-2", "r-3"]);
    let dir = spool.to_str().unwrap();
    let at = |args: &[&str]| spread(&[args, &["--spool", dir]].concat());

    sb.fault(r#"{"mode":"status","code":422,"times":2}"#);
    // One order at a time, so the two refused are the two oldest (a parallel flush
    // refused r-1 and r-3 once, whichever reached the sandbox first).
    let flushed = spread(&["flush", "--quiet", "--concurrency", "1", "--spool", dir, "--base-url", &url]);
    assert_eq!(flushed.code, 4, "{}", flushed.stderr);
    assert!(flushed.stdout.starts_with("delivered 1, rejected 2, remaining 0"), "{}", flushed.stdout);
    assert!(flushed.stdout.contains("spread rejected list"), "{}", flushed.stdout);

    let list = at(&["rejected", "list"]);
    assert_eq!(list.code, 0);
    let rows: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(rows.len(), 2, "{}", list.stdout);
    assert!(rows[0].contains("  r-1  ") && rows[0].contains("422") && rows[1].contains("  r-2  "), "{}", list.stdout);
    let json: Value = serde_json::from_str(&at(&["rejected", "list", "--json"]).stdout).unwrap();
    let first = json[0]["name"].as_str().unwrap().to_owned();
    assert_eq!(json[1]["order_id"], "r-2");

    let show = at(&["rejected", "show", &first]);
    assert_eq!(show.code, 0);
    assert!(show.stdout.contains("order_id: r-1") && show.stdout.contains("answer: ") && show.stdout.contains("422"), "{}", show.stdout);
    assert!(show.stdout.contains("data[customer_email] = r-1@example.com") && show.stdout.contains("keep it private"), "{}", show.stdout);
    assert!(at(&["rejected", "show", &first, "--raw"]).stdout.contains("data%5Bcustomer_email%5D=r-1%40example.com"));
    let unknown = at(&["rejected", "show", "nothing.req"]);
    assert_eq!(unknown.code, 2);
    assert_one_line_failure(&unknown, "nothing.req");

    // Requeued, the entry goes out with the next flush.
    let requeued = spread(&["rejected", "requeue", &first, "--spool", dir, "--base-url", &url]);
    assert_eq!((requeued.code, requeued.stdout.trim()), (0, "requeued 1: the next `spread flush` sends them"));
    assert!(spread(&["status", "--spool", dir, "--base-url", &url]).stdout.starts_with("pending 1, foreign 0, legacy 0, rejected 1,"));
    assert_eq!(spread(&["flush", "--quiet", "--spool", dir, "--base-url", &url]).code, 0);
    assert!(orders_in(&sb).contains(&"r-1".to_owned()));

    // Purge by age: the young one stays for a day, then goes.
    assert!(at(&["rejected", "purge", "--older-than", "1"]).stdout.starts_with("purged 0 "));
    assert!(at(&["rejected", "purge", "--older-than=0"]).stdout.starts_with("purged 1 "));
    assert_eq!(at(&["rejected", "list"]).stdout.trim(), "no rejected orders");
    assert_eq!(spread(&["rejected", "requeue", "--all", "--spool", dir, "--base-url", &url]).stdout.trim(), "requeued 0: the next `spread flush` sends them");
}

#[test]
fn a_flush_that_runs_out_of_budget_exits_4_and_the_next_goes_on() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let spool = spooled_while_down(&sb, &["b-1", "b-2", "b-3"]);
    let dir = spool.to_str().unwrap();
    sb.fault(r#"{"mode":"slow","delay_ms":1500,"times":1}"#);
    let run = spread(&["flush", "--quiet", "--budget", "1", "--spool", dir, "--base-url", &url]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stdout.contains("remaining 3") && run.stdout.contains("the flush budget (1 s) is used up"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "not a failure: {}", run.stderr);
    let run = spread(&["flush", "--quiet", "--spool", dir, "--base-url", &url]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn the_proxy_is_an_option_and_proxy_variables_are_ignored() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let spool = spooled_while_down(&sb, &["px-1"]);
    let dir = spool.to_str().unwrap();

    // A proxy that answers nothing, in every variable curl and friends read: not used.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let mut c = command(&["flush", "--spool", dir, "--base-url", &url]);
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        c.env(var, &closed);
    }
    let run = finish(&mut c);
    assert_eq!((run.code, run.stdout.trim()), (0, "delivered 1, rejected 0, remaining 0"), "{}", run.stderr);
    assert_eq!(orders_in(&sb), ["px-1"]);
    // A valid --proxy (or SPREAD_PROXY) is taken, and loopback never goes through it.
    let run = spread(&["flush", "--spool", dir, "--base-url", &url, "--proxy", &closed]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = finish(command(&["flush", "--spool", dir, "--base-url", &url]).env("SPREAD_PROXY", &closed));
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn wrong_keys_exit_3_and_no_key_is_ever_printed() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let dir = temp_dir("cli-keys");
    let file = write_lines(&dir, "in.jsonl", &[post_data("k-1", 20)]);
    let mut c = command(&["-vv", "send", file.to_str().unwrap(), "--base-url", &url]);
    let run = finish(c.env("SPREAD_PRIVATE_KEY", "s3cr3t-9f8e7d"));
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(run.stderr.contains("] attempt: POST"), "-vv shows the library's log: {}", run.stderr);
    assert!(orders_in(&sb).is_empty());
}

#[test]
fn send_writes_failed_lines_that_can_be_fixed_and_sent_again() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let dir = temp_dir("cli-send");
    let lenient = post_data("s-warn", 20).replace(r#""order_amount""#, r#""customer_birthday":"0000-00-00","order_amount""#);
    let input = write_lines(
        &dir,
        "orders.jsonl",
        &[
            post_data("s-refused", 20), // line 1: the first sent, refused by SPREAD (422)
            post_data("s-1", 20),
            String::new(), // line 3: blank lines are skipped, and counted
            post_data("s-bad-state", 7),
            "{not json".into(),
            lenient, // line 6: sent, with a warning
            post_data("s-2", 100),
        ],
    );
    let failed = dir.join("failed.jsonl");
    sb.fault(r#"{"mode":"status","code":422,"times":1}"#);
    let run = spread(&["-v", "send", input.to_str().unwrap(), "--concurrency", "1", "--failed", failed.to_str().unwrap(), "--base-url", &url]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("spread: line 6: warning: customer_birthday: "), "-v lists the warnings: {}", run.stderr);
    assert!(run.stderr.contains("spread: line 4: order_state: 7"), "-v lists the failures too: {}", run.stderr);
    assert!(run.stdout.starts_with("6 lines in ") && run.stdout.contains("orders/s: 3 delivered, 0 queued, 1 failed, 2 invalid, 1 warnings"), "{}", run.stdout);
    assert!(run.stdout.contains("failed: 1 refused by SPREAD, 0 not delivered, 0 not sent"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("spread send {}", failed.display())), "{}", run.stdout);
    let mut stored = orders_in(&sb);
    stored.sort();
    assert_eq!(stored, ["s-1", "s-2", "s-warn"]);

    // The failed lines, unchanged, and why, line for line.
    let lines = fs::read_to_string(&failed).unwrap();
    let original = fs::read_to_string(&input).unwrap();
    let original: Vec<&str> = original.lines().collect();
    assert_eq!(lines.lines().collect::<Vec<_>>(), [original[0], original[3], original[4]]);
    let why: Vec<Value> = fs::read_to_string(dir.join("failed.jsonl.errors")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(why.iter().map(|w| (w["line"].as_u64().unwrap(), w["input_line"].as_u64().unwrap())).collect::<Vec<_>>(), [(1, 1), (2, 4), (3, 5)]);
    assert_eq!((why[0]["kind"].as_str(), why[1]["kind"].as_str(), why[2]["kind"].as_str()), (Some("rejected"), Some("invalid_value"), Some("invalid_value")));
    assert_eq!((why[0]["http_status"].as_u64(), why[0]["order_id"].as_str()), (Some(422), Some("s-refused")));
    assert!(why[1]["error"].as_str().unwrap().starts_with("order_state: 7"), "{}", why[1]);
    assert!(why[2]["error"].as_str().unwrap().contains("not valid JSON"), "{}", why[2]);

    // Fixed and sent again: everything goes, the new failed files are not left behind.
    let fixed = lines.replace(r#""order_state":7"#, r#""order_state":20"#).replace("{not json", &post_data("s-3", 50));
    fs::write(&failed, fixed).unwrap();
    let again = dir.join("again.jsonl");
    let run = spread(&["send", failed.to_str().unwrap(), "--failed", again.to_str().unwrap(), "--base-url", &url]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(": 3 delivered, 0 queued, 0 failed, 0 invalid, 0 warnings"), "{}", run.stdout);
    assert!(!again.exists() && !dir.join("again.jsonl.errors").exists());
    assert_eq!(orders_in(&sb).len(), 6);

    // The same file as input and --failed would be lost: refused.
    let run = spread(&["send", failed.to_str().unwrap(), "--failed", failed.to_str().unwrap(), "--base-url", &url]);
    assert_eq!(run.code, 2);
}

#[test]
fn send_from_stdin_without_a_terminal_prints_plain_progress_lines() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let lines: Vec<String> = (0..10).map(|i| post_data(&format!("p-{i}"), 20)).collect();
    sb.fault(r#"{"mode":"slow","delay_ms":400,"times":10}"#);
    let mut child =
        command(&["send", "-", "--concurrency", "1", "--base-url", &url]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), (lines.join("\n") + "\n").as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.lines().any(|l| l.starts_with("spread: ") && l.contains(" orders sent, ") && l.ends_with(" orders/s")), "{stderr}");
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\r'), "no terminal codes in a log: {stderr:?}");
    assert!(stdout.starts_with("10 lines in ") && stdout.contains(" orders/s: 10 delivered"), "{stdout}");
    assert_eq!(orders_in(&sb).len(), 10);
}

/// Runs `spread` with its stderr on a pseudo-terminal; returns the exit code and what the terminal showed.
fn run_on_a_terminal(mut c: Command) -> (i32, String, String) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize { ws_row: 24, ws_col: 120, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: out-pointers to two ints; no name, default termios, a valid winsize.
    assert_eq!(unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), &size) }, 0);
    // SAFETY: openpty returned two open descriptors that nothing else owns.
    let (mut master, slave) = unsafe { (fs::File::from_raw_fd(master), fs::File::from_raw_fd(slave)) };
    c.env("TERM", "xterm-256color").stderr(slave).stdout(Stdio::piped());
    let child = c.spawn().unwrap();
    drop(c); // closes our copy of the slave: reading the master ends when the child exits
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let out = child.wait_with_output().unwrap();
    let terminal = reader.join().unwrap();
    assert_no_secret(&terminal);
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned(), terminal)
}

#[test]
fn send_on_a_terminal_draws_a_progress_bar() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let dir = temp_dir("cli-tty");
    let lines: Vec<String> = (0..40).map(|i| post_data(&format!("t-{i}"), 20)).collect();
    let file = write_lines(&dir, "orders.jsonl", &lines);
    sb.fault(r#"{"mode":"slow","delay_ms":100,"times":10}"#);
    let (code, stdout, terminal) = run_on_a_terminal(command(&["send", file.to_str().unwrap(), "--concurrency", "2", "--base-url", &url]));
    assert_eq!(code, 0, "{terminal}");
    assert!(terminal.contains("40/40 orders"), "the bar's last state: {terminal:?}");
    assert!(terminal.contains('\u{1b}') || terminal.contains('\r'), "drawn in place: {terminal:?}");
    assert!(!terminal.contains(" orders sent, "), "no plain lines on a terminal: {terminal:?}");
    assert!(stdout.starts_with("40 lines in ") && stdout.contains("40 delivered"), "{stdout}");
    assert_eq!(orders_in(&sb).len(), 40);
}

#[test]
fn send_with_a_spool_queues_what_cannot_go_and_stops_when_nothing_goes() {
    let url = format!("http://127.0.0.1:{}/api", free_port());
    let dir = temp_dir("cli-outage");
    let lines: Vec<String> = (0..100).map(|i| post_data(&format!("o-{i}"), 20)).collect();
    let file = write_lines(&dir, "orders.jsonl", &lines);
    let failed = dir.join("failed.jsonl");

    // No spool: the first batch reaches nothing, so the rest is not even tried.
    let run = spread(&["send", file.to_str().unwrap(), "--concurrency", "2", "--failed", failed.to_str().unwrap(), "--base-url", &url]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("0 delivered, 0 queued, 100 failed"), "{}", run.stdout);
    assert!(run.stdout.contains("8 not delivered, 92 not sent"), "{}", run.stdout);
    assert_eq!(fs::read_to_string(&failed).unwrap(), fs::read_to_string(&file).unwrap());

    // With a spool, every order is kept for `spread flush`: exit 4, pending.
    let spool = temp_dir("cli-outage-spool");
    let run = spread(&["send", file.to_str().unwrap(), "--spool", spool.to_str().unwrap(), "--base-url", &url, "--timeout-ms", "2000"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stdout.contains("0 delivered, 100 queued, 0 failed") && run.stdout.contains("spread flush"), "{}", run.stdout);
    assert!(spread(&["status", "--spool", spool.to_str().unwrap(), "--base-url", &url]).stdout.starts_with("pending 100,"));
}

#[test]
fn check_reports_one_line_per_problem() {
    let dir = temp_dir("cli-check");
    let lenient = post_data("c-warn", 20).replace(r#""order_amount""#, r#""customer_country":"france","order_amount""#);
    let file = write_lines(&dir, "in.jsonl", &[post_data("c-1", 20), post_data("c-2", 7), lenient, "[1,2]".into(), post_data("c-3", 10)]);
    let name = file.to_str().unwrap();
    let run = finish(command(&["check", name]).env_remove("SPREAD_PUBLIC_KEY").env_remove("SPREAD_PRIVATE_KEY"));
    assert_eq!(run.code, 4, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[0].starts_with(&format!("{name}:2: order_state: 7 is not one of")), "{}", lines[0]);
    assert!(lines[1].starts_with(&format!("{name}:3: warning: customer_country:")), "{}", lines[1]);
    assert!(lines[2].starts_with(&format!("{name}:4: post_data: must be a JSON object")), "{}", lines[2]);
    assert_eq!(lines[3], "5 lines: 3 valid, 2 invalid, 1 warnings");

    let strict = spread(&["check", "--strict", name]);
    assert!(strict.stdout.contains(":3: customer_country:") && strict.stdout.ends_with("5 lines: 2 valid, 3 invalid, 0 warnings\n"), "{}", strict.stdout);
    let good = write_lines(&dir, "good.jsonl", &[post_data("c-4", 20)]);
    let run = spread(&["check", good.to_str().unwrap()]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "1 lines: 1 valid, 0 invalid, 0 warnings\n"));
    assert_eq!(spread(&["check", "/nonexistent.jsonl"]).code, 3);
}

const KEYS: &str = "# libspread keys (systemd EnvironmentFile= format)\nSPREAD_PUBLIC_KEY=PUBLIC_KEY\n\nSPREAD_PRIVATE_KEY=\"PRIVATE_KEY\"\n";

/// Issue 21, failure 9: keys reach the command through a keys file
/// (--keys-file, SPREAD_KEYS_FILE) or systemd credentials, never an argument.
#[test]
fn keys_come_from_a_keys_file_or_systemd_credentials() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let spool = spooled_while_down(&sb, &["kf-1", "kf-2", "kf-3"]);
    let dir = spool.to_str().unwrap();
    let etc = temp_dir("cli-keys-file");

    let good = keys_file(&etc, KEYS, 0o600);
    let run = finish(&mut keyless(&["flush", "--keys-file", good.to_str().unwrap(), "--spool", dir, "--base-url", &url]));
    assert_eq!((run.code, run.stdout.trim()), (0, "delivered 3, rejected 0, remaining 0"), "{}", run.stderr);
    // Also as a variable (a cron line's environment), and shared with a group (0640).
    let shared = keys_file(&etc, KEYS, 0o640);
    sb.fault(r#"{"mode":"status","code":503,"times":1}"#);
    let till = spool_with(&url, &["kf-4"]);
    let run = finish(keyless(&["flush", "--spool", till.to_str().unwrap(), "--base-url", &url]).env("SPREAD_KEYS_FILE", &shared));
    assert_eq!(run.code, 0, "{}", run.stderr);
    // status needs only the public key, from the file too.
    let run = finish(&mut keyless(&["status", "--keys-file", good.to_str().unwrap(), "--spool", dir, "--base-url", &url]));
    assert_eq!(run.code, 0, "{}", run.stderr);

    // systemd credentials (LoadCredential=): one file per value, in $CREDENTIALS_DIRECTORY.
    let creds = temp_dir("cli-credentials");
    fs::write(creds.join("spread_public_key"), "PUBLIC_KEY\n").unwrap();
    fs::write(creds.join("spread_private_key"), "PRIVATE_KEY\n").unwrap();
    sb.fault(r#"{"mode":"status","code":503,"times":1}"#);
    let till = spool_with(&url, &["kf-5"]);
    let run = finish(keyless(&["flush", "--spool", till.to_str().unwrap(), "--base-url", &url]).env("CREDENTIALS_DIRECTORY", &creds));
    assert_eq!((run.code, run.stdout.trim()), (0, "delivered 1, rejected 0, remaining 0"), "{}", run.stderr);
    let mut delivered = orders_in(&sb);
    delivered.sort();
    assert_eq!(delivered, ["kf-1", "kf-2", "kf-3", "kf-4", "kf-5"]);

    // Refused, each with one line that names the cause and the fix, and no key.
    let world = keys_file(&etc, KEYS, 0o644);
    let group_writable = keys_file(&etc, KEYS, 0o660);
    let theirs = keys_file(&etc, &format!("{KEYS}\n"), 0o600);
    std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
    let unknown = keys_file(&etc, "SPREAD_PUBLIC_KEY=PUBLIC_KEY\nSPREAD_PRIVAT_KEY=PRIVATE_KEY\n", 0o600);
    let garbled = keys_file(&etc, "SPREAD_PUBLIC_KEY=PUBLIC_KEY\nPRIVATE_KEY\n", 0o600);
    let missing = etc.join("nothing-here");
    for (file, needle) in [
        (&world, "0644"),
        (&group_writable, "0660"),
        (&theirs, "owned by uid 65534"),
        (&unknown, "line 2: SPREAD_PRIVAT_KEY"),
        (&garbled, "line 2: not NAME=value"),
        (&missing, "nothing-here"),
    ] {
        let run = finish(&mut keyless(&["flush", "--keys-file", file.to_str().unwrap(), "--spool", dir, "--base-url", &url]));
        assert_eq!(run.code, 3, "{file:?}: {}", run.stderr);
        assert_one_line_failure(&run, needle);
        assert!(run.stderr.contains("keys file"), "{}", run.stderr);
    }
    let run = finish(&mut keyless(&["flush", "--keys-file", world.to_str().unwrap(), "--spool", dir]));
    assert!(run.stderr.contains("chmod 600"), "says how to fix it: {}", run.stderr);
    let run = finish(&mut keyless(&["flush", "--spool", dir, "--base-url", &url]));
    assert_eq!(run.code, 3);
    assert_one_line_failure(&run, "SPREAD_PUBLIC_KEY is not set");
    assert!(run.stderr.contains("--keys-file"), "names where keys may come from: {}", run.stderr);
}

/// Issue 21, failure 9: `--proxy http://user:pass@…` showed the proxy's
/// password to every user in `ps`. A proxy with credentials comes from
/// SPREAD_PROXY or the keys file; on the command line it is refused.
#[test]
fn proxy_credentials_come_from_the_environment_or_the_keys_file_only() {
    let password = "pr0xy-s3cret";
    let run = spread(&["flush", "--spool", "/nonexistent", "--proxy", &format!("http://shop:{password}@127.0.0.1:3128")]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_one_line_failure(&run, "SPREAD_PROXY");
    assert!(run.stderr.contains("keys file") && !run.stderr.contains(password), "{}", run.stderr);

    // A real HTTPS endpoint behind a proxy that wants credentials.
    let ca = faults::TestCa::new("libspread CLI proxy CA");
    let server = faults::Server::start_tls(
        faults::script(|r, _| if r.tls { faults::Reply::ok() } else { faults::Reply::status(400) }),
        &ca.leaf(&["spread.test"], false),
    );
    let proxy = faults::ConnectProxy::start_with_auth(Some(server.port), &format!("shop:{password}"));
    let etc = temp_dir("cli-proxy");
    let ca_file = etc.join("ca.pem");
    fs::write(&ca_file, &ca.pem).unwrap();
    let orders = write_lines(&etc, "in.jsonl", &[post_data("px-a", 20)]);
    let url = format!("https://spread.test:{}/api", server.port);
    let send_args = ["send", orders.to_str().unwrap(), "--base-url", &url, "--ca-file", ca_file.to_str().unwrap()];

    let with_proxy = keys_file(&etc, &format!("{KEYS}SPREAD_PROXY=http://shop:{password}@127.0.0.1:{}\n", proxy.port), 0o600);
    let run = finish(keyless(&send_args).args(["--keys-file", with_proxy.to_str().unwrap()]));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!run.stderr.contains(password) && !run.stdout.contains(password));
    let run = finish(command(&send_args).env("SPREAD_PROXY", format!("http://shop:{password}@127.0.0.1:{}", proxy.port)));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(server.requests().len(), 2);
    assert!(proxy.seen().iter().all(|h| h.contains("Proxy-Authorization: Basic")), "{:?}", proxy.seen());

    // Without them the proxy answers 407: the keys of SPREAD are not the cause, the proxy is named.
    let run = finish(command(&send_args).args(["--proxy", &proxy.url()]));
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("127.0.0.1:{}", proxy.port)) || run.stderr.contains(&format!("127.0.0.1:{}", proxy.port)),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(server.requests().len(), 2);
}

/// Issue 21, failure 9: the README's cron line (now in docs/) ran under `/bin/sh -c`, which
/// dash keeps alive for the whole flush with the key on its command line.
/// Runs each documented cron line as cron does, against a slow SPREAD, and
/// reads every process's command line meanwhile.
#[test]
fn the_documented_cron_lines_show_no_key_in_ps() {
    let secret = "s3cr3t-ps-7c1d";
    let docs = fs::read_dir(common::repo().join("docs")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "md"));
    let readmes: Vec<String> =
        ["README.md", "examples/README.md"].map(|f| common::repo().join(f)).into_iter().chain(docs).map(|p| fs::read_to_string(p).unwrap()).collect();
    let lines: Vec<&str> = readmes.iter().flat_map(|r| r.lines()).filter(|l| l.starts_with("*/5 * * * * ")).collect();
    assert!(lines.len() >= 3, "the documentation's cron lines: {lines:?}");
    let bin = Path::new(env!("CARGO_BIN_EXE_spread")).parent().unwrap().to_owned();
    for (i, line) in lines.iter().enumerate() {
        // The first request (a till's) fails, so that it is queued; the flush's waits 3 s.
        let sb =
            faults::Server::start(faults::script(|_, n| if n == 0 { faults::Reply::status(503) } else { faults::Reply::ok().after(Duration::from_secs(3)) }));
        let mut till = spread::Client::new(PUBLIC_KEY, secret).unwrap();
        till.set_base_url(&sb.url()).unwrap();
        till.set_max_attempts(1).unwrap();
        let spool = temp_dir("cli-cron");
        till.set_spool_dir(&spool).unwrap();
        assert_eq!(till.send(&order(&format!("cron-{i}"), 20)).unwrap(), Sent::Queued);
        let etc = temp_dir("cli-cron-etc");
        let keys = keys_file(&etc, &format!("SPREAD_PUBLIC_KEY={PUBLIC_KEY}\nSPREAD_PRIVATE_KEY={secret}\n"), 0o600);
        let command_part = line["*/5 * * * * ".len()..]
            .replace("SPREAD_PUBLIC_KEY=…", &format!("SPREAD_PUBLIC_KEY={PUBLIC_KEY}"))
            .replace("SPREAD_PRIVATE_KEY=…", &format!("SPREAD_PRIVATE_KEY={secret}"))
            .replace("SPREAD_PRIVATE_KEY=PRIVATE_KEY", &format!("SPREAD_PRIVATE_KEY={secret}"))
            .replace("/opt/spread/bin/spread", env!("CARGO_BIN_EXE_spread"))
            .replace("/opt/spread/etc/keys", keys.to_str().unwrap())
            .replace("/etc/spread/keys", keys.to_str().unwrap())
            .replace("/var/spool/spread", spool.to_str().unwrap())
            .replace("/tmp/till-spool", spool.to_str().unwrap())
            .replace("http://127.0.0.1:8080/api", &sb.url());
        let mut cron = Command::new("/bin/sh");
        cron.args(["-c", &command_part]).env_clear().env("PATH", format!("{}:/usr/bin:/bin", bin.display())).env("SPREAD_BASE_URL", sb.url());
        let mut child = cron.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (mut saw_flush, mut leaks) = (false, std::collections::BTreeSet::new());
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() && std::time::Instant::now() < until {
            for entry in fs::read_dir("/proc").unwrap().flatten() {
                let Ok(cmdline) = fs::read(entry.path().join("cmdline")) else { continue };
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                saw_flush |= cmdline.contains("flush") && cmdline.contains(spool.to_str().unwrap());
                if cmdline.contains(secret) {
                    leaks.insert(cmdline);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = child.wait_with_output().unwrap();
        assert!(saw_flush, "the flush was seen running: {line}");
        assert!(leaks.is_empty(), "the private key in `ps` while `{line}` ran: {leaks:?}");
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(sb.requests().len(), 2, "{line}: the flush delivered the order");
    }
}
