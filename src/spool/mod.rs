//! The spool: requests that could not be delivered now, kept on disk until a
//! flush delivers them. One file per request, written crash-safely (temp
//! file, fsync, rename that never replaces, fsync of the folder), so after
//! any crash an entry is either whole or absent.
//!
//! Layout of `DIR`:
//! - `*.req` entries, named so that they sort in delivery order (entry.rs);
//! - `tmp/` entries being written; `rejected/` entries SPREAD refused for
//!   their content, each with a `.answer`; `unreadable/` complete files that
//!   are not entries, each with a `.why`; `inflight/` per-order locks;
//! - `.seq` the sequence counter (seq.rs). The flusher locks the folder itself.
//!
//! Trust: bodies hold customers' personal data and a flush sends whatever it
//! finds with the client's keys, so the folder must not be writable by
//! others: it is refused when world-writable or owned by another user, unless
//! it is group-writable and this process belongs to its group (the php-fpm +
//! cron set-up in the README), in which case files are made 0660 with the
//! folder's group so every member can flush them. Otherwise files are 0600 in
//! 0700 folders. Nothing inside is followed through a symlink. A folder that
//! disappears (a tmp cleaner) is made again.

mod entry;
mod locks;
mod rejected;
mod seq;
mod trust;

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub use entry::{Destination, Entry, Owner, UPDATE_ORDER};
pub use locks::OrderLock;
pub use rejected::Rejected;
use trust::{euid, trust, Sharing};

use crate::error::{Error, ErrorKind, Result};

/// A temp file this old belongs to a writer that died; younger ones may be in use.
const STALE_TMP: Duration = Duration::from_secs(600);
const SUBDIRS: [&str; 4] = ["tmp", "rejected", "unreadable", "inflight"];

pub(crate) fn io_error(what: &str, path: &Path, e: io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("spool: cannot {what} {}: {e}", path.display()))
}

/// What `status` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SpoolStatus {
    /// Entries for this client's destination.
    pub pending: usize,
    /// Entries for other destinations (another shop, the sandbox…), left alone.
    pub foreign: usize,
    /// Entries from libspread 0.1, which did not record their destination.
    pub legacy: usize,
    pub rejected: usize,
    pub unreadable: usize,
    /// Age of the oldest pending entry (from its file's time).
    #[serde(rename = "oldest_secs", serialize_with = "secs")]
    pub oldest: Option<Duration>,
}

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_some(&d.map(|d| d.as_secs()))
}

impl SpoolStatus {
    /// `{"pending":3,"foreign":0,"legacy":0,"rejected":1,"unreadable":0,"oldest_secs":42}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("plain counts always serialise")
    }
}

#[derive(Clone, Debug)]
pub struct Spool {
    dir: PathBuf,
}

/// Holds the flush lock while alive.
pub struct FlushLock {
    _dir: crate::fork::HeldLock,
}

/// The entry names of a folder listing (regular files only), sorted: delivery order.
fn entry_names(listing: fs::ReadDir) -> Vec<String> {
    let mut names: Vec<String> = listing
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".req"))
        .collect();
    names.sort();
    names
}

/// Opens a file inside the spool without following a symlink.
fn open_nofollow(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    options.custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(path)
}

fn sync_dir(path: &Path) -> Result<()> {
    File::open(path).and_then(|d| d.sync_all()).map_err(|e| io_error("sync folder", path, e))
}

/// Moves `from` to `to`, failing rather than replacing an existing `to`.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput));
    let (a, b) = (c(from)?, c(to)?);
    // SAFETY: two NUL-terminated paths; renameat2 is called by number because
    // glibc only wraps it from 2.28 and the portable build targets 2.17.
    let rc = unsafe {
        libc::syscall(libc::SYS_renameat2, libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_NOREPLACE)
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // Kernels or file systems without renameat2: a hard link also refuses to replace.
        Some(libc::ENOSYS | libc::EINVAL) => fs::hard_link(from, to).and_then(|()| fs::remove_file(from)),
        _ => Err(err),
    }
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

impl Spool {
    /// Opens (creating if needed) the spool folder and its sub-folders,
    /// after checking that it can be trusted. Also says whether the folder
    /// itself had to be created.
    pub fn open(dir: &Path) -> Result<(Spool, bool)> {
        if dir.as_os_str().is_empty() {
            return Err(Error::config("spool_dir", "must not be empty"));
        }
        let spool = Spool { dir: dir.to_path_buf() };
        let created = spool.prepare()?;
        Ok((spool, created))
    }

    /// Makes the folder and its sub-folders exist and checks them; true when
    /// the folder itself was made now.
    fn prepare(&self) -> Result<bool> {
        let created = match fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                DirBuilder::new().mode(0o700).recursive(true).create(&self.dir).map_err(|e| io_error("create folder", &self.dir, e))?;
                true
            }
            _ => false,
        };
        let sharing = trust(&self.dir)?;
        for sub in SUBDIRS {
            let path = self.dir.join(sub);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_dir() => {}
                Ok(_) => {
                    return Err(Error::config("spool_dir", format!("{} is not a folder (a symlink?): remove it", path.display())));
                }
                Err(_) => {
                    match DirBuilder::new().mode(sharing.dir_mode() & 0o777).create(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue, // another process made it
                        Err(e) => return Err(io_error("create folder", &path, e)),
                    }
                    let made = File::open(&path).map_err(|e| io_error("open", &path, e))?;
                    sharing.apply(&made, true).map_err(|e| io_error("set the group of", &path, e))?;
                }
            }
        }
        Ok(created)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `op`; if it failed because the folder was removed meanwhile,
    /// makes the folder again and runs it once more.
    fn retrying<T>(&self, op: impl Fn() -> Result<T>) -> Result<T> {
        match op() {
            Err(e) if e.kind == ErrorKind::Io && !self.dir.join("tmp").is_dir() => {
                self.prepare()?;
                op()
            }
            other => other,
        }
    }

    /// Writes a request durably and returns its path once it would survive
    /// a crash: written to `tmp/`, fsync'd, renamed into place without
    /// replacing anything, and the folder fsync'd.
    pub fn push(&self, destination: &Destination, order_id: Option<&str>, body: &[u8]) -> Result<PathBuf> {
        self.push_at(destination, order_id, body, None)
    }

    /// `push` at a place in the queue taken earlier with [`Spool::reserve`]
    /// (None: the next one).
    pub fn push_at(&self, destination: &Destination, order_id: Option<&str>, body: &[u8], seq: Option<u64>) -> Result<PathBuf> {
        self.retrying(|| {
            let sharing = trust(&self.dir)?;
            let seq = match seq {
                Some(seq) => seq,
                None => self.take_seq(sharing)?,
            };
            let bytes = entry::Meta::new(seq, destination, order_id, body.len()).file_bytes(body);
            let name = entry::file_name(seq, &destination.tag(), random_u32());
            let tmp = self.dir.join("tmp").join(format!("{name}.part"));
            let path = self.dir.join(&name);
            let write = || -> io::Result<()> {
                let mut f = open_nofollow(&tmp, OpenOptions::new().write(true).create_new(true).mode(sharing.file_mode()))?;
                sharing.apply(&f, false)?;
                f.write_all(&bytes)?;
                f.sync_all()
            };
            if let Err(e) = write() {
                let _ = fs::remove_file(&tmp);
                return Err(io_error("write", &tmp, e));
            }
            if let Err(e) = rename_noreplace(&tmp, &path) {
                let _ = fs::remove_file(&tmp);
                return Err(io_error("move into place", &path, e));
            }
            sync_dir(&self.dir)?;
            Ok(path)
        })
    }

    /// Takes the next place in the queue now, for an entry that may be
    /// written later (a send that has not failed yet).
    pub fn reserve(&self) -> Result<u64> {
        self.retrying(|| self.take_seq(trust(&self.dir)?))
    }

    fn take_seq(&self, sharing: Sharing) -> Result<u64> {
        let path = self.dir.join(".seq");
        let mut file = open_nofollow(&path, OpenOptions::new().read(true).write(true).create(true).truncate(false).mode(sharing.file_mode()))
            .map_err(|e| io_error("open", &path, e))?;
        if file.metadata().is_ok_and(|m| m.uid() == euid()) {
            sharing.apply(&file, false).map_err(|e| io_error("set the group of", &path, e))?;
        }
        seq::take(&mut file, &self.dir)
    }

    /// Entry names in the folder (regular files only), sorted: delivery order.
    fn names(&self) -> Result<Vec<String>> {
        let listing = fs::read_dir(&self.dir).map_err(|e| io_error("list", &self.dir, e));
        let listing = match listing {
            Err(_) if !self.dir.exists() => {
                self.prepare()?;
                return Ok(Vec::new());
            }
            other => other?,
        };
        Ok(entry_names(listing))
    }

    /// The entries `destination` should deliver, oldest first (`legacy`: also
    /// libspread 0.1's entries, whose destination is unknown).
    pub fn entries_for(&self, destination: &Destination, legacy: bool) -> Result<Vec<PathBuf>> {
        let tag = destination.tag();
        Ok(self
            .names()?
            .into_iter()
            .filter(|n| match entry::parse_name(n) {
                Some((_, t)) => t == tag,
                None => legacy,
            })
            .map(|n| self.dir.join(n))
            .collect())
    }

    /// Whether any entry of `destination` waits.
    pub fn has_pending(&self, destination: &Destination) -> Result<bool> {
        let tag = destination.tag();
        Ok(self.names()?.iter().any(|n| entry::parse_name(n).is_some_and(|(_, t)| t == tag)))
    }

    /// How many entries of `destination` wait.
    pub fn pending(&self, destination: &Destination) -> Result<usize> {
        Ok(self.entries_for(destination, false)?.len())
    }

    /// Pending (ours), foreign, legacy, rejected and unreadable counts, and the
    /// age of our oldest entry.
    pub fn status(&self, destination: &Destination) -> Result<SpoolStatus> {
        let tag = destination.tag();
        let mut st = SpoolStatus::default();
        let mut oldest: Option<SystemTime> = None;
        for name in self.names()? {
            match entry::parse_name(&name) {
                Some((_, t)) if t == tag => {
                    st.pending += 1;
                    if oldest.is_none() {
                        oldest = fs::symlink_metadata(self.dir.join(&name)).and_then(|m| m.modified()).ok();
                    }
                }
                Some(_) => st.foreign += 1,
                None => st.legacy += 1,
            }
        }
        st.oldest = oldest.map(|t| t.elapsed().unwrap_or_default());
        st.rejected = self.count_in("rejected", ".req")?;
        st.unreadable = self.count_in("unreadable", ".why")?;
        Ok(st)
    }

    fn count_in(&self, sub: &str, suffix: &str) -> Result<usize> {
        let dir = self.dir.join(sub);
        match fs::read_dir(&dir) {
            Ok(listing) => Ok(listing.filter_map(|e| e.ok()).filter(|e| e.file_name().to_string_lossy().ends_with(suffix)).count()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(io_error("list", &dir, e)),
        }
    }

    /// Reads an entry. `Ok(None)`: it is gone (another flusher delivered it).
    /// `Err` with `ErrorKind::Io`: it could not be read now (permissions,
    /// too many open files…) and stays where it is. `Ok(Some(Err(why)))`: the
    /// file is complete but is not an entry.
    pub fn read(&self, path: &Path) -> Result<Option<std::result::Result<Entry, String>>> {
        let mut file = match open_nofollow(path, OpenOptions::new().read(true)) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", path, e)),
        };
        let meta = file.metadata().map_err(|e| io_error("read", path, e))?;
        if !meta.is_file() {
            return Ok(Some(Err("not a regular file".into())));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut bytes).map_err(|e| io_error("read", path, e))?;
        Ok(Some(entry::parse(&bytes)))
    }

    /// The flush lock (on the folder itself), or None while another thread
    /// or process holds it.
    pub fn try_lock(&self) -> Result<Option<FlushLock>> {
        let dir = self.retrying(|| File::open(&self.dir).map_err(|e| io_error("open", &self.dir, e)))?;
        match dir.try_lock() {
            Ok(()) => Ok(Some(FlushLock { _dir: crate::fork::HeldLock::new(dir) })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(io_error("lock", &self.dir, e)),
        }
    }

    /// Forgets a delivered entry.
    pub fn remove(&self, path: &Path) -> Result<()> {
        self.remove_unsynced(path)?;
        self.sync()
    }

    /// Forgets a delivered entry; durable only after the next [`Spool::sync`].
    /// A flush removes a pass's entries this way and syncs the folder once:
    /// after a crash in between, an entry may come back and be sent again,
    /// which SPREAD's update by order id makes harmless (never lost, never reordered).
    pub fn remove_unsynced(&self, path: &Path) -> Result<()> {
        fs::remove_file(path).map_err(|e| io_error("remove", path, e))
    }

    /// Makes the folder's changes durable (fsync of the folder).
    pub fn sync(&self) -> Result<()> {
        sync_dir(&self.dir)
    }

    /// Moves `path` into `sub/` with a note beside it (`<name>.<note_ext>`),
    /// durably: the note first, then the move, then both folders synced.
    fn set_aside(&self, path: &Path, sub: &str, note_ext: &str, note: &str) -> Result<PathBuf> {
        let name = path.file_name().ok_or_else(|| Error::new(ErrorKind::Io, "spool: entry without a name"))?.to_owned();
        let sharing = trust(&self.dir)?;
        let target_dir = self.dir.join(sub);
        let target = target_dir.join(&name);
        let note_path = target_dir.join(format!("{}.{note_ext}", name.to_string_lossy()));
        let write = || -> io::Result<()> {
            let mut f = open_nofollow(&note_path, OpenOptions::new().write(true).create(true).truncate(true).mode(sharing.file_mode()))?;
            sharing.apply(&f, false)?;
            f.write_all(note.as_bytes())?;
            f.sync_all()
        };
        write().map_err(|e| io_error("write", &note_path, e))?;
        fs::rename(path, &target).map_err(|e| io_error(&format!("move to {sub}/"), path, e))?;
        sync_dir(&target_dir)?;
        sync_dir(&self.dir)?;
        Ok(target)
    }

    /// Moves an entry SPREAD refused to `rejected/`, with its answer beside it.
    pub fn reject(&self, path: &Path, answer: &str) -> Result<()> {
        self.set_aside(path, "rejected", "answer", answer).map(drop)
    }

    /// Moves a complete file that is not an entry to `unreadable/`, with why.
    pub fn set_aside_unreadable(&self, path: &Path, why: &str) -> Result<()> {
        self.set_aside(path, "unreadable", "why", why).map(drop)
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
mod tests;
