//! One update of an order in flight at a time, within this process, for
//! clients without a spool (with a spool, `Spool::lock_order` does this
//! across processes too, and a busy order is queued instead of waited for).

use std::collections::HashSet;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::fork::PerProcess;
use crate::spool::Destination;

/// Per process: a child of fork() does not wait for its parent's sends.
static IN_FLIGHT: PerProcess<(Mutex<HashSet<String>>, Condvar)> = PerProcess::new();

/// This order's turn; released when dropped.
pub struct Turn {
    key: Option<String>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let (set, freed) = IN_FLIGHT.get_or_init(Default::default);
            set.lock().unwrap_or_else(|p| p.into_inner()).remove(&key);
            freed.notify_all();
        }
    }
}

/// Waits until no other thread is sending order `id` to `destination`, at
/// most until `deadline` (a Timeout error then). Orders without an id never wait.
pub fn wait_turn(destination: &Destination, id: Option<&str>, deadline: Instant) -> Result<Turn> {
    let Some(id) = id else { return Ok(Turn { key: None }) };
    let key = format!("{}\n{id}", destination.tag());
    let (set, freed) = IN_FLIGHT.get_or_init(Default::default);
    let mut busy = set.lock().unwrap_or_else(|p| p.into_inner());
    while busy.contains(&key) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::new(ErrorKind::Timeout, format!("order {id}: an earlier update of it was still being sent when the time budget ran out")));
        }
        busy = freed.wait_timeout(busy, left).unwrap_or_else(|p| p.into_inner()).0;
    }
    busy.insert(key.clone());
    Ok(Turn { key: Some(key) })
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
        let waiter = std::thread::spawn(move || wait_turn(&Destination::new("https://x/api", "K"), Some("42"), Instant::now() + Duration::from_secs(5)).is_ok());
        std::thread::sleep(Duration::from_millis(50));
        drop(first);
        assert!(waiter.join().unwrap());
    }
}
