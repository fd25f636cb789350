//! A client's shared state, `Core`, and what every way of sending does with it:
//! build a delivery (credentials, transport, logger), send one order (or spool
//! it), report a refusal. The client's setters make a new core; batch senders,
//! the flush and the background thread share one behind an `Arc`.
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use url::Url;

use crate::error::{Error, Result};
use crate::fork::PerProcess;
use crate::log::{Level, Logger, Record};
use crate::order::Order;
use crate::send::delivery::{Credentials, Delivery};
use crate::send::retry::{self, Gate};
use crate::send::settings::Settings;
use crate::send::transport::Transport;
use crate::send::turns;
use crate::spool::{Destination, Spool};

use crate::send::delivery::Response;

/// How many spooled entries a send handles before its own order (the
/// background thread and `spread flush` do the rest).
const INLINE_FLUSH: usize = 32;

/// What became of a send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Delivered(Response),
    /// Not delivered now; durably in the spool for a later flush.
    Queued,
}

/// A transport, and why the bundled roots stand in for the host's store (if they do).
type Built = (Transport, Option<String>);

/// What a client is made of. Cloned by setters, shared by threads.
#[derive(Clone)]
pub(crate) struct Core {
    pub credentials: Credentials,
    pub settings: Settings,
    /// Built on first use: the host's CA store is read only if https is used with it.
    /// Per process: after a fork the child builds its own and never touches the
    /// parent's pooled connections (each side would read the other's answers).
    pub(super) transport: PerProcess<OnceLock<Result<Built>>>,
    pub spool: Option<Spool>,
    pub log: Logger,
    /// `<base_url>/updateOrder`, parsed once per base URL rather than per send.
    pub order_url: Url,
    /// The last flush of this client's entries delivered and met no failure: the next one
    /// need not send one order alone first to find out whether the endpoint works.
    pub endpoint_ok: Arc<AtomicBool>,
    /// The same for the HTTP layer.
    pub order_uri: Option<ureq::http::Uri>,
    pub destination: Destination,
}

impl Core {
    /// The transport, built on first use (and the bundled roots' stand-in note said then).
    pub(super) fn transport(&self) -> Result<&(Transport, Option<String>)> {
        self.transport
            .get_or_init(OnceLock::new)
            .get_or_init(|| {
                let built = Transport::new(&self.settings.agent_spec());
                if let Ok((_, Some(note))) = &built {
                    self.log.log(Record::new(Level::Warn, "tls_fallback", note.clone()));
                }
                built
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn delivery<'a>(&'a self, order_id: Option<&'a str>) -> Result<Delivery<'a>> {
        // The rules between options, for every way of sending (the flush and
        // the background thread included); `send` checks them first of all.
        self.settings.check()?;
        Ok(Delivery {
            transport: &self.transport()?.0,
            credentials: &self.credentials,
            base_url: &self.settings.base_url,
            url: &self.order_url,
            uri: self.order_uri.as_ref(),
            allow_insecure_http: self.settings.allow_insecure_http,
            log: &self.log,
            order_id,
        })
    }

    pub(crate) fn spool(&self) -> Result<&Spool> {
        self.spool.as_ref().ok_or_else(|| Error::config("spool_dir", "no spool folder is set"))
    }

    /// Now plus `d`, or "far away" when that does not fit an `Instant`.
    pub(crate) fn deadline(d: Duration) -> Instant {
        retry::within(Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600), d).unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 24 * 3600))
    }

    pub(super) fn warn_lenient(&self, order: &Order, id: Option<&str>) {
        crate::log::lenient_warnings(&self.log, order.logged_warnings(), id);
    }

    fn queued(&self, spool: &Spool, id: Option<&str>, body: &[u8], seq: Option<u64>, why: &str) -> Result<Sent> {
        spool.push_at(&self.destination, id, body, seq)?;
        self.log.emit(Level::Info, || Record::new(Level::Info, "queued", format!("order queued in the spool: {why}")).order(id).with("why", why));
        Ok(Sent::Queued)
    }

    /// `Client::send`, with the batch's gate when there is one.
    pub(crate) fn send(&self, order: &Order, gate: Option<&Gate>) -> Result<Sent> {
        // Before anything is queued: a client that may not send must not take orders.
        self.settings.check()?;
        order.check_required()?;
        let body = order.body();
        let id = order.id();
        let id = id.as_deref();
        self.warn_lenient(order, id);
        let deadline = Core::deadline(self.settings.timeout);
        let attempts = self.settings.max_attempts;
        let Some(spool) = &self.spool else {
            // No queue to stand in: wait for an earlier update of this order to finish.
            let _turn = turns::wait_turn(&self.destination, id, deadline)?;
            return self.delivery(id)?.deliver(body.as_bytes(), deadline, attempts, gate).map(Sent::Delivered).map_err(|e| self.refused(e, id));
        };
        // The place in the queue is taken now, so that this update lands
        // after every update made before it, even one still in flight.
        let seq = spool.reserve()?;
        let held = match id {
            Some(id) => match spool.lock_order(&self.destination, id, Instant::now())? {
                Some(lock) => Some(lock),
                None => return self.queued(spool, Some(id), body.as_bytes(), Some(seq), "an earlier update of this order is still being sent"),
            },
            None => None,
        };
        if spool.has_pending(&self.destination)? {
            // A few older entries go first, then only an older update of this
            // same order keeps it waiting: a folder full of entries (or of
            // junk) costs a send a few listings of names and at most INLINE_FLUSH entries.
            let report = self.flush_limited(deadline, held.as_ref(), false, INLINE_FLUSH);
            if !report.busy && report.stopped_by.is_some() {
                return self.queued(spool, id, body.as_bytes(), Some(seq), "older orders are still waiting in the spool");
            }
            if spool.has_older_update(&self.destination, id, seq)? {
                return self.queued(spool, id, body.as_bytes(), Some(seq), "an older update of this order is still waiting in the spool");
            }
        }
        match self.delivery(id)?.deliver(body.as_bytes(), deadline, attempts, gate) {
            Ok(response) => Ok(Sent::Delivered(response)),
            Err(e) if e.is_delivery_failure() => self.queued(spool, id, body.as_bytes(), Some(seq), &e.message),
            Err(e) => Err(self.refused(e, id)),
        }
    }

    /// Logs SPREAD's refusal of an order's content (the one failure that loses it).
    pub(crate) fn refused(&self, e: Error, id: Option<&str>) -> Error {
        if e.is_content_refusal() {
            self.log.emit(Level::Error, || {
                Record::new(Level::Error, "rejected", format!("SPREAD refused the order: {e}")).order(id).with("status", e.status.unwrap_or(0))
            });
        }
        e
    }
}
