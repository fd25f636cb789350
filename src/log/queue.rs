//! Records kept for a caller that cannot be called back from the threads
//! doing the work (PHP, whose FFI callbacks crash off its own thread): the
//! sink only stores them; the caller drains them on its own thread.
//! Bounded: when full the oldest go first, and the next record drained says
//! how many were dropped.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::{Level, Logger, Record};

/// Records kept for the caller to drain; the oldest go first when full.
pub const QUEUE_CAPACITY: usize = 1000;

#[derive(Default)]
struct Queued {
    records: VecDeque<String>,
    dropped: usize,
}

/// A bounded queue of records as JSON (`Record::to_json`). Clones share it.
#[derive(Clone, Default)]
pub struct LogQueue(Arc<Mutex<Queued>>);

impl LogQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queued> {
        // A poisoned lock only means a sink panicked mid-push; the queue is still whole.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, record: &Record) {
        let json = record.to_json();
        let mut q = self.lock();
        if q.records.len() >= QUEUE_CAPACITY {
            q.records.pop_front();
            q.dropped += 1;
        }
        q.records.push_back(json);
    }

    /// The oldest record; first, when some were dropped, a "log_dropped" warning counting them.
    pub fn pop(&self) -> Option<String> {
        let mut q = self.lock();
        if q.dropped > 0 {
            let n = std::mem::take(&mut q.dropped);
            return Some(
                Record::new(Level::Warn, "log_dropped", format!("{n} log records were dropped: the queue was full (drain it more often)"))
                    .with("dropped", n)
                    .to_json(),
            );
        }
        q.records.pop_front()
    }

    /// A logger filling this queue with the records of `min_level` and above.
    pub fn logger(&self, min_level: Level) -> Logger {
        let queue = self.clone();
        Logger::new(Arc::new(move |r: &Record| queue.push(r)), min_level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_drops_the_oldest_and_says_so() {
        let q = LogQueue::default();
        let log = q.logger(Level::Info);
        log.log(Record::new(Level::Debug, "below", "not kept"));
        for i in 0..QUEUE_CAPACITY + 2 {
            log.log(Record::new(Level::Info, "n", i.to_string()));
        }
        let first = q.pop().unwrap();
        assert!(first.contains(r#""event":"log_dropped""#) && first.contains(r#""dropped":2"#), "{first}");
        assert!(q.pop().unwrap().contains(r#""message":"2""#), "the two oldest went first");
        assert_eq!(std::iter::from_fn(|| q.pop()).count(), QUEUE_CAPACITY - 1);
    }
}
