//! Per-order locks: one update of an order in flight at a time, across
//! threads and processes. Orders hash into a fixed number of lock files in
//! `inflight/`, so the folder never grows; two orders rarely share one.

use std::fs::{File, TryLockError};
use std::time::{Duration, Instant};

use super::{files, io_error, Destination, Spool};
use crate::error::{Error, ErrorKind, Result};

/// Buckets of per-order locks: sends of different orders rarely share one.
const ORDER_LOCK_BUCKETS: u32 = 4096;

/// Holds one order's lock (its bucket's) while alive.
pub struct OrderLock {
    _file: crate::fork::HeldLock,
    bucket: u32,
}

impl Spool {
    fn order_bucket(destination: &Destination, order_id: &str) -> u32 {
        use sha2::{Digest, Sha256};
        let d = Sha256::digest(format!("{}\n{order_id}", destination.tag()).as_bytes());
        u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % ORDER_LOCK_BUCKETS
    }

    /// The lock that keeps two updates of one order from being in flight at
    /// once, across threads and processes; waits for it until `deadline`
    /// (None when it did not come in time).
    pub fn lock_order(&self, destination: &Destination, order_id: &str, deadline: Instant) -> Result<Option<OrderLock>> {
        let bucket = Self::order_bucket(destination, order_id);
        let name = format!("{bucket:03x}.lock");
        let path = self.dir.join("inflight").join(&name);
        let file: File = self.retrying(|| {
            let (root, sharing) = self.root()?;
            let inflight = self.sub(&root, sharing, "inflight")?;
            // Never written: opened to be locked; a planted name is replaced, never followed.
            let (file, _) = files::open_own(&inflight, sharing, &name).map_err(|why| Error::new(ErrorKind::Io, format!("spool: {} {why}", path.display())))?;
            Ok(file)
        })?;
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(OrderLock { _file: crate::fork::HeldLock::new(file), bucket })),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(io_error("lock", &path, e)),
            }
            if Instant::now() + pause >= deadline {
                return Ok(None);
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
    }

    /// Whether `lock` is the one that guards `order_id` (a send holding it may flush that order's entries).
    pub fn holds(lock: &OrderLock, destination: &Destination, order_id: &str) -> bool {
        lock.bucket == Self::order_bucket(destination, order_id)
    }
}
