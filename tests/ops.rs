//! Operations (issue 25): `spread doctor` against deliberately broken
//! set-ups, the last flush's record, `status --format prometheus` and the
//! check mode, `--json` on flush/send/rejected, send's counts, journald
//! priorities and `--log-format json`, the systemd units, and the PHP
//! binding's hint under `php -S`. The real binary, real servers on loopback.
//!
//! `SPREAD_OPS_BIN=/path/to/spread` runs these tests against another build
//! (how they were seen failing on main before the change).

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

#[path = "common/cli.rs"]
mod cli;
mod common;
mod faults;

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cli::{bin, command, finish, spread, Run};
use common::{client, free_port, order, repo, temp_dir, Sandbox, PRIVATE_KEY, PUBLIC_KEY};
use faults::{script, Reply, Server, TestCa};
use serde_json::Value;
use spread::Sent;

/// The library the PHP side of these tests loads: the one cargo built with this test
/// (`deps/`, always current), else one beside the binary, else `make build`'s. A copy
/// left beside the binary by an earlier `cargo build --lib` may be older than the CLI.
fn library() -> PathBuf {
    let beside = Path::new(&bin()).parent().unwrap().to_path_buf();
    [beside.join("deps/libspread.so"), beside.join("libspread.so"), repo().join("target/release/libspread.so")]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("no libspread.so beside {} nor in target/release: run make build", beside.display()))
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {} / {}", run.stdout, run.stderr))
}

/// A private spool (0700) with `ids` queued by a till that could not deliver to `url`.
fn spool_with(url: &str, ids: &[&str]) -> PathBuf {
    let spool = temp_dir("ops-spool");
    fs::set_permissions(&spool, fs::Permissions::from_mode(0o700)).unwrap();
    let mut till = client(url);
    till.set_max_attempts(1).unwrap();
    till.set_spool_dir(&spool).unwrap();
    for id in ids {
        assert_eq!(till.send(&order(id, 20)).unwrap(), Sent::Queued);
    }
    spool
}

fn post_data(id: &str) -> String {
    format!(
        r#"{{"data":{{"customer_email":"{id}@example.com","order_idorder":"{id}","order_state":20,"order_amount":12.5,"order_crea_dt":"2024-01-02 03:04:05"}}}}"#
    )
}

// ------------------------------------------------------------------ monitoring

#[test]
fn status_records_the_last_flush_and_speaks_prometheus_and_the_plugin_rule() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    let spool = spool_with(&url, &["mon-1", "mon-2"]);
    let dir = spool.to_str().unwrap();

    // Before any flush: nothing recorded, and the check says so (WARNING, exit 1).
    let json = json_of(&spread(&["status", "--spool", dir, "--base-url", &url, "--json"]));
    assert_eq!(json["last_flush"], Value::Null, "{json}");
    let never = spread(&["status", "--spool", dir, "--base-url", &url, "--warning", "600", "--critical", "3600"]);
    assert_eq!(never.code, 1, "{}{}", never.stdout, never.stderr);
    assert!(never.stdout.starts_with("SPREAD WARNING - ") && never.stdout.contains("no flush recorded"), "{}", never.stdout);

    // A flush while SPREAD is down: recorded as failed, with why and what remains.
    let down = spread(&["flush", "--spool", dir, "--base-url", &url, "--timeout-ms", "2000"]);
    assert_eq!(down.code, 1);
    let json = json_of(&spread(&["status", "--spool", dir, "--base-url", &url, "--json"]));
    let last = &json["last_flush"];
    assert_eq!((last["outcome"].as_str(), last["remaining"].as_u64(), last["delivered"].as_u64()), (Some("failed"), Some(2), Some(0)), "{json}");
    assert!(last["error"].as_str().unwrap().contains("127.0.0.1"), "{json}");
    assert!(last["finished_at"].as_u64().unwrap() > 1_700_000_000, "{json}");
    let text = spread(&["status", "--spool", dir, "--base-url", &url]);
    assert!(text.stdout.lines().nth(1).unwrap().starts_with("last flush ") && text.stdout.contains("failed"), "{}", text.stdout);
    let failed = spread(&["status", "--spool", dir, "--base-url", &url, "--warning", "600", "--critical", "3600"]);
    assert_eq!(failed.code, 1, "{}", failed.stdout);
    assert!(failed.stdout.contains("the last flush failed"), "{}", failed.stdout);

    // Prometheus: every count of the status is a gauge, and the last flush's time and outcome.
    let prom = spread(&["status", "--spool", dir, "--base-url", &url, "--format", "prometheus"]);
    assert_eq!(prom.code, 0, "{}", prom.stderr);
    let label = format!("{{spool=\"{dir}\"}}");
    for metric in ["spread_spool_pending", "spread_spool_foreign", "spread_spool_rejected", "spread_spool_unreadable", "spread_spool_oldest_seconds"] {
        assert!(prom.stdout.contains(&format!("# TYPE {metric} gauge\n")), "{metric}: {}", prom.stdout);
    }
    assert!(prom.stdout.contains(&format!("spread_spool_pending{label} 2\n")), "{}", prom.stdout);
    assert!(prom.stdout.contains(&format!("spread_last_flush_failed{label} 1\n")), "{}", prom.stdout);
    assert!(prom.stdout.contains(&format!("spread_last_flush_timestamp_seconds{label} ")), "{}", prom.stdout);
    for line in prom.stdout.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "not a sample: {line}");
    }

    // SPREAD back: the flush delivers, the record says ok; the ages decide.
    let _sb = Sandbox::start_on(port);
    std::thread::sleep(Duration::from_millis(1100));
    let delivered = spread(&["flush", "--spool", dir, "--base-url", &url, "--json"]);
    assert_eq!(delivered.code, 0, "{}", delivered.stderr);
    let report = json_of(&delivered);
    assert_eq!((report["outcome"].as_str(), report["delivered"].as_u64(), report["remaining"].as_u64()), (Some("ok"), Some(2), Some(0)), "{report}");
    let ok = spread(&["status", "--spool", dir, "--base-url", &url, "--warning", "600", "--critical", "3600"]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert!(ok.stdout.starts_with("SPREAD OK - ") && ok.stdout.contains(" | pending=0"), "{}", ok.stdout);
    std::thread::sleep(Duration::from_millis(1100));
    let late = spread(&["status", "--spool", dir, "--base-url", &url, "--warning", "0"]);
    assert_eq!(late.code, 1, "the last flush ended more than 0 s ago: {}", late.stdout);
    let critical = spread(&["status", "--spool", dir, "--base-url", &url, "--warning", "0", "--critical", "0"]);
    assert_eq!(critical.code, 2, "{}", critical.stdout);
    assert!(critical.stdout.starts_with("SPREAD CRITICAL - "), "{}", critical.stdout);
    // An order waiting too long is critical on its own.
    let nowhere = format!("http://127.0.0.1:{}/api", free_port());
    let waiting = spool_with(&nowhere, &["old-1"]);
    std::thread::sleep(Duration::from_millis(1100));
    let w = waiting.to_str().unwrap();
    let old = spread(&["status", "--spool", w, "--base-url", &nowhere, "--critical", "0"]);
    assert_eq!(old.code, 2, "{}", old.stdout);

    // UNKNOWN (3) when there is nothing to judge; usage errors stay 2; --max-age keeps its 4.
    let gone = spread(&["status", "--spool", "/nonexistent/spool", "--warning", "1"]);
    assert_eq!(gone.code, 3);
    assert!(gone.stdout.starts_with("SPREAD UNKNOWN - "), "{}", gone.stdout);
    assert_eq!(spread(&["status", "--spool", dir, "--warning", "9", "--critical", "1"]).code, 2);
    assert_eq!(spread(&["status", "--spool", w, "--base-url", &nowhere, "--max-age", "0"]).code, 4);
}

/// A flush made through the library (a PHP or Python cron script's `flush()`, a C
/// program's `spread_flush`) is recorded as the command's is: `spread status` sees
/// every flusher, not only `spread flush` (it said "no flush recorded" before).
#[test]
fn a_flush_through_the_library_is_recorded_for_status() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    let spool = spool_with(&url, &["lib-1", "lib-2"]);
    let dir = spool.to_str().unwrap();
    let mut flusher = client(&url);
    flusher.set_spool_dir(&spool).unwrap();
    flusher.set_max_attempts(1).unwrap();
    flusher.set_timeout(Duration::from_secs(2)).unwrap();

    let report = flusher.flush().unwrap();
    assert_eq!((report.outcome(), report.remaining), ("failed", 2), "{report:?}");
    let last = json_of(&spread(&["status", "--spool", dir, "--base-url", &url, "--json"]))["last_flush"].clone();
    assert_eq!((last["outcome"].as_str(), last["remaining"].as_u64()), (Some("failed"), Some(2)), "{last}");
    assert!(last["error"].as_str().unwrap().contains("127.0.0.1"), "{last}");

    let _sb = Sandbox::start_on(port);
    let report = flusher.flush().unwrap();
    assert_eq!((report.outcome(), report.delivered), ("ok", 2), "{report:?}");
    let last = json_of(&spread(&["status", "--spool", dir, "--base-url", &url, "--json"]))["last_flush"].clone();
    assert_eq!((last["outcome"].as_str(), last["delivered"].as_u64(), last["error"].as_str()), (Some("ok"), Some(2), None), "{last}");
    let check = spread(&["status", "--spool", dir, "--base-url", &url, "--warning", "600", "--critical", "3600"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
}

#[test]
fn flush_send_and_rejected_summaries_speak_json_and_send_counts_every_line() {
    let sb = Sandbox::start();
    let url = sb.base_url();
    let dir = temp_dir("ops-send");
    let file = dir.join("orders.jsonl");
    fs::write(&file, format!("{}\nnot json at all\n{}\n", post_data("json-1"), post_data("json-2"))).unwrap();
    let f = file.to_str().unwrap();

    // Text: 3 lines, and every one is counted once.
    let text = spread(&["send", f, "--base-url", &url]);
    assert_eq!(text.code, 4, "{}{}", text.stdout, text.stderr);
    assert!(text.stdout.starts_with("3 lines in "), "{}", text.stdout);
    assert!(text.stdout.contains("2 delivered, 0 queued, 0 failed, 1 invalid"), "{}", text.stdout);
    // JSON: the same, adding up.
    let run = spread(&["send", f, "--base-url", &url, "--json"]);
    let v = json_of(&run);
    assert_eq!(v["lines"].as_u64(), Some(3), "{v}");
    let sum: u64 = ["delivered", "queued", "failed", "invalid"].iter().map(|k| v[k].as_u64().unwrap()).sum();
    assert_eq!(sum, 3, "{v}");
    assert_eq!((v["delivered"].as_u64(), v["invalid"].as_u64(), v["exit"].as_u64()), (Some(2), Some(1), Some(4)), "{v}");
    assert_eq!(run.code, 4);

    // flush --json, even with --quiet.
    let spool = dir.join("spool");
    fs::create_dir(&spool).unwrap();
    fs::set_permissions(&spool, fs::Permissions::from_mode(0o700)).unwrap();
    let s = spool.to_str().unwrap();
    let flush = spread(&["flush", "--quiet", "--json", "--spool", s, "--base-url", &url]);
    assert_eq!(flush.code, 0, "{}", flush.stderr);
    let v = json_of(&flush);
    assert_eq!(
        (v["outcome"].as_str(), v["delivered"].as_u64(), v["remaining"].as_u64(), v["busy"].as_bool()),
        (Some("ok"), Some(0), Some(0), Some(false)),
        "{v}"
    );

    // rejected: list, requeue and purge as JSON.
    assert_eq!(json_of(&spread(&["rejected", "list", "--json", "--spool", s])), Value::Array(vec![]));
    let requeued = json_of(&spread(&["rejected", "requeue", "--all", "--json", "--spool", s, "--base-url", &url]));
    assert_eq!(requeued["requeued"].as_u64(), Some(0), "{requeued}");
    let purged = json_of(&spread(&["rejected", "purge", "--older-than", "30", "--json", "--spool", s]));
    assert_eq!((purged["purged"].as_u64(), purged["older_than_days"].as_u64()), (Some(0), Some(30)), "{purged}");
}

/// `JOURNAL_STREAM` as systemd sets it: the device and inode of the stream it gave as stderr.
fn journal_stream_of(file: &Path) -> String {
    let meta = fs::metadata(file).unwrap();
    format!("{}:{}", meta.dev(), meta.ino())
}

#[test]
fn stderr_lines_carry_journald_priorities_under_systemd_and_json_on_request() {
    let dir = temp_dir("ops-journal");
    let err = dir.join("stderr");
    let run_to_file = |journal: Option<&str>, extra: &[&str]| -> (i32, String) {
        let file = fs::File::create(&err).unwrap();
        let mut args = vec!["status", "--spool", "/nonexistent/spool"];
        args.extend_from_slice(extra);
        let mut c = command(&args);
        if let Some(value) = journal {
            c.env("JOURNAL_STREAM", value);
        }
        let code = c.stdout(Stdio::null()).stderr(file).status().unwrap().code().unwrap();
        (code, fs::read_to_string(&err).unwrap())
    };
    fs::File::create(&err).unwrap();
    let stream = journal_stream_of(&err);
    let (code, line) = run_to_file(Some(&stream), &[]);
    assert_eq!(code, 3);
    assert!(line.starts_with("<3>spread: spool: /nonexistent/spool does not exist"), "{line}");
    // Not the journal (a redirected stderr, or no variable): no prefix.
    let (_, line) = run_to_file(Some("1:2"), &[]);
    assert!(line.starts_with("spread: "), "{line}");
    let (_, line) = run_to_file(None, &[]);
    assert!(line.starts_with("spread: "), "{line}");
    // --log-format json: one object per line.
    let (_, line) = run_to_file(None, &["--log-format", "json"]);
    let v: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(v["level"], "error");
    assert!(v["message"].as_str().unwrap().contains("does not exist"), "{v}");

    // The library's own records (-v) get their levels too: a flush that finds SPREAD down warns.
    let url = format!("http://127.0.0.1:{}/api", free_port());
    let spool = spool_with(&url, &["journal-1"]);
    let file = fs::File::create(&err).unwrap();
    let stream = journal_stream_of(&err);
    command(&["flush", "-v", "--spool", spool.to_str().unwrap(), "--base-url", &url, "--timeout-ms", "1000"])
        .env("JOURNAL_STREAM", &stream)
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    let text = fs::read_to_string(&err).unwrap();
    assert!(text.lines().all(|l| l.starts_with('<') && l.as_bytes()[2] == b'>'), "{text}");
    assert!(text.lines().any(|l| l.starts_with("<4>spread: [warn]")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("<3>spread: flush stopped")), "{text}");
}

// ------------------------------------------------------------------ systemd

#[test]
fn the_systemd_units_verify_and_are_installed_with_the_command() {
    let root = temp_dir("ops-install");
    // The test binary's own build folder has the library only when cargo built the cdylib there;
    // `make test` builds target/release first (install.sh's default).
    let beside = Path::new(&bin()).parent().unwrap().to_path_buf();
    let build = if beside.join("libspread.so").exists() { beside } else { repo().join("target/release") };
    let status = Command::new("sh")
        .arg(repo().join("scripts/install.sh"))
        .arg("install")
        .env("DESTDIR", &root)
        .env("PREFIX", "/usr")
        .env("LIBDIR", "/usr/lib/x86_64-linux-gnu")
        .env("BUILD_DIR", &build)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let units = root.join("usr/lib/systemd/system");
    let service = fs::read_to_string(units.join("spread-flush.service")).unwrap();
    let timer = fs::read_to_string(units.join("spread-flush.timer")).unwrap();
    let tmpfiles = fs::read_to_string(root.join("usr/lib/tmpfiles.d/spread.conf")).unwrap();
    assert!(service.contains("ExecStart=/usr/bin/spread flush --quiet"), "{service}");
    assert!(service.contains("LoadCredential=spread_private_key:") && service.contains("LoadCredential=spread_public_key:"), "{service}");
    assert!(!service.contains("--keys-file") && !service.contains("SPREAD_PRIVATE_KEY="), "no key on a command line or in the unit");
    assert!(service.contains("SuccessExitStatus=4"), "orders left for the next run are not a failed unit");
    assert!(timer.contains("OnCalendar=*:0/5"), "{timer}");
    assert!(tmpfiles.lines().any(|l| l.starts_with("d /var/spool/spread 2770 www-data www-data")), "{tmpfiles}");

    // systemd-analyze verify (no systemd as PID 1 needed): ExecStart pointed at the installed command.
    let check = temp_dir("ops-verify");
    for (name, text) in [("spread-flush.service", &service), ("spread-flush.timer", &timer)] {
        fs::write(check.join(name), text.replace("/usr/bin/spread", root.join("usr/bin/spread").to_str().unwrap())).unwrap();
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(check.join("spread-flush.service"))
        .arg(check.join("spread-flush.timer"))
        .output()
        .expect("systemd-analyze (Debian package systemd; .ci/setup installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{stderr}");
    // The timer's schedule is one systemd understands as every 5 minutes.
    let cal = Command::new("systemd-analyze").args(["calendar", "*:0/5"]).output().unwrap();
    assert!(cal.status.success());
    // A broken unit is caught by the same check (so the check can fail).
    fs::write(check.join("spread-flush.service"), service.replace("Type=oneshot", "Type=oneshot\nExecStart=relative/path")).unwrap();
    let bad = Command::new("systemd-analyze").arg("verify").arg(check.join("spread-flush.service")).output().unwrap();
    assert!(!bad.status.success() || !bad.stderr.is_empty());
}

// ------------------------------------------------------------------ doctor

/// `spread doctor --json`: (exit code, checks by name → (status, detail, fix)).
fn doctor(args: &[&str], keys_file: Option<&Path>) -> (i32, Vec<(String, String, String, String)>) {
    let mut all = vec!["doctor", "--json"];
    all.extend_from_slice(args);
    let mut c = command(&all);
    if let Some(k) = keys_file {
        c.env("SPREAD_KEYS_FILE", k).env_remove("SPREAD_PUBLIC_KEY").env_remove("SPREAD_PRIVATE_KEY");
    }
    let run = finish(&mut c);
    let v = json_of(&run);
    let checks = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (s("name"), s("status"), s("detail"), s("fix"))
        })
        .collect();
    (run.code, checks)
}

fn check<'a>(checks: &'a [(String, String, String, String)], name: &str) -> &'a (String, String, String, String) {
    checks.iter().find(|c| c.0 == name).unwrap_or_else(|| panic!("no check {name}: {checks:?}"))
}

fn me() -> String {
    String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_owned()
}

fn good_keys(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    fs::write(&keys, format!("SPREAD_PUBLIC_KEY={PUBLIC_KEY}\nSPREAD_PRIVATE_KEY={PRIVATE_KEY}\n")).unwrap();
    fs::set_permissions(&keys, fs::Permissions::from_mode(0o600)).unwrap();
    keys
}

#[test]
fn the_doctor_passes_a_good_set_up_and_finds_each_broken_one() {
    let sb = Sandbox::start();
    let dir = temp_dir("ops-doctor");
    let keys = good_keys(&dir);
    let spool = dir.join("spool");
    fs::create_dir(&spool).unwrap();
    fs::set_permissions(&spool, fs::Permissions::from_mode(0o700)).unwrap();
    let s = spool.to_str().unwrap();
    let user = me();

    // Good: keys file 0600, a private spool this user writes, the sandbox reachable: exit 0.
    let (code, checks) = doctor(&["--spool", s, "--web-user", &user, "--base-url", &sb.base_url()], Some(&keys));
    let not_ok: Vec<_> = checks.iter().filter(|c| c.1 != "ok" && c.0 != "tls").collect();
    assert!(not_ok.is_empty(), "{not_ok:?}");
    for name in ["library", "keys", "spool", "ca_store", "dns", "tcp"] {
        assert_eq!(check(&checks, name).1, "ok", "{name}: {checks:?}");
    }
    // Plain http to loopback has no TLS to check: a warning, exit 1.
    assert_eq!((check(&checks, "tls").1.as_str(), code), ("warning", 1), "{checks:?}");
    let text = spread(&["doctor", "--offline", "--spool", s, "--web-user", &user]);
    assert!(text.stdout.lines().any(|l| l.starts_with("ok       spool: ")), "{}", text.stdout);

    // The keys file readable by everyone: a problem naming the fix.
    let loose = dir.join("loose-keys");
    fs::copy(&keys, &loose).unwrap();
    fs::set_permissions(&loose, fs::Permissions::from_mode(0o644)).unwrap();
    let (code, checks) = doctor(&["--offline"], Some(&loose));
    let k = check(&checks, "keys");
    assert_eq!((code, k.1.as_str()), (2, "problem"), "{checks:?}");
    assert!(k.2.contains("0644") && k.2.contains("chmod 600"), "{k:?}");

    // The spool folder writable by every user.
    fs::set_permissions(&spool, fs::Permissions::from_mode(0o777)).unwrap();
    let (code, checks) = doctor(&["--offline", "--spool", s, "--web-user", &user], Some(&keys));
    let c = check(&checks, "spool");
    assert_eq!((code, c.1.as_str()), (2, "problem"), "{checks:?}");
    assert!(c.3.contains("chmod o-rwx"), "{c:?}");
    // Owned by someone the web server's user is not, mode 0700: the web server could not spool.
    fs::set_permissions(&spool, fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&spool, Some(65534), Some(65534)).unwrap(); // nobody:nogroup
    let (code, checks) = doctor(&["--offline", "--spool", s, "--web-user", "www-data"], Some(&keys));
    let c = check(&checks, "spool");
    assert_eq!((code, c.1.as_str()), (2, "problem"), "{checks:?}");
    assert!(c.2.contains("www-data (the web server's user) cannot write it") && c.3.contains("chown www-data"), "{c:?}");
    // A folder that does not exist.
    let (_, checks) = doctor(&["--offline", "--spool", "/nonexistent/spool"], Some(&keys));
    assert!(check(&checks, "spool").3.starts_with("install -d"), "{checks:?}");

    // An unreachable base URL: nothing listens there (tcp), a name that does not resolve (dns).
    let (code, checks) = doctor(&["--base-url", &format!("http://127.0.0.1:{}/api", free_port())], Some(&keys));
    let t = check(&checks, "tcp");
    assert_eq!((code, t.1.as_str()), (2, "problem"), "{checks:?}");
    assert!(t.3.contains("firewall"), "{t:?}");
    let (_, checks) = doctor(&["--base-url", "https://nowhere.invalid/api"], Some(&keys));
    assert_eq!(check(&checks, "dns").1, "problem", "{checks:?}");

    // A TLS host whose CA the store does not know; then the same with that CA given.
    let ca = TestCa::new("doctor test CA");
    let server = Server::start_tls(script(|_, _| Reply::ok()), &ca.leaf(&["localhost", "127.0.0.1"], false));
    let https = server.url().replace("http://", "https://");
    let (code, checks) = doctor(&["--base-url", &https], Some(&keys));
    let t = check(&checks, "tls");
    assert_eq!((code, t.1.as_str()), (2, "problem"), "{checks:?}");
    assert!(t.3.contains("not signed by a CA in the store"), "{t:?}");
    let ca_file = dir.join("ca.pem");
    fs::write(&ca_file, &ca.pem).unwrap();
    let (_, checks) = doctor(&["--base-url", &https, "--ca-file", ca_file.to_str().unwrap()], Some(&keys));
    assert_eq!(check(&checks, "tls").1, "ok", "{checks:?}");
    assert!(check(&checks, "ca_store").2.contains("(1 certificates)"), "{checks:?}");
}

/// A php that runs with extra options (a wrapper script, as --php takes one program).
fn php_wrapper(dir: &Path, name: &str, options: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\nexec php {options} \"$@\"\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn the_doctor_finds_php_without_ffi_and_ffi_refused_under_php_s() {
    let dir = temp_dir("ops-php");
    let keys = good_keys(&dir);
    // PHP without FFI.
    let bare = php_wrapper(&dir, "php-bare", "-n");
    let (code, checks) = doctor(&["--offline", "--php", bare.to_str().unwrap()], Some(&keys));
    let f = check(&checks, "php_ffi");
    assert_eq!((code, f.1.as_str()), (2, "problem"), "{checks:?}");
    assert!(f.3.contains("extension=ffi"), "{f:?}");
    // ffi.enable=preload (PHP's default): fine for the CLI, refused by php -S; the fix says how.
    let preload = php_wrapper(&dir, "php-preload", "-d ffi.enable=preload");
    let (_, checks) = doctor(&["--offline", "--php", preload.to_str().unwrap()], Some(&keys));
    assert_eq!(check(&checks, "ffi_cli").1, "ok", "{checks:?}");
    let server = check(&checks, "ffi_cli_server");
    assert_eq!(server.1, "warning", "{checks:?}");
    assert!(server.3.contains("php -d ffi.enable=1 -S"), "{server:?}");
    let open = php_wrapper(&dir, "php-open", "-d ffi.enable=1");
    let (_, checks) = doctor(&["--offline", "--php", open.to_str().unwrap()], Some(&keys));
    assert_eq!(check(&checks, "ffi_cli_server").1, "ok", "{checks:?}");
    // The same checks from the binding itself: php vendor/bin/spread-doctor.
    let lib = library();
    let out =
        Command::new("php").args(["-d", "ffi.enable=preload"]).arg(repo().join("bindings/php/bin/spread-doctor")).env("SPREAD_LIBRARY", &lib).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().any(|l| l.starts_with("ok       php_library: libspread ")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("warning  ffi_cli_server: ")), "{text}");
    assert!(out.status.code().unwrap() >= 1);
    let out = Command::new("php").arg("-n").arg(repo().join("bindings/php/bin/spread-doctor")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
}

/// What PHP's built-in server answers at `path` (a plain HTTP/1.0 GET).
fn get(port: u16, path: &str) -> String {
    for _ in 0..100 {
        if let Ok(mut conn) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            write!(conn, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
            let mut answer = String::new();
            conn.read_to_string(&mut answer).unwrap();
            return answer;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("php -S did not start on port {port}");
}

#[test]
fn under_php_s_the_ffi_error_says_what_to_do_for_it_and_for_php_fpm() {
    let dir = temp_dir("ops-php-s");
    let autoload = repo().join("bindings/php/autoload.php");
    fs::write(
        dir.join("index.php"),
        format!(
            "<?php require {:?};\ntry {{ new Spread\\Client('PUBLIC_KEY', 'PRIVATE_KEY'); echo 'loaded'; }}\ncatch (Spread\\Exception $e) {{ echo get_class($e), ': ', $e->getMessage(); }}\n",
            autoload.to_str().unwrap()
        ),
    )
    .unwrap();
    let port = free_port();
    let lib = library();
    let mut server = Command::new("php")
        .args(["-d", "ffi.enable=preload", "-S", &format!("127.0.0.1:{port}"), "-t"])
        .arg(&dir)
        .env("SPREAD_LIBRARY", &lib)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let answer = get(port, "/index.php");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(answer.contains("ffi.enable"), "{answer}");
    assert!(answer.contains("php -d ffi.enable=1 -S"), "the built-in server's fix: {answer}");
    assert!(answer.contains("php-fpm") && answer.contains("opcache.preload"), "php-fpm's fix: {answer}");
    assert!(answer.contains("spread-doctor"), "{answer}");
}
