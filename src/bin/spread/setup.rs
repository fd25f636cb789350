//! From options and environment to a configured client (or, for the
//! commands that only look at the spool, to the spool and this destination).

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::ProgressBar;
use spread::log::{Level, Logger, Record};
use spread::settings::Settings;
use spread::spool::{Destination, Spool};
use spread::Client;

use crate::args::{self, Fail};
use crate::journal::{self, Priority};

/// The secrets of this run, read once, before anything else (the command
/// may later give up root: the keys file may be readable by root only).
/// The reading (keys file, systemd credentials, environment) is the library's.
#[derive(Default)]
pub struct Secrets(spread::send::secrets::Secrets);

static LOADED: OnceLock<Secrets> = OnceLock::new();

impl Secrets {
    /// `SPREAD_PUBLIC_KEY` and the like: present and not empty.
    pub fn key(&self, name: &str) -> Result<String, Fail> {
        self.0.get(name).map(str::to_owned).ok_or_else(|| {
            Fail::config(format!(
                "{name} is not set (the API keys come from a keys file: --keys-file or SPREAD_KEYS_FILE, from systemd credentials or from the environment, never from arguments)"
            ))
        })
    }

    pub fn proxy(&self) -> Option<&str> {
        self.0.get("SPREAD_PROXY")
    }
}

/// Reads the keys file (if any), systemd credentials (if any) and the
/// environment, in that order of precedence. Called once, first thing.
pub fn load_secrets(keys_file: Option<&Path>) -> Result<&'static Secrets, Fail> {
    if let Some(loaded) = LOADED.get() {
        return Ok(loaded);
    }
    let secrets = spread::send::secrets::Secrets::load(keys_file, |name| std::env::var(name).ok())?;
    Ok(LOADED.get_or_init(|| Secrets(secrets)))
}

/// The secrets loaded by [`load_secrets`] (the environment alone if it was not called).
fn secrets() -> &'static Secrets {
    match LOADED.get() {
        Some(loaded) => loaded,
        None => load_secrets(None).unwrap_or_else(|_| LOADED.get_or_init(Secrets::default)),
    }
}

fn key(name: &str) -> Result<String, Fail> {
    secrets().key(name)
}

/// Whether a proxy URL carries a user or a password (`user:pass@host`).
fn has_credentials(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().is_some_and(|authority| authority.contains('@'))
}

/// The spool folder, which must exist: the library creates a missing
/// folder for its callers, but a typo in a cron line must not make a new
/// spool that nothing ever flushes.
pub fn existing_spool(dir: &Path) -> Result<&Path, Fail> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(dir),
        Ok(_) => Err(Fail::config(format!("spool: {} is not a folder", dir.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Fail::config(format!("spool: {} does not exist (create it first: install -d -m 0700 {})", dir.display(), dir.display())))
        }
        Err(e) => Err(Fail::config(format!("spool: cannot use {}: {e}", dir.display()))),
    }
}

/// The spool and this destination, for `status` and `rejected`: they read
/// and move files but send nothing, so only the public key is needed (an
/// entry records a fingerprint of it, never a key).
pub fn spool_view(spool: &args::SpoolArg, destination: &args::Destination) -> Result<(Spool, Destination), Fail> {
    let mut settings = Settings::default();
    settings.set_base_url(&destination.base_url)?;
    let destination = Destination::new(settings.base_url.as_str(), &key("SPREAD_PUBLIC_KEY")?);
    Ok((open_spool(spool)?, destination))
}

/// The public key before a rotation (`spread spool adopt --from-old-key`).
pub fn old_public_key() -> Result<String, Fail> {
    key("SPREAD_OLD_PUBLIC_KEY")
}

/// The spool alone, for commands that do not care about destinations.
pub fn open_spool(spool: &args::SpoolArg) -> Result<Spool, Fail> {
    let dir = existing_spool(&spool.spool)?;
    crate::privilege::become_owner_of(dir)?;
    Ok(Spool::open(dir)?.0)
}

/// The library's log records on stderr (-v: info, -vv: debug, with their
/// context), printed around the progress bar so that neither is torn.
fn logger(verbose: u8, bar: ProgressBar) -> Option<Logger> {
    let level = match verbose {
        0 => return None,
        1 => Level::Info,
        _ => Level::Debug,
    };
    let sink = move |r: &Record| {
        let priority = Priority::of(r.level);
        let text = match level {
            _ if journal::is_json() => r.message.clone(),
            Level::Debug => format!("[{}] {}: {} {}", r.level.name(), r.event, r.message, r.context_json()),
            _ => format!("[{}] {}: {}", r.level.name(), r.event, r.message),
        };
        let context = serde_json::from_str::<serde_json::Value>(&r.context_json()).ok().map(|c| serde_json::json!({ "context": c }));
        let line = journal::line(priority, r.event, &text, context);
        bar.suspend(|| eprintln!("{line}"));
    };
    Some(Logger::new(Arc::new(sink), level))
}

/// A client for sending: both keys, the destination, the transport options
/// and, when given, an existing spool folder.
pub fn client(destination: &args::Destination, transport: &args::Transport, spool: Option<&Path>, verbose: u8, bar: ProgressBar) -> Result<Client, Fail> {
    let mut client = Client::new(&key("SPREAD_PUBLIC_KEY")?, &key("SPREAD_PRIVATE_KEY")?)?;
    if let Some(logger) = logger(verbose, bar) {
        client.set_logger(logger);
    }
    client.set_base_url(&destination.base_url)?;
    if let Some(ms) = transport.timeout_ms {
        client.set_timeout(Duration::from_millis(ms))?;
    }
    client.set_app_info(transport.app_info.as_deref())?;
    match &transport.proxy {
        Some(proxy) if has_credentials(proxy) => {
            // Checked before anything else is used; the URL is not repeated (it holds a password).
            return Err(Fail::config(
                "--proxy: a proxy's user and password on the command line are shown to every user by `ps`: \
                 put the URL in SPREAD_PROXY, in the environment or a SPREAD_PROXY= line of the keys file",
            ));
        }
        Some(proxy) => client.set_proxy(Some(proxy))?,
        None => client.set_proxy(secrets().proxy())?,
    }
    if let Some(roots) = &transport.tls_roots {
        client.set_tls_roots(roots)?;
    }
    if let Some(file) = &transport.ca_file {
        client.set_ca_file(file)?;
    }
    // The options together (plain http, CA file against roots), before any folder is touched.
    client.check()?;
    if let Some(dir) = spool {
        let dir = existing_spool(dir)?;
        crate::privilege::become_owner_of(dir)?;
        client.set_spool_dir(dir)?;
    }
    Ok(client)
}
