//! Answers framed every way HTTP/1.1 allows, read by the library's own
//! exchange (src/send/transport/http1.rs: ureq-proto driven directly): each
//! body read whole, and a connection kept only when its answer says it may be
//! and nothing is left on it. Small real servers on loopback (tests/faults).

mod common;
mod faults;

use common::{client, order};
use faults::{script, Reply, Server};
use spread::{ErrorKind, Sent};

const OK: &str = "{\"status\":\"ok\"}";

fn one_try(url: &str) -> spread::Client {
    let mut c = client(url);
    c.set_max_attempts(1).unwrap();
    c
}

/// Sends `n` orders; the body of each answer.
fn bodies(url: &str, n: usize) -> Vec<String> {
    let c = one_try(url);
    (0..n)
        .map(|i| match c.send(&order(&format!("framing-{i}"), 10)) {
            Ok(Sent::Delivered(r)) => {
                assert_eq!(r.status, 200);
                r.body
            }
            other => panic!("send {i}: {other:?}"),
        })
        .collect()
}

#[test]
fn a_chunked_answer_is_read_whole_and_its_connection_kept() {
    let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n7\r\n{\"statu\r\n8;ext=1\r\ns\":\"ok\"}\r\n0\r\nX-Trailer: t\r\n\r\n";
    let server = Server::start(script(move |_, _| Reply::RawKept(chunked.into())));
    assert_eq!(bodies(&server.url(), 3), vec![OK; 3]);
    assert_eq!(server.connections(), 1, "a chunked answer ends where its last chunk says");
}

#[test]
fn an_http_1_0_answer_runs_to_the_close_and_its_connection_ends() {
    let server = Server::start(script(|_, _| Reply::RawKept(format!("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{OK}").into()).then_close()));
    assert_eq!(bodies(&server.url(), 3), vec![OK; 3]);
    assert_eq!(server.connections(), 3);
}

#[test]
fn connection_close_is_obeyed() {
    let server = Server::start(script(|_, _| Reply::ok().header("Connection", "close")));
    assert_eq!(bodies(&server.url(), 3), vec![OK; 3]);
    assert_eq!(server.connections(), 3);
}

#[test]
fn a_chunked_answer_whose_server_closes_after_the_last_chunk_is_whole() {
    // `0\r\n` and the close, without the final blank line: every byte of the body came.
    let server =
        Server::start(script(|_, _| Reply::RawKept(format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nf\r\n{OK}\r\n0\r\n").into()).then_close()));
    assert_eq!(bodies(&server.url(), 2), vec![OK; 2]);
    assert_eq!(server.connections(), 2);
}

#[test]
fn bytes_past_an_answer_are_never_read_as_the_next_answer() {
    // A server that sends more than its Content-Length: what follows looks like
    // an answer (a 500) to a request not yet made. The next send must not read it.
    let server = Server::start(script(|_, _| {
        Reply::RawKept(format!("HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{OK}HTTP/1.1 500 Stale\r\nContent-Length: 0\r\n\r\n").into())
    }));
    assert_eq!(bodies(&server.url(), 3), vec![OK; 3]);
    assert_eq!(server.connections(), 3, "a connection with bytes left on it is not kept");
}

#[test]
fn a_2xx_whose_chunked_body_breaks_off_is_not_a_delivery() {
    let server = Server::start(script(|_, _| Reply::RawKept("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n{\"status\":".into()).then_close()));
    let e = one_try(&server.url()).send(&order("cut", 10)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Network, "{e}");
}

#[test]
fn an_error_answer_in_chunks_is_read_for_its_message() {
    let body = "{\"status\":\"error\",\"message\":\"customer_email: invalid\"}";
    let raw = format!("HTTP/1.1 422 Unprocessable\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n", body.len());
    let server = Server::start(script(move |_, _| Reply::RawKept(raw.clone().into_bytes())));
    let e = one_try(&server.url()).send(&order("refused", 10)).unwrap_err();
    assert_eq!((e.kind, e.status), (ErrorKind::Rejected, Some(422)));
    assert!(e.message.contains("customer_email: invalid"), "{e}");
}
