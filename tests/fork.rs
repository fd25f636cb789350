//! Fork safety (issue 21, docs/fork.md): after `fork()`, a child's
//! clients use none of the parent's connections, threads or locks.
//!
//! Each test forks this test process; the child does its part and leaves
//! with `_exit` (its exit code says what it saw), the parent waits for it
//! within a bound and kills it past that. Fork tests run one at a time (a
//! lock), so no other test of this file is inside libspread at the fork.

// Runs the `spread` command, which only the `cli` feature builds.
#[cfg(not(feature = "cli"))]
compile_error!("this test runs the `spread` command: cargo test --features cli (make test-rust passes it)");

mod common;
mod faults;

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{client, order, temp_dir, PRIVATE_KEY, PUBLIC_KEY};
use faults::{script, Reply, Server};
use spread::{ErrorKind, Sent};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `f` in a forked child, which exits with what `f` returns (99 if it panicked).
fn fork_child(f: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: fork in a test process; the child only runs `f` and then _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(99);
        // SAFETY: leaves the child at once, without running the parent's exit handlers.
        unsafe { libc::_exit(code) };
    }
    pid
}

/// The child's exit code, or None when it did not end within `limit` (it is killed then).
fn wait_child(pid: libc::pid_t, limit: Duration) -> Option<i32> {
    let until = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: waits for our own child without blocking.
        let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if got == pid {
            return Some(if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) });
        }
        if Instant::now() >= until {
            // SAFETY: our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            unsafe { libc::waitpid(pid, &mut status, 0) };
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Answers 400 to orders whose id starts with C (the child's) and 200 to the
/// others, each answer naming the order, on keep-alive connections; a short
/// pause before each answer lets both processes' requests meet on one socket.
fn verdict_server() -> Server {
    Server::start(script(|req, _| {
        let id = req.field("order_idorder").unwrap_or_default();
        let reply = if id.starts_with('C') {
            Reply::status(400).body(format!("{{\"status\":\"error\",\"message\":\"refused {id}\"}}"))
        } else {
            Reply::ok().body(format!("{{\"status\":\"ok\",\"order_idorder\":\"{id}\"}}"))
        };
        reply.after(Duration::from_millis(5))
    }))
}

const ROUNDS: usize = 30;

/// Issue 21, failure 1: a client that has sent once (a pooled keep-alive
/// connection), then used on both sides of fork(): each side must get the
/// answer to its own order.
#[test]
fn answers_do_not_cross_between_parent_and_child() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = verdict_server();
    let mut c = client(&server.url());
    c.set_max_attempts(1).unwrap();
    c.set_timeout(Duration::from_secs(5)).unwrap();
    let warm = c.send(&order("P-warm", 10)).unwrap();
    assert!(matches!(warm, Sent::Delivered(ref r) if r.body.contains("P-warm")), "{warm:?}");

    let child = fork_child(|| {
        let mut crossed = 0;
        for round in 0..ROUNDS {
            let id = format!("C-{round}");
            match c.send(&order(&id, 10)) {
                Err(e) if e.kind == ErrorKind::Rejected && e.message.contains(&format!("refused {id}\"")) => {}
                other => {
                    eprintln!("child, order {id}: {other:?}");
                    crossed += 1;
                }
            }
        }
        crossed
    });
    let mut crossed = Vec::new();
    for round in 0..ROUNDS {
        let id = format!("P-{round}");
        match c.send(&order(&id, 10)) {
            Ok(Sent::Delivered(r)) if r.status == 200 && r.body.contains(&format!("\"{id}\"")) => {}
            other => crossed.push(format!("parent, order {id}: {other:?}")),
        }
    }
    let child_crossed = wait_child(child, Duration::from_secs(60));
    assert!(crossed.is_empty(), "the parent got answers meant for the child: {crossed:#?}");
    assert_eq!(child_crossed, Some(0), "the child got answers meant for the parent (count), or did not finish");
}

/// A server that answers 200 after `delay`, so a flush or send stays in flight a while.
fn slow_server(delay: Duration) -> Server {
    Server::start(script(move |_, _| Reply::ok().after(delay)))
}

/// A child that sleeps (never calls libspread), forked while the parent holds `what`.
fn sleeping_child() -> libc::pid_t {
    fork_child(|| {
        std::thread::sleep(Duration::from_secs(20));
        0
    })
}

/// Issue 21, failure 2: a child forked while a flush runs keeps none of the
/// spool's locks: once the parent's flush is over, the next flush (this
/// process, and the `spread` command from a third process) delivers.
#[test]
fn a_sleeping_child_does_not_hold_the_flush_lock() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = slow_server(Duration::from_millis(300));
    let dir = temp_dir("fork-flush");
    let mut c = client(&server.url());
    c.set_spool_dir(&dir).unwrap();
    let spool = c.spool().unwrap().clone();
    for id in ["F-1", "F-2"] {
        spool.push(c.destination(), Some(id), order(id, 10).encode().as_bytes()).unwrap();
    }
    std::thread::scope(|s| {
        let flushing = s.spawn(|| c.flush().unwrap());
        // Fork while the flush waits for its first answer (it holds the flush lock).
        std::thread::sleep(Duration::from_millis(150));
        let child = sleeping_child();
        let first = flushing.join().unwrap();
        assert_eq!((first.delivered, first.busy), (2, false), "{first:?}");

        spool.push(c.destination(), Some("F-3"), order("F-3", 10).encode().as_bytes()).unwrap();
        let started = Instant::now();
        let second = c.flush().unwrap();
        let busy = second.busy;
        let cli = Command::new(env!("CARGO_BIN_EXE_spread"))
            .args(["flush", "--spool", dir.to_str().unwrap(), "--base-url", &server.url()])
            .env("SPREAD_PUBLIC_KEY", PUBLIC_KEY)
            .env("SPREAD_PRIVATE_KEY", PRIVATE_KEY)
            .output()
            .unwrap();
        let still = c.pending().unwrap();
        wait_child(child, Duration::ZERO);
        assert!(!busy, "the sleeping child holds the flush lock: {second:?}");
        assert_eq!(second.delivered, 1, "{second:?}");
        let said = String::from_utf8_lossy(&cli.stdout).into_owned() + &String::from_utf8_lossy(&cli.stderr);
        assert!(!said.contains("another flush"), "spread flush from another process: {said}");
        assert_eq!(still, 0);
        assert!(started.elapsed() < Duration::from_secs(10));
    });
}

/// Issue 21, failure 2 (order lock): a child forked while an update of an
/// order is in flight does not keep that order's lock: the next update of
/// the same order is sent, not queued behind a send that ended.
#[test]
fn a_sleeping_child_does_not_hold_an_order_lock() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = slow_server(Duration::from_millis(300));
    let dir = temp_dir("fork-order");
    let mut c = client(&server.url());
    c.set_spool_dir(&dir).unwrap();
    std::thread::scope(|s| {
        let sending = s.spawn(|| c.send(&order("O-1", 10)).unwrap());
        std::thread::sleep(Duration::from_millis(150));
        let child = sleeping_child();
        assert!(matches!(sending.join().unwrap(), Sent::Delivered(_)));
        let again = c.send(&order("O-1", 20)).unwrap();
        wait_child(child, Duration::ZERO);
        assert!(matches!(again, Sent::Delivered(_)), "queued behind a lock the sleeping child holds: {again:?}");
    });
}

/// The child's delivery thread starts afresh: an order it enqueues is
/// delivered by its own thread (the parent's does not exist in the child).
#[test]
fn a_child_enqueues_and_its_own_thread_delivers() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = verdict_server();
    let dir = temp_dir("fork-enqueue");
    let mut c = client(&server.url());
    c.set_spool_dir(&dir).unwrap();
    c.enqueue(&order("P-bg", 10)).unwrap();
    c.close();
    assert_eq!(c.pending().unwrap(), 0);
    let child = fork_child(|| {
        if c.enqueue(&order("K-bg", 10)).is_err() {
            return 2;
        }
        c.close();
        i32::from(c.pending().unwrap_or(1) != 0)
    });
    assert_eq!(wait_child(child, Duration::from_secs(30)), Some(0));
    assert!(server.requests().iter().any(|r| r.field("order_idorder").as_deref() == Some("K-bg")));
}

/// exec: a program started while a flush is in flight (a send's socket
/// open, the flush lock held) inherits neither: every descriptor libspread
/// opens is close-on-exec.
#[test]
fn an_exec_child_inherits_no_lock_and_no_connection() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = slow_server(Duration::from_millis(400));
    let dir = temp_dir("fork-exec");
    let mut c = client(&server.url());
    c.set_spool_dir(&dir).unwrap();
    let spool = c.spool().unwrap().clone();
    spool.push(c.destination(), Some("E-1"), order("E-1", 10).encode().as_bytes()).unwrap();
    std::thread::scope(|s| {
        let flushing = s.spawn(|| c.flush().unwrap());
        std::thread::sleep(Duration::from_millis(150));
        let mut sleeper = Command::new("sleep").arg("20").stdin(std::process::Stdio::null()).spawn().unwrap();
        let fds: Vec<String> = std::fs::read_dir(format!("/proc/{}/fd", sleeper.id()))
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(flushing.join().unwrap().delivered, 1);
        spool.push(c.destination(), Some("E-2"), order("E-2", 10).encode().as_bytes()).unwrap();
        let second = c.flush().unwrap();
        let _ = sleeper.kill();
        let _ = sleeper.wait();
        let dir = dir.display().to_string();
        assert!(!fds.iter().any(|f| f.starts_with(&dir) || f.starts_with("socket:")), "inherited: {fds:?}");
        assert_eq!((second.delivered, second.busy), (1, false), "{second:?}");
    });
}
