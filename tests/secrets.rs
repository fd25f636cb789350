//! The private key and the Authorization header never leave the client:
//! not in an error message, the CLI's output, the spool, or a Debug print.

mod common;

use std::process::Command;

use base64::Engine as _;
use common::{free_port, order, temp_dir, Sandbox};
use spread::{Client, Sent};

const PUBLIC: &str = "pub-visible-key";
const SECRET: &str = "priv-S3CRET-kq7Zx";

/// Every form a leaked secret could take.
fn forms() -> Vec<String> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{PUBLIC}:{SECRET}"));
    vec![SECRET.to_owned(), token, "Authorization:".to_owned(), "Digest username".to_owned()]
}

fn assert_clean(what: &str, text: &str) {
    for form in forms() {
        assert!(!text.contains(&form), "{what} leaks {form:?}: {text}");
    }
}

fn client(url: &str) -> Client {
    let mut c = Client::new(PUBLIC, SECRET).unwrap();
    c.set_base_url(url).unwrap();
    c.set_max_attempts(1).unwrap();
    c
}

#[test]
fn errors_spool_files_and_cli_output_hold_no_secret() {
    let sb = Sandbox::start(); // knows other keys: every send is refused
    let mut messages = Vec::new();
    let mut c = client(&sb.base_url());
    messages.push(c.send(&order("s1", 10)).unwrap_err().message);
    sb.fault(r#"{"mode":"digest","algorithm":"MD5"}"#);
    messages.push(c.send(&order("s2", 10)).unwrap_err().message);
    sb.fault(r#"{"mode":"none"}"#);
    sb.fault(r#"{"mode":"status","code":400}"#);
    messages.push(c.send(&order("s3", 10)).unwrap_err().message);
    messages.push(client(&format!("http://127.0.0.1:{}/api", free_port())).send(&order("s4", 10)).unwrap_err().message);
    messages.push(c.set_base_url(&format!("https://{PUBLIC}:{SECRET}@example.com/api")).unwrap_err().message);
    messages.push(c.set_base_url(&format!("http://example.com/api?key={SECRET}")).unwrap_err().message);
    messages.push(Client::new(PUBLIC, &format!("{SECRET}\n")).unwrap_err().message);
    for m in &messages {
        assert_clean("an error message", m);
    }
    assert_clean("Debug", &format!("{c:?}"));

    // The spool, filled during an outage.
    let port = free_port();
    let spool_dir = temp_dir("secrets");
    let mut offline = client(&format!("http://127.0.0.1:{port}/api"));
    offline.set_spool_dir(&spool_dir).unwrap();
    for i in 0..3 {
        assert_eq!(offline.send(&order(&format!("q{i}"), 10)).unwrap(), Sent::Queued);
    }
    let mut files = 0;
    for entry in walk(&spool_dir) {
        assert_clean(&format!("spool file {}", entry.display()), &String::from_utf8_lossy(&std::fs::read(&entry).unwrap()));
        files += 1;
    }
    assert!(files >= 3);

    // The cron command, failing to flush.
    let out = Command::new(env!("CARGO_BIN_EXE_spread"))
        .args(["flush", "--spool", spool_dir.to_str().unwrap(), "--base-url", &format!("http://127.0.0.1:{port}/api")])
        .env("SPREAD_PUBLIC_KEY", PUBLIC)
        .env("SPREAD_PRIVATE_KEY", SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_clean("spread flush output", &String::from_utf8_lossy(&[out.stdout, out.stderr].concat()));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
