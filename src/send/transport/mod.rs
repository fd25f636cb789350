//! One HTTP exchange: a POST of a form body on a kept connection (http1.rs),
//! within what is left of the send's budget, and the parts of the answer the
//! send loop looks at. Transport failures are classified from ureq's and
//! rustls's error types, never from message text.

pub mod agents;
mod http1;
pub mod policy;
mod resolver;
mod tcp;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ureq::http::header::{HeaderName, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use ureq::http::{HeaderValue, Uri};
use url::Url;

pub use agents::{AgentSpec, TlsRoots, MAX_CONCURRENCY};

use crate::error::{Error, ErrorKind, Result};
use crate::send::retry;
use http1::Engine;

/// SPREAD answers with a short JSON document; a longer answer is cut here
/// (and the connection dropped rather than drained).
pub const MAX_BODY: usize = 1 << 20;
/// Kept connections found dead in a row before a request goes out on a fresh
/// one: the pool holds at most this many per destination.
const MAX_DEAD_REUSE: usize = MAX_CONCURRENCY;
static FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");

/// `url` parsed once for the HTTP layer (the endpoint of every send).
pub fn http_uri(url: &Url) -> Option<Uri> {
    url.as_str().parse().ok()
}

/// An `Authorization` value, kept out of debug output.
pub fn authorization(value: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(value).map_err(|_| Error::config("credentials", "cannot be sent in an HTTP header"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// The part of an answer the send loop looks at.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    /// Every `WWW-Authenticate` value.
    pub challenges: Vec<String>,
    pub retry_after: Option<Duration>,
    pub body: String,
    /// The body was longer than [`MAX_BODY`] and was cut.
    pub truncated: bool,
}

/// The engines a client sends with: through the proxy when one is set, and
/// always directly to loopback.
#[derive(Clone)]
pub struct Transport {
    engine: Arc<Engine>,
    direct: Option<Arc<Engine>>,
    budget: Duration,
    /// The proxy's `host:port`, for messages (never its credentials).
    proxy: Option<String>,
}

impl Transport {
    /// The transport for `spec`, and a note when the system CA store was
    /// missing and the bundled roots stand in.
    pub fn new(spec: &AgentSpec) -> Result<(Transport, Option<String>)> {
        let built = agents::shared(spec)?;
        let direct = match spec.proxy {
            Some(_) => Some(agents::shared(&AgentSpec { proxy: None, ..spec.clone() })?.engine),
            None => None,
        };
        let proxy = match &spec.proxy {
            Some(url) => {
                let p = agents::parse_proxy(url)?;
                Some(format!("{}:{}", p.host(), p.port()))
            }
            None => None,
        };
        Ok((Transport { engine: built.engine, direct, budget: spec.timeout, proxy }, built.fallback))
    }

    /// One request within what is left of the budget. `uri`: `url` already
    /// parsed for the HTTP layer (the endpoint's, made once per client), if at hand.
    pub fn exchange(&self, url: &Url, uri: Option<&Uri>, body: &[u8], authorization: Option<&HeaderValue>, deadline: Instant) -> Result<Answer> {
        if deadline.saturating_duration_since(Instant::now()).is_zero() {
            return Err(Error::new(ErrorKind::Timeout, format!("no answer within {} ms", self.budget.as_millis())));
        }
        let (engine, proxy) = match &self.direct {
            Some(direct) if policy::is_loopback(url) => (direct, None),
            _ => (&self.engine, self.proxy.as_deref()),
        };
        let parsed;
        let uri = match uri {
            Some(uri) => uri,
            None => {
                parsed = http_uri(url).ok_or_else(|| Error::new(ErrorKind::Network, format!("{} cannot be requested", url.as_str())))?;
                &parsed
            }
        };
        // A kept connection the server closed as the request went out (no byte of an
        // answer came back): sent again at once on another, as curl does. Safe: an
        // update of an order is an upsert. A fresh connection's failure is final here.
        let mut resent = 0;
        let sent = loop {
            let sent = engine.post(uri, body, authorization, &FORM, deadline, MAX_BODY);
            // Taken whatever the outcome, so that no note outlives its request.
            let died = tcp::take_dead_reuse();
            if sent.is_ok() || !died || resent == MAX_DEAD_REUSE {
                break sent;
            }
            resent += 1;
        };
        let reply = sent.map_err(|e| transport_error(e, url, self.budget, proxy))?;
        let headers = reply.response.headers();
        // Names as constants: a `&str` name is parsed on every lookup.
        let header = |name: HeaderName| headers.get_all(name).iter().filter_map(|v| v.to_str().ok());
        let location = header(LOCATION).next().map(str::to_owned);
        let challenges = header(WWW_AUTHENTICATE).map(str::to_owned).collect();
        let retry_after = header(RETRY_AFTER).next().and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
        let status = reply.response.status().as_u16();
        if let Some(e) = reply.body_error {
            // A 2xx whose body breaks off may not have been SPREAD's (a proxy's
            // half answer): resend, which is safe. Other answers are read by status.
            if (200..300).contains(&status) {
                return Err(transport_error(e, url, self.budget, proxy));
            }
        }
        let body = String::from_utf8(reply.body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(Answer { status, location, challenges, retry_after, body, truncated: reply.truncated })
    }
}

/// Whether an I/O error carries a rustls error (a failed handshake or certificate check).
fn is_tls(io: &std::io::Error) -> bool {
    io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

/// Whether an I/O error (from reading a body) carries ureq's own timeout.
fn is_timeout(io: &std::io::Error) -> bool {
    io.kind() == std::io::ErrorKind::TimedOut
        || io.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()).is_some_and(|e| matches!(e, ureq::Error::Timeout(_)))
}

/// The status a CONNECT proxy answered instead of opening the tunnel. ureq
/// 3.5 (pinned: Cargo.toml) keeps it only in the text of
/// `ConnectProxyFailed`, as "proxy server responded 407/…";
/// tests/proxy.rs fails if that changes.
fn proxy_status(reason: &str) -> Option<u16> {
    reason.strip_prefix("proxy server responded ")?.get(..3)?.parse().ok().filter(|s| (100..600).contains(s))
}

fn transport_error(e: ureq::Error, url: &Url, budget: Duration, proxy: Option<&str>) -> Error {
    let target = format!("{}:{}", url.host_str().unwrap_or("?"), url.port_or_known_default().unwrap_or(0));
    let timeout = || Error::new(ErrorKind::Timeout, format!("no answer from {target} within {} ms", budget.as_millis()));
    let tls = |what: &dyn std::fmt::Display| Error::new(ErrorKind::Tls, format!("TLS with {target} failed: {what}"));
    match e {
        ureq::Error::Timeout(_) => timeout(),
        ureq::Error::Io(io) if is_timeout(&io) => timeout(),
        ureq::Error::Io(io) if is_tls(&io) => tls(&io),
        ureq::Error::Tls(m) => tls(&m),
        ureq::Error::Pem(m) => tls(&m),
        ureq::Error::Rustls(m) => tls(&m),
        ureq::Error::ConnectProxyFailed(reason) => {
            let proxy = proxy.unwrap_or("?");
            match proxy_status(&reason) {
                // The proxy refused its own credentials: as 401/403, trying again cannot help.
                Some(407) => Error::new(
                    ErrorKind::Auth,
                    format!("the proxy {proxy} refused the connection to {target} for lack of valid proxy credentials (HTTP 407): give them in the proxy URL, http://user:password@host:port"),
                )
                .with_status(407),
                _ => Error::new(ErrorKind::Network, format!("the proxy {proxy} did not open a tunnel to {target}: {reason}")),
            }
        }
        ureq::Error::HostNotFound => Error::new(ErrorKind::Network, format!("cannot resolve host {}", url.host_str().unwrap_or("?"))),
        ureq::Error::Io(io) => Error::new(ErrorKind::Network, format!("connection to {target} failed: {io}")),
        other => Error::new(ErrorKind::Network, format!("request to {target} failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxys_answer_is_read_from_ureqs_reason() {
        assert_eq!(proxy_status("proxy server responded 407/407"), Some(407));
        assert_eq!(proxy_status("proxy server responded 502/Bad Gateway"), Some(502));
        assert_eq!(proxy_status("proxy server did not respond"), None);
        assert_eq!(proxy_status("proxy server responded 9"), None);
    }
}
