//! Sending many orders at once: one queue of orders per order id (updates of
//! an order keep their order), up to 32 threads over kept connections, a
//! shared pause on Retry-After, one outcome per order, and progress
//! reported from the calling thread (bindings whose language is not
//! thread-safe, PHP, may only be called back on their own thread).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::order::Order;
use crate::send::client::{Client, Sent};
use crate::send::core::Core;
use crate::send::retry::Gate;
use crate::send::transport::MAX_CONCURRENCY;

/// The least time between two progress calls (besides the last one).
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Indices of `orders` grouped by order id, groups in first-seen order
/// (orders without an id each go alone).
fn queues(orders: &[&Order]) -> Vec<Vec<usize>> {
    let mut queues: Vec<Vec<usize>> = Vec::new();
    let mut queue_of: HashMap<String, usize> = HashMap::new();
    for (i, order) in orders.iter().enumerate() {
        match order.id() {
            Some(id) => match queue_of.get(id.as_ref()) {
                Some(&q) => queues[q].push(i),
                None => {
                    queue_of.insert(id.into_owned(), queues.len());
                    queues.push(vec![i]);
                }
            },
            None => queues.push(vec![i]),
        }
    }
    queues
}

impl Client {
    /// Sends `orders` on up to `concurrency` threads (1..=32), each as
    /// `send` would, and returns one outcome per order, in order. Blocks
    /// until done; `progress(done, total)` is called on this thread at most
    /// every 100 ms and once at the end.
    pub fn send_many(&self, orders: &[&Order], concurrency: usize, progress: Option<&mut dyn FnMut(usize, usize)>) -> Result<Vec<Result<Sent>>> {
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(Error::config("concurrency", format!("{concurrency} is out of range (1 to {MAX_CONCURRENCY})")));
        }
        Ok(self.core().send_many(orders, concurrency, progress))
    }
}

impl Core {
    fn send_many(&self, orders: &[&Order], concurrency: usize, mut progress: Option<&mut dyn FnMut(usize, usize)>) -> Vec<Result<Sent>> {
        // Spooled orders go first, once, rather than by whichever sender gets the lock.
        if let Some(spool) = &self.spool {
            if spool.has_pending(&self.destination).unwrap_or(false) {
                self.flush(Core::deadline(self.settings.timeout), None, false);
            }
        }
        let queues = queues(orders);
        let threads = concurrency.min(queues.len().max(1));
        let gate = Gate::default();
        let next = AtomicUsize::new(0);
        let done = (Mutex::new(0usize), Condvar::new());
        let results: Vec<Mutex<Option<Result<Sent>>>> = orders.iter().map(|_| Mutex::new(None)).collect();
        let total = orders.len();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    while let Some(queue) = queues.get(next.fetch_add(1, Ordering::Relaxed)) {
                        for &i in queue {
                            // A bug must cost this order, not the batch's other outcomes.
                            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.send(orders[i], Some(&gate)))).unwrap_or_else(|_| {
                                Err(Error::new(ErrorKind::Internal, "send_many: sending this order hit a bug in libspread (please report it)"))
                            });
                            *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                            *done.0.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                            done.1.notify_one();
                        }
                    }
                });
            }
            // This thread reports progress while the senders work.
            let mut reported = 0;
            let mut last = Instant::now();
            let mut count = done.0.lock().unwrap_or_else(|p| p.into_inner());
            while *count < total {
                count = done.1.wait_timeout(count, PROGRESS_EVERY).unwrap_or_else(|p| p.into_inner()).0;
                if let Some(report) = progress.as_deref_mut() {
                    if *count != reported && last.elapsed() >= PROGRESS_EVERY && *count < total {
                        reported = *count;
                        let now = *count;
                        drop(count);
                        report(now, total);
                        last = Instant::now();
                        count = done.0.lock().unwrap_or_else(|p| p.into_inner());
                    }
                }
            }
        });
        if let Some(report) = progress {
            report(total, total);
        }
        results
            .into_iter()
            .map(|slot| {
                slot.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_else(|| {
                    Err(Error::new(ErrorKind::Internal, "send_many: a sender thread stopped before sending this order (a bug in libspread)"))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_of_one_order_share_a_queue() {
        let mut a = Order::new();
        a.set("order_idorder", "1").unwrap();
        let mut b = Order::new();
        b.set("order_idorder", "2").unwrap();
        let none = Order::new();
        let q = queues(&[&a, &b, &a, &none, &none, &b]);
        assert_eq!(q, vec![vec![0, 2], vec![1, 5], vec![3], vec![4]]);
    }
}
