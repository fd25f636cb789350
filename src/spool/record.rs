//! `.last-flush`: how the last flush of the folder ended (when, outcome,
//! delivered, remaining), so that monitoring can tell a healthy empty spool
//! from a flusher that never runs.
//!
//! The folder may be writable by another user (docs/spool.md, "Security
//! model"), so the record is never written through an existing name: a new
//! temp file (`O_EXCL`, relative to the folder descriptor) replaces the old
//! record with one `renameat` inside the folder. Whatever sits at the name
//! (a link, a FIFO) is replaced, never followed; reading it is
//! `O_NOFOLLOW|O_NONBLOCK`, checked as the spool's own file, capped.

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::fsat::{self, Dir};
use super::{files, io_error, random_u32, Spool};
use crate::error::Result;

const NAME: &str = ".last-flush";
/// A record is a few hundred bytes; anything bigger was not written by us.
const MAX_RECORD: u64 = 16 << 10;
/// An error message kept in the record is cut here.
const MAX_ERROR: usize = 1024;

/// The last flush of a spool folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlushRecord {
    /// When it ended, seconds since the Unix epoch.
    pub finished_at: u64,
    /// `ok` (nothing left), `incomplete` (orders left: budget, refused,
    /// unreadable) or `failed` (stopped by a failure; `error` says which).
    pub outcome: String,
    pub delivered: u64,
    pub rejected: u64,
    pub remaining: u64,
    pub duration_ms: u64,
    /// Why it stopped (the library's message: never a key).
    #[serde(default)]
    pub error: Option<String>,
}

impl FlushRecord {
    /// A record of a flush that ends now.
    pub fn now(outcome: &str, delivered: u64, rejected: u64, remaining: u64, duration_ms: u64, error: Option<String>) -> FlushRecord {
        let error = error.map(|e| e.chars().take(MAX_ERROR).collect());
        FlushRecord { finished_at: unix_now(), outcome: outcome.to_owned(), delivered, rejected, remaining, duration_ms, error }
    }

    /// Seconds since the flush ended (0 when its time is in the future).
    pub fn age_secs(&self) -> u64 {
        unix_now().saturating_sub(self.finished_at)
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `renameat` within one folder: replaces `to` (whatever it is, never
/// followed); a folder planted at `to` makes it fail.
fn rename_over(dir: &Dir, from: &str, to: &str) -> io::Result<()> {
    let (a, b) = (std::ffi::CString::new(from)?, std::ffi::CString::new(to)?);
    // SAFETY: a valid folder descriptor and two NUL-terminated plain names (our own constants).
    let rc = unsafe { libc::renameat(dir.as_raw_fd(), a.as_ptr(), dir.as_raw_fd(), b.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl Spool {
    /// Replaces the folder's last-flush record, durably.
    pub fn write_flush_record(&self, record: &FlushRecord) -> Result<()> {
        let (root, sharing) = self.root()?;
        let tmp = format!("{NAME}.{:08x}.tmp", random_u32());
        let bytes = serde_json::to_vec(record).expect("a record always serialises");
        let write = || -> io::Result<()> {
            let mut f = root.create_new(&tmp, sharing.file_mode())?;
            sharing.apply(&f, false)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            rename_over(&root, &tmp, NAME)
        };
        if let Err(e) = write() {
            let _ = root.unlink(&tmp);
            return Err(io_error("write", &root.join(NAME), e));
        }
        root.sync().map_err(|e| io_error("sync folder", root.path(), e))
    }

    /// The last flush's record; None when there is none, or when what is
    /// there is not a record of ours (a link, a FIFO, another owner's file, junk).
    pub fn flush_record(&self) -> Result<Option<FlushRecord>> {
        let (root, sharing) = self.root()?;
        let mut file = match root.open_read(NAME) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
            Err(e) => return Err(io_error("read", &root.join(NAME), e)),
        };
        let st = fsat::fstat(&file).map_err(|e| io_error("read", &root.join(NAME), e))?;
        if sharing.foreign_file(&st).is_some() {
            return Ok(None);
        }
        let bytes = files::read_capped(&mut file, MAX_RECORD).map_err(|e| io_error("read", &root.join(NAME), e))?;
        Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn temp(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("spread-record-{tag}-{}-{:x}", std::process::id(), random_u32()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        dir
    }

    #[test]
    fn a_record_replaces_the_last_one() {
        let dir = temp("replace");
        let (spool, _) = Spool::open(&dir).unwrap();
        assert_eq!(spool.flush_record().unwrap(), None);
        spool.write_flush_record(&FlushRecord::now("failed", 0, 0, 3, 12, Some("network".into()))).unwrap();
        spool.write_flush_record(&FlushRecord::now("ok", 3, 0, 0, 40, None)).unwrap();
        let r = spool.flush_record().unwrap().unwrap();
        assert_eq!((r.outcome.as_str(), r.delivered, r.remaining, r.error.as_deref()), ("ok", 3, 0, None));
        assert!(r.age_secs() < 5);
        // No temp file is left behind, and nothing else was made.
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_planted_link_is_replaced_never_followed() {
        let dir = temp("link");
        let victim = temp("victim").join("file");
        std::fs::write(&victim, "untouched").unwrap();
        let (spool, _) = Spool::open(&dir).unwrap();
        symlink(&victim, dir.join(NAME)).unwrap();
        assert_eq!(spool.flush_record().unwrap(), None, "a link is not read");
        spool.write_flush_record(&FlushRecord::now("ok", 1, 0, 0, 1, None)).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert!(std::fs::symlink_metadata(dir.join(NAME)).unwrap().is_file());
        assert_eq!(spool.flush_record().unwrap().unwrap().delivered, 1);
        // Junk at the name is no record.
        std::fs::remove_file(dir.join(NAME)).unwrap();
        std::fs::write(dir.join(NAME), "not json").unwrap();
        assert_eq!(spool.flush_record().unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
        std::fs::remove_dir_all(victim.parent().unwrap()).unwrap();
    }
}
