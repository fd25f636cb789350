//! One update of an order in flight at a time, within this process, for
//! clients without a spool (with a spool, `Spool::lock_order` does this
//! across processes too, and a busy order is queued instead of waited for).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::fork::PerProcess;
use crate::spool::Destination;

/// Orders in flight, and per order the tickets of the sends waiting for it,
/// first come first: a condvar alone wakes waiters in any order, and the
/// turn must go to the oldest update.
#[derive(Default)]
struct Turns {
    busy: HashSet<String>,
    waiting: HashMap<String, VecDeque<u64>>,
    next_ticket: u64,
}

/// Per process: a child of fork() does not wait for its parent's sends.
static IN_FLIGHT: PerProcess<(Mutex<Turns>, Condvar)> = PerProcess::new();

/// This order's turn; released when dropped.
pub struct Turn {
    /// The order's key and the process's turns it was taken from.
    key: Option<(String, &'static (Mutex<Turns>, Condvar))>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some((key, (turns, freed))) = self.key.take() {
            let mut t = turns.lock().unwrap_or_else(|p| p.into_inner());
            t.busy.remove(&key);
            // Waking costs a system call even with nobody waiting: only when someone waits for this order.
            if t.waiting.contains_key(&key) {
                drop(t);
                freed.notify_all();
            }
        }
    }
}

/// Waits until no other thread is sending order `id` to `destination` and
/// every send of it that started earlier has had its turn, at most until
/// `deadline` (a Timeout error then). Orders without an id never wait.
pub fn wait_turn(destination: &Destination, id: Option<&str>, deadline: Instant) -> Result<Turn> {
    let Some(id) = id else { return Ok(Turn { key: None }) };
    // The destination's own fields, not its tag (a hash per send).
    // Pushed, not format!ted: formatting costs more than the rest of this function.
    let mut key = String::with_capacity(destination.base_url.len() + destination.key.len() + id.len() + 2);
    for part in [&destination.base_url[..], "\n", &destination.key[..], "\n", id] {
        key.push_str(part);
    }
    let in_flight = IN_FLIGHT.get_or_init(Default::default);
    let (turns, freed) = in_flight;
    let mut t = turns.lock().unwrap_or_else(|p| p.into_inner());
    if !t.busy.contains(&key) && !t.waiting.contains_key(&key) {
        // Nobody sends it nor waits for it (the usual case): no ticket to queue.
        t.busy.insert(key.clone());
        return Ok(Turn { key: Some((key, in_flight)) });
    }
    let ticket = t.next_ticket;
    t.next_ticket += 1;
    t.waiting.entry(key.clone()).or_default().push_back(ticket);
    loop {
        let first = t.waiting.get(&key).and_then(|q| q.front()) == Some(&ticket);
        if first && !t.busy.contains(&key) {
            if let Some(queue) = t.waiting.get_mut(&key) {
                queue.pop_front();
                if queue.is_empty() {
                    t.waiting.remove(&key);
                }
            }
            t.busy.insert(key.clone());
            return Ok(Turn { key: Some((key, in_flight)) });
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // Give up the place, so that the sends behind this one are not held up by it.
            if let Some(queue) = t.waiting.get_mut(&key) {
                queue.retain(|&n| n != ticket);
                if queue.is_empty() {
                    t.waiting.remove(&key);
                }
            }
            drop(t);
            freed.notify_all();
            return Err(Error::new(ErrorKind::Timeout, format!("order {id}: an earlier update of it was still being sent when the time budget ran out")));
        }
        t = freed.wait_timeout(t, left).unwrap_or_else(|p| p.into_inner()).0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_update_of_an_order_at_a_time() {
        let d = Destination::new("https://x/api", "K");
        let first = wait_turn(&d, Some("42"), Instant::now() + Duration::from_secs(1)).unwrap();
        let _other = wait_turn(&d, Some("43"), Instant::now()).unwrap();
        let e = wait_turn(&d, Some("42"), Instant::now() + Duration::from_millis(20)).err().unwrap();
        assert_eq!(e.kind, ErrorKind::Timeout);
        let waiter =
            std::thread::spawn(move || wait_turn(&Destination::new("https://x/api", "K"), Some("42"), Instant::now() + Duration::from_secs(5)).is_ok());
        std::thread::sleep(Duration::from_millis(50));
        drop(first);
        assert!(waiter.join().unwrap());
    }
}
