//! Store and forward: replaying a client's spooled entries, oldest first.
//!
//! Rules (the README's delivery table):
//! - only this client's destination is flushed; other entries are left alone;
//! - an entry whose order has an update in flight (its lock is busy) waits,
//!   with every later entry of that order;
//! - SPREAD refusing an entry's content (400, 409, 422) moves that one entry
//!   to `rejected/`; a complete file that is not an entry goes to `unreadable/`;
//! - any other failure (network, timeout, TLS, 5xx, 408/429, 401/403/404…)
//!   stops the flush and leaves every entry pending; so does a file that
//!   cannot be read right now;
//! - one flusher at a time per folder (any process); the others return at once.

use std::collections::HashSet;
use std::time::Instant;

use crate::client::Core;
use crate::error::{Error, ErrorKind};
use crate::log::{Level, Record};
use crate::spool::{OrderLock, Owner, Spool};

/// What a flush did. `stopped_by` is the failure that ended it early
/// (entries from there on stay in the spool).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub delivered: usize,
    pub rejected: usize,
    /// Complete files that were not entries, moved to `unreadable/`.
    pub unreadable: usize,
    /// This destination's entries still waiting.
    pub remaining: usize,
    /// Another thread or process was flushing: this one did nothing.
    pub busy: bool,
    pub stopped_by: Option<Error>,
}

impl FlushReport {
    /// Nothing of this destination is left waiting.
    pub fn emptied(&self) -> bool {
        !self.busy && self.stopped_by.is_none() && self.remaining == 0
    }
}

impl Core {
    /// Replays this client's entries until none is left, `deadline`, or a
    /// failure that is not about an order. `held`: the order lock the calling
    /// send already holds (its order's entries may be delivered).
    pub(crate) fn flush(&self, deadline: Instant, held: Option<&OrderLock>, legacy: bool) -> FlushReport {
        self.flush_limited(deadline, held, legacy, usize::MAX)
    }

    /// `flush`, handling at most `limit` entries (delivered, rejected or set
    /// aside): a send's look at the spool stays bounded whatever the folder holds.
    pub(crate) fn flush_limited(&self, deadline: Instant, held: Option<&OrderLock>, legacy: bool, limit: usize) -> FlushReport {
        let mut report = FlushReport::default();
        let Some(spool) = &self.spool else {
            report.stopped_by = Some(Error::config("spool_dir", "no spool folder is set"));
            return report;
        };
        let outcome = match spool.try_lock() {
            Ok(Some(_lock)) => {
                spool.clean_stale_tmp();
                self.replay(spool, deadline, held, legacy, limit, &mut report)
            }
            Ok(None) => {
                report.busy = true;
                Ok(())
            }
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            report.stopped_by = Some(e);
        }
        if !report.emptied() {
            report.remaining = spool.entries_for(&self.destination, legacy).map_or(report.remaining, |e| e.len());
        }
        if limit == usize::MAX {
            // A whole flush (not a send's look at a few entries, which must stay cheap).
            self.warn_stranded(spool);
        }
        if report.delivered + report.rejected + report.unreadable > 0 || report.stopped_by.is_some() {
            let level = if report.stopped_by.is_some() { Level::Warn } else { Level::Info };
            self.log.emit(level, || {
                let mut message = format!("flushed the spool: {} delivered, {} rejected, {} left", report.delivered, report.rejected, report.remaining);
                if let Some(e) = &report.stopped_by {
                    message.push_str(&format!("; stopped: {e}"));
                }
                Record::new(level, "flushed", message)
                    .with("delivered", report.delivered)
                    .with("rejected", report.rejected)
                    .with("remaining", report.remaining)
            });
        }
        report
    }

    /// Entries of this key under another base URL: no flush of ours sends
    /// them, so every flush says so until they are adopted.
    fn warn_stranded(&self, spool: &Spool) {
        let Ok(stranded) = spool.stranded(&self.destination) else { return };
        if stranded.count == 0 {
            return;
        }
        let from = stranded.base_urls.join(", ");
        let message = format!(
            "{} spooled order(s) of this key wait under another base URL ({from}) and are never sent to {}: \
             if that URL is no longer right, move them here with `spread spool adopt --from-base-url URL`",
            stranded.count, self.destination.base_url
        );
        self.log.log(
            Record::new(Level::Warn, "stranded", message)
                .with("stranded", stranded.count)
                .with("oldest_secs", stranded.oldest.map_or(0, |d| d.as_secs() as usize))
                .with("from_base_url", from),
        );
    }

    fn replay(&self, spool: &Spool, deadline: Instant, held: Option<&OrderLock>, legacy: bool, limit: usize, report: &mut FlushReport) -> crate::Result<()> {
        // Removals are synced once per pass (and before any return), not once per entry.
        let mut unsynced = false;
        let outcome = self.replay_passes(spool, deadline, held, (legacy, limit), report, &mut unsynced);
        let synced = if unsynced { spool.sync() } else { Ok(()) };
        outcome.and(synced)
    }

    fn replay_passes(
        &self,
        spool: &Spool,
        deadline: Instant,
        held: Option<&OrderLock>,
        (legacy, limit): (bool, usize),
        report: &mut FlushReport,
        unsynced: &mut bool,
    ) -> crate::Result<()> {
        loop {
            // Listed again after each pass: writers may have queued behind us meanwhile.
            let paths = spool.entries_for(&self.destination, legacy)?;
            let mut waiting: HashSet<String> = HashSet::new();
            let mut progress = false;
            let mut left = 0;
            for (i, path) in paths.iter().enumerate() {
                if report.delivered + report.rejected + report.unreadable >= limit {
                    report.remaining = left + paths.len() - i;
                    return Ok(());
                }
                if Instant::now() >= deadline {
                    return Err(Error::new(ErrorKind::Timeout, "flush: the flush budget is used up (the rest waits for the next flush)"));
                }
                let entry = match spool.read(path)? {
                    None => continue, // delivered by a flusher that held the lock before us
                    Some(Err(why)) => {
                        spool.set_aside_unreadable(path, &why)?;
                        report.unreadable += 1;
                        progress = true;
                        self.log.log(Record::new(Level::Warn, "unreadable", format!("{} is not a spool entry ({why}): moved to unreadable/", path.display())));
                        continue;
                    }
                    Some(Ok(entry)) => entry,
                };
                if matches!(&entry.owner, Owner::Known(d) if *d != self.destination) {
                    continue; // another destination whose tag looks like ours
                }
                let id = entry.order_id.as_deref();
                // An update of this order is in flight elsewhere: it and its successors wait.
                let lock = match id {
                    Some(id) if waiting.contains(id) => None,
                    Some(id) if held.is_some_and(|h| Spool::holds(h, &self.destination, id)) => Some(None),
                    Some(id) => spool.lock_order(&self.destination, id, Instant::now())?.map(Some),
                    None => Some(None),
                };
                let Some(_lock) = lock else {
                    waiting.insert(id.unwrap_or_default().to_owned());
                    left += 1;
                    continue;
                };
                if !spool.contains(path) {
                    continue; // delivered meanwhile by a flush that held the order's lock
                }
                let entry_deadline = deadline.min(Core::deadline(self.settings.timeout));
                match self.delivery(id)?.deliver(&entry.body, entry_deadline, 1, None) {
                    Ok(_) => {
                        spool.remove_unsynced(path)?;
                        *unsynced = true;
                        report.delivered += 1;
                        progress = true;
                    }
                    Err(e) if e.is_content_refusal() => {
                        spool.reject(path, &e.message)?;
                        report.rejected += 1;
                        progress = true;
                        self.refused(e, id);
                    }
                    Err(e) => return Err(e),
                }
            }
            if *unsynced {
                spool.sync()?;
                *unsynced = false;
            }
            if paths.is_empty() || !progress {
                report.remaining = left;
                return Ok(());
            }
        }
    }
}
