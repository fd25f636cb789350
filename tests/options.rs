//! Options in any order: plain http to a host that is not loopback, set
//! before `allow_insecure_http`, is sent (through a CONNECT proxy on
//! 127.0.0.1, so that the host can be a name that is not loopback); never
//! allowed, the first use fails naming both options, and nothing leaves.

mod common;
mod faults;

use common::{order, temp_dir};
use faults::{script, ConnectProxy, Reply, Server};
use spread::{Client, ErrorKind, Sent};

fn remote_client(port: u16, proxy: &ConnectProxy) -> Client {
    let mut c = Client::new(common::PUBLIC_KEY, common::PRIVATE_KEY).unwrap();
    // Accepted alone: the rule needs allow_insecure_http, which may come later.
    c.set_base_url(&format!("http://spread.test:{port}/api")).unwrap();
    c.set_proxy(Some(&proxy.url())).unwrap();
    c.set_max_attempts(1).unwrap();
    c
}

#[test]
fn base_url_before_allow_insecure_http_sends() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let proxy = ConnectProxy::start(Some(server.port));
    let mut c = remote_client(server.port, &proxy);
    c.set_allow_insecure_http(true).unwrap();
    c.check().unwrap();
    assert!(matches!(c.send(&order("any-order", 10)).unwrap(), Sent::Delivered(_)));
    assert_eq!(server.requests().len(), 1);
    // The same through the table, by name and as text.
    let mut c = Client::new(common::PUBLIC_KEY, common::PRIVATE_KEY).unwrap();
    for (name, value) in [("base_url", format!("http://spread.test:{}/api", server.port)), ("proxy", proxy.url()), ("allow_insecure_http", "true".into())] {
        c.set_option(name, &value).unwrap();
    }
    assert!(matches!(c.send(&order("by-name", 10)).unwrap(), Sent::Delivered(_)));
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn never_allowed_fails_at_first_use_naming_both_options() {
    let server = Server::start(script(|_, _| Reply::ok()));
    let proxy = ConnectProxy::start(Some(server.port));
    let mut c = remote_client(server.port, &proxy);
    let named_both = |e: spread::Error| {
        assert_eq!(e.kind, ErrorKind::Config, "{e}");
        assert!(e.message.starts_with("base_url: plain http to spread.test") && e.message.contains("allow_insecure_http"), "{e}");
    };
    named_both(c.check().unwrap_err());
    named_both(c.send(&order("refused", 10)).unwrap_err());
    // With a spool: neither queued by send nor by enqueue, and a flush sends nothing.
    c.set_spool_dir(&temp_dir("options-never-allowed")).unwrap();
    named_both(c.send(&order("refused", 10)).unwrap_err());
    named_both(c.enqueue(&order("refused", 10)).unwrap_err());
    assert_eq!(c.pending().unwrap(), 0);
    assert!(proxy.seen().is_empty() && server.requests().is_empty());
}
