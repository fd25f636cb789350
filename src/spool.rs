//! The spool: orders that could not be delivered now, kept on disk until a
//! flush delivers them. One file per request, written crash-safely (temp
//! file, fsync, rename, fsync of the folder), so after any crash an entry is
//! either whole or absent. Files hold the endpoint and the form body, never
//! credentials; they are 0600 in a 0700 folder because bodies hold
//! customers' personal data.
//!
//! Layout of `DIR`: `*.req` entries (the name sorts oldest first), `tmp/`
//! for entries being written, `rejected/` for entries SPREAD refused (with a
//! `.answer` file beside each), `.lock` held by the one flusher at a time.

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, ErrorKind, Result};

const MAGIC: &str = "SPREAD-SPOOL 1";
const ENTRY_EXT: &str = "req";
/// A temp file this old belongs to a writer that died; younger ones may be in use.
const STALE_TMP: Duration = Duration::from_secs(600);

/// A request waiting in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: PathBuf,
    pub endpoint: String,
    pub order_id: Option<String>,
    pub body: Vec<u8>,
}

/// What `status` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpoolStatus {
    pub pending: usize,
    pub rejected: usize,
    /// Age of the oldest pending entry.
    pub oldest: Option<Duration>,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
}

/// Holds the flush lock while alive.
pub struct FlushLock {
    _file: File,
}

fn io_error(what: &str, path: &Path, e: io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("spool: cannot {what} {}: {e}", path.display()))
}

fn private_dir(path: &Path) -> Result<()> {
    match DirBuilder::new().mode(0o700).recursive(true).create(path) {
        Ok(()) => Ok(()),
        Err(e) => Err(io_error("create folder", path, e)),
    }
}

fn sync_dir(path: &Path) -> Result<()> {
    File::open(path).and_then(|d| d.sync_all()).map_err(|e| io_error("sync folder", path, e))
}

/// Names sort in the order entries were made: nanoseconds, then a
/// per-process sequence (a clock that steps back cannot reorder one process's
/// entries), then the pid (writers in different processes never collide).
fn next_name() -> String {
    static LAST: Mutex<u128> = Mutex::new(0);
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    let stamp = {
        let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
        *last = (*last + 1).max(now);
        *last
    };
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{stamp:024}-{seq:08}-{:010}.{ENTRY_EXT}", std::process::id())
}

fn stamp_of(path: &Path) -> Option<u128> {
    path.file_name()?.to_str()?.split('-').next()?.parse().ok()
}

impl Spool {
    /// Opens (creating if needed) the spool folder and its sub-folders.
    pub fn open(dir: &Path) -> Result<Spool> {
        if dir.as_os_str().is_empty() {
            return Err(Error::config("spool_dir", "must not be empty"));
        }
        for sub in [dir.to_path_buf(), dir.join("tmp"), dir.join("rejected")] {
            private_dir(&sub)?;
        }
        Ok(Spool { dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a request durably; returns once it would survive a crash.
    pub fn push(&self, endpoint: &str, order_id: Option<&str>, body: &[u8]) -> Result<PathBuf> {
        let name = next_name();
        let tmp = self.dir.join("tmp").join(format!("{name}.part"));
        let path = self.dir.join(&name);
        let mut header = format!("{MAGIC}\nendpoint {endpoint}\n");
        if let Some(id) = order_id {
            // Ids are validated free of control characters, so one line holds them.
            header.push_str(&format!("order {id}\n"));
        }
        header.push_str(&format!("length {}\n\n", body.len()));
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(header.as_bytes())?;
            f.write_all(body)?;
            f.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(io_error("write", &tmp, e));
        }
        fs::rename(&tmp, &path).map_err(|e| io_error("move into place", &path, e))?;
        sync_dir(&self.dir)?;
        Ok(path)
    }

    /// Pending entry paths, oldest first.
    pub fn entries(&self) -> Result<Vec<PathBuf>> {
        let mut paths: Vec<PathBuf> = fs::read_dir(&self.dir)
            .map_err(|e| io_error("list", &self.dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ENTRY_EXT))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Whether any request waits, without listing the whole folder.
    pub fn has_pending(&self) -> Result<bool> {
        let mut dir = fs::read_dir(&self.dir).map_err(|e| io_error("list", &self.dir, e))?;
        Ok(dir.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == ENTRY_EXT))))
    }

    /// How many requests wait to be delivered.
    pub fn pending(&self) -> Result<usize> {
        Ok(self.entries()?.len())
    }

    /// Pending and rejected counts, and the age of the oldest pending entry.
    pub fn status(&self) -> Result<SpoolStatus> {
        let paths = self.entries()?;
        let rejected_dir = self.dir.join("rejected");
        let rejected = fs::read_dir(&rejected_dir)
            .map_err(|e| io_error("list", &rejected_dir, e))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == ENTRY_EXT))
            .count();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
        let oldest = paths.first().and_then(|p| stamp_of(p)).map(|t| Duration::from_nanos(now.saturating_sub(t) as u64));
        Ok(SpoolStatus { pending: paths.len(), rejected, oldest })
    }

    /// Reads an entry; a file that is not a whole entry is an error naming it.
    pub fn read(path: &Path) -> Result<Entry> {
        let bytes = fs::read(path).map_err(|e| io_error("read", path, e))?;
        let corrupt = |why: &str| Error::new(ErrorKind::Io, format!("spool: {} is not a whole entry: {why}", path.display()));
        let split = bytes.windows(2).position(|w| w == b"\n\n").ok_or_else(|| corrupt("no header"))?;
        let header = std::str::from_utf8(&bytes[..split]).map_err(|_| corrupt("header is not UTF-8"))?;
        let body = &bytes[split + 2..];
        let mut lines = header.lines();
        if lines.next() != Some(MAGIC) {
            return Err(corrupt("unknown format"));
        }
        let (mut endpoint, mut order_id, mut length) = (None, None, None);
        for line in lines {
            match line.split_once(' ') {
                Some(("endpoint", v)) => endpoint = Some(v.to_owned()),
                Some(("order", v)) => order_id = Some(v.to_owned()),
                Some(("length", v)) => length = v.parse::<usize>().ok(),
                _ => return Err(corrupt("unknown header line")),
            }
        }
        if length != Some(body.len()) {
            return Err(corrupt("body length differs from its header"));
        }
        let endpoint = endpoint.ok_or_else(|| corrupt("no endpoint"))?;
        Ok(Entry { path: path.to_owned(), endpoint, order_id, body: body.to_vec() })
    }


    /// The flush lock, or None while another thread or process holds it.
    pub fn try_lock(&self) -> Result<Option<FlushLock>> {
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io_error("open", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FlushLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(io_error("lock", &path, e)),
        }
    }

    /// Forgets a delivered entry.
    pub fn remove(&self, path: &Path) -> Result<()> {
        fs::remove_file(path).map_err(|e| io_error("remove", path, e))?;
        sync_dir(&self.dir)
    }

    /// Moves an entry SPREAD refused to `rejected/`, with the reason beside it.
    pub fn reject(&self, path: &Path, reason: &str) -> Result<()> {
        let name = path.file_name().ok_or_else(|| Error::new(ErrorKind::Io, "spool: entry without a name"))?;
        let target = self.dir.join("rejected").join(name);
        let answer = target.with_extension("answer");
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&answer)
            .map_err(|e| io_error("write", &answer, e))?;
        f.write_all(reason.as_bytes()).and_then(|()| f.sync_all()).map_err(|e| io_error("write", &answer, e))?;
        fs::rename(path, &target).map_err(|e| io_error("move to rejected/", path, e))?;
        sync_dir(&self.dir.join("rejected"))?;
        sync_dir(&self.dir)
    }

    /// Deletes temp files left by writers that died mid-write.
    pub fn clean_stale_tmp(&self) {
        let Ok(dir) = fs::read_dir(self.dir.join("tmp")) else { return };
        for entry in dir.filter_map(|e| e.ok()) {
            let old = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
            if old.is_some_and(|age| age > STALE_TMP) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tempdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("spread-spool-{tag}-{}", next_name()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn push_read_reject_round_trip() {
        let dir = tempdir("rt");
        let spool = Spool::open(&dir).unwrap();
        let a = spool.push("updateOrder", Some("1"), b"a=1").unwrap();
        let b = spool.push("updateOrder", None, b"b=\n\n2").unwrap();
        assert_eq!(spool.entries().unwrap(), vec![a.clone(), b.clone()]);
        let e = Spool::read(&b).unwrap();
        assert_eq!((e.endpoint.as_str(), e.order_id, e.body.as_slice()), ("updateOrder", None, &b"b=\n\n2"[..]));
        assert_eq!(fs::metadata(&a).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
        spool.reject(&a, "HTTP 400: missing field").unwrap();
        let st = spool.status().unwrap();
        assert_eq!((st.pending, st.rejected), (1, 1));
        assert!(st.oldest.is_some());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn truncated_entries_are_refused() {
        let dir = tempdir("trunc");
        let spool = Spool::open(&dir).unwrap();
        let p = spool.push("updateOrder", Some("1"), b"abcdef").unwrap();
        let bytes = fs::read(&p).unwrap();
        fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(Spool::read(&p).unwrap_err().kind, ErrorKind::Io);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn one_flusher_at_a_time() {
        let dir = tempdir("lock");
        let spool = Spool::open(&dir).unwrap();
        let held = spool.try_lock().unwrap();
        assert!(held.is_some());
        assert!(spool.try_lock().unwrap().is_none());
        drop(held);
        assert!(spool.try_lock().unwrap().is_some());
        fs::remove_dir_all(dir).unwrap();
    }
}
