//! The spool's sequence counter: the order of entries, shared by every
//! process that uses the folder, and independent of the wall clock (a till
//! that boots with its clock ahead, an NTP step, containers on one volume).
//!
//! `.seq` holds `<boot id> <next number>`, read and advanced under an
//! exclusive `flock`. Within one boot every process sees the same page cache,
//! so the counter needs no fsync of its own; after a reboot (another boot
//! id) the file may have lost its last updates while entries written with
//! them were fsync'd, so the first process of the new boot also looks at the
//! highest number among the entries and starts above it.
//!
//! The counter lives in a folder another user may write: a `.seq` that is a
//! link, a FIFO, a file of someone else, unparsable, absurdly high, or held
//! locked for long is repaired or bypassed (numbered from the entries
//! themselves), with a note for the log, never a failed send.

use std::fs::{File, TryLockError};
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

use super::fsat::Dir;
use super::trust::Sharing;
use super::{entry, files};
use crate::error::Result;

fn retry_interrupted<T>(mut op: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    loop {
        match op() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

const NAME: &str = ".seq";
/// Numbers above this are not ours (2^62 entries are never written): a counter
/// or a name beyond it was planted, and must not make ours wrap.
const LIMIT: u64 = 1 << 62;
/// How long a send waits for the counter's lock before numbering without it.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// This boot's id, read once per process (it cannot change while the process lives).
fn boot_id() -> Option<&'static str> {
    static BOOT_ID: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    BOOT_ID.get_or_init(|| std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok().map(|s| s.trim().to_owned())).as_deref()
}

/// The number after the highest sequence number among the entry names in `dir`.
fn after_highest(dir: &Dir) -> std::io::Result<u64> {
    let mut next = 0;
    for (name, _) in dir.list()? {
        if let Some(n) = entry::parse_name(&name).filter(|n| n.seq < LIMIT) {
            next = next.max(n.seq + 1);
        }
    }
    Ok(next)
}

/// Takes the next number for the entries of `dir`, and a note when the
/// counter had to be repaired or bypassed.
pub fn take(dir: &Dir, sharing: Sharing) -> Result<(u64, Option<String>)> {
    let io = |what: &str, e: std::io::Error| super::io_error(what, &dir.join(NAME), e);
    let (file, mut note) = match files::open_own(dir, sharing, NAME) {
        Ok((file, replaced)) => (file, replaced.map(|why| format!("{why}: replaced by a new counter"))),
        Err(why) => return Ok((after_highest(dir).map_err(|e| io("list", e))?, Some(format!("{why}: numbered from the entries instead")))),
    };
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => std::thread::sleep(Duration::from_millis(2)),
            Err(TryLockError::WouldBlock) => {
                let why = format!("locked by another process for over {} s: numbered from the entries instead", LOCK_WAIT.as_secs());
                return Ok((after_highest(dir).map_err(|e| io("list", e))?, Some(why)));
            }
            Err(TryLockError::Error(e)) => return Err(io("lock", e)),
        }
    }
    // Unlocked when dropped, on every path (and a forked child lets go of it).
    let held = crate::fork::HeldLock::new(file);
    let file: &File = held.file();
    // One read: a regular file (checked above) gives what it holds up to the buffer's size.
    let mut buf = [0u8; 129];
    let len = retry_interrupted(|| file.read_at(&mut buf, 0)).map_err(|e| io("read", e))?;
    let text = if len <= 128 { String::from_utf8_lossy(&buf[..len]) } else { "".into() };
    let (stored_boot, stored_next) = match text.split_once(' ') {
        Some((b, n)) => (Some(b.to_owned()), n.trim().parse::<u64>().ok()),
        None => (None, None),
    };
    let stored_next = match stored_next {
        Some(n) if n >= LIMIT => {
            note = Some(format!("held {n}, beyond any real count: numbered from the entries"));
            None
        }
        Some(n) => Some(n),
        None if !text.is_empty() => {
            note = Some("was not a counter: numbered from the entries".into());
            None
        }
        None => None,
    };
    let boot = boot_id();
    let mut next = stored_next.unwrap_or(0);
    if boot.is_none() || stored_boot.as_deref() != boot || stored_next.is_none() {
        // First use in this boot (or ever): never go below what is on disk.
        next = next.max(after_highest(dir).map_err(|e| io("list", e))?);
    }
    // A fixed width, written over the old line in place: no truncation (which ext4
    // answers with a flush of the file at close, for every entry).
    let line = format!("{} {:020}\n", boot.unwrap_or("-"), next + 1);
    let written = file.write_all_at(line.as_bytes(), 0);
    let shorter = if len > line.len() { file.set_len(line.len() as u64) } else { Ok(()) };
    written.and(shorter).map_err(|e| io("write", e))?;
    drop(held);
    Ok((next, note))
}
