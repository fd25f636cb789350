//! One HTTP/1.1 POST on ureq's lower layer: ureq-proto's call (the request
//! head, the response's parsing, the body's framing) over a transport made by
//! ureq's connectors (CONNECT proxy, our TCP, rustls), and the kept connections.
//!
//! This stands in for ureq's request layer (`Agent::post(…).send(…)`), whose
//! conveniences cost more than a whole request to a loopback server (callgrind,
//! 68,000 instructions a send, bench row 3a): the agent's configuration copied
//! per request, a timing table read and written with a clock read per step, the
//! host resolved again for a pooled connection, four body readers stacked, the
//! request headers built through a builder and a pooled connection checked twice.
//! What it does not need is not done here: no redirects are followed (the send
//! loop reads them), no cookies, no compression, no `Expect: 100-continue`.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
use ureq::http::uri::Authority;
use ureq::http::{HeaderMap, HeaderValue, Method, Request, Response, Uri};
use ureq::unversioned::resolver::Resolver;
use ureq::unversioned::transport::{time, ConnectionDetails, NextTimeout, Transport};
use ureq::{Error, Timeout};
use ureq_proto::client::state::{RecvBody, RecvResponse, SendBody, SendRequest};
use ureq_proto::client::{Await100Result, Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
use ureq_proto::BodyMode;

use super::resolver::CachingResolver;

/// How long an idle connection is kept (ureq's default).
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);
/// Idle connections kept in all (ureq's default).
const MAX_IDLE: usize = 64;

/// Makes a transport for a connection's details: the whole connector chain (the
/// CONNECT proxy connector runs it again to reach the proxy itself).
pub(crate) type Connect = dyn Fn(&ConnectionDetails) -> Result<Box<dyn Transport>, Error> + Send + Sync;

/// What an answer is read into.
pub(crate) struct Reply {
    pub response: Response<()>,
    pub body: Vec<u8>,
    /// The body was longer than the limit and was cut there.
    pub truncated: bool,
    /// The body broke off (the part before is in `body`).
    pub body_error: Option<Error>,
}

struct Idle {
    https: bool,
    authority: Authority,
    /// The `Host` value for requests on it, made once per connection.
    host: HeaderValue,
    transport: Box<dyn Transport>,
    since: Instant,
}

/// ureq's configuration, connectors and resolver, and the connections kept open.
pub(crate) struct Engine {
    config: Config,
    connect: Arc<Connect>,
    resolver: CachingResolver,
    connect_timeout: Duration,
    user_agent: HeaderValue,
    idle: Mutex<Vec<Idle>>,
    /// At most this many idle connections per destination.
    per_host: usize,
}

impl Engine {
    pub(crate) fn new(config: Config, connect: Arc<Connect>, connect_timeout: Duration, user_agent: HeaderValue, per_host: usize) -> Engine {
        Engine { config, connect, resolver: CachingResolver::default(), connect_timeout, user_agent, idle: Mutex::new(Vec::new()), per_host }
    }

    /// POSTs `body` to `uri` by `deadline`; reads at most `limit` bytes of the answer's body.
    pub(crate) fn post(
        &self,
        uri: &Uri,
        body: &[u8],
        authorization: Option<&HeaderValue>,
        content_type: &HeaderValue,
        deadline: Instant,
        limit: usize,
    ) -> Result<Reply, Error> {
        let mut headers = HeaderMap::with_capacity(2);
        if let Some(value) = authorization {
            headers.insert(AUTHORIZATION, value.clone());
        }
        headers.insert(CONTENT_TYPE, content_type.clone());
        let mut request = Request::new(());
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri.clone();
        *request.headers_mut() = headers;
        let https = uri.scheme_str() == Some("https");
        let authority = uri.authority().ok_or_else(|| Error::BadUri(format!("{uri} has no host")))?;
        let (mut conn, host) = match self.take(https, authority) {
            Some(kept) => kept,
            None => (self.connect(uri, deadline)?, host_value(uri, authority)?),
        };
        let mut call = Call::new(request)?;
        // In the order ureq wrote them: the wire stays what it was.
        call.header(CONTENT_LENGTH, HeaderValue::from(body.len()))?;
        call.header(USER_AGENT, self.user_agent.clone())?;
        call.header(ACCEPT, HeaderValue::from_static("*/*"))?;
        call.header(HOST, host.clone())?;
        let call = send(call.proceed(), body, conn.as_mut(), deadline)?;
        let (response, next) = receive(call, conn.as_mut(), deadline, self.config.max_response_header_size())?;
        let mut reply = Reply { response, body: Vec::new(), truncated: false, body_error: None };
        let keep = match next {
            RecvResponseResult::RecvBody(call) => read_body(call, conn.as_mut(), deadline, limit, &mut reply),
            RecvResponseResult::Redirect(call) => !call.must_close_connection(),
            RecvResponseResult::Cleanup(call) => !call.must_close_connection(),
        };
        // Bytes past the answer (a server sending more than it said) end the connection too.
        if keep && conn.buffers().input().is_empty() {
            self.put(https, authority, host, conn);
        }
        Ok(reply)
    }

    fn connect(&self, uri: &Uri, deadline: Instant) -> Result<Box<dyn Transport>, Error> {
        let mut timeout = left(deadline)?;
        if let time::Duration::Exact(left) = timeout.after {
            if self.connect_timeout < left {
                timeout = NextTimeout { after: time::Duration::Exact(self.connect_timeout), reason: Timeout::Connect, ..timeout };
            }
        }
        // Through a CONNECT proxy, the proxy resolves the host.
        let addrs = match self.config.proxy() {
            Some(_) => self.resolver.empty(),
            None => self.resolver.resolve(uri, &self.config, timeout)?,
        };
        let details = ConnectionDetails {
            uri,
            addrs,
            config: &self.config,
            request_level: false,
            resolver: &self.resolver,
            now: time::Instant::now(),
            timeout,
            current_time: Arc::new(time::Instant::now),
            run_connector: self.connect.clone(),
            // Nothing shuts these connections down from another thread.
            register_shutdown: Arc::new(|_| Ok(())),
        };
        let transport = (self.connect)(&details)?;
        if details.needs_tls() && !transport.is_tls() {
            return Err(Error::TlsRequired);
        }
        Ok(transport)
    }

    /// The most recently used open connection kept for the destination.
    fn take(&self, https: bool, authority: &Authority) -> Option<(Box<dyn Transport>, HeaderValue)> {
        loop {
            let mut found = {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                let pos = idle.iter().rposition(|c| c.https == https && c.authority == *authority)?;
                idle.remove(pos)
            };
            // Checked outside the lock (a system call); a dead one is dropped and the next tried.
            if found.since.elapsed() < MAX_IDLE_AGE && found.transport.is_open() {
                return Some((found.transport, found.host));
            }
        }
    }

    fn put(&self, https: bool, authority: &Authority, host: HeaderValue, transport: Box<dyn Transport>) {
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|c| now.duration_since(c.since) < MAX_IDLE_AGE);
        if idle.iter().filter(|c| c.https == https && c.authority == *authority).count() >= self.per_host {
            if let Some(oldest) = idle.iter().position(|c| c.https == https && c.authority == *authority) {
                idle.remove(oldest);
            }
        }
        if idle.len() >= MAX_IDLE {
            idle.remove(0);
        }
        idle.push(Idle { https, authority: authority.clone(), host, transport, since: now });
    }
}

/// `Host` as ureq-proto writes it: the port only when it is not the scheme's own.
fn host_value(uri: &Uri, authority: &Authority) -> Result<HeaderValue, Error> {
    let host = authority.host();
    let default = if uri.scheme_str() == Some("https") { 443 } else { 80 };
    let value = match authority.port_u16() {
        Some(port) if port != default => HeaderValue::from_str(&format!("{host}:{port}")),
        _ => HeaderValue::from_str(host),
    };
    value.map_err(|e| Error::BadUri(e.to_string()))
}

/// The time left until `deadline`, as a transport's timeout; an error once it has passed.
fn left(deadline: Instant) -> Result<NextTimeout, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(Error::Timeout(Timeout::Global));
    }
    Ok(NextTimeout { after: time::Duration::Exact(left), ..NextTimeout::default() })
}

/// Writes the request head and the body.
fn send(mut call: Call<SendRequest>, body: &[u8], conn: &mut dyn Transport, deadline: Instant) -> Result<Call<RecvResponse>, Error> {
    while !call.can_proceed() {
        let amount = call.write(conn.buffers().output())?;
        conn.transmit_output(amount, left(deadline)?)?;
    }
    let mut call = match call.proceed()?.ok_or(Error::ConnectionFailed)? {
        SendRequestResult::SendBody(call) => call,
        SendRequestResult::RecvResponse(call) => return Ok(call),
        // Only asked for by `Expect: 100-continue`, which is never sent: the body goes at once.
        SendRequestResult::Await100(call) => match call.proceed()? {
            Await100Result::SendBody(call) => call,
            Await100Result::RecvResponse(call) => return Ok(call),
        },
    };
    send_body(&mut call, body, conn, deadline)?;
    call.proceed().ok_or(Error::ConnectionFailed)
}

/// The body, copied straight into the transport's output (its length was declared).
fn send_body(call: &mut Call<SendBody>, mut body: &[u8], conn: &mut dyn Transport, deadline: Instant) -> Result<(), Error> {
    while !call.can_proceed() {
        let output = conn.buffers().output();
        let n = body.len().min(output.len());
        output[..n].copy_from_slice(&body[..n]);
        body = &body[n..];
        call.consume_direct_write(n)?;
        conn.transmit_output(n, left(deadline)?)?;
    }
    Ok(())
}

/// Reads the response head.
fn receive(mut call: Call<RecvResponse>, conn: &mut dyn Transport, deadline: Instant, max_head: usize) -> Result<(Response<()>, RecvResponseResult), Error> {
    loop {
        let progress = conn.maybe_await_input(left(deadline)?)?;
        let input = conn.buffers().input();
        let (used, response) = call.try_response(input, false)?;
        let size = if response.is_some() { used } else { input.len() };
        if size > max_head {
            return Err(Error::LargeResponseHeader(size, max_head));
        }
        conn.buffers().input_consume(used);
        if let Some(response) = response {
            return Ok((response, call.proceed().ok_or(Error::ConnectionFailed)?));
        }
        if !progress {
            return Err(disconnected());
        }
    }
}

/// Reads the body into `reply.body`, at most `limit` bytes; whether the connection may be kept.
fn read_body(mut call: Call<RecvBody>, conn: &mut dyn Transport, deadline: Instant, limit: usize, reply: &mut Reply) -> bool {
    let close_delimited = call.body_mode() == BodyMode::CloseDelimited;
    let mut closed = false;
    loop {
        if reply.body.len() > limit {
            // Cut: the rest is not read, and the connection is not kept.
            reply.body.truncate(limit);
            reply.truncated = true;
            return false;
        }
        if (!close_delimited && call.can_proceed()) || (closed && !conn.buffers().can_use_input()) {
            break;
        }
        if conn.buffers().can_use_input() {
            match decode(&mut call, conn, &mut reply.body) {
                Ok((0, 0)) => {}
                Ok(_) => continue,
                Err(e) => return broke(reply, e),
            }
            if closed {
                break;
            }
        }
        let progress = match left(deadline).and_then(|t| conn.maybe_await_input(t)) {
            Ok(progress) => progress,
            Err(Error::Io(e)) if matches!(e.kind(), io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => {
                closed = true;
                true
            }
            Err(e) => return broke(reply, e),
        };
        let ended = conn.buffers().input().is_empty();
        match decode(&mut call, conn, &mut reply.body) {
            Ok((_, 0)) if !progress && !ended => return broke(reply, Error::BodyStalled),
            Ok((_, 0)) if ended || !progress => closed = true,
            Ok(_) => {}
            Err(e) => return broke(reply, e),
        }
    }
    // A chunked body ended by `0\r\n` and the peer's close: whole, but the connection is gone.
    if !call.can_proceed() {
        if !call.is_ended_chunked() {
            return broke(reply, disconnected());
        }
        return false;
    }
    match call.proceed() {
        Some(RecvBodyResult::Redirect(call)) => !call.must_close_connection(),
        Some(RecvBodyResult::Cleanup(call)) => !call.must_close_connection(),
        None => false,
    }
}

/// Decodes what the transport holds of the body onto the end of `body` (the
/// decoded part is never longer than its input, so `body` grows by that at
/// most) and consumes it: (input used, bytes decoded).
fn decode(call: &mut Call<RecvBody>, conn: &mut dyn Transport, body: &mut Vec<u8>) -> Result<(usize, usize), Error> {
    let input = conn.buffers().input();
    let start = body.len();
    body.resize(start + input.len().max(1), 0);
    let read = call.read(input, &mut body[start..]);
    let (used, n) = read.as_ref().map_or((0, 0), |&v| v);
    body.truncate(start + n);
    read?;
    conn.buffers().input_consume(used);
    Ok((used, n))
}

/// The peer closed the connection before the answer was whole.
fn disconnected() -> Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "Peer disconnected").into()
}

/// Notes a body that broke off; its connection is not kept.
fn broke(reply: &mut Reply, e: Error) -> bool {
    reply.body_error = Some(e);
    false
}
