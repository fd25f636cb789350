//! The HTTP engines (http1.rs) shared by every client of the process, and the
//! trust they are built with.
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
use std::time::{Duration, SystemTime};

use ureq::http::HeaderValue;
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::{ConnectProxyConnector, ConnectionDetails, Connector, RustlsConnector, Transport};

use super::http1::{Connect, Engine};

use crate::error::{Error, ErrorKind, Result};

/// The most threads one `send_many` uses, and so the idle connections kept per host.
pub const MAX_CONCURRENCY: usize = 32;
/// Distinct settings in one process are few; past this, start afresh.
const MAX_AGENTS: usize = 16;

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

/// A built engine (ureq's configuration, connectors and resolver, and the
/// connections kept open), and whether it fell back to the bundled roots.
#[derive(Clone)]
pub struct Built {
    pub engine: Arc<Engine>,
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

/// The process's engine for `spec`, made on first use.
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
    // What the connectors read (the CONNECT proxy's User-Agent included); timeouts are per request (http1.rs).
    let config =
        ureq::Agent::config_builder().user_agent(spec.user_agent.as_str()).proxy(proxy).tls_config(TlsConfig::builder().root_certs(roots).build()).build();
    // ureq's default chain (CONNECT proxy, TCP, rustls) with our TCP transport (tcp.rs).
    let chain = ().chain(ConnectProxyConnector::default()).chain(super::tcp::TcpConnector).chain(RustlsConnector::default());
    let connect: Arc<Connect> = Arc::new(move |details: &ConnectionDetails| Ok(chain.connect(details, None)?.ok_or(ureq::Error::ConnectionFailed)?.boxed()));
    let user_agent = HeaderValue::from_str(&spec.user_agent).map_err(|_| Error::config("app_info", "cannot be sent in an HTTP header"))?;
    // Enough idle connections for `send_many` at full concurrency.
    let engine = Engine::new(config, connect, spec.connect_timeout.min(spec.timeout), user_agent, MAX_CONCURRENCY);
    Ok(Built { engine: Arc::new(engine), fallback })
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
