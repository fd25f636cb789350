//! The TCP transport under ureq-proto (ureq's lower layer: `ureq::unversioned::transport`),
//! in place of ureq's own `TcpConnector`, for what a kept connection costs per
//! request. ureq's sends the request head and the body in two writes (on a
//! loopback server that is two wake-ups of the server), sets the socket's
//! timeouts again before every read and write (the budget left changes on every
//! request), and checks a pooled connection with three system calls, twice per
//! request. This one:
//! - holds what ureq transmits until it waits for the answer, then writes it in
//!   one `send` (head and body together, as curl and wrk do);
//! - changes a socket timeout only when the one set could outlast the time
//!   left (or is far shorter: a read that stops early is resumed with the rest);
//! - checks a kept connection with one `recv(MSG_PEEK | MSG_DONTWAIT)`
//!   (ureq's made three calls; http1.rs checks once, when it takes one);
//! - notes, for the thread that sent on it, when a kept connection dies
//!   before the first byte of its answer ([`take_dead_reuse`]): the server had
//!   closed it as the request went out, and the request is sent again at once
//!   on a fresh connection, as curl does.
//!
//! Connections through a proxy keep ureq's transport (the proxy connector makes them).

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, ShutdownHandle, Transport};
use ureq::Error;

/// Held bytes are written once they reach this (a large body is not copied whole).
const HOLD_MAX: usize = 64 * 1024;
const HELD_CAPACITY: usize = 8 * 1024;

thread_local! {
    /// Set when a request of this thread went out on a kept connection that
    /// failed before any byte of the answer came back.
    static DEAD_REUSE: Cell<bool> = const { Cell::new(false) };
}

/// Whether the last failure of this thread's request was a kept connection
/// that had died (the server closed it as the request went out); clears it.
pub(crate) fn take_dead_reuse() -> bool {
    DEAD_REUSE.with(|d| d.replace(false))
}

/// Opens plain TCP connections (ureq's TLS connector wraps them for https).
#[derive(Debug, Default)]
pub(crate) struct TcpConnector;

impl<In: Transport> Connector<In> for TcpConnector {
    type Out = Either<In, TcpTransport>;

    fn connect(&self, details: &ConnectionDetails, chained: Option<In>) -> Result<Option<Self::Out>, Error> {
        if chained.is_some() {
            // A connection made before us in the chain (the CONNECT proxy's) is used as it is.
            return Ok(chained.map(Either::A));
        }
        let stream = Arc::new(connect(details)?);
        (details.register_shutdown)(Arc::downgrade(&stream) as Weak<dyn ShutdownHandle>)?;
        let config = details.config;
        Ok(Some(Either::B(TcpTransport {
            stream,
            buffers: LazyBuffers::new(config.input_buffer_size(), config.output_buffer_size()),
            // Room for a typical request (head, form body, TLS records) without growing.
            held: Vec::with_capacity(HELD_CAPACITY),
            held_timeout: NextTimeout::default(),
            read_timeout: None,
            write_timeout: None,
            reused: false,
            answering: false,
        })))
    }
}

/// Tries each address in turn, the connect budget shared out as ureq does (halving).
fn connect(details: &ConnectionDetails) -> Result<TcpStream, Error> {
    let budget = details.timeout.not_zero().map(|t| *t);
    let started = Instant::now();
    let n = details.addrs.len();
    let mut last: Option<Error> = None;
    for (i, addr) in details.addrs.iter().enumerate() {
        // Weights 1, 1/2, 1/4… of a total of 2(1 - 2^-n); at least 10 ms each.
        let share = |total: Duration| {
            let weight = 0.5f64.powi(i as i32) / (2.0 * (1.0 - 0.5f64.powi(n as i32)));
            total.mul_f64(weight).max(Duration::from_millis(10))
        };
        let attempt = match budget {
            Some(total) => TcpStream::connect_timeout(addr, share(total)),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(stream) => {
                if details.config.no_delay() {
                    stream.set_nodelay(true)?;
                }
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => {
                if budget.is_some_and(|total| started.elapsed() >= total) {
                    return Err(Error::Timeout(details.timeout.reason));
                }
                last = Some(Error::Timeout(ureq::Timeout::Connect));
            }
            Err(e) if address_specific(&e) => last = Some(Error::Io(e)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.unwrap_or_else(|| Error::Io(io::Error::new(io::ErrorKind::ConnectionRefused, "Connection refused"))))
}

/// A failure of this address only: the next one may work (an AAAA record without an IPv6 route).
fn address_specific(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

pub(crate) struct TcpTransport {
    stream: Arc<TcpStream>,
    buffers: LazyBuffers,
    /// Transmitted by ureq, not written yet.
    held: Vec<u8>,
    held_timeout: NextTimeout,
    /// The timeouts the socket has now.
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    /// The connection carried an answer before the request now on it.
    reused: bool,
    /// Bytes of the answer to the request now on it have come back.
    answering: bool,
}

impl fmt::Debug for TcpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpTransport").field("peer", &self.stream.peer_addr().ok()).finish_non_exhaustive()
    }
}

/// Makes the socket's timeout (`current`) safe for an operation that may take
/// `left` at most: kept when it is no longer than `left` and not far shorter
/// (so that consecutive requests, each with a little less left, change nothing);
/// else set a little under `left`.
fn fit_timeout(current: &mut Option<Duration>, left: Duration, set: impl FnOnce(Option<Duration>) -> io::Result<()>) -> io::Result<()> {
    if current.is_some_and(|c| c <= left && c >= left / 2) {
        return Ok(());
    }
    let fresh = (left - left / 8).max(Duration::from_millis(1));
    set(Some(fresh))?;
    *current = Some(fresh);
    Ok(())
}

/// Runs a blocking socket call within `timeout`; a call that stops at the
/// socket's (shorter) timeout is resumed with the time left.
fn within<T>(
    timeout: NextTimeout,
    current: &mut Option<Duration>,
    set: impl Fn(Option<Duration>) -> io::Result<()>,
    mut op: impl FnMut() -> io::Result<T>,
) -> Result<T, Error> {
    let Some(total) = timeout.not_zero().map(|t| *t) else {
        if current.is_some() {
            set(None)?;
            *current = None;
        }
        return retry_interrupted(&mut op).map_err(Error::Io);
    };
    let started = Instant::now();
    loop {
        let left = total.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(Error::Timeout(timeout.reason));
        }
        fit_timeout(current, left, &set)?;
        match retry_interrupted(&mut op) {
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
            other => return other.map_err(Error::Io),
        }
    }
}

/// A failure that says the peer had closed the connection (not a timeout).
fn died(e: &Error) -> bool {
    matches!(e, Error::Io(io) if matches!(io.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted | io::ErrorKind::UnexpectedEof))
}

fn retry_interrupted<T>(op: &mut impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

impl TcpTransport {
    /// Writes what is held, in one call when the socket takes it whole.
    fn write_held(&mut self) -> Result<(), Error> {
        if self.held.is_empty() {
            return Ok(());
        }
        let timeout = self.held_timeout.for_write();
        let stream = self.stream.clone();
        let mut written = 0;
        let held = std::mem::take(&mut self.held);
        let result = within(
            timeout,
            &mut self.write_timeout,
            |t| stream.set_write_timeout(t),
            || {
                while written < held.len() {
                    match (&*stream).write(&held[written..])? {
                        0 => return Err(io::ErrorKind::WriteZero.into()),
                        n => written += n,
                    }
                }
                Ok(())
            },
        );
        self.held = held;
        self.held.clear();
        result
    }
}

impl Transport for TcpTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        // Held until ureq waits for the answer (every request is followed by a read).
        if self.answering {
            // A new request on a connection that has answered before.
            self.reused = true;
            self.answering = false;
        }
        self.held.extend_from_slice(&self.buffers.output()[..amount]);
        self.held_timeout = timeout;
        if self.held.len() >= HOLD_MAX {
            self.write_held()?;
        }
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        let read = self.write_held().and_then(|()| {
            let timeout = timeout.for_read();
            let stream = self.stream.clone();
            let input = self.buffers.input_append_buf();
            within(timeout, &mut self.read_timeout, |t| stream.set_read_timeout(t), || (&*stream).read(input))
        });
        if !self.answering && self.reused && read.as_ref().map_or_else(died, |&n| n == 0) {
            DEAD_REUSE.with(|d| d.set(true));
        }
        let amount = read?;
        self.answering |= amount > 0;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        if !self.held.is_empty() {
            return false; // a request cut off half-way: the connection is not reusable
        }
        // Open when nothing is waiting to be read and the peer has not closed.
        let mut byte = 0u8;
        // SAFETY: a valid socket and a one-byte buffer we own.
        let n = unsafe { libc::recv(self.stream.as_raw_fd(), (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        n < 0 && matches!(io::Error::last_os_error().kind(), io::ErrorKind::WouldBlock)
    }
}

impl Drop for TcpTransport {
    fn drop(&mut self) {
        if !self.held.is_empty() {
            // A TLS close_notify, say: best effort, never blocking.
            let _ = self.stream.set_nonblocking(true);
            let _ = (&*self.stream).write(&self.held);
        }
    }
}
