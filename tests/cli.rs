//! `spread status` and `spread flush`, as cron runs them.

mod common;

use std::process::{Command, Output};

use common::{client, free_port, order, temp_dir, Sandbox, PRIVATE_KEY, PUBLIC_KEY};
use spread::Sent;

fn spread(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spread"))
        .args(args)
        .env("SPREAD_PUBLIC_KEY", PUBLIC_KEY)
        .env("SPREAD_PRIVATE_KEY", PRIVATE_KEY)
        .env_remove("SPREAD_BASE_URL")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn cron_flushes_what_a_till_spooled_offline() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/api");
    let spool = temp_dir("cli");
    let mut till = client(&url);
    till.set_max_attempts(1).unwrap();
    till.set_spool_dir(&spool).unwrap();
    for i in 0..4 {
        assert_eq!(till.send(&order(&format!("till-{i}"), 20)).unwrap(), Sent::Queued);
    }
    let dir = spool.to_str().unwrap();
    let status = spread(&["status", "--spool", dir, "--base-url", &url]);
    assert!(status.status.success());
    assert!(stdout(&status).starts_with("pending 4, rejected 0, oldest "), "{}", stdout(&status));

    let offline = spread(&["flush", "--spool", dir, "--base-url", &url, "--timeout-ms", "2000"]);
    assert!(!offline.status.success());
    assert!(String::from_utf8_lossy(&offline.stderr).contains("stopped: connection to 127.0.0.1"));

    let sb = Sandbox::start_on(port);
    let flushed = spread(&["flush", "--spool", dir, "--base-url", &url]);
    assert!(flushed.status.success(), "{}", String::from_utf8_lossy(&flushed.stderr));
    assert_eq!(stdout(&flushed).trim(), "delivered 4, rejected 0, remaining 0");
    assert_eq!(sb.state()["orders"].as_object().unwrap().len(), 4);
    assert_eq!(stdout(&spread(&["status", "--spool", dir, "--base-url", &url])).trim(), "pending 0, rejected 0, oldest -");
}

#[test]
fn bad_usage_is_explained() {
    let out = spread(&["flush"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--spool DIR is required"));
    let out = Command::new(env!("CARGO_BIN_EXE_spread")).args(["flush", "--spool", "/tmp/x"]).env_remove("SPREAD_PUBLIC_KEY").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("SPREAD_PUBLIC_KEY is not set"));
}
