//! The spool's durability protocol, read off the system calls (strace):
//! an entry is written, fsync'd, renamed into place without replacing
//! anything, and the folder fsync'd, all before the send says QUEUED; a
//! delivered entry's removal and a rejected entry's move are synced before
//! the flush returns. A SIGKILL test cannot see a missing fsync (the kernel
//! keeps what was written); this one does.

mod common;
mod faults;

use std::path::Path;
use std::process::Command;

use common::{order, temp_dir};
use faults::{script, Reply, Server};
use spread::Sent;

const QUEUED_MARK: &str = "MARK:queued";
const FLUSHED_MARK: &str = "MARK:flushed";

fn mark(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout();
    out.write_all(format!("{text}\n").as_bytes()).unwrap();
    out.flush().unwrap();
}

#[test]
#[ignore = "run under strace by spooling_is_durable_before_queued_is_returned"]
fn child_spools_one_order() {
    let mut c = common::client(&std::env::var("SPREAD_URL").unwrap());
    c.set_max_attempts(1).unwrap();
    c.set_spool_dir(Path::new(&std::env::var("SPREAD_DIR").unwrap())).unwrap();
    assert_eq!(c.send(&order("durable", 10)).unwrap(), Sent::Queued);
    mark(QUEUED_MARK);
}

#[test]
#[ignore = "run under strace by removals_and_rejections_are_durable_before_the_flush_returns"]
fn child_flushes() {
    let mut c = common::client(&std::env::var("SPREAD_URL").unwrap());
    c.set_spool_dir(Path::new(&std::env::var("SPREAD_DIR").unwrap())).unwrap();
    let report = c.flush().unwrap();
    assert_eq!((report.delivered, report.rejected), (1, 1));
    mark(FLUSHED_MARK);
}

/// One system call from strace's output: its name, its quoted paths, and its return value.
#[derive(Debug)]
struct Call {
    name: String,
    line: String,
    ret: String,
}

impl Call {
    fn fd_arg(&self) -> Option<&str> {
        self.line.split_once('(')?.1.split([',', ')']).next()
    }
    fn has(&self, text: &str) -> bool {
        self.line.contains(text)
    }
}

fn trace(test: &str, vars: &[(&str, &str)]) -> Vec<Call> {
    let out_file = temp_dir("strace").join("trace");
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-s", "200", "-e", "trace=openat,write,fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat", "-o"])
        .arg(&out_file)
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--ignored", "--nocapture", "--test-threads=1"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("strace is installed (.ci/setup)");
    assert!(out.status.success(), "{test}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&out_file).unwrap();
    text.lines()
        .filter_map(|l| {
            let body = l.split_once(' ').map_or(l, |(_, rest)| rest).trim_start();
            let name = body.split('(').next()?.to_owned();
            let ret = body.rsplit_once(" = ")?.1.split(' ').next()?.to_owned();
            Some(Call { name, line: body.to_owned(), ret })
        })
        .collect()
}

/// The index of the first call at or after `from` matching `pred`.
fn find(calls: &[Call], from: usize, what: &str, pred: impl Fn(&Call) -> bool) -> usize {
    calls[from..].iter().position(pred).map(|i| from + i).unwrap_or_else(|| {
        let tail: Vec<&str> = calls[from..].iter().map(|c| c.line.as_str()).collect();
        panic!("no {what} after call {from}:\n{}", tail.join("\n"))
    })
}

fn opened_fd(calls: &[Call], from: usize, path_part: &str, what: &str) -> (usize, String) {
    let i = find(calls, from, what, |c| c.name == "openat" && c.has(path_part) && !c.ret.starts_with('-'));
    (i, calls[i].ret.clone())
}

fn fsync_of(calls: &[Call], from: usize, fd: &str, what: &str) -> usize {
    find(calls, from, what, |c| matches!(c.name.as_str(), "fsync" | "fdatasync") && c.fd_arg() == Some(fd) && c.ret == "0")
}

/// The first successful fsync at or after `from` of a descriptor whose
/// latest open before it was an openat naming `path_part` (the spool works
/// through folder descriptors, opened anew per operation, so numbers repeat).
fn fsync_of_opened(calls: &[Call], from: usize, path_part: &str, what: &str) -> usize {
    let opened_as = |at: usize, fd: &str| calls[..at].iter().rev().find(|c| c.name == "openat" && c.ret == fd).is_some_and(|c| c.has(path_part));
    (from..calls.len())
        .find(|&i| {
            let c = &calls[i];
            matches!(c.name.as_str(), "fsync" | "fdatasync") && c.ret == "0" && c.fd_arg().is_some_and(|fd| opened_as(i, fd))
        })
        .unwrap_or_else(|| {
            let tail: Vec<&str> = calls[from..].iter().map(|c| c.line.as_str()).collect();
            panic!("no {what} after call {from}:\n{}", tail.join("\n"))
        })
}

fn marker(calls: &[Call], text: &str) -> usize {
    find(calls, 0, text, |c| c.name == "write" && c.has(text))
}

#[test]
fn spooling_is_durable_before_queued_is_returned() {
    let dir = temp_dir("durable");
    let down = format!("http://127.0.0.1:{}/api", common::free_port());
    let calls = trace("child_spools_one_order", &[("SPREAD_URL", &down), ("SPREAD_DIR", dir.to_str().unwrap())]);
    let (opened, fd) = opened_fd(&calls, 0, ".part", "the entry's temp file opened");
    assert!(calls[opened].has("O_EXCL"), "a fresh file: {}", calls[opened].line);
    let written = find(&calls, opened, "the entry written", |c| c.name == "write" && c.fd_arg() == Some(&fd));
    let synced = fsync_of(&calls, written, &fd, "the entry fsync'd");
    let renamed = find(&calls, synced, "the entry renamed into place", |c| c.name.starts_with("rename") && c.has(".part") && c.ret == "0");
    assert!(calls[renamed].has("RENAME_NOREPLACE"), "never replaces an entry: {}", calls[renamed].line);
    let dir_text = format!("\"{}\"", dir.display());
    let dir_synced = fsync_of_opened(&calls, renamed, &dir_text, "the folder fsync'd");
    assert!(dir_synced < marker(&calls, QUEUED_MARK), "QUEUED before the folder was synced");
}

#[test]
fn removals_and_rejections_are_durable_before_the_flush_returns() {
    let server = Server::start(script(|r, _| if r.field("order_idorder").as_deref() == Some("refused") { Reply::status(422) } else { Reply::ok() }));
    let dir = temp_dir("durable-flush");
    let c = {
        let mut c = common::client(&server.url());
        c.set_spool_dir(&dir).unwrap();
        c
    };
    let spool = c.spool().unwrap();
    spool.push(c.destination(), Some("ok"), order("ok", 10).encode().as_bytes()).unwrap();
    spool.push(c.destination(), Some("refused"), order("refused", 10).encode().as_bytes()).unwrap();
    let calls = trace("child_flushes", &[("SPREAD_URL", &server.url()), ("SPREAD_DIR", dir.to_str().unwrap())]);
    let dir_text = format!("\"{}\"", dir.display());
    let flushed = marker(&calls, FLUSHED_MARK);
    // The delivered entry: unlinked, and the folder synced (once per pass) before the flush returns.
    let removed = find(&calls, 0, "the delivered entry removed", |c| c.name.starts_with("unlink") && c.has(".req") && c.ret == "0");
    let removal_synced = fsync_of_opened(&calls, removed, &dir_text, "the folder fsync'd after the removal");
    assert!(removal_synced < flushed, "the flush returned before the removal was synced");
    // The refused entry: its answer written and synced, moved, both folders synced.
    let (answer_open, answer_fd) = opened_fd(&calls, 0, ".answer", "the answer file opened");
    let answer_synced = fsync_of(&calls, answer_open, &answer_fd, "the answer fsync'd");
    let moved = find(&calls, answer_synced, "the entry moved to rejected/", |c| c.name.starts_with("rename") && c.has(".req\"") && c.ret == "0");
    let rej_synced = fsync_of_opened(&calls, moved, "\"rejected\"", "rejected/ fsync'd");
    let top_synced = fsync_of_opened(&calls, moved, &dir_text, "the folder fsync'd after the move");
    assert!(rej_synced.max(top_synced) < flushed, "the flush returned before its moves were synced");
}
