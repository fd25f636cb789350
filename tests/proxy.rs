//! Proxies: variables in the environment are never used (under CGI a
//! client sets HTTP_PROXY: httpoxy); an explicit proxy is an HTTP CONNECT
//! tunnel, for http and https, and never for loopback.

mod common;
mod faults;

use std::process::Command;

use common::{order, temp_dir};
use faults::{script, ConnectProxy, Reply, Server, TestCa};
use spread::{Client, Sent};

const VARS: [&str; 6] = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

/// In a child process (the variables are process-wide): every proxy
/// variable points at a recording proxy; sends must not go through it.
#[test]
#[ignore = "run as a child process by proxy_variables_are_ignored"]
fn child_sends_with_proxy_variables_set() {
    let target = std::env::var("SPREAD_TEST_TARGET").unwrap();
    let c = common::client(&target);
    assert!(matches!(c.send(&order("httpoxy", 10)).unwrap(), Sent::Delivered(_)));
    // A host name too: with the variables ignored it is looked up directly (and fails), never proxied.
    let mut named = Client::new(common::PUBLIC_KEY, common::PRIVATE_KEY).unwrap();
    named.set_allow_insecure_http(true).unwrap();
    named.set_base_url("http://spread.invalid:9/api").unwrap();
    named.set_max_attempts(1).unwrap();
    assert!(named.send(&order("httpoxy-named", 10)).is_err());
}

#[test]
fn proxy_variables_are_ignored() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let proxy = ConnectProxy::start(None);
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args(["child_sends_with_proxy_variables_set", "--exact", "--ignored", "--nocapture"]);
    for var in VARS {
        child.env(var, proxy.url());
    }
    child.env_remove("NO_PROXY").env_remove("no_proxy").env("SPREAD_TEST_TARGET", server.url());
    let out = child.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(proxy.seen().is_empty(), "the environment's proxy saw: {:?}", proxy.seen());
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].header("authorization").is_some());
}

fn proxied_client(base_url: &str, proxy: &str) -> Client {
    let mut c = Client::new(common::PUBLIC_KEY, common::PRIVATE_KEY).unwrap();
    c.set_allow_insecure_http(true).unwrap();
    c.set_base_url(base_url).unwrap();
    c.set_proxy(Some(proxy)).unwrap();
    c.set_max_attempts(1).unwrap();
    c
}

#[test]
fn an_explicit_proxy_tunnels_http_and_keeps_the_keys_inside() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let proxy = ConnectProxy::start(Some(server.port));
    let c = proxied_client(&format!("http://spread.test:{}/api", server.port), &proxy.url());
    assert!(matches!(c.send(&order("via-proxy", 10)).unwrap(), Sent::Delivered(_)));
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].starts_with(&format!("CONNECT spread.test:{} ", server.port)), "{seen:?}");
    assert!(!seen[0].to_ascii_lowercase().contains("authorization: basic"), "the proxy saw the keys: {seen:?}");
    assert_eq!(server.requests()[0].header("authorization").map(|a| a.starts_with("Basic ")), Some(true));
}

#[test]
fn an_explicit_proxy_tunnels_https() {
    let ca = TestCa::new("libspread proxy test CA");
    let server = Server::start_tls(script(|r, _| if r.tls { Reply::ok() } else { Reply::status(400) }), &ca.leaf(&["spread.test"], false));
    let proxy = ConnectProxy::start(Some(server.port));
    let ca_file = temp_dir("proxy-tls").join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let mut c = proxied_client(&format!("https://spread.test:{}/api", server.port), &proxy.url());
    c.set_ca_file(&ca_file).unwrap();
    assert!(matches!(c.send(&order("via-proxy-tls", 10)).unwrap(), Sent::Delivered(_)));
    assert!(proxy.seen()[0].starts_with(&format!("CONNECT spread.test:{} ", server.port)));
    assert!(server.requests()[0].tls);
}

#[test]
fn loopback_never_goes_through_the_proxy() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let proxy = ConnectProxy::start(None);
    let c = proxied_client(&server.url(), &proxy.url());
    assert!(matches!(c.send(&order("direct", 10)).unwrap(), Sent::Delivered(_)));
    assert!(proxy.seen().is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_bad_proxy_url_is_a_configuration_error_naming_it() {
    let mut c = common::client("http://127.0.0.1:1/api");
    let e = c.set_proxy(Some("http://")).unwrap_err();
    assert_eq!(e.kind, spread::ErrorKind::Config);
    assert!(e.message.starts_with("proxy: "), "{e}");
    let e = c.set_proxy(Some("socks5://127.0.0.1:1080")).unwrap_err();
    assert!(e.message.starts_with("proxy: "), "{e}");
    c.set_proxy(None).unwrap();
}

/// Issue 21, failure 7: a proxy's 407 used to be a NetworkError after 3
/// CONNECTs. It is the proxy refusing its credentials: AUTH, not retried,
/// the proxy named (never its password), and the order kept.
#[test]
fn a_proxys_407_is_an_auth_failure_naming_the_proxy_not_retried() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let proxy = ConnectProxy::start_with_auth(Some(server.port), "shop:pr0xy-pa55");
    let target = format!("http://spread.test:{}/api", server.port);
    let named = format!("127.0.0.1:{}", proxy.port);

    let mut c = proxied_client(&target, &proxy.url());
    c.set_max_attempts(3).unwrap();
    let e = c.send(&order("proxy-407", 10)).unwrap_err();
    assert_eq!((e.kind, e.status), (spread::ErrorKind::Auth, Some(407)), "{e}");
    assert!(e.message.contains("proxy") && e.message.contains(&named), "names the proxy: {e}");
    assert_eq!(proxy.seen().len(), 1, "not retried: {:?}", proxy.seen());
    assert!(server.requests().is_empty());

    // Wrong credentials: the same, and the password is in no message.
    let mut c = proxied_client(&target, &format!("http://shop:wr0ng-pa55@{named}"));
    c.set_max_attempts(3).unwrap();
    let e = c.send(&order("proxy-407", 10)).unwrap_err();
    assert_eq!((e.kind, e.status), (spread::ErrorKind::Auth, Some(407)), "{e}");
    assert!(!e.message.contains("wr0ng-pa55") && e.message.contains(&named), "{e}");
    assert_eq!(proxy.seen().len(), 2);

    // With a spool the order is kept, as for SPREAD's own 401/403.
    c.set_spool_dir(&temp_dir("proxy-407")).unwrap();
    assert_eq!(c.send(&order("proxy-407", 10)).unwrap(), Sent::Queued);

    // The right credentials open the tunnel.
    let c = proxied_client(&target, &format!("http://shop:pr0xy-pa55@{named}"));
    assert!(matches!(c.send(&order("proxy-ok", 10)).unwrap(), Sent::Delivered(_)));
    assert_eq!(server.requests().len(), 1);
}
