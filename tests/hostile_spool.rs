//! A spool folder whose writer is hostile (a compromised shop plugin
//! running as www-data), next to root's cron flush: the writer may delay or
//! drop its own entries, never make a process of ours create, move, delete,
//! read or follow anything outside the folder, block past its budget,
//! abort, or lose a queued order. One test per attack of the security issue
//! (its numbers in brackets); the races run as the real www-data user
//! against root's real `spread flush`, bounded in time. Needs root (CI).

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{order, temp_dir, PRIVATE_KEY, PUBLIC_KEY};
use faults::{script, Reply, Server};
use spread::spool::{order_key, Destination, Spool};
use spread::{ErrorKind, Sent};

const WWW_DATA: u32 = 33;

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "this test acts as root and as www-data: run it as root (CI does)");
}

/// docs/spool.md's shared folder: `install -d -o www-data -g www-data -m 2770`.
fn shared_dir(tag: &str) -> PathBuf {
    let dir = temp_dir(tag).join("spool");
    let ok = Command::new("install").args(["-d", "-o", "www-data", "-g", "www-data", "-m", "2770"]).arg(&dir).status().unwrap();
    assert!(ok.success());
    dir
}

/// A folder only root may enter, with one file in it: what the attacks aim at.
fn root_only(tag: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(tag).join("root-only");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let file = dir.join("precious");
    fs::write(&file, "root's own").unwrap();
    (dir, file)
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A file in the folder as www-data would have written it.
fn plant(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    std::os::unix::fs::chown(&path, Some(WWW_DATA), Some(WWW_DATA)).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o660)).unwrap();
    path
}

/// A name that carries `url`'s destination tag, as the flusher's own entries do.
fn junk_name(url: &str, n: u64) -> String {
    let tag = Destination::new(url, PUBLIC_KEY).tag();
    format!("{n:016x}-{tag}-{}-{n:08x}.req", order_key(Some(&n.to_string())))
}

fn spread_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spread"));
    c.args(args).env("SPREAD_PUBLIC_KEY", PUBLIC_KEY).env("SPREAD_PRIVATE_KEY", PRIVATE_KEY).stdin(Stdio::null());
    c
}

/// Runs `spread …` as root; panics if it takes longer than `limit`.
fn spread_within(limit: Duration, args: &[&str]) -> Output {
    let mut child = spread_cmd(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("spread {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs `f` on a thread; panics if it does not return within `limit` (a hang).
fn within<T: Send + 'static>(limit: Duration, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| panic!("{what}: still blocked after {limit:?}"))
}

/// www-data swapping `subs` of `dir` for symlinks to `target` and back,
/// each state held a few milliseconds, until `secs` pass.
fn attacker(dir: &Path, subs: &[&str], target: &Path, secs: u64) -> std::process::Child {
    let script = format!(
        "import os, time\n\
         d, t, subs = {d:?}, {t:?}, {subs:?}\n\
         end = time.time() + {secs}\n\
         while time.time() < end:\n\
         \x20   for s in subs:\n\
         \x20       p = os.path.join(d, s)\n\
         \x20       try:\n\
         \x20           os.rename(p, p + '.real'); os.symlink(t, p)\n\
         \x20       except OSError:\n\
         \x20           pass\n\
         \x20   time.sleep(0.004)\n\
         \x20   for s in subs:\n\
         \x20       p = os.path.join(d, s)\n\
         \x20       try:\n\
         \x20           os.unlink(p); os.rename(p + '.real', p)\n\
         \x20       except OSError:\n\
         \x20           pass\n\
         \x20   time.sleep(0.004)\n",
        d = dir.display().to_string(),
        t = target.display().to_string(),
    );
    as_www_data(&script)
}

/// Runs a Python script as www-data.
fn as_www_data(script: &str) -> std::process::Child {
    let path = temp_dir("attacker").join("attack.py");
    fs::write(&path, script).unwrap();
    fs::set_permissions(path.parent().unwrap(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    Command::new("su").args(["-s", "/bin/sh", "www-data", "-c", &format!("exec python3 {}", path.display())]).spawn().unwrap()
}

/// [1, 2] While root's cron flushes 2,000 junk entries, www-data keeps
/// swapping `unreadable/`, `rejected/` and `tmp/` for symlinks to a folder
/// only root may write: nothing lands there, nothing there is removed.
#[test]
fn a_swapped_subfolder_never_leads_root_outside() {
    require_root();
    let dir = shared_dir("swap");
    let (target, precious) = root_only("swap-target");
    let old = target.join("old.part");
    fs::write(&old, "an old file of root's").unwrap();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    fs::File::options().write(true).open(&old).unwrap().set_modified(hour_ago).unwrap();
    let api = Server::start(script(|_, _| Reply::ok()));
    let url = api.url();
    for n in 0..2000 {
        plant(&dir, &junk_name(&url, n), b"not an entry");
    }
    let mut evil = attacker(&dir, &["unreadable", "rejected", "tmp"], &target, 6);
    let d = dir.to_str().unwrap();
    // Flushes one after another while the attacker runs (a flush that meets a symlink stops).
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        spread_within(Duration::from_secs(60), &["flush", "--spool", d, "--base-url", &url, "--budget", "20"]);
    }
    evil.wait().unwrap();
    assert_eq!(listing(&target), ["old.part", "precious"], "root wrote or deleted in a folder it was led to");
    assert_eq!(fs::read_to_string(&precious).unwrap(), "root's own");
    // Whatever root's flush made in the spool is www-data's: it ran as www-data.
    let status = spread_within(Duration::from_secs(60), &["status", "--spool", d, "--base-url", &url]);
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
}

/// [1] The same without a race: `unreadable/` is a symlink to an outside
/// folder when a flush sets a broken entry aside.
#[test]
fn a_broken_entry_is_never_set_aside_outside_the_folder() {
    let dir = temp_dir("swap-static");
    let outside = temp_dir("swap-static-outside");
    let api = Server::start(script(|_, _| Reply::ok()));
    let mut c = common::client(&api.url());
    c.set_spool_dir(&dir).unwrap();
    fs::write(dir.join(junk_name(&api.url(), 1)), "garbage").unwrap();
    fs::remove_dir(dir.join("unreadable")).unwrap();
    symlink(&outside, dir.join("unreadable")).unwrap();
    let report = c.flush().unwrap();
    assert!(report.stopped_by.is_some(), "the flush must refuse the swapped folder: {report:?}");
    assert!(listing(&outside).is_empty(), "wrote outside: {:?}", listing(&outside));
}

/// [2] `tmp/` swapped for a symlink after the spool was opened: the stale
/// temp files cleaned are only ever those inside the folder.
#[test]
fn the_temp_cleanup_never_deletes_outside_the_folder() {
    let dir = temp_dir("tmp-swap");
    let (outside, _) = root_only("tmp-swap-outside");
    let old = outside.join("x.req.part");
    fs::write(&old, "old").unwrap();
    fs::File::options().write(true).open(&old).unwrap().set_modified(std::time::SystemTime::now() - Duration::from_secs(3600)).unwrap();
    let mut c = common::client(&format!("http://127.0.0.1:{}/api", common::free_port()));
    c.set_spool_dir(&dir).unwrap();
    fs::remove_dir(dir.join("tmp")).unwrap();
    symlink(&outside, dir.join("tmp")).unwrap();
    let _ = c.flush();
    assert!(old.exists(), "the cleanup deleted a file outside the spool");
}

/// [3] `rejected/<name>.answer` planted as a hard link to a file of root's:
/// the answer is written as a new file; the linked file keeps its content,
/// owner and mode. (Made by root here, so it holds whatever
/// `fs.protected_hardlinks` says: the code never writes through a name it did not create.)
#[test]
fn a_planted_answer_hard_link_is_never_written_through() {
    let dir = temp_dir("hardlink");
    let victim_dir = temp_dir("hardlink-victim");
    let victim = victim_dir.join("victim");
    fs::write(&victim, "VICTIM").unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
    let api = Server::start(script(|_, _| Reply::status(422).body("refused")));
    let mut c = common::client(&api.url());
    c.set_spool_dir(&dir).unwrap();
    let entry = c.spool().unwrap().push(c.destination(), Some("h1"), order("h1", 10).encode().as_bytes()).unwrap();
    let name = entry.file_name().unwrap().to_str().unwrap().to_owned();
    fs::hard_link(&victim, dir.join("rejected").join(format!("{name}.answer"))).unwrap();
    let report = c.flush().unwrap();
    assert_eq!(report.rejected, 1, "{report:?}");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "VICTIM", "written through the hard link");
    let meta = fs::metadata(&victim).unwrap();
    assert_eq!((meta.mode() & 0o777, meta.nlink()), (0o644, 1), "the victim's mode changed, or the link stayed");
    let answer = fs::read_to_string(dir.join("rejected").join(format!("{name}.answer"))).unwrap();
    assert!(answer.contains("refused"), "{answer}");
}

/// [4] `.answer` symlinked to a root-only file, and escape sequences in an
/// order id and an answer: `spread rejected list`, `--json` and `show` print
/// neither the file nor a raw escape.
#[test]
fn rejected_listings_follow_no_link_and_print_no_escape() {
    require_root();
    let dir = temp_dir("rejected-show");
    let (_, secret) = root_only("rejected-secret");
    fs::write(&secret, "TOPSECRET").unwrap();
    let url = format!("http://127.0.0.1:{}/api", common::free_port());
    let (spool, _) = Spool::open(&dir).unwrap();
    let dest = Destination::new(&url, PUBLIC_KEY);
    let linked = spool.push(&dest, Some("linked"), b"a=1").unwrap();
    spool.reject(&linked, "first answer").unwrap();
    let name = linked.file_name().unwrap().to_str().unwrap();
    let answer = dir.join("rejected").join(format!("{name}.answer"));
    fs::remove_file(&answer).unwrap();
    symlink(&secret, &answer).unwrap();
    let evil = spool.push(&dest, Some("\x1b]0;pwned\x07\x1b[2J"), b"x=\x1b[31mred").unwrap();
    let evil_name = evil.file_name().unwrap().to_str().unwrap().to_owned();
    spool.reject(&evil, "HTTP 422: \x1b[5mblink\u{9b}2J").unwrap();
    let d = dir.to_str().unwrap();
    for args in [
        vec!["rejected", "list", "--spool", d],
        vec!["rejected", "list", "--json", "--spool", d],
        vec!["rejected", "show", name, "--spool", d],
        vec!["rejected", "show", &evil_name, "--spool", d],
        vec!["rejected", "show", &evil_name, "--raw", "--spool", d],
    ] {
        let out = spread_within(Duration::from_secs(20), &args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{args:?}: {text}");
        assert!(!text.contains("TOPSECRET"), "{args:?} printed a file outside the spool: {text}");
        assert!(!out.stdout.contains(&0x1b) && !text.contains('\u{9b}'), "{args:?} passed an escape to the terminal: {text:?}");
    }
}

/// [5] An entry that is a FIFO when it is opened (swapped after the listing)
/// is set aside at once, never waited on.
#[test]
fn a_fifo_entry_never_blocks() {
    let dir = temp_dir("fifo-entry");
    let (spool, _) = Spool::open(&dir).unwrap();
    let url = "http://127.0.0.1:9/api";
    let fifo = dir.join(junk_name(url, 7));
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let read = within(Duration::from_secs(5), "reading a FIFO entry", move || spool.read(&fifo).map(|r| r.map(|e| e.is_err())));
    assert!(matches!(read, Ok(Some(true))), "a FIFO is not an entry: {read:?}");
}

/// [5] www-data keeps swapping entries for FIFOs while root's
/// `spread flush --budget 5` runs: it ends within its budget.
#[test]
fn a_flush_with_entries_swapped_for_fifos_ends_within_its_budget() {
    require_root();
    let dir = shared_dir("fifo-race");
    let api = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(5))));
    let url = api.url();
    let names: Vec<String> = (0..300).map(|n| junk_name(&url, n)).collect();
    for n in &names {
        plant(&dir, n, b"junk");
    }
    // Entries stay files for a moment (so the flush lists them), then become FIFOs, and so on.
    let script = format!(
        "import os, time\nd = {:?}\nnames = {:?}\nend = time.time() + 6\nwhile time.time() < end:\n    for fifo in (True, False):\n        for n in names:\n            p = os.path.join(d, n)\n            try:\n                os.unlink(p)\n                if fifo:\n                    os.mkfifo(p, 0o660)\n                else:\n                    open(p, 'w').write('junk')\n            except OSError:\n                pass\n        time.sleep(0.03)\n",
        dir.display().to_string(),
        names
    );
    let mut evil = as_www_data(&script);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    spread_within(Duration::from_secs(30), &["flush", "--spool", dir.to_str().unwrap(), "--base-url", &url, "--budget", "5"]);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    evil.wait().unwrap();
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// [6] `.seq` as a FIFO, then as a symlink: sends are delivered while SPREAD
/// is up and queued while it is down, never stuck and never lost.
#[test]
fn a_broken_counter_never_blocks_or_loses_a_send() {
    let outside = temp_dir("seq-outside").join("target");
    fs::write(&outside, "outside 1\n").unwrap();
    let link = |p: &Path| symlink(&outside, p).unwrap();
    let plants: [&dyn Fn(&Path); 2] = [&mkfifo, &link];
    for plant_seq in plants {
        let dir = temp_dir("seq-fifo");
        let api = Server::start(script(|_, _| Reply::ok()));
        let mut up = common::client(&api.url());
        up.set_spool_dir(&dir).unwrap();
        up.set_timeout(Duration::from_secs(3)).unwrap();
        let _ = fs::remove_file(dir.join(".seq"));
        plant_seq(&dir.join(".seq"));
        let sent = within(Duration::from_secs(10), "a send with a broken .seq", move || up.send(&order("s1", 10)).map_err(|e| e.to_string()));
        assert!(matches!(sent, Ok(Sent::Delivered(_))), "{sent:?}");
        let _ = fs::remove_file(dir.join(".seq"));
        plant_seq(&dir.join(".seq"));
        let mut down = common::client(&format!("http://127.0.0.1:{}/api", common::free_port()));
        down.set_spool_dir(&dir).unwrap();
        down.set_max_attempts(1).unwrap();
        let queued = within(Duration::from_secs(10), "a queued send with a broken .seq", move || down.send(&order("s2", 10)).map_err(|e| e.to_string()));
        assert_eq!(queued, Ok(Sent::Queued));
    }
    assert_eq!(fs::read_to_string(&outside).unwrap(), "outside 1\n", "the counter was written through a symlink");
}

/// [6] `rejected/<name>.answer` planted as a FIFO: the flush that rejects the
/// entry, `rejected list` and `purge` all finish.
#[test]
fn a_fifo_answer_never_blocks() {
    require_root();
    let dir = temp_dir("fifo-answer");
    let api = Server::start(script(|_, _| Reply::status(422)));
    let mut c = common::client(&api.url());
    c.set_spool_dir(&dir).unwrap();
    let entry = c.spool().unwrap().push(c.destination(), Some("f1"), order("f1", 10).encode().as_bytes()).unwrap();
    let name = entry.file_name().unwrap().to_str().unwrap().to_owned();
    mkfifo(&dir.join("rejected").join(format!("{name}.answer")));
    let report = within(Duration::from_secs(10), "a flush rejecting onto a FIFO", move || c.flush().map(|r| r.rejected).map_err(|e| e.to_string()));
    assert_eq!(report, Ok(1));
    // Again with the FIFO planted after the rejection.
    let answer = dir.join("rejected").join(format!("{name}.answer"));
    fs::remove_file(&answer).unwrap();
    mkfifo(&answer);
    let d = dir.to_str().unwrap();
    for args in [vec!["rejected", "list", "--spool", d], vec!["rejected", "purge", "--older-than", "0", "--spool", d]] {
        let out = spread_within(Duration::from_secs(10), &args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// [7] A sparse 1 TiB entry: never read, set aside; the flusher and a
/// sending process live on.
#[test]
fn a_sparse_giant_entry_is_set_aside_unread() {
    let dir = temp_dir("giant");
    let api = Server::start(script(|_, _| Reply::ok()));
    let url = api.url();
    let new_giant = |n: u64| fs::File::create(dir.join(junk_name(&url, n))).unwrap().set_len(1 << 40).unwrap();
    let d = dir.to_str().unwrap();
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    new_giant(1);
    let out = spread_within(Duration::from_secs(30), &["flush", "--spool", d, "--base-url", &url]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.code().is_some(), "the flusher died: {out:?}");
    assert!(said.contains("unreadable 1"), "{said}");
    new_giant(2);
    let lines = temp_dir("giant-send").join("orders.jsonl");
    fs::write(&lines, r#"{"data":{"customer_email":"g@example.com","order_idorder":"g1","order_state":10,"order_amount":12.5,"order_crea_dt":"2024-01-02 03:04:05"},"request":{"order_idorder":"g1"}}"#.to_owned() + "\n").unwrap();
    let out = spread_within(Duration::from_secs(30), &["send", "--spool", d, "--base-url", &url, lines.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(api.requests().iter().filter(|r| r.field("order_idorder").as_deref() == Some("g1")).count(), 1);
    assert_eq!(listing(&dir.join("unreadable")).len(), 4, "both giants set aside with their notes");
}

/// [8] 20,000, then 200,000 junk entries carrying the sender's tag: a send
/// to a live SPREAD is still delivered in about its usual time.
#[test]
fn junk_entries_never_hold_a_send_up() {
    let api = Server::start(script(|_, _| Reply::ok()));
    let url = api.url();
    for count in [20_000u64, 200_000] {
        let dir = temp_dir("junk");
        let mut c = common::client(&url);
        c.set_spool_dir(&dir).unwrap();
        c.set_timeout(Duration::from_secs(10)).unwrap();
        let tag = Destination::new(&url, PUBLIC_KEY).tag();
        for n in 0..count {
            fs::write(dir.join(format!("{n:016x}-{tag}-{n:08x}-{n:08x}.req")), b"junk").unwrap();
        }
        // What one listing of the folder costs on this machine now (a loaded CI runner
        // lists 200,000 names slower): the send may take a few, never one per entry.
        let listed = Instant::now();
        let entries = fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".req")).count();
        assert_eq!(entries as u64, count);
        let limit = Duration::from_secs(3).max(listed.elapsed() * 10);
        let started = Instant::now();
        let sent = c.send(&order(&format!("live-{count}"), 10)).unwrap();
        let took = started.elapsed();
        assert!(matches!(sent, Sent::Delivered(_)), "{count} junk files: {sent:?}");
        assert!(took < limit, "{count} junk files: the send took {took:?} (limit {limit:?})");
        eprintln!("{count} junk entries: a send delivered in {took:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}

/// [9] `.seq` at 2^64-1: the counter does not wrap; a newer update still sorts after an older one.
#[test]
fn a_counter_at_its_end_never_wraps() {
    let dir = temp_dir("seq-max");
    let url = format!("http://127.0.0.1:{}/api", common::free_port());
    let (spool, _) = Spool::open(&dir).unwrap();
    let dest = Destination::new(&url, PUBLIC_KEY);
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    fs::write(dir.join(".seq"), format!("{} {}\n", boot.trim(), u64::MAX)).unwrap();
    let older = spool.push(&dest, Some("w"), b"order_idorder=w&v=1").unwrap();
    let newer = spool.push(&dest, Some("w"), b"order_idorder=w&v=2").unwrap();
    assert_eq!(spool.entries_for(&dest, false).unwrap(), vec![older, newer]);
}

/// [10] A 0770 folder of another user and group, and docs/spool.md's 2770
/// www-data folder: the library in a root process refuses both, naming the
/// fix; root's `spread` switches to the owner and works.
#[test]
fn root_refuses_a_folder_another_user_can_write() {
    require_root();
    let dir = shared_dir("root-refuses");
    for mode in [0o770, 0o2770] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
        let mut c = common::client("http://127.0.0.1:1/api");
        let e = c.set_spool_dir(&dir).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        assert!(e.message.contains("run `spread` as root") && e.message.contains("uid 33"), "{e}");
    }
    let out = spread_within(Duration::from_secs(20), &["flush", "--spool", dir.to_str().unwrap(), "--base-url", "http://127.0.0.1:1/api"]);
    assert!(out.status.code().is_some(), "{out:?}");
    for entry in ["tmp", "rejected", "unreadable", "inflight"] {
        assert_eq!(fs::metadata(dir.join(entry)).unwrap().uid(), WWW_DATA, "{entry} made by root's flush belongs to www-data");
    }
}

/// [11] A shop configured with `…/api/` and a cron with `…/api` (the same
/// endpoint): the shop's entries are the cron's own, pending and delivered.
#[test]
fn one_endpoint_written_two_ways_is_one_destination() {
    let dir = temp_dir("slash");
    let port = common::free_port();
    let mut shop = common::client(&format!("http://127.0.0.1:{port}/api/"));
    shop.set_spool_dir(&dir).unwrap();
    shop.set_max_attempts(1).unwrap();
    assert_eq!(shop.send(&order("slash", 10)).unwrap(), Sent::Queued);
    let mut cron = common::client(&format!("http://127.0.0.1:{port}/api"));
    cron.set_spool_dir(&dir).unwrap();
    let st = cron.spool_status().unwrap();
    assert_eq!((st.pending, st.foreign), (1, 0));
    let api = Server::start_on(port, script(|_, _| Reply::ok()));
    assert_eq!(cron.flush().unwrap().delivered, 1);
    assert_eq!(api.requests().len(), 1);
}

/// Every per-order lock file planted as a symlink to an outside file: sends
/// of any order are still delivered (the name is replaced, never followed),
/// and the outside file is untouched.
#[test]
fn planted_order_lock_links_never_fail_a_send() {
    let dir = temp_dir("lock-links");
    let outside = temp_dir("lock-links-outside").join("target");
    fs::write(&outside, "outside").unwrap();
    let api = Server::start(script(|_, _| Reply::ok()));
    let mut c = common::client(&api.url());
    c.set_spool_dir(&dir).unwrap();
    for bucket in 0..4096 {
        symlink(&outside, dir.join("inflight").join(format!("{bucket:03x}.lock"))).unwrap();
    }
    for id in ["l1", "l2", "l3"] {
        let sent = c.send(&order(id, 10)).unwrap();
        assert!(matches!(sent, Sent::Delivered(_)), "{id}: {sent:?}");
    }
    assert_eq!(fs::read_to_string(&outside).unwrap(), "outside");
    assert_eq!(api.requests().len(), 3);
}
