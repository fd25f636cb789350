//! HTTP agents shared by every client of the process, the trust they are
//! built with, and the resolver they use.
//!
//! A client made per request (a php-fpm worker does `new Spread\Client` on
//! each one) reuses the worker's open connections through this pool instead
//! of paying TCP and TLS handshakes again. The pool is per process (see
//! `crate::fork`): agents made before a `fork()` (the php-fpm master runs
//! `opcache.preload`, then forks; a queue worker forks after a send) hold
//! sockets that belong to the parent, so a child starts a pool of its own
//! and leaves the parent's unused and unclosed.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use crate::fork::PerProcess;
use std::time::{Duration, Instant, SystemTime};

use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, NextTimeout, RustlsConnector};

use crate::error::{Error, ErrorKind, Result};

/// The most threads one `send_many` uses, and so the idle connections kept per host.
pub const MAX_CONCURRENCY: usize = 32;
/// Distinct settings in one process are few; past this, start afresh.
const MAX_AGENTS: usize = 16;
/// How long a resolved host name is reused for new connections.
const DNS_TTL: Duration = Duration::from_secs(30);
/// Host names one agent remembers; past this, it forgets them all.
const MAX_DNS_ENTRIES: usize = 256;

/// Which certificate authorities a client trusts for https.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TlsRoots {
    /// The host's store, as curl and OpenSSL use it (SSL_CERT_FILE,
    /// SSL_CERT_DIR, then the distribution's bundle); the bundled Mozilla
    /// roots when the host has none.
    System,
    /// The Mozilla roots compiled into libspread, whatever the host has.
    Bundled,
    /// Only the certificates in this PEM file.
    CaFile(PathBuf),
}

/// What an agent is made of: everything but the keys and the URL
/// (connections are pooled per host inside an agent, and credentials are
/// per-request headers).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AgentSpec {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub roots: TlsRoots,
    /// An explicit HTTP(S) CONNECT proxy; proxy variables in the environment are never read.
    pub proxy: Option<String>,
    /// `libspread/<version>` and the caller's app_info (see `Settings::user_agent`).
    pub user_agent: String,
}

/// The spec plus what can change under the same spec: the CA file's
/// identity (a renewed file gets a new agent) and, for the system store,
/// the variables that point at it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    spec: AgentSpec,
    ca_file: Option<(u64, Option<SystemTime>)>,
    cert_env: (Option<OsString>, Option<OsString>),
}

/// A built agent, and whether it fell back to the bundled roots.
#[derive(Clone)]
pub struct Built {
    pub agent: ureq::Agent,
    /// Set when the system store was asked for and the host has none.
    pub fallback: Option<String>,
}

struct Pool {
    agents: HashMap<PoolKey, Built>,
}

static POOL: PerProcess<Mutex<Pool>> = PerProcess::new();

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.get_or_init(|| Mutex::new(Pool { agents: HashMap::new() })).lock().unwrap_or_else(|p| p.into_inner())
}

/// The process's agent for `spec`, made on first use.
pub fn shared(spec: &AgentSpec) -> Result<Built> {
    let ca_file = match &spec.roots {
        TlsRoots::CaFile(path) => {
            let meta = std::fs::metadata(path).map_err(|e| Error::new(ErrorKind::Config, format!("ca_file: cannot read {}: {e}", path.display())))?;
            Some((meta.len(), meta.modified().ok()))
        }
        _ => None,
    };
    let cert_env = match spec.roots {
        TlsRoots::System => (std::env::var_os("SSL_CERT_FILE"), std::env::var_os("SSL_CERT_DIR")),
        _ => (None, None),
    };
    let key = PoolKey { spec: spec.clone(), ca_file, cert_env };
    let mut pool = pool();
    if let Some(built) = pool.agents.get(&key) {
        return Ok(built.clone());
    }
    let built = build(spec)?;
    if pool.agents.len() >= MAX_AGENTS {
        pool.agents.clear();
    }
    pool.agents.insert(key, built.clone());
    Ok(built)
}

/// Checks a proxy URL the way the agent will use it.
pub fn parse_proxy(url: &str) -> Result<ureq::Proxy> {
    let proxy = ureq::Proxy::new(url).map_err(|_| Error::config("proxy", "not a proxy URL such as http://proxy.example:3128"))?;
    match proxy.protocol() {
        ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https => Ok(proxy),
        other => Err(Error::config("proxy", format!("{other:?} proxies are not supported: use an HTTP CONNECT proxy"))),
    }
}

fn build(spec: &AgentSpec) -> Result<Built> {
    let (roots, fallback) = match &spec.roots {
        TlsRoots::CaFile(path) => (load_ca_file(path)?, None),
        TlsRoots::Bundled => (RootCerts::WebPki, None),
        TlsRoots::System => match system_roots() {
            Ok(certs) => (RootCerts::Specific(certs), None),
            Err(why) => (RootCerts::WebPki, Some(format!("no usable system CA store ({why}): using the bundled Mozilla roots"))),
        },
    };
    let proxy = spec.proxy.as_deref().map(parse_proxy).transpose()?;
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(spec.user_agent.as_str())
        .proxy(proxy)
        .timeout_connect(Some(spec.connect_timeout.min(spec.timeout)))
        .timeout_global(Some(spec.timeout))
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        // Enough idle connections for `send_many` at full concurrency.
        .max_idle_connections(64)
        .max_idle_connections_per_host(MAX_CONCURRENCY)
        .build();
    // ureq's default chain (CONNECT proxy, TCP, rustls) with our TCP transport (tcp.rs).
    let connector = ().chain(ConnectProxyConnector::default()).chain(super::tcp::TcpConnector).chain(RustlsConnector::default());
    let agent = ureq::Agent::with_parts(config, connector, CachingResolver::default());
    Ok(Built { agent, fallback })
}

/// The host's CA certificates, read once per process (per value of the
/// SSL_CERT_* variables): rustls-native-certs reads SSL_CERT_FILE and
/// SSL_CERT_DIR like OpenSSL, else the distribution's bundle
/// (/etc/ssl/certs/ca-certificates.crt on Debian/Ubuntu,
/// /etc/pki/tls/certs/ca-bundle.crt on RHEL, /etc/ssl/cert.pem on Alpine…).
fn system_roots() -> std::result::Result<Arc<Vec<Certificate<'static>>>, String> {
    type Cache = HashMap<(Option<OsString>, Option<OsString>), std::result::Result<Arc<Vec<Certificate<'static>>>, String>>;
    static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);
    let env = (std::env::var_os("SSL_CERT_FILE"), std::env::var_os("SSL_CERT_DIR"));
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .entry(env)
        .or_insert_with(|| {
            let found = rustls_native_certs::load_native_certs();
            let certs: Vec<Certificate<'static>> = found.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
            if certs.is_empty() {
                let why = found.errors.first().map_or_else(|| "no certificate found".to_owned(), |e| e.to_string());
                return Err(why);
            }
            Ok(Arc::new(certs))
        })
        .clone()
}

pub(crate) fn load_ca_file(path: &std::path::Path) -> Result<RootCerts> {
    let pem = std::fs::read(path).map_err(|e| Error::new(ErrorKind::Config, format!("ca_file: cannot read {}: {e}", path.display())))?;
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
    fn resolve(&self, uri: &ureq::http::Uri, config: &ureq::config::Config, timeout: NextTimeout) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
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
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_DNS_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(proxy: Option<&str>) -> AgentSpec {
        AgentSpec {
            timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(1),
            roots: TlsRoots::Bundled,
            proxy: proxy.map(str::to_owned),
            user_agent: crate::send::settings::USER_AGENT.to_owned(),
        }
    }

    #[test]
    fn the_pool_is_bounded_and_shares_agents() {
        let a = shared(&spec(None)).unwrap();
        let b = shared(&spec(None)).unwrap();
        assert!(a.fallback.is_none() && b.fallback.is_none());
        for i in 0..(MAX_AGENTS as u64 + 4) {
            let mut s = spec(None);
            s.timeout = Duration::from_millis(10_000 + i);
            shared(&s).unwrap();
        }
        assert!(pool().agents.len() <= MAX_AGENTS);
    }

    #[test]
    fn proxies_are_checked() {
        assert!(parse_proxy("http://127.0.0.1:3128").is_ok());
        assert!(parse_proxy("proxy.example:3128").is_ok());
        assert_eq!(parse_proxy("http://").unwrap_err().kind, ErrorKind::Config);
    }
}
