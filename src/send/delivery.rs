//! Delivering one body to `updateOrder`: credentials up front, Digest when
//! asked (again once on `stale=true`), redirects followed by hand (POST and
//! body kept, credentials only to the configured origin), then retries of
//! transient failures with backoff or the server's Retry-After, all within
//! the send's deadline.

use std::fmt;
use std::time::Instant;

use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::log::{Level, Logger, Record};
use crate::send::auth::{self, DigestChallenge};
use crate::send::retry::{self, Gate};
use crate::send::transport::policy::{self, Verdict, MAX_REDIRECTS};
use crate::send::transport::{self, Answer, Transport};
use ureq::http::{HeaderValue, Uri};

/// What SPREAD answered to a delivered request (always 2xx).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// The body was longer than the library keeps (1 MiB) and was cut.
    pub truncated: bool,
}

/// The API keys and the Basic header made from them once.
#[derive(Clone)]
pub struct Credentials {
    public_key: String,
    private_key: String,
    /// `Authorization: Basic …`, made once.
    basic: HeaderValue,
}

impl fmt::Debug for Credentials {
    /// Shows no secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

fn check_key(name: &str, key: &str) -> Result<()> {
    // The value itself is a secret: errors describe it, never quote it.
    if key.is_empty() {
        return Err(Error::config(name, "must not be empty"));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::config(name, "contains a control character"));
    }
    Ok(())
}

impl Credentials {
    pub fn new(public_key: &str, private_key: &str) -> Result<Credentials> {
        check_key("public_key", public_key)?;
        check_key("private_key", private_key)?;
        if public_key.contains(':') {
            return Err(Error::config("public_key", "must not contain ':' (HTTP Basic would split it)"));
        }
        Ok(Credentials {
            public_key: public_key.to_owned(),
            private_key: private_key.to_owned(),
            basic: transport::authorization(&auth::basic(public_key, private_key))?,
        })
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    fn digest(&self, challenge: &DigestChallenge, url: &Url) -> String {
        let uri = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        auth::digest_response(challenge, &self.public_key, &self.private_key, "POST", &uri)
    }
}

/// Everything one delivery needs; borrowed from the client.
pub struct Delivery<'a> {
    pub transport: &'a Transport,
    pub credentials: &'a Credentials,
    /// Where credentials may go.
    pub base_url: &'a Url,
    /// `<base_url>/updateOrder`.
    pub url: &'a Url,
    /// `url` parsed once for the HTTP layer.
    pub uri: Option<&'a Uri>,
    pub allow_insecure_http: bool,
    pub log: &'a Logger,
    /// For log records.
    pub order_id: Option<&'a str>,
}

impl Delivery<'_> {
    /// Posts `body` with up to `attempts` tries of transient failures, all
    /// before `deadline`. Senders sharing a `gate` wait out a Retry-After together.
    pub fn deliver(&self, body: &[u8], deadline: Instant, attempts: u32, gate: Option<&Gate>) -> Result<Response> {
        let mut attempt = 1;
        loop {
            if let Some(gate) = gate {
                gate.wait();
            }
            match self.post(body, deadline) {
                Err(e) if attempt < attempts && e.is_transient() => {
                    let pause = e.retry_after.unwrap_or_else(|| retry::backoff(attempt));
                    let Some(until) = retry::within(deadline, pause) else {
                        self.log.emit(Level::Warn, || {
                            Record::new(
                                Level::Warn,
                                "retry",
                                format!("{e}; the wait ({} ms) goes past the time budget: giving up this send", pause.as_millis()),
                            )
                            .order(self.order_id)
                            .with("reason", e.message.clone())
                            .with("wait_ms", pause.as_millis())
                            .with("given_up", true)
                        });
                        return Err(e);
                    };
                    self.log.emit(Level::Warn, || {
                        let mut r = Record::new(Level::Warn, "retry", format!("{e}; trying again in {} ms", pause.as_millis()))
                            .order(self.order_id)
                            .with("reason", e.message.clone())
                            .with("wait_ms", pause.as_millis())
                            .with("attempt", attempt + 1);
                        if let Some(status) = e.status {
                            r = r.with("status", status);
                        }
                        r
                    });
                    match (gate, e.retry_after) {
                        (Some(gate), Some(_)) => gate.hold(until),
                        _ => std::thread::sleep(pause),
                    }
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One delivery attempt: authentication and redirects included.
    pub fn post(&self, body: &[u8], deadline: Instant) -> Result<Response> {
        let mut url = self.url.clone();
        let mut digest: Option<DigestChallenge> = None;
        let mut challenges_answered = 0;
        let mut redirects = 0;
        // Checked here, when a request is made, not only when the URL was set:
        // the opt-in may have been withdrawn since.
        policy::check_scheme(&url, self.allow_insecure_http)?;
        loop {
            let credentials = match policy::same_origin(&url, self.base_url) {
                false => None,
                true => Some(match &digest {
                    Some(c) => transport::authorization(&self.credentials.digest(c, &url))?,
                    None => self.credentials.basic.clone(),
                }),
            };
            let started = Instant::now();
            let uri = if redirects == 0 { self.uri } else { None };
            let sent = self.transport.exchange(&url, uri, body, credentials.as_ref(), deadline);
            self.log_attempt(&url, &sent, started);
            let answer = sent?;
            match policy::verdict(answer.status) {
                Verdict::Delivered => {
                    return Ok(Response { status: answer.status, body: answer.body, truncated: answer.truncated });
                }
                Verdict::Challenge if credentials.is_some() => {
                    // One answer to a challenge, and one more when the server says our nonce went stale.
                    let next = auth::parse_digest(answer.challenges.iter().map(String::as_str));
                    match next {
                        Some(c) if challenges_answered == 0 || (challenges_answered == 1 && c.stale) => {
                            self.log.emit(Level::Debug, || {
                                Record::new(
                                    Level::Debug,
                                    "digest",
                                    format!("answering a Digest challenge ({:?}{})", c.algorithm, if c.stale { ", stale nonce" } else { "" }),
                                )
                                .order(self.order_id)
                                .with("algorithm", format!("{:?}", c.algorithm))
                                .with("stale", c.stale)
                            });
                            digest = Some(c);
                            challenges_answered += 1;
                        }
                        _ => return Err(failure(&answer, ErrorKind::Auth)),
                    }
                }
                Verdict::Challenge => return Err(failure(&answer, ErrorKind::Auth)),
                Verdict::Redirect => {
                    redirects += 1;
                    if redirects > MAX_REDIRECTS {
                        return Err(Error::new(ErrorKind::Redirect, format!("more than {MAX_REDIRECTS} redirects")).with_status(answer.status));
                    }
                    let next = policy::next_hop(&url, self.base_url, answer.location.as_deref(), answer.status, self.allow_insecure_http)
                        .map_err(|e| e.with_status(answer.status))?;
                    self.log.emit(Level::Info, || {
                        Record::new(Level::Info, "redirect", format!("HTTP {} from {} to {}", answer.status, policy::origin(&url), policy::origin(&next)))
                            .order(self.order_id)
                            .with("status", answer.status)
                            .with("from", policy::origin(&url))
                            .with("to", policy::origin(&next))
                    });
                    url = next;
                    challenges_answered = 0;
                }
                Verdict::Fail(kind) => return Err(failure(&answer, kind)),
            }
        }
    }

    fn log_attempt(&self, url: &Url, sent: &Result<Answer>, started: Instant) {
        self.log.emit(Level::Debug, || {
            let elapsed = started.elapsed().as_millis();
            let r = Record::new(Level::Debug, "attempt", String::new())
                .order(self.order_id)
                .with("method", "POST")
                .with("host", policy::origin(url))
                .with("elapsed_ms", elapsed);
            match sent {
                Ok(a) => {
                    let mut r = r.with("status", a.status);
                    r.message = format!("POST {} answered {} in {elapsed} ms", policy::origin(url), a.status);
                    r
                }
                Err(e) => {
                    let mut r = r.with("error", e.message.clone());
                    r.message = format!("POST {} failed after {elapsed} ms: {e}", policy::origin(url));
                    r
                }
            }
        });
    }
}

/// The failure an answer means, with the server's own words.
fn failure(answer: &Answer, kind: ErrorKind) -> Error {
    let what = policy::describe(answer.status);
    let mut e = Error::new(kind, format!("{what} (HTTP {}): {}", answer.status, policy::excerpt(&answer.body))).with_status(answer.status);
    e.retry_after = answer.retry_after;
    e
}
