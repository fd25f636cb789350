//! The flush's workers: each delivers the orders it is handed, an order's
//! entries one after another under its lock, and reports on the board that
//! the flush's own thread (flush.rs) hands out work from.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

use super::core::Core;
use crate::error::{Error, ErrorKind};
use crate::log::{Level, Record};
use crate::spool::{Entry, OrderLock, Owner, Spool};

impl Core {
    /// A worker: delivers the jobs it is handed, each order's queued entries after it.
    pub(super) fn work(&self, spool: &Spool, deadline: Instant, board: &Board) {
        loop {
            let job = {
                let mut sched = board.lock();
                loop {
                    if let Some(job) = sched.jobs.pop_front() {
                        break job;
                    }
                    if sched.done {
                        return;
                    }
                    sched.idle += 1;
                    sched = board.wait(sched);
                    sched.idle -= 1;
                }
            };
            let Job { id, lock, path, entry } = job;
            let run = std::panic::AssertUnwindSafe(|| self.run_order(spool, deadline, board, id.as_deref(), path, entry));
            if std::panic::catch_unwind(run).is_err() {
                board.lock().stop.get_or_insert_with(|| Error::new(ErrorKind::Internal, "flush: a delivery hit a bug in libspread (please report it)"));
            }
            let mut sched = board.lock();
            if let Some(id) = &id {
                sched.active.remove(id); // what is still queued after a stop stays in the spool
            }
            // Let go of the order's lock before another order can take its place.
            drop(lock);
            sched.in_flight -= 1;
            sched.finished += 1;
            board.changed.notify_all();
        }
    }

    /// Delivers one order's entry, then those queued behind it, until none
    /// is left or the flush stops.
    fn run_order(&self, spool: &Spool, deadline: Instant, board: &Board, id: Option<&str>, mut path: PathBuf, mut entry: Option<Entry>) {
        loop {
            if board.lock().stop.is_some() {
                return; // handed out before the flush stopped: it stays in the spool
            }
            if let Err(e) = self.deliver_one(spool, deadline, board, id, &path, entry.take()) {
                board.lock().stop.get_or_insert(e);
                board.changed.notify_all();
                return;
            }
            let mut sched = board.lock();
            if sched.stop.is_some() {
                return;
            }
            let next = id.and_then(|id| sched.active.get_mut(id)).and_then(VecDeque::pop_front);
            let Some(next) = next else { return };
            path = next;
        }
    }

    /// One entry: read again if it was queued, then delivered, rejected or left.
    fn deliver_one(&self, spool: &Spool, deadline: Instant, board: &Board, id: Option<&str>, path: &Path, entry: Option<Entry>) -> crate::Result<()> {
        if Instant::now() >= deadline {
            return Err(budget_used());
        }
        let entry = match entry {
            Some(entry) => entry,
            None => match spool.read(path)? {
                None => return Ok(()),
                Some(Err(why)) => {
                    self.unreadable(spool, path, &why)?;
                    board.lock().unreadable += 1;
                    return Ok(());
                }
                // Changed since it was queued (not the same order any more): left for the next flush.
                Some(Ok(e)) if e.order_id.as_deref() != id || matches!(&e.owner, Owner::Known(d) if *d != self.destination) => return Ok(()),
                Some(Ok(e)) => e,
            },
        };
        if !spool.contains(path) {
            return Ok(()); // delivered meanwhile by a flush that held the order's lock
        }
        let entry_deadline = deadline.min(Core::deadline(self.settings.timeout));
        match self.delivery(id)?.deliver(&entry.body, entry_deadline, 1, None) {
            Ok(_) => {
                spool.remove_unsynced(path)?;
                let mut sched = board.lock();
                sched.unsynced = true;
                sched.delivered += 1;
                sched.answered = true;
            }
            Err(e) if e.is_content_refusal() => {
                spool.reject(path, &e.message)?;
                let mut sched = board.lock();
                sched.rejected += 1;
                sched.answered = true;
                drop(sched);
                self.refused(e, id);
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    pub(super) fn unreadable(&self, spool: &Spool, path: &Path, why: &str) -> crate::Result<()> {
        spool.set_aside_unreadable(path, why)?;
        self.log.log(Record::new(Level::Warn, "unreadable", format!("{} is not a spool entry ({why}): moved to unreadable/", path.display())));
        Ok(())
    }
}

/// An order handed to a worker: its first entry (already read) and the order's lock.
pub(super) struct Job {
    pub(super) id: Option<String>,
    pub(super) lock: Option<OrderLock>,
    pub(super) path: PathBuf,
    pub(super) entry: Option<Entry>,
}

/// What the flush's threads share.
#[derive(Default)]
pub(super) struct Sched {
    /// Orders in flight in this flush, each with the entries queued behind it (read again when their turn comes).
    pub(super) active: HashMap<String, VecDeque<PathBuf>>,
    pub(super) jobs: VecDeque<Job>,
    /// Orders handed out and not finished.
    pub(super) in_flight: usize,
    /// Orders finished so far (the coordinator waits for this to move).
    pub(super) finished: usize,
    pub(super) workers: usize,
    pub(super) idle: usize,
    /// No more jobs will come: idle workers end.
    pub(super) done: bool,
    /// The failure that stops the flush (the first one).
    pub(super) stop: Option<Error>,
    pub(super) delivered: usize,
    pub(super) rejected: usize,
    pub(super) unreadable: usize,
    pub(super) unsynced: bool,
    /// An entry was delivered or refused for its content: the endpoint works, more may go at once.
    pub(super) answered: bool,
}

pub(super) struct Board {
    pub(super) state: Mutex<Sched>,
    pub(super) changed: Condvar,
}

impl Board {
    pub(super) fn lock(&self) -> MutexGuard<'_, Sched> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub(super) fn wait<'a>(&self, guard: MutexGuard<'a, Sched>) -> MutexGuard<'a, Sched> {
        self.changed.wait(guard).unwrap_or_else(|p| p.into_inner())
    }
}

/// Why a flush stopped when its time ran out.
pub(super) fn budget_used() -> Error {
    Error::new(ErrorKind::Timeout, "flush: the flush budget is used up (the rest waits for the next flush)")
}
