//! Store and forward: replaying a client's spooled entries, oldest first.
//!
//! Rules (the delivery table in docs/delivery.md):
//! - only this client's destination is flushed; other entries are left alone;
//! - an entry whose order has an update in flight (its lock is busy) waits,
//!   with every later entry of that order;
//! - SPREAD refusing an entry's content (400, 409, 422) moves that one entry
//!   to `rejected/`; a complete file that is not an entry goes to `unreadable/`;
//! - any other failure (network, timeout, TLS, 5xx, 408/429, 401/403/404…)
//!   stops the flush and leaves every entry pending; so does a file that
//!   cannot be read right now;
//! - one flusher at a time per folder (any process); the others return at once.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use super::flush_workers::{budget_used, Board, Job, Sched};
use crate::error::{Error, ErrorKind};
use crate::log::{Level, Record};
use crate::send::core::Core;
use crate::send::transport::MAX_CONCURRENCY;
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
    /// The flush stopped because its time budget ran out (`stopped_by` is that
    /// timeout): not a failure, the next flush goes on.
    pub budget_used: bool,
}

impl FlushReport {
    /// Nothing of this destination is left waiting.
    pub fn emptied(&self) -> bool {
        !self.busy && self.stopped_by.is_none() && self.remaining == 0
    }

    /// How the flush ended, as `.last-flush` and `spread flush --json` say it:
    /// `busy` (another flusher ran), `failed` (stopped by a failure), `incomplete`
    /// (entries left, refused or unreadable, or the budget used up) or `ok`.
    pub fn outcome(&self) -> &'static str {
        match &self.stopped_by {
            _ if self.busy => "busy",
            Some(_) if !self.budget_used => "failed",
            _ if self.budget_used || self.remaining > 0 || self.rejected > 0 || self.unreadable > 0 => "incomplete",
            _ => "ok",
        }
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
            // Each request's time is clipped to what is left of the budget: a timeout at
            // the deadline is the budget running out.
            report.budget_used = e.kind == ErrorKind::Timeout && Instant::now() >= deadline;
            report.stopped_by = Some(e);
        }
        let whole = limit == usize::MAX;
        if whole && !report.emptied() {
            // A send's look at a few entries does not count what is left: one listing
            // fewer in a folder of 200,000 names (its report's `remaining` is unused).
            report.remaining = spool.entries_for(&self.destination, legacy).map_or(report.remaining, |e| e.len());
        }
        if whole {
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
                Record::new(level, "flushed", message).with("delivered", report.delivered).with("rejected", report.rejected).with("remaining", report.remaining)
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
        let concurrency = self.settings.delivery_concurrency.clamp(1, MAX_CONCURRENCY);
        let answered = self.endpoint_ok.load(Ordering::Relaxed);
        let board = Board { state: Mutex::new(Sched { answered, ..Sched::default() }), changed: Condvar::new() };
        let outcome = std::thread::scope(|scope| {
            let board = &board;
            let mut spawn = || {
                let worker = move || self.work(spool, deadline, board);
                // A worker that cannot start leaves the job to the others (at least the coordinator's wait ends).
                if let Err(e) = std::thread::Builder::new().name("spread-flush".into()).spawn_scoped(scope, worker) {
                    let mut sched = board.lock();
                    sched.workers -= 1;
                    sched.stop.get_or_insert_with(|| Error::new(ErrorKind::Internal, format!("flush: cannot start a delivery thread ({e})")));
                    return false;
                }
                true
            };
            let outcome = self.dispatch(spool, held, (deadline, legacy, limit, concurrency), report, board, &mut spawn);
            // Let the in-flight deliveries end (their entries are delivered or stay), then the workers.
            let mut sched = board.lock();
            sched.done = true;
            board.changed.notify_all();
            while sched.in_flight > 0 {
                if sched.workers == 0 {
                    // No worker could start: what was handed out stays in the spool.
                    let Sched { jobs, active, .. } = &mut *sched;
                    let dropped = jobs.len();
                    for job in jobs.drain(..) {
                        job.id.map(|id| active.remove(&id));
                    }
                    sched.in_flight -= dropped;
                    break;
                }
                sched = board.wait(sched);
            }
            outcome
        });
        let sched = board.state.into_inner().unwrap_or_else(|p| p.into_inner());
        report.delivered += sched.delivered;
        report.rejected += sched.rejected;
        report.unreadable += sched.unreadable;
        let synced = if sched.unsynced { spool.sync() } else { Ok(()) };
        if outcome.is_err() || sched.stop.is_some() {
            self.endpoint_ok.store(false, Ordering::Relaxed);
        } else if sched.delivered > 0 {
            self.endpoint_ok.store(true, Ordering::Relaxed);
        }
        // The first failure stops the flush, whichever thread met it.
        match (outcome, sched.stop) {
            (Err(e), _) | (Ok(()), Some(e)) => Err(e),
            (Ok(()), None) => synced,
        }
    }

    /// The flush's own thread: walks the entries in delivery order and hands
    /// each order's entries, in that order, to one worker at a time; entries of
    /// an order already in flight queue behind it (same worker, same lock).
    /// Up to `concurrency` orders are in flight at once.
    fn dispatch(
        &self,
        spool: &Spool,
        held: Option<&OrderLock>,
        (deadline, legacy, limit, concurrency): (Instant, bool, usize, usize),
        report: &mut FlushReport,
        board: &Board,
        spawn: &mut dyn FnMut() -> bool,
    ) -> crate::Result<()> {
        // Entries handed out (or set aside) by this flush: a listing made while they are in flight skips them.
        let mut seen: HashSet<String> = HashSet::new();
        let mut handled = 0usize;
        let mut last_sync = Instant::now();
        loop {
            // Listed again whenever the last listing is used up: writers may have queued behind us meanwhile.
            let paths = spool.entries_for(&self.destination, legacy)?;
            let mut waiting: HashSet<String> = HashSet::new();
            let mut handed = false;
            let mut left = 0;
            for (i, path) in paths.iter().enumerate() {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if seen.contains(&name) {
                    continue;
                }
                if board.lock().stop.is_some() {
                    return Ok(());
                }
                if handled >= limit {
                    report.remaining = left + paths.len() - i;
                    return Ok(());
                }
                if Instant::now() >= deadline {
                    return Err(budget_used());
                }
                let entry = match spool.read(path)? {
                    None => continue, // delivered by a flusher that held the lock before us
                    Some(Err(why)) => {
                        self.unreadable(spool, path, &why)?;
                        seen.insert(name);
                        handled += 1;
                        handed = true;
                        board.lock().unreadable += 1;
                        continue;
                    }
                    Some(Ok(entry)) => entry,
                };
                if matches!(&entry.owner, Owner::Known(d) if *d != self.destination) {
                    seen.insert(name);
                    continue; // another destination whose tag looks like ours
                }
                let id = entry.order_id.clone();
                if let Some(id) = &id {
                    let mut sched = board.lock();
                    if let Some(queue) = sched.active.get_mut(id) {
                        // Its order is in flight here: it goes next on the same worker, under the same lock.
                        queue.push_back(path.clone());
                        drop(sched);
                        seen.insert(name);
                        handled += 1;
                        handed = true;
                        continue;
                    }
                }
                // An update of this order is in flight elsewhere: it and its successors wait.
                let lock = match id.as_deref() {
                    Some(id) if waiting.contains(id) => None,
                    Some(id) if held.is_some_and(|h| Spool::holds(h, &self.destination, id)) => Some(None),
                    Some(id) => spool.lock_order(&self.destination, id, Instant::now())?.map(Some),
                    None => Some(None),
                };
                let Some(lock) = lock else {
                    waiting.insert(id.unwrap_or_default());
                    left += 1;
                    continue;
                };
                // A free place among the orders in flight (the worker checks that the entry is still there).
                let mut sched = board.lock();
                // One order alone until an answer shows that the endpoint takes them: a flush
                // meeting a failure that stops it (a wrong URL, a refused key) sends one request, not N.
                while sched.stop.is_none() && sched.in_flight >= if sched.answered { concurrency } else { 1 } {
                    sched = board.wait(sched);
                }
                if sched.stop.is_some() {
                    return Ok(());
                }
                if let Some(id) = &id {
                    sched.active.insert(id.clone(), VecDeque::new());
                }
                sched.in_flight += 1;
                sched.jobs.push_back(Job { id, lock, path: path.clone(), entry: Some(entry) });
                // A worker for each job no idle worker will take (one woken may not have taken its job yet).
                let start_one = sched.jobs.len() > sched.idle && sched.workers < concurrency;
                if start_one {
                    sched.workers += 1;
                }
                board.changed.notify_all();
                drop(sched);
                if start_one && !spawn() {
                    return Ok(());
                }
                seen.insert(name);
                handled += 1;
                handed = true;
            }
            // This listing is used up: wait for an order in flight to finish, then look again.
            let mut sched = board.lock();
            if sched.in_flight == 0 && !handed {
                report.remaining = left;
                return Ok(());
            }
            let finished = sched.finished;
            while sched.stop.is_none() && sched.in_flight > 0 && sched.finished == finished {
                sched = board.wait(sched);
            }
            if sched.stop.is_some() {
                return Ok(());
            }
            // Removals are synced now and then (and at the end), not once per entry.
            if sched.unsynced && (sched.in_flight == 0 || last_sync.elapsed() >= SYNC_EVERY) {
                sched.unsynced = false;
                drop(sched);
                spool.sync()?;
                last_sync = Instant::now();
            }
        }
    }
}

/// Removals are made durable at least this often during a long flush (and always at its end).
const SYNC_EVERY: Duration = Duration::from_secs(1);
