//! The client: keys, settings, transport, spool and logger, and the three
//! ways an order leaves it: `send` (deliver now, or spool), `enqueue` (spool
//! now, deliver in the background) and `flush` (deliver what waits).
//!
//! The state lives in an immutable `Core` behind an `Arc`, so batch
//! senders and the background delivery thread share it; a setter makes a
//! new core (clients are configured before they are shared).

use std::borrow::Cow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::background;
use super::core::Core;
pub use super::core::Sent;
use super::delivery::Credentials;
use super::options::{self, Apply};
use super::settings::Settings;
use super::transport::policy;
use crate::error::{Error, Result};
use crate::fork::PerProcess;
use crate::log::{Level, LogQueue, Logger, Record};
use crate::order::Order;
pub use crate::send::delivery::Response;
pub use crate::send::flush::FlushReport;
use crate::spool::{Destination, FlushRecord, Spool, SpoolStatus};

/// A SPREAD client. `Send + Sync`: share one per process.
pub struct Client {
    core: Arc<Core>,
    /// Set once this client enqueued: freeing it then waits (bounded) for the deliveries.
    enqueued: AtomicBool,
    /// Records waiting for the caller's own thread (see [`Client::set_log_queue`]).
    logs: LogQueue,
}

impl std::fmt::Debug for Client {
    /// Shows no secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base_url", &self.core.settings.base_url.as_str()).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the given API keys, with the default base URL and timeouts.
    pub fn new(public_key: &str, private_key: &str) -> Result<Client> {
        let credentials = Credentials::new(public_key, private_key)?;
        let settings = Settings::default();
        let order_url = policy::join(&settings.base_url, crate::spool::UPDATE_ORDER)?;
        let core = Core {
            order_uri: crate::send::transport::http_uri(&order_url),
            order_url,
            endpoint_ok: Arc::default(),
            destination: Destination::new(settings.base_url.as_str(), credentials.public_key()),
            credentials,
            settings,
            transport: PerProcess::new(),
            spool: None,
            log: Logger::default(),
        };
        Ok(Client { core: Arc::new(core), enqueued: AtomicBool::new(false), logs: LogQueue::default() })
    }

    /// Applies a change to the settings, then rebuilds what depends on them.
    fn reconfigure(&mut self, change: impl FnOnce(&mut Settings) -> Result<()>) -> Result<()> {
        let mut settings = self.core.settings.clone();
        change(&mut settings)?;
        let order_url = policy::join(&settings.base_url, crate::spool::UPDATE_ORDER)?;
        let core = Arc::make_mut(&mut self.core);
        core.order_uri = crate::send::transport::http_uri(&order_url);
        core.order_url = order_url;
        core.endpoint_ok = Arc::default();
        core.destination = Destination::new(settings.base_url.as_str(), core.credentials.public_key());
        core.settings = settings;
        core.transport = PerProcess::new();
        Ok(())
    }

    /// Sets one option of [`options::OPTIONS`] from its text form
    /// (`timeout_ms` = "5000", `allow_insecure_http` = "true"). The value is
    /// checked alone now (an error names the option and changes nothing);
    /// the rules between options when the client is first used.
    pub fn set_option(&mut self, name: &str, value: &str) -> Result<()> {
        match options::option(name)?.apply {
            Apply::Settings(set) => self.reconfigure(|s| set(s, value)),
            Apply::SpoolDir if value.is_empty() => Err(Error::config("spool_dir", "is empty: give a folder's path")),
            Apply::SpoolDir => self.set_spool_dir(Path::new(value)),
        }
    }

    /// The rules between options (plain http and `allow_insecure_http`,
    /// `ca_file` and `tls_roots`), as the first send, enqueue or flush
    /// checks them: a binding that sets all options at once calls this at
    /// the end, so that a mistake shows where the options are written.
    pub fn check(&self) -> Result<()> {
        self.core.settings.check()
    }

    /// The API root (`https://social-sb.com/api` by default); orders go to
    /// `<url>/updateOrder`. Plain http to a host that is not loopback also
    /// needs [`Client::set_allow_insecure_http`], before or after this.
    pub fn set_base_url(&mut self, url: &str) -> Result<()> {
        self.reconfigure(|s| s.set_base_url(url))
    }

    /// The whole time one send may take (authentication, redirects and retries included).
    pub fn set_timeout(&mut self, total: Duration) -> Result<()> {
        self.reconfigure(|s| s.set_timeout(total))
    }

    /// The time allowed to open a connection (never more than the total).
    pub fn set_connect_timeout(&mut self, connect: Duration) -> Result<()> {
        self.reconfigure(|s| s.set_connect_timeout(connect))
    }

    /// Trust only the certificates in this PEM file (a private CA, a test CA).
    pub fn set_ca_file(&mut self, path: &Path) -> Result<()> {
        self.reconfigure(|s| s.set_ca_file(path))
    }

    /// `system` (default), `bundled`, or a PEM file's path: see [`Settings::set_tls_roots`].
    pub fn set_tls_roots(&mut self, choice: &str) -> Result<()> {
        self.reconfigure(|s| s.set_tls_roots(choice))
    }

    /// An explicit HTTP CONNECT proxy (never for loopback); None for none.
    pub fn set_proxy(&mut self, url: Option<&str>) -> Result<()> {
        self.reconfigure(|s| s.set_proxy(url))
    }

    /// Allows plain http to hosts other than loopback. The keys then travel in clear.
    pub fn set_allow_insecure_http(&mut self, allow: bool) -> Result<()> {
        self.reconfigure(|s| {
            s.allow_insecure_http = allow;
            Ok(())
        })
    }

    /// The caller's application, appended to the User-Agent
    /// (`libspread/0.1.0 MyShop/2.1`); None or "" for none.
    pub fn set_app_info(&mut self, app_info: Option<&str>) -> Result<()> {
        self.reconfigure(|s| s.set_app_info(app_info))
    }

    /// How many times one send may try (1 = no retry). At least 1.
    pub fn set_max_attempts(&mut self, attempts: u32) -> Result<()> {
        Arc::make_mut(&mut self.core).settings.set_max_attempts(attempts)
    }

    /// How long one `flush` may run before leaving the rest for the next.
    pub fn set_flush_budget(&mut self, budget: Duration) -> Result<()> {
        Arc::make_mut(&mut self.core).settings.set_flush_budget(budget)
    }

    /// How many orders (of different ids) a flush and the background
    /// delivery thread keep in flight at once (1 to 32, default 8). Updates
    /// of one order still go one at a time, in the order they were made.
    pub fn set_delivery_concurrency(&mut self, n: usize) -> Result<()> {
        Arc::make_mut(&mut self.core).settings.set_delivery_concurrency(n)
    }

    /// How long dropping a client that enqueued waits for background deliveries.
    pub fn set_shutdown_timeout(&mut self, timeout: Duration) {
        Arc::make_mut(&mut self.core).settings.set_shutdown_timeout(timeout);
    }

    /// Where log records go, and the least important level wanted.
    /// Takes effect at once for every thread working for this client (batch
    /// workers, the background delivery thread); when it returns, the sink it
    /// replaced is not running and will not run again.
    pub fn set_logger(&self, logger: Logger) {
        self.core.log.set(&logger);
        if let Some(Ok((_, Some(note)))) = self.core.transport.get().and_then(OnceLock::get) {
            // Already said to the previous logger, if any: say it to this one too.
            self.core.log.log(Record::new(Level::Warn, "tls_fallback", note.clone()));
        }
    }

    /// Keeps the log records of `min_level` and above (None: none) in a
    /// bounded queue the caller drains with [`Client::next_log`] on its own
    /// thread, for languages that cannot be called back from other threads
    /// (PHP). Replaces the logger.
    pub fn set_log_queue(&self, min_level: Option<Level>) {
        self.set_logger(min_level.map_or_else(Logger::default, |min| self.logs.logger(min)));
    }

    /// The oldest queued log record as JSON (see [`LogQueue::pop`]).
    pub fn next_log(&self) -> Option<String> {
        self.logs.pop()
    }

    /// Why the bundled Mozilla roots stand in for the host's CA store, if
    /// they do (builds the transport if no send did yet).
    pub fn tls_fallback(&self) -> Option<&str> {
        self.core.transport().ok().and_then(|(_, note)| note.as_deref())
    }

    /// Keeps orders that cannot be delivered now in `dir` instead of failing;
    /// `flush` delivers them later. See [`crate::spool`] for who may share it.
    pub fn set_spool_dir(&mut self, dir: &Path) -> Result<()> {
        let (spool, created) = Spool::open(dir)?;
        let spool = spool.with_logger(self.core.log.clone());
        if created {
            self.core.log.log(
                Record::new(Level::Warn, "spool_created", format!("spool folder {} did not exist: created it (mode 0700)", dir.display()))
                    .with("spool_dir", dir.display().to_string()),
            );
        }
        Arc::make_mut(&mut self.core).spool = Some(spool);
        Ok(())
    }

    pub fn settings(&self) -> &Settings {
        &self.core.settings
    }

    /// Validates `order`, then delivers it to `updateOrder`, retrying within
    /// the time budget. With a spool, an order that cannot be delivered now
    /// (for any reason but SPREAD refusing its content), or that would
    /// overtake an older update, is queued instead.
    pub fn send(&self, order: &Order) -> Result<Sent> {
        self.core.send(order, None)
    }

    /// Validates `order` and writes it durably to the spool, then returns:
    /// a delivery thread of this process sends it in the background (see
    /// `background`). Needs a spool folder.
    pub fn enqueue(&self, order: &Order) -> Result<()> {
        self.check()?;
        order.check_required()?;
        let spool = self
            .core
            .spool()
            .map_err(|_| Error::config("spool_dir", "enqueue needs a spool folder (set spool_dir): orders wait there for the delivery thread"))?;
        let id: Option<Cow<str>> = order.id();
        self.core.warn_lenient(order, id.as_deref());
        spool.push_at(&self.core.destination, id.as_deref(), order.body().as_bytes(), None)?;
        self.core
            .log
            .emit(Level::Debug, || Record::new(Level::Debug, "queued", "order enqueued for background delivery").order(id.as_deref()).with("why", "enqueue"));
        self.enqueued.store(true, Ordering::Relaxed);
        background::wake(&self.core);
        Ok(())
    }

    /// Replays this client's spooled orders, oldest first, until none is
    /// left, the flush budget is used up, or a delivery fails for a reason
    /// that is not about the order (then every entry stays, for the next
    /// flush). Entries SPREAD refuses for their content go to `rejected/`.
    /// Another flush in progress (any process) makes this one a no-op.
    pub fn flush(&self) -> Result<FlushReport> {
        self.flush_with(false)
    }

    /// `flush`, also delivering libspread 0.1's entries (which did not record
    /// their destination) to this client's destination.
    /// A whole flush (not a busy one) is recorded in the folder's `.last-flush`, so
    /// that `spread status` sees every flusher: cron's `spread flush`, a PHP or
    /// Python script's `flush()`, a C program's `spread_flush`.
    pub fn flush_with(&self, adopt_legacy: bool) -> Result<FlushReport> {
        let spool = self.core.spool()?;
        let started = std::time::Instant::now();
        let report = self.core.flush(Core::deadline(self.core.settings.flush_budget), None, adopt_legacy);
        if !report.busy {
            let error = report.stopped_by.as_ref().filter(|_| !report.budget_used).map(|e| e.message.clone());
            let (delivered, rejected, remaining) = (report.delivered as u64, report.rejected as u64, report.remaining as u64);
            let record = FlushRecord::now(report.outcome(), delivered, rejected, remaining, started.elapsed().as_millis() as u64, error);
            if let Err(e) = spool.write_flush_record(&record) {
                // Monitoring reads it; a flush that cannot write it still did its work.
                self.core.log.log(Record::new(Level::Warn, "flush_record", format!("cannot record this flush: {e}")));
            }
        }
        Ok(report)
    }

    /// How many of this client's orders wait in the spool.
    pub fn pending(&self) -> Result<usize> {
        self.core.spool()?.pending(&self.core.destination)
    }

    /// The spool's counts, from this client's point of view.
    pub fn spool_status(&self) -> Result<SpoolStatus> {
        self.core.spool()?.status(&self.core.destination)
    }

    /// Moves the spooled entries of another destination to this client's,
    /// each keeping its place in the queue: after the base URL changed
    /// (`from_base_url`: the old one) or the keys were rotated
    /// (`from_public_key`: the old public key). None stands for this client's
    /// own. Never done automatically: another shop may share the folder.
    /// Returns how many entries were adopted.
    pub fn adopt(&self, from_base_url: Option<&str>, from_public_key: Option<&str>) -> Result<usize> {
        let spool = self.core.spool()?;
        if from_base_url.is_none() && from_public_key.is_none() {
            return Err(Error::invalid("from", "give the old base URL, the old public key, or both"));
        }
        let base = match from_base_url {
            Some(url) => policy::parse_base_url(url, true).map_err(|e| Error::invalid("from_base_url", e.message))?.to_string(),
            None => self.core.destination.base_url.clone(),
        };
        let from = Destination::new(&base, from_public_key.unwrap_or(self.core.credentials.public_key()));
        let n = spool.adopt(&from, &self.core.destination)?;
        self.core.log.log(
            Record::new(Level::Info, "adopted", format!("{n} spooled entries of {} moved to this client's destination", from.base_url))
                .with("adopted", n)
                .with("from_base_url", from.base_url.clone()),
        );
        Ok(n)
    }

    pub fn spool(&self) -> Option<&Spool> {
        self.core.spool.as_ref()
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// Where this client's entries are recorded as going.
    pub fn destination(&self) -> &Destination {
        &self.core.destination
    }

    /// Waits (at most the shutdown timeout) for the background deliveries of
    /// what this client enqueued; what is left stays in the spool.
    pub fn close(&self) {
        if self.enqueued.swap(false, Ordering::Relaxed) {
            background::settle(&self.core, self.core.settings.shutdown_timeout);
        }
    }
}

impl Drop for Client {
    /// Waits (bounded) for background deliveries, then silences the logger:
    /// a delivery thread still working with this client's state must not
    /// call a sink whose owner is gone.
    fn drop(&mut self) {
        self.close();
        self.core.log.set(&Logger::default());
    }
}
