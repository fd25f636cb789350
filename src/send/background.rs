//! Background delivery of enqueued orders.
//!
//! One delivery thread per process for each (spool folder, destination,
//! connection settings), shared by every client with those: a php-fpm
//! worker that makes a client per request keeps one thread across requests,
//! so freeing the client at the end of a request neither kills the thread
//! nor makes the page wait. The thread flushes the destination's entries
//! (ordering, retries and rejection as `flush`), then sleeps until woken by
//! an enqueue, backing off while SPREAD is unreachable and looking again
//! every minute for entries other processes left behind.
//!
//! The thread is started lazily by the first enqueue, never before a fork.
//! The registry is per process (see `crate::fork`): a forked child (a
//! php-fpm worker forked after preload, a queue worker's child) does not
//! have its parent's threads, so it starts its own when it enqueues. Nothing is lost if the process dies: entries are on disk before
//! `enqueue` returns, and the next flush (any process, the cron) sends them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::fork::PerProcess;
use crate::log::{Level, Record};
use crate::send::core::Core;
use crate::send::retry;
use crate::send::transport::AgentSpec;

/// How often an idle thread looks for entries left by other processes.
const IDLE_CHECK: Duration = Duration::from_secs(60);
/// An idle thread with nothing to do for this long ends (the next enqueue starts another).
const IDLE_EXIT: Duration = Duration::from_secs(600);
/// The longest pause between tries while SPREAD cannot be reached.
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// While another process flushes the folder, look again after this.
const BUSY_PAUSE: Duration = Duration::from_millis(200);

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    dir: PathBuf,
    tag: String,
    spec: AgentSpec,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Between flushes, nothing known to be waiting.
    Idle,
    /// Entries were enqueued and not flushed yet, or a flush is running.
    Working,
    /// The last flush failed; waiting before the next try.
    Failing,
}

struct State {
    phase: Phase,
    /// An enqueue happened since the last flush started.
    woken: bool,
    /// The latest client's core: its logger gets the thread's records.
    core: Arc<Core>,
    running: bool,
    /// The thread waits on `changed` (only then does an enqueue need to wake it: a wake is a system call).
    sleeping: bool,
}

struct Deliverer {
    state: Mutex<State>,
    changed: Condvar,
}

struct Registry {
    threads: HashMap<Key, Arc<Deliverer>>,
}

static REGISTRY: PerProcess<Mutex<Registry>> = PerProcess::new();

fn key_of(core: &Core) -> Option<Key> {
    let spool = core.spool.as_ref()?;
    Some(Key { dir: spool.dir().to_path_buf(), tag: core.destination.tag(), spec: core.settings.agent_spec() })
}

fn deliverer(core: &Arc<Core>, start: bool) -> Option<Arc<Deliverer>> {
    let key = key_of(core)?;
    let registry = REGISTRY.get_or_init(|| Mutex::new(Registry { threads: HashMap::new() }));
    let mut registry = registry.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(d) = registry.threads.get(&key) {
        let mut state = d.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.running || !start {
            state.core = core.clone();
            drop(state);
            return Some(d.clone());
        }
    }
    if !start {
        return None;
    }
    let d = Arc::new(Deliverer {
        state: Mutex::new(State { phase: Phase::Working, woken: true, core: core.clone(), running: true, sleeping: false }),
        changed: Condvar::new(),
    });
    let worker = d.clone();
    let spawned = std::thread::Builder::new().name("spread-delivery".into()).spawn(move || worker.run());
    if let Err(e) = spawned {
        core.log.log(Record::new(
            Level::Error,
            "delivery_thread",
            format!("cannot start the delivery thread ({e}): orders stay in the spool for the next flush"),
        ));
        return None;
    }
    registry.threads.insert(key, d.clone());
    Some(d)
}

/// Tells the delivery thread of `core`'s destination that an entry is
/// waiting, starting the thread if needed.
pub(crate) fn wake(core: &Arc<Core>) {
    if let Some(d) = deliverer(core, true) {
        let mut state = d.state.lock().unwrap_or_else(|p| p.into_inner());
        state.woken = true;
        if state.phase == Phase::Idle {
            state.phase = Phase::Working;
        }
        // Those waiting for Working to end (settle) have nothing new to see; the thread does if asleep.
        if state.sleeping {
            d.changed.notify_all();
        }
    }
}

/// Waits at most `timeout` for the delivery thread to have nothing left that
/// it can deliver now (idle, or failing and backing off).
pub(crate) fn settle(core: &Arc<Core>, timeout: Duration) {
    let Some(d) = deliverer(core, false) else { return };
    let deadline = Instant::now() + timeout;
    let mut state = d.state.lock().unwrap_or_else(|p| p.into_inner());
    while state.running && state.phase == Phase::Working {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        state = d.changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
    }
}

impl Deliverer {
    fn set(&self, phase: Phase) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).phase = phase;
        self.changed.notify_all();
    }

    fn run(self: Arc<Self>) {
        let mut failures = 0u32;
        let mut idle_since = Instant::now();
        loop {
            let core = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.woken = false;
                state.core.clone()
            };
            let report = core.flush(Core::deadline(core.settings.flush_budget), None, false);
            let pause = if report.busy {
                BUSY_PAUSE
            } else if let Some(e) = &report.stopped_by {
                failures += 1;
                let pause = e.retry_after.unwrap_or_else(|| retry::backoff(failures + 2)).min(MAX_PAUSE);
                // Logged before the phase changes: a client being freed waits for that change.
                core.log.emit(Level::Warn, || {
                    Record::new(Level::Warn, "retry", format!("background delivery stopped: {e}; next try in {} ms", pause.as_millis()))
                        .with("reason", e.message.clone())
                        .with("wait_ms", pause.as_millis())
                });
                self.set(Phase::Failing);
                pause
            } else {
                failures = 0;
                IDLE_CHECK
            };
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if report.emptied() && !state.woken {
                state.phase = Phase::Idle;
                self.changed.notify_all();
            }
            // Sleep until woken (unless backing off after a failure) or the pause ends.
            let until = Instant::now() + pause;
            loop {
                let left = until.saturating_duration_since(Instant::now());
                let wake_now = state.woken && state.phase != Phase::Failing;
                if wake_now || left.is_zero() {
                    break;
                }
                state.sleeping = true;
                state = self.changed.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0;
                state.sleeping = false;
            }
            if state.phase == Phase::Idle && !state.woken {
                if idle_since.elapsed() >= IDLE_EXIT {
                    state.running = false;
                    self.changed.notify_all();
                    return;
                }
            } else {
                idle_since = Instant::now();
            }
            if state.phase == Phase::Failing {
                state.phase = Phase::Working;
            }
        }
    }
}
