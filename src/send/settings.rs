//! Everything a client can be told, with its default and its check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::error::{Error, Result};
use crate::send::transport::{policy, AgentSpec, TlsRoots};

pub const DEFAULT_BASE_URL: &str = "https://social-sb.com/api";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per send (the first one included), all within the time budget.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// How long one flush may run before it leaves the rest for the next one:
/// within a 5-minute cron period, so two cron flushes do not overlap.
pub const DEFAULT_FLUSH_BUDGET: Duration = Duration::from_secs(240);
/// Orders (of different ids) the delivery thread and `flush` keep in flight at once.
pub const DEFAULT_DELIVERY_CONCURRENCY: usize = 8;
/// How long freeing a client waits for its background deliveries.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);
/// The User-Agent every request carries; `app_info` is appended to it.
pub const USER_AGENT: &str = concat!("libspread/", env!("CARGO_PKG_VERSION"));
/// The longest `app_info`: a product token or two, not a document.
pub const MAX_APP_INFO: usize = 128;

#[derive(Clone, Debug)]
pub struct Settings {
    pub base_url: Url,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// What `tls_roots` says (a path there is a CA file too).
    pub roots: TlsRoots,
    /// The `ca_file` option: when set, https trusts only this PEM file's CAs.
    pub ca_file: Option<PathBuf>,
    pub proxy: Option<String>,
    pub allow_insecure_http: bool,
    pub max_attempts: u32,
    pub flush_budget: Duration,
    pub shutdown_timeout: Duration,
    /// Orders of different ids a flush (and the delivery thread) sends at once.
    pub delivery_concurrency: usize,
    /// The caller's application (`MyShop/2.1`), appended to the User-Agent.
    pub app_info: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_url: Url::parse(DEFAULT_BASE_URL).expect("the default base URL parses"),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            roots: TlsRoots::System,
            ca_file: None,
            proxy: None,
            allow_insecure_http: false,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            flush_budget: DEFAULT_FLUSH_BUDGET,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            delivery_concurrency: DEFAULT_DELIVERY_CONCURRENCY,
            app_info: None,
        }
    }
}

fn positive(name: &str, d: Duration) -> Result<Duration> {
    if d.is_zero() {
        return Err(Error::config(name, "must be more than 0"));
    }
    Ok(d)
}

fn check_app_info(a: &str) -> Result<&str> {
    if a.len() > MAX_APP_INFO {
        return Err(Error::config("app_info", format!("is {} bytes long: at most {MAX_APP_INFO}", a.len())));
    }
    if let Some(bad) = a.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
        // Never echo a control character (CR/LF would split the header) into a log line.
        let shown = if bad.is_control() { format!("U+{:04X}", bad as u32) } else { format!("{bad:?}") };
        return Err(Error::config("app_info", format!("must be printable ASCII such as MyShop/2.1: {shown} is not")));
    }
    if a.trim() != a {
        return Err(Error::config("app_info", "must not start or end with a space"));
    }
    Ok(a)
}

impl Settings {
    /// What the HTTP agent is built from.
    pub fn agent_spec(&self) -> AgentSpec {
        AgentSpec {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            roots: self.trust(),
            proxy: self.proxy.clone(),
            user_agent: self.user_agent(),
        }
    }

    /// The CAs https trusts: `ca_file` when set, else what `tls_roots` says.
    pub fn trust(&self) -> TlsRoots {
        self.ca_file.clone().map_or_else(|| self.roots.clone(), TlsRoots::CaFile)
    }

    /// The rules between options, checked together when the client is first
    /// used (each value was checked alone when set): whatever order they were
    /// set in, the error names both options. (`Settings::set`, which applies
    /// an option by name, is in `send::options`, with the table.)
    pub fn check(&self) -> Result<()> {
        if self.base_url.scheme() == "http" && !policy::scheme_allowed(&self.base_url, self.allow_insecure_http) {
            return Err(Error::config(
                "base_url",
                format!(
                    "plain http to {} would send the API keys in clear: use https, or set allow_insecure_http to allow it",
                    self.base_url.host_str().unwrap_or("?")
                ),
            ));
        }
        if let Some(file) = &self.ca_file {
            if self.roots != TlsRoots::System && self.roots != TlsRoots::CaFile(file.clone()) {
                let roots = match &self.roots {
                    TlsRoots::CaFile(other) => other.display().to_string(),
                    other => format!("{other:?}").to_lowercase(),
                };
                return Err(Error::config(
                    "ca_file",
                    format!("{} and tls_roots {roots} name different certificate authorities: set one of them", file.display()),
                ));
            }
        }
        Ok(())
    }

    /// `libspread/<version>`, then the app_info if any: `libspread/0.1.0 MyShop/2.1`.
    pub fn user_agent(&self) -> String {
        match &self.app_info {
            Some(app) => format!("{USER_AGENT} {app}"),
            None => USER_AGENT.to_owned(),
        }
    }

    /// Names the caller's application in the User-Agent (`MyShop/2.1`,
    /// `MyShop/2.1 (+https://shop.example)`); `None` or "" for none. Printable
    /// ASCII and inner spaces only (a header value: no CR/LF), at most
    /// [`MAX_APP_INFO`] bytes.
    pub fn set_app_info(&mut self, app_info: Option<&str>) -> Result<()> {
        self.app_info = match app_info.filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(check_app_info(a)?.to_owned()),
        };
        Ok(())
    }

    /// Checked alone here (a URL, no credentials, http or https); plain http
    /// to a host that is not loopback needs `allow_insecure_http`, checked
    /// with it when the client is first used ([`Settings::check`]).
    pub fn set_base_url(&mut self, raw: &str) -> Result<()> {
        self.base_url = policy::parse_base_url(raw, true)?;
        Ok(())
    }

    pub fn set_timeout(&mut self, d: Duration) -> Result<()> {
        self.timeout = positive("timeout", d)?;
        Ok(())
    }

    pub fn set_connect_timeout(&mut self, d: Duration) -> Result<()> {
        self.connect_timeout = positive("connect_timeout", d)?;
        Ok(())
    }

    /// Trust only this PEM file's CAs; the file is read and checked now.
    /// With `tls_roots` naming other roots, the client refuses to send
    /// ([`Settings::check`]).
    pub fn set_ca_file(&mut self, path: &Path) -> Result<()> {
        crate::send::transport::agents::load_ca_file(path)?;
        self.ca_file = Some(path.to_owned());
        Ok(())
    }

    /// `system` (the host's store, the default), `bundled` (Mozilla's roots
    /// inside libspread), or a path to a PEM file.
    pub fn set_tls_roots(&mut self, choice: &str) -> Result<()> {
        self.roots = match choice {
            "system" => TlsRoots::System,
            "bundled" => TlsRoots::Bundled,
            "" => return Err(Error::config("tls_roots", "must be \"system\", \"bundled\" or the path of a PEM file")),
            path => {
                std::fs::metadata(path).map_err(|e| Error::config("tls_roots", format!("cannot read the CA file {path}: {e}")))?;
                crate::send::transport::agents::load_ca_file(Path::new(path))?;
                TlsRoots::CaFile(path.into())
            }
        };
        Ok(())
    }

    /// An HTTP CONNECT proxy for everything but loopback; `None` (or "") for
    /// none. Proxy variables in the environment are never used (httpoxy).
    pub fn set_proxy(&mut self, url: Option<&str>) -> Result<()> {
        self.proxy = match url.filter(|u| !u.is_empty()) {
            Some(u) => {
                crate::send::transport::agents::parse_proxy(u)?;
                Some(u.to_owned())
            }
            None => None,
        };
        Ok(())
    }

    pub fn set_max_attempts(&mut self, attempts: u32) -> Result<()> {
        if attempts == 0 {
            return Err(Error::config("max_attempts", "must be at least 1"));
        }
        self.max_attempts = attempts;
        Ok(())
    }

    pub fn set_flush_budget(&mut self, d: Duration) -> Result<()> {
        self.flush_budget = positive("flush_budget", d)?;
        Ok(())
    }

    /// 1 (one order at a time, as before 0.4) to 32.
    pub fn set_delivery_concurrency(&mut self, n: usize) -> Result<()> {
        if !(1..=crate::send::transport::MAX_CONCURRENCY).contains(&n) {
            return Err(Error::config("delivery_concurrency", format!("{n} is out of range (1 to {})", crate::send::transport::MAX_CONCURRENCY)));
        }
        self.delivery_concurrency = n;
        Ok(())
    }

    pub fn set_shutdown_timeout(&mut self, d: Duration) {
        self.shutdown_timeout = d;
    }
}
