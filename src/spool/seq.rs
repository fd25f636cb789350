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

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::entry;
use crate::error::Result;

fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok().map(|s| s.trim().to_owned())
}

/// The highest sequence number among the entry names in `dir`.
fn highest_in(dir: &Path) -> std::io::Result<Option<u64>> {
    let mut highest = None;
    for item in std::fs::read_dir(dir)? {
        let name = item?.file_name();
        if let Some((seq, _)) = name.to_str().and_then(entry::parse_name) {
            highest = highest.max(Some(seq));
        }
    }
    Ok(highest)
}

/// Takes the next number from the counter file `file` (already open, read
/// and write) for the entries of `dir`.
pub fn take(file: &mut File, dir: &Path) -> Result<u64> {
    let io = |what: &str, e: std::io::Error| super::io_error(what, &dir.join(".seq"), e);
    file.lock().map_err(|e| io("lock", e))?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(|e| io("read", e))?;
    let (stored_boot, stored_next) = match text.split_once(' ') {
        Some((b, n)) => (Some(b.to_owned()), n.trim().parse::<u64>().ok()),
        None => (None, None),
    };
    let boot = boot_id();
    let mut next = stored_next.unwrap_or(0);
    if boot.is_none() || stored_boot != boot || stored_next.is_none() {
        // First use in this boot (or ever): never go below what is on disk.
        if let Some(high) = highest_in(dir).map_err(|e| io("list", e))? {
            next = next.max(high + 1);
        }
    }
    let line = format!("{} {}\n", boot.as_deref().unwrap_or("-"), next + 1);
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.set_len(0))
        .and_then(|()| file.write_all(line.as_bytes()))
        .map_err(|e| io("write", e))?;
    file.unlock().map_err(|e| io("unlock", e))?;
    Ok(next)
}
