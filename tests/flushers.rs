//! "One flusher at a time", across processes: several processes flush one
//! spool at once, again and again; every entry is delivered exactly once.

mod common;
mod faults;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{order, temp_dir};
use faults::{script, Reply, Server};

const ENTRIES: usize = 300;
const FLUSHERS: usize = 4;

/// In a child: flushes until nothing of its destination is left.
#[test]
#[ignore = "run as a child process by concurrent_flushers_deliver_each_entry_once"]
fn child_flushes_until_empty() {
    let mut c = common::client(&std::env::var("SPREAD_URL").unwrap());
    c.set_spool_dir(Path::new(&std::env::var("SPREAD_DIR").unwrap())).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        // A failed flush is retried: what is checked is what reached the server.
        let _ = c.flush();
        if c.pending().unwrap() == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("the spool never emptied");
}

#[test]
fn concurrent_flushers_deliver_each_entry_once() {
    // A little latency per request, so that flushes overlap.
    let server = Server::start(script(|_, _| Reply::ok().after(Duration::from_millis(2))));
    let dir = temp_dir("flushers");
    let c = {
        let mut c = common::client(&server.url());
        c.set_spool_dir(&dir).unwrap();
        c
    };
    for i in 0..ENTRIES {
        c.spool().unwrap().push(c.destination(), Some(&format!("f-{i}")), order(&format!("f-{i}"), 10).encode().as_bytes()).unwrap();
    }
    let children: Vec<_> = (0..FLUSHERS)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args(["child_flushes_until_empty", "--exact", "--ignored", "--nocapture"])
                .env("SPREAD_URL", server.url())
                .env("SPREAD_DIR", &dir)
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a flusher failed");
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in server.requests() {
        *seen.entry(r.field("order_idorder").unwrap()).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(seen.len(), ENTRIES);
    assert_eq!(c.pending().unwrap(), 0);
}
