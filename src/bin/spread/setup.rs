//! From options and environment to a configured client (or, for the
//! commands that only look at the spool, to the spool and this destination).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;
use spread::log::{Level, Logger, Record};
use spread::settings::Settings;
use spread::spool::{Destination, Spool};
use spread::Client;

use crate::args::{self, Fail};

/// A key from the environment; never from an argument.
fn key(name: &str) -> Result<String, Fail> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(Fail::config(format!("{name} is not set (the API keys come from the environment, never from arguments)"))),
    }
}

/// The spool folder, which must exist: the library creates a missing
/// folder for its callers, but a typo in a cron line must not make a new
/// spool that nothing ever flushes.
pub fn existing_spool(dir: &Path) -> Result<&Path, Fail> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(dir),
        Ok(_) => Err(Fail::config(format!("spool: {} is not a folder", dir.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Fail::config(format!(
            "spool: {} does not exist (create it first: install -d -m 0700 {})",
            dir.display(),
            dir.display()
        ))),
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
        let line = match level {
            Level::Debug => format!("spread: [{}] {}: {} {}", r.level.name(), r.event, r.message, r.context_json()),
            _ => format!("spread: [{}] {}: {}", r.level.name(), r.event, r.message),
        };
        bar.suspend(|| eprintln!("{line}"));
    };
    Some(Logger::new(Arc::new(sink), level))
}

/// A client for sending: both keys, the destination, the transport options
/// and, when given, an existing spool folder.
pub fn client(
    destination: &args::Destination,
    transport: &args::Transport,
    spool: Option<&Path>,
    verbose: u8,
    bar: ProgressBar,
) -> Result<Client, Fail> {
    let mut client = Client::new(&key("SPREAD_PUBLIC_KEY")?, &key("SPREAD_PRIVATE_KEY")?)?;
    if let Some(logger) = logger(verbose, bar) {
        client.set_logger(logger);
    }
    client.set_base_url(&destination.base_url)?;
    if let Some(ms) = transport.timeout_ms {
        client.set_timeout(Duration::from_millis(ms))?;
    }
    if let Some(proxy) = &transport.proxy {
        client.set_proxy(Some(proxy))?;
    }
    if let Some(roots) = &transport.tls_roots {
        client.set_tls_roots(roots)?;
    }
    if let Some(file) = &transport.ca_file {
        client.set_ca_file(file)?;
    }
    if let Some(dir) = spool {
        let dir = existing_spool(dir)?;
        crate::privilege::become_owner_of(dir)?;
        client.set_spool_dir(dir)?;
    }
    Ok(client)
}
