//! Whom https trusts: the host's store by default (as curl and OpenSSL
//! do; SSL_CERT_FILE/SSL_CERT_DIR honoured), the bundled Mozilla roots on
//! request or when the host has no store, or one CA file. A wrong host
//! name or an expired certificate is refused whatever the trust.
//!
//! SSL_CERT_FILE is process-wide: the cases that set it run in child
//! processes of this test binary.

mod common;
mod faults;

use std::process::Command;
use std::sync::{Arc, Mutex};

use common::{order, temp_dir};
use faults::{script, Reply, Server, TestCa};
use spread::log::{Level, Logger, Record};
use spread::{Client, ErrorKind, Sent};

/// A test CA, servers with a good, a wrong-name and an expired certificate from it, and the CA as a file.
struct Fixture {
    ca_file: std::path::PathBuf,
    good: Server,
    wrong_name: Server,
    expired: Server,
}

fn fixture() -> Fixture {
    let ca = TestCa::new("libspread TLS test CA");
    let dir = temp_dir("tls");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let ok = || script(|_, _| Reply::ok());
    Fixture {
        ca_file,
        good: Server::start_tls(ok(), &ca.leaf(&["localhost", "127.0.0.1"], false)),
        wrong_name: Server::start_tls(ok(), &ca.leaf(&["other.example"], false)),
        expired: Server::start_tls(ok(), &ca.leaf(&["localhost", "127.0.0.1"], true)),
    }
}

fn https(port: u16) -> String {
    format!("https://localhost:{port}/api")
}

/// The outcome of one send with the given trust (None: the default).
fn send(port: u16, roots: Option<&str>) -> Result<Sent, spread::Error> {
    let mut c = common::client(&https(port));
    c.set_max_attempts(1).unwrap();
    if let Some(roots) = roots {
        c.set_tls_roots(roots).unwrap();
    }
    c.send(&order("tls", 10))
}

fn refused(outcome: Result<Sent, spread::Error>, what: &str) {
    match outcome {
        Err(e) => assert_eq!(e.kind, ErrorKind::Tls, "{what}: {e}"),
        Ok(s) => panic!("{what}: accepted ({s:?})"),
    }
}

fn accepted(outcome: Result<Sent, spread::Error>, what: &str) {
    assert!(matches!(outcome, Ok(Sent::Delivered(_))), "{what}: {outcome:?}");
}

#[test]
fn by_default_the_host_store_decides() {
    let f = fixture();
    // This host's store does not know the test CA.
    refused(send(f.good.port, None), "default trust, unknown CA");
    let ca = f.ca_file.to_str().unwrap();
    accepted(send(f.good.port, Some(ca)), "ca_file");
    refused(send(f.wrong_name.port, Some(ca)), "ca_file, wrong host name");
    refused(send(f.expired.port, Some(ca)), "ca_file, expired");
    refused(send(f.good.port, Some("bundled")), "bundled, unknown CA");
    refused(send(f.expired.port, Some("bundled")), "bundled, expired");
}

fn run_child(test: &str, env: &[(&str, &str)], vars: &[(&str, String)]) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--ignored", "--nocapture"]).env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{test}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"), "{test} did not run");
}

fn port(var: &str) -> u16 {
    std::env::var(var).unwrap().parse().unwrap()
}

#[test]
#[ignore = "run as a child process by a_ca_added_to_the_host_store_is_trusted"]
fn child_with_the_test_ca_in_the_host_store() {
    accepted(send(port("GOOD"), None), "system store holding the test CA");
    accepted(send(port("GOOD"), Some("system")), "system, explicitly");
    refused(send(port("GOOD"), Some("bundled")), "bundled ignores the host store");
    refused(send(port("WRONG"), None), "system, wrong host name");
    refused(send(port("EXPIRED"), None), "system, expired");
    assert!(common::client("https://localhost/api").tls_fallback().is_none());
}

#[test]
fn a_ca_added_to_the_host_store_is_trusted() {
    let f = fixture();
    let ports = [("GOOD", f.good.port.to_string()), ("WRONG", f.wrong_name.port.to_string()), ("EXPIRED", f.expired.port.to_string())];
    run_child("child_with_the_test_ca_in_the_host_store", &[("SSL_CERT_FILE", f.ca_file.to_str().unwrap())], &ports);
    // The directory form (SSL_CERT_DIR, as OpenSSL reads it) works the same.
    let dir = temp_dir("tls-dir");
    std::fs::copy(&f.ca_file, dir.join("test-ca.pem")).unwrap();
    run_child("child_with_the_test_ca_in_the_host_store", &[("SSL_CERT_DIR", dir.to_str().unwrap())], &ports);
}

#[test]
#[ignore = "run as a child process by a_host_without_a_store_falls_back_to_the_bundled_roots"]
fn child_without_a_host_store() {
    let records = Arc::new(Mutex::new(Vec::<Record>::new()));
    let sink = records.clone();
    let mut c: Client = common::client(&https(port("GOOD")));
    c.set_max_attempts(1).unwrap();
    assert!(c.tls_fallback().is_some());
    c.set_logger(Logger::new(Arc::new(move |r: &Record| sink.lock().unwrap().push(r.clone())), Level::Warn));
    let said: Vec<String> = records.lock().unwrap().iter().filter(|r| r.event == "tls_fallback").map(|r| r.message.clone()).collect();
    assert_eq!(said.len(), 1, "said once: {said:?}");
    assert!(said[0].contains("bundled Mozilla roots"), "{}", said[0]);
    // The bundled roots do not know the test CA either: still refused, not accepted blindly.
    refused(c.send(&order("tls", 10)), "fallback roots, unknown CA");
}

#[test]
fn a_host_without_a_store_falls_back_to_the_bundled_roots() {
    let f = fixture();
    let empty = temp_dir("no-store");
    std::fs::write(empty.join("empty.pem"), "").unwrap();
    run_child(
        "child_without_a_host_store",
        &[("SSL_CERT_FILE", empty.join("empty.pem").to_str().unwrap()), ("SSL_CERT_DIR", empty.to_str().unwrap())],
        &[("GOOD", f.good.port.to_string())],
    );
}

#[test]
fn a_bad_trust_choice_is_a_configuration_error() {
    let mut c = common::client("https://localhost/api");
    assert_eq!(c.set_tls_roots("").unwrap_err().kind, ErrorKind::Config);
    let e = c.set_tls_roots("/nonexistent/ca.pem").unwrap_err();
    assert!(e.message.starts_with("tls_roots: ") && e.message.contains("/nonexistent/ca.pem"), "{e}");
}
