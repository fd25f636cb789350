//! Sending: one keep-alive agent per client, credentials up front, Digest
//! when asked, redirects followed by hand (POST and body kept, credentials
//! only to the configured origin), retries with backoff, a time budget that is
//! never infinite, and the spool when SPREAD cannot be reached.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use url::Url;

use crate::auth::{self, DigestChallenge};
use crate::error::{Error, ErrorKind, Result};
use crate::order::Order;
use crate::retry;
use crate::spool::Spool;

pub const DEFAULT_BASE_URL: &str = "https://social-sb.com/api";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per send (the first one included), all within the time budget.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The most threads one `send_many` uses.
pub const MAX_CONCURRENCY: usize = 32;
/// Where orders are sent under the base URL.
pub const UPDATE_ORDER: &str = "updateOrder";
/// As CURLOPT_MAXREDIRS would be set by a careful shop; curl's own default is unlimited.
pub const MAX_REDIRECTS: u32 = 10;
/// Answers longer than this are cut: SPREAD answers with a short JSON document.
const MAX_BODY: u64 = 1 << 20;
const USER_AGENT: &str = concat!("libspread/", env!("CARGO_PKG_VERSION"));

/// What SPREAD answered to a delivered request (always 2xx).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// What became of a send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Delivered(Response),
    /// Not delivered now; durably in the spool for a later flush.
    Queued,
}

/// What a flush did. `stopped_by` is the failure that ended it early
/// (entries from there on stay in the spool).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub delivered: usize,
    pub rejected: usize,
    pub remaining: usize,
    pub stopped_by: Option<Error>,
}

/// Everything a client can be told; validated when set.
#[derive(Clone, Debug)]
struct Settings {
    base_url: Url,
    timeout: Duration,
    connect_timeout: Duration,
    ca_file: Option<PathBuf>,
    allow_insecure_http: bool,
    max_attempts: u32,
}

/// A SPREAD client: the keys, the settings and a pooled HTTP agent.
/// `Send + Sync`: share one per process.
pub struct Client {
    public_key: String,
    private_key: String,
    basic: String,
    settings: Settings,
    agent: ureq::Agent,
    spool: Option<Spool>,
    /// `<base_url>/updateOrder`, parsed once per base URL rather than per send.
    order_url: Url,
}

impl std::fmt::Debug for Client {
    /// Shows no secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base_url", &self.settings.base_url.as_str()).finish_non_exhaustive()
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

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Plain http leaks the keys and customers' data to anyone on the path:
/// https always, http only to loopback unless opted in.
fn scheme_allowed(url: &Url, allow_insecure_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => allow_insecure_http || is_loopback(url),
        _ => false,
    }
}

fn parse_base_url(raw: &str, allow_insecure_http: bool) -> Result<Url> {
    let url = Url::parse(raw).map_err(|e| Error::config("base_url", format!("not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config("base_url", "must not contain credentials: pass the keys to the client instead"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::config("base_url", "must not have a query or a fragment"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::config("base_url", "has no host"));
    }
    if !scheme_allowed(&url, allow_insecure_http) {
        return Err(Error::config(
            "base_url",
            match url.scheme() {
                "http" => format!(
                    "plain http to {} would send the API keys in clear; use https (or allow insecure http explicitly)",
                    url.host_str().unwrap_or("?")
                ),
                other => format!("scheme {other:?} is not http or https"),
            },
        ));
    }
    Ok(url)
}

fn load_ca_file(path: &Path) -> Result<RootCerts> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::new(ErrorKind::Config, format!("ca_file: cannot read {}: {e}", path.display())))?;
    let certs: Vec<_> = parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::config("ca_file", format!("no PEM certificate in {}", path.display())));
    }
    Ok(RootCerts::new_with_certs(&certs))
}

/// What makes two agents interchangeable: everything but the keys and the
/// URL (connections are pooled per host inside an agent, and credentials are
/// per-request headers). The CA file is named by path, size and mtime, so a
/// renewed file gets a new agent.
#[derive(Clone, PartialEq, Eq, Hash)]
struct AgentKey {
    timeout: Duration,
    connect_timeout: Duration,
    ca_file: Option<(PathBuf, u64, Option<SystemTime>)>,
}

/// Agents shared by every client of the process, so that a client made per
/// request (a php-fpm worker does `new Spread\Client` on each one) reuses the
/// worker's open connections instead of paying TCP and TLS handshakes again.
static AGENTS: LazyLock<Mutex<HashMap<AgentKey, ureq::Agent>>> = LazyLock::new(Default::default);
/// Distinct settings in one process are few; past this, start afresh.
const MAX_AGENTS: usize = 16;

fn shared_agent(s: &Settings) -> Result<ureq::Agent> {
    let ca_file = match &s.ca_file {
        Some(path) => {
            let meta = std::fs::metadata(path)
                .map_err(|e| Error::new(ErrorKind::Config, format!("ca_file: cannot read {}: {e}", path.display())))?;
            Some((path.clone(), meta.len(), meta.modified().ok()))
        }
        None => None,
    };
    let key = AgentKey { timeout: s.timeout, connect_timeout: s.connect_timeout, ca_file };
    let mut agents = AGENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(agent) = agents.get(&key) {
        return Ok(agent.clone());
    }
    let agent = build_agent(s)?;
    if agents.len() >= MAX_AGENTS {
        agents.clear();
    }
    agents.insert(key, agent.clone());
    Ok(agent)
}

fn build_agent(s: &Settings) -> Result<ureq::Agent> {
    let roots = match &s.ca_file {
        Some(path) => load_ca_file(path)?,
        None => RootCerts::WebPki,
    };
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .timeout_connect(Some(s.connect_timeout.min(s.timeout)))
        .timeout_global(Some(s.timeout))
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        // Enough idle connections for `send_many` at full concurrency.
        .max_idle_connections(64)
        .max_idle_connections_per_host(MAX_CONCURRENCY)
        .build();
    Ok(ureq::Agent::with_parts(config, DefaultConnector::default(), CachingResolver::default()))
}

/// How long a resolved host name is reused for new connections.
const DNS_TTL: Duration = Duration::from_secs(30);

/// ureq's default resolver runs on every request, even when a pooled connection
/// is reused, and, with a timeout set (always, here), in a new thread: a thread
/// spawned and joined per send, and a DNS lookup per send for a host name. This
/// one parses IP literals in place and remembers names for DNS_TTL.
/// (`ureq::unversioned` may change in a minor release: Cargo.toml pins ureq 3.5.)
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let port = uri.port_u16().or_else(|| match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let (Some(host), Some(port)) = (uri.host(), port) else {
            return self.inner.resolve(uri, config, timeout);
        };
        if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
            let mut addrs = self.empty();
            addrs.push(std::net::SocketAddr::new(ip, port));
            return Ok(addrs);
        }
        let key = format!("{host}:{port}");
        if let Some((at, addrs)) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            if at.elapsed() < DNS_TTL {
                return Ok(addrs.clone());
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

/// Senders of one `send_many` wait together after a 429 or 503 Retry-After,
/// instead of each hammering the server on its own schedule.
#[derive(Default)]
struct Gate {
    not_before: Mutex<Option<Instant>>,
}

impl Gate {
    fn wait(&self) {
        let until = *self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pause) = until.and_then(|t| t.checked_duration_since(Instant::now())) {
            std::thread::sleep(pause);
        }
    }

    fn hold(&self, pause: Duration) {
        let mut until = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        let t = Instant::now() + pause;
        *until = Some(until.map_or(t, |u| u.max(t)));
    }
}

/// The part of an answer the send loop looks at.
struct Answer {
    status: u16,
    location: Option<String>,
    challenges: Vec<String>,
    retry_after: Option<Duration>,
    body: String,
}

impl Answer {
    /// The failure this answer means, with the server's own words.
    fn error(&self, kind: ErrorKind, what: &str) -> Error {
        let mut e = Error::new(kind, format!("{what} (HTTP {}): {}", self.status, excerpt(&self.body))).with_status(self.status);
        e.retry_after = self.retry_after;
        e
    }
}

fn join_endpoint(base: &Url, endpoint: &str) -> Result<Url> {
    let base = base.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{endpoint}")).map_err(|e| Error::config("base_url", format!("cannot append {endpoint}: {e}")))
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host() == b.host() && a.port_or_known_default() == b.port_or_known_default()
}

/// A short, single-line excerpt of the server's answer for error messages.
fn excerpt(body: &str) -> String {
    let one_line: String = body.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let trimmed = one_line.trim();
    match trimmed.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &trimmed[..i]),
        None => trimmed.to_owned(),
    }
}

fn transport_error(e: ureq::Error, url: &Url, budget: Duration) -> Error {
    let target = format!("{}:{}", url.host_str().unwrap_or("?"), url.port_or_known_default().unwrap_or(0));
    let timeout = || Error::new(ErrorKind::Timeout, format!("no answer from {target} within {} ms", budget.as_millis()));
    match e {
        ureq::Error::Timeout(_) => timeout(),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => timeout(),
        ureq::Error::HostNotFound => Error::new(ErrorKind::Network, format!("cannot resolve host {}", url.host_str().unwrap_or("?"))),
        ureq::Error::Tls(m) => Error::new(ErrorKind::Tls, format!("TLS with {target} failed: {m}")),
        ureq::Error::Pem(m) => Error::new(ErrorKind::Tls, format!("TLS with {target} failed: {m}")),
        ureq::Error::Rustls(m) => Error::new(ErrorKind::Tls, format!("TLS with {target} failed: {m}")),
        ureq::Error::Io(io) => {
            let text = io.to_string();
            // rustls reports handshake and certificate failures as I/O errors.
            let kind = if text.contains("certificate") || text.contains("TLS") || text.contains("handshake") {
                ErrorKind::Tls
            } else {
                ErrorKind::Network
            };
            Error::new(kind, format!("connection to {target} failed: {text}"))
        }
        other => Error::new(ErrorKind::Network, format!("request to {target} failed: {other}")),
    }
}

impl Client {
    /// A client for the given API keys, with the default base URL and timeouts.
    pub fn new(public_key: &str, private_key: &str) -> Result<Client> {
        check_key("public_key", public_key)?;
        check_key("private_key", private_key)?;
        if public_key.contains(':') {
            return Err(Error::config("public_key", "must not contain ':' (HTTP Basic would split it)"));
        }
        let settings = Settings {
            base_url: parse_base_url(DEFAULT_BASE_URL, false)?,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            ca_file: None,
            allow_insecure_http: false,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        };
        Ok(Client {
            agent: shared_agent(&settings)?,
            basic: auth::basic(public_key, private_key),
            public_key: public_key.to_owned(),
            private_key: private_key.to_owned(),
            spool: None,
            order_url: join_endpoint(&settings.base_url, UPDATE_ORDER)?,
            settings,
        })
    }

    /// Applies `change` to a copy of the settings and keeps it only if it
    /// all holds together (an agent builds, the endpoint URL parses).
    fn reconfigure(&mut self, change: impl FnOnce(&mut Settings) -> Result<()>) -> Result<()> {
        let mut next = self.settings.clone();
        change(&mut next)?;
        let order_url = join_endpoint(&next.base_url, UPDATE_ORDER)?;
        self.agent = shared_agent(&next)?;
        self.order_url = order_url;
        self.settings = next;
        Ok(())
    }

    /// The API root, such as `https://social-sb.com/api`; `updateOrder` is appended.
    pub fn set_base_url(&mut self, url: &str) -> Result<()> {
        self.reconfigure(|s| {
            s.base_url = parse_base_url(url, s.allow_insecure_http)?;
            Ok(())
        })
    }

    pub fn base_url(&self) -> &str {
        self.settings.base_url.as_str()
    }

    /// The whole budget of one send, redirects and authentication included.
    pub fn set_timeout(&mut self, total: Duration) -> Result<()> {
        if total.is_zero() {
            return Err(Error::config("timeout", "must be more than 0 ms (there is no infinite timeout)"));
        }
        self.reconfigure(|s| {
            s.timeout = total;
            Ok(())
        })
    }

    pub fn set_connect_timeout(&mut self, connect: Duration) -> Result<()> {
        if connect.is_zero() {
            return Err(Error::config("connect_timeout", "must be more than 0 ms"));
        }
        self.reconfigure(|s| {
            s.connect_timeout = connect;
            Ok(())
        })
    }

    /// Trust only the certificates in this PEM file (a private CA, a test CA).
    pub fn set_ca_file(&mut self, path: &Path) -> Result<()> {
        self.reconfigure(|s| {
            s.ca_file = Some(path.to_owned());
            Ok(())
        })
    }

    /// Allows plain http to hosts other than loopback. The keys then travel in clear.
    pub fn set_allow_insecure_http(&mut self, allow: bool) -> Result<()> {
        self.reconfigure(|s| {
            s.allow_insecure_http = allow;
            Ok(())
        })
    }

    /// How many times one send may try (1 = no retry). At least 1.
    pub fn set_max_attempts(&mut self, attempts: u32) -> Result<()> {
        if attempts == 0 {
            return Err(Error::config("max_attempts", "must be at least 1"));
        }
        self.settings.max_attempts = attempts;
        Ok(())
    }

    /// Keeps orders that cannot be delivered now in `dir` (created 0700)
    /// instead of failing; `flush` delivers them later.
    pub fn set_spool_dir(&mut self, dir: &Path) -> Result<()> {
        self.spool = Some(Spool::open(dir)?);
        Ok(())
    }

    pub fn spool(&self) -> Option<&Spool> {
        self.spool.as_ref()
    }

    /// Validates `order`, then delivers it to `updateOrder`, retrying within
    /// the time budget. With a spool, an order that cannot be delivered now
    /// (or that would overtake older spooled updates) is queued instead.
    pub fn send(&self, order: &Order) -> Result<Sent> {
        self.send_gated(order, None)
    }

    /// Sends `orders` on up to `concurrency` threads (1..=32), each as
    /// `send` would, and returns one outcome per order, in order. Updates of
    /// the same order_idorder go through one thread in the order given, so a
    /// newer one never overtakes an older one. Senders that meet a
    /// `Retry-After` all wait it out together. Blocks until done.
    pub fn send_many(&self, orders: &[&Order], concurrency: usize) -> Vec<Result<Sent>> {
        // Spooled orders go first, once, rather than by whichever sender gets the lock.
        if let Some(spool) = &self.spool {
            if spool.has_pending().unwrap_or(false) {
                self.flush_until(spool, Instant::now() + self.settings.timeout);
            }
        }
        // One queue of indices per order id (orders without one cannot be sent and fail alone).
        let mut queues: Vec<Vec<usize>> = Vec::new();
        let mut queue_of: HashMap<&str, usize> = HashMap::new();
        for (i, order) in orders.iter().enumerate() {
            match order.id().and_then(|id| queue_of.get(id).copied()) {
                Some(q) => queues[q].push(i),
                None => {
                    if let Some(id) = order.id() {
                        queue_of.insert(id, queues.len());
                    }
                    queues.push(vec![i]);
                }
            }
        }
        let threads = concurrency.clamp(1, MAX_CONCURRENCY).min(queues.len().max(1));
        let gate = Gate::default();
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Result<Sent>>>> = orders.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    while let Some(queue) = queues.get(next.fetch_add(1, Ordering::Relaxed)) {
                        for &i in queue {
                            let outcome = self.send_gated(orders[i], Some(&gate));
                            *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .unwrap_or_else(|| Err(Error::new(ErrorKind::Network, "send_many: a sender thread stopped early")))
            })
            .collect()
    }

    fn send_gated(&self, order: &Order, gate: Option<&Gate>) -> Result<Sent> {
        order.check_required()?;
        let body = order.encode();
        let deadline = Instant::now() + self.settings.timeout;
        let attempts = self.settings.max_attempts;
        let Some(spool) = &self.spool else {
            return self.deliver_gated(UPDATE_ORDER, body.as_bytes(), deadline, attempts, gate).map(Sent::Delivered);
        };
        let queue = || spool.push(UPDATE_ORDER, order.id(), body.as_bytes()).map(|_| Sent::Queued);
        if spool.has_pending()? {
            // An older update of this order may be waiting: it must reach SPREAD first.
            let (report, emptied) = self.flush_until(spool, deadline);
            match report.stopped_by {
                Some(e) if !e.is_retryable() => return Err(e),
                _ if !emptied => return queue(),
                _ => {}
            }
        }
        match self.deliver_gated(UPDATE_ORDER, body.as_bytes(), deadline, attempts, gate) {
            Ok(response) => Ok(Sent::Delivered(response)),
            Err(e) if e.is_retryable() => queue(),
            Err(e) => Err(e),
        }
    }

    /// Replays the spool, oldest first, until it is empty or a delivery
    /// fails for a reason that may pass (then the rest waits for the next
    /// flush). Entries SPREAD rejects go to `rejected/` with its answer.
    /// Another flush in progress (any process) makes this one a no-op.
    pub fn flush(&self) -> Result<FlushReport> {
        let spool = self.spool.as_ref().ok_or_else(|| Error::config("spool_dir", "no spool folder is set"))?;
        let (mut report, _) = self.flush_until(spool, Instant::now() + self.settings.timeout.max(Duration::from_secs(3600)));
        report.remaining = spool.pending()?;
        Ok(report)
    }

    /// A flush without the final count (a listing of the folder, which a
    /// send need not pay for); true when it left the spool empty.
    fn flush_until(&self, spool: &Spool, deadline: Instant) -> (FlushReport, bool) {
        let mut report = FlushReport::default();
        let lock = match spool.try_lock() {
            Ok(lock) => lock,
            Err(e) => {
                report.stopped_by = Some(e);
                None
            }
        };
        let mut emptied = false;
        if lock.is_some() {
            spool.clean_stale_tmp();
            match self.replay(spool, deadline, &mut report) {
                Ok(()) => emptied = true,
                Err(e) => report.stopped_by = Some(e),
            }
        }
        (report, emptied)
    }

    fn replay(&self, spool: &Spool, deadline: Instant, report: &mut FlushReport) -> Result<()> {
        loop {
            // Listed again after each pass: writers may have queued behind us meanwhile.
            let paths = spool.entries()?;
            if paths.is_empty() {
                return Ok(());
            }
            for path in paths {
                if Instant::now() >= deadline {
                    return Err(Error::new(ErrorKind::Timeout, "flush: time budget used up"));
                }
                let entry = match Spool::read(&path) {
                    Ok(entry) => entry,
                    Err(e) if path.exists() => {
                        spool.reject(&path, &e.message)?;
                        report.rejected += 1;
                        continue;
                    }
                    Err(_) => continue, // delivered by a flusher that held the lock before us
                };
                let entry_deadline = deadline.min(Instant::now() + self.settings.timeout);
                match self.deliver(&entry.endpoint, &entry.body, entry_deadline, 1) {
                    Ok(_) => {
                        spool.remove(&path)?;
                        report.delivered += 1;
                    }
                    Err(e) if e.kind == ErrorKind::Rejected && !e.is_retryable() => {
                        spool.reject(&path, &e.message)?;
                        report.rejected += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// One request, with up to `attempts` tries, all before `deadline`.
    fn deliver(&self, endpoint: &str, body: &[u8], deadline: Instant, attempts: u32) -> Result<Response> {
        self.deliver_gated(endpoint, body, deadline, attempts, None)
    }

    fn deliver_gated(&self, endpoint: &str, body: &[u8], deadline: Instant, attempts: u32, gate: Option<&Gate>) -> Result<Response> {
        let mut attempt = 1;
        loop {
            if let Some(gate) = gate {
                gate.wait();
            }
            match self.post(endpoint, body, deadline) {
                Err(e) if attempt < attempts && e.is_retryable() => {
                    let pause = e.retry_after.unwrap_or_else(|| retry::backoff(attempt));
                    if Instant::now() + pause >= deadline {
                        return Err(e);
                    }
                    match (gate, e.retry_after) {
                        (Some(gate), Some(_)) => gate.hold(pause),
                        _ => std::thread::sleep(pause),
                    }
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn endpoint_url(&self, endpoint: &str) -> Result<Url> {
        if endpoint == UPDATE_ORDER {
            return Ok(self.order_url.clone());
        }
        join_endpoint(&self.settings.base_url, endpoint)
    }

    /// POSTs an already encoded form body to `endpoint` under the base URL,
    /// once (authentication and redirects included), before `deadline`.
    pub fn post(&self, endpoint: &str, body: &[u8], deadline: Instant) -> Result<Response> {
        let mut url = self.endpoint_url(endpoint)?;
        let mut digest: Option<DigestChallenge> = None;
        let mut answered_challenge = false;
        let mut redirects = 0;
        loop {
            let credentials = same_origin(&url, &self.settings.base_url).then(|| match &digest {
                Some(c) => {
                    let uri = match url.query() {
                        Some(q) => format!("{}?{q}", url.path()),
                        None => url.path().to_owned(),
                    };
                    auth::digest_response(c, &self.public_key, &self.private_key, "POST", &uri)
                }
                None => self.basic.clone(),
            });
            let answer = self.exchange(&url, body, credentials.as_deref(), deadline)?;
            match answer.status {
                200..=299 => return Ok(Response { status: answer.status, body: answer.body }),
                401 if credentials.is_some() && !answered_challenge => {
                    if let Some(c) = auth::parse_digest(answer.challenges.iter().map(String::as_str)) {
                        digest = Some(c);
                        answered_challenge = true;
                        continue;
                    }
                    return Err(answer.error(ErrorKind::Auth, "SPREAD refused the API keys"));
                }
                301 | 302 | 303 | 307 | 308 => {
                    url = self.follow(&url, &answer, &mut redirects)?;
                    answered_challenge = false;
                }
                401 | 403 => return Err(answer.error(ErrorKind::Auth, "SPREAD refused the API keys")),
                400..=499 => return Err(answer.error(ErrorKind::Rejected, "SPREAD rejected the request")),
                500..=599 => return Err(answer.error(ErrorKind::Server, "SPREAD failed")),
                other => {
                    return Err(Error::new(ErrorKind::Server, format!("unexpected HTTP status {other}")).with_status(other))
                }
            }
        }
    }

    /// The next URL of a redirect, if it may be followed.
    fn follow(&self, from: &Url, answer: &Answer, redirects: &mut u32) -> Result<Url> {
        *redirects += 1;
        if *redirects > MAX_REDIRECTS {
            return Err(Error::new(ErrorKind::Redirect, format!("more than {MAX_REDIRECTS} redirects")));
        }
        let Some(location) = &answer.location else {
            return Err(Error::new(ErrorKind::Redirect, format!("HTTP {} without a Location", answer.status)));
        };
        let next = from
            .join(location)
            .map_err(|e| Error::new(ErrorKind::Redirect, format!("cannot follow Location {:?}: {e}", excerpt(location))))?;
        if !next.username().is_empty() || next.password().is_some() {
            return Err(Error::new(ErrorKind::Redirect, "refusing a redirect to a URL with credentials"));
        }
        if from.scheme() == "https" && next.scheme() != "https" {
            return Err(Error::new(ErrorKind::Redirect, format!("refusing a redirect from https to {}", next.scheme())));
        }
        if !scheme_allowed(&next, self.settings.allow_insecure_http) {
            return Err(Error::new(
                ErrorKind::Redirect,
                format!("refusing a redirect to {}://{}: only https (or http on loopback) is followed", next.scheme(), next.host_str().unwrap_or("?")),
            ));
        }
        Ok(next)
    }

    /// One HTTP request within what is left of the budget.
    fn exchange(&self, url: &Url, body: &[u8], authorization: Option<&str>, deadline: Instant) -> Result<Answer> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("no answer within {} ms", self.settings.timeout.as_millis()),
            ));
        }
        let mut request = self.agent.post(url.as_str()).config().timeout_global(Some(left)).build();
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let mut response = request
            .content_type("application/x-www-form-urlencoded")
            .send(body)
            .map_err(|e| transport_error(e, url, self.settings.timeout))?;
        let header = |name: &str| -> Vec<String> {
            response.headers().get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
        };
        let location = header("location").into_iter().next();
        let challenges = header("www-authenticate");
        let retry_after = header("retry-after").first().and_then(|v| retry::parse_retry_after(v, SystemTime::now()));
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| transport_error(e, url, self.settings.timeout))?;
        Ok(Answer { status, location, challenges, retry_after, body: String::from_utf8_lossy(&bytes).into_owned() })
    }
}
