//! A kept connection the server has closed is never used for a send: the
//! pool's liveness check (src/send/transport/tcp.rs) must find it closed,
//! with no retry to hide a miss (max_attempts 1). Servers that close without
//! saying `Connection: close` are common: an idle timeout (nginx's
//! `keepalive_timeout`, a load balancer's), or one answer per connection.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{client, order};
use spread::Sent;

/// How the server ends a connection.
#[derive(Clone, Copy)]
enum Close {
    /// After this long without a request (an idle timeout).
    IdleAfter(Duration),
    /// Right after its first answer.
    AfterOneAnswer,
}

/// An HTTP/1.1 server on 127.0.0.1 that answers 200 to each POST and closes
/// as `close` says, never announcing it; counts connections. Stops with the test process.
fn server(close: Close) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || answer(stream, close));
        }
    });
    (port, connections)
}

fn answer(stream: TcpStream, close: Close) {
    let idle = match close {
        Close::IdleAfter(idle) => idle,
        Close::AfterOneAnswer => Duration::from_secs(10),
    };
    stream.set_read_timeout(Some(idle)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            // A read timeout is the idle timeout: the connection is dropped (closed) here.
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").unwrap();
        if matches!(close, Close::AfterOneAnswer) {
            return;
        }
    }
}

fn one_try(url: &str) -> spread::Client {
    let mut c = client(url);
    c.set_max_attempts(1).unwrap();
    c
}

#[test]
fn a_connection_closed_while_idle_is_not_used_again() {
    let (port, connections) = server(Close::IdleAfter(Duration::from_millis(20)));
    let c = one_try(&format!("http://127.0.0.1:{port}/api"));
    for i in 0..3 {
        let sent = c.send(&order(&format!("idle-{i}"), 10));
        assert!(matches!(sent, Ok(Sent::Delivered(_))), "send {i}: {sent:?}");
        // Well past the server's idle timeout: its close has arrived.
        std::thread::sleep(Duration::from_millis(120));
    }
    assert_eq!(connections.load(Ordering::SeqCst), 3, "one connection per send: each was closed by the server");
}

#[test]
fn back_to_back_sends_to_a_server_that_closes_after_each_answer() {
    let (port, connections) = server(Close::AfterOneAnswer);
    let c = one_try(&format!("http://127.0.0.1:{port}/api"));
    for i in 0..50 {
        let sent = c.send(&order(&format!("once-{i}"), 10));
        assert!(matches!(sent, Ok(Sent::Delivered(_))), "send {i}: {sent:?}");
    }
    assert_eq!(connections.load(Ordering::SeqCst), 50);
}

#[test]
fn a_kept_connection_is_reused_while_the_server_keeps_it() {
    let (port, connections) = server(Close::IdleAfter(Duration::from_secs(5)));
    let c = one_try(&format!("http://127.0.0.1:{port}/api"));
    for i in 0..20 {
        assert!(matches!(c.send(&order(&format!("kept-{i}"), 10)), Ok(Sent::Delivered(_))));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert!(matches!(c.send(&order("kept-late", 10)), Ok(Sent::Delivered(_))));
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}
