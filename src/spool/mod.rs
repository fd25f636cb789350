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
//! - `.seq` the sequence counter (seq.rs); `.last-flush` how the last flush
//!   ended (record.rs). The flusher locks the folder itself.
//!
//! Trust: bodies hold customers' personal data and a flush sends whatever it
//! finds with the client's keys, so the folder must not be writable by
//! others: it is refused when world-writable or owned by another user, unless
//! it is group-writable and this process belongs to its group (the php-fpm +
//! cron set-up in docs/spool.md), in which case files are made 0660 with the
//! folder's group so every member can flush them. Otherwise files are 0600 in
//! 0700 folders. A folder that disappears (a tmp cleaner) is made again.
//!
//! A writer of the folder is trusted with orders, never with anything beyond
//! them (docs/spool.md, "Security model"): every operation works relative to
//! folder descriptors (fsat.rs), never follows a link, never blocks on a FIFO,
//! never reads more than [`MAX_ENTRY`] bytes of a file, and never writes
//! through a name it did not create. Root never works in a folder another
//! user can write (trust.rs): the `spread` command switches to its owner.

mod adopt;
mod entry;
mod files;
mod fsat;
mod locks;
mod record;
mod rejected;
mod seq;
mod status;
mod trust;

use std::fs::{DirBuilder, File, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use entry::{order_key, Destination, Entry, Owner, UPDATE_ORDER};
pub(crate) use fsat::io_error;
use fsat::Dir;
pub use locks::OrderLock;
pub use record::FlushRecord;
pub use rejected::Rejected;
pub use status::{SpoolStatus, Stranded};
pub use trust::ROOT_FIX;
use trust::{trust, Sharing};

use crate::error::{Error, ErrorKind, Result};
use crate::log::{Level, Logger, Record};

/// The largest entry a spool holds (an order's body is a few KiB): a bigger
/// file is never read, it goes to `unreadable/`, and a bigger order is refused.
pub const MAX_ENTRY: u64 = 8 << 20;
/// A temp file this old belongs to a writer that died; younger ones may be in use.
const STALE_TMP: Duration = Duration::from_secs(600);
const SUBDIRS: [&str; 4] = ["tmp", "rejected", "unreadable", "inflight"];

/// For fuzzing: parses an entry file's bytes as a flush does.
#[doc(hidden)]
pub fn parse_entry_bytes(bytes: &[u8]) -> std::result::Result<Entry, String> {
    entry::parse(bytes)
}

#[derive(Clone, Debug)]
pub struct Spool {
    dir: PathBuf,
    /// Where repairs (a broken counter…) are told; silent by default.
    log: Logger,
}

/// Holds the flush lock while alive.
pub struct FlushLock {
    _dir: crate::fork::HeldLock,
}

/// The entry names of a folder listing (regular files only), sorted: delivery order.
fn entry_names(listing: Vec<(String, bool)>) -> Vec<String> {
    let mut names: Vec<String> = listing.into_iter().filter(|(n, file)| *file && n.ends_with(".req")).map(|(n, _)| n).collect();
    names.sort();
    names
}

/// The plain name of a path the spool handed out.
fn name_of(path: &Path) -> Result<&str> {
    path.file_name().and_then(|n| n.to_str()).ok_or_else(|| Error::new(ErrorKind::Io, format!("spool: {} is not an entry's path", path.display())))
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
        let spool = Spool { dir: dir.to_path_buf(), log: Logger::default() };
        let created = spool.prepare()?;
        Ok((spool, created))
    }

    /// Tells repairs to `log` (the client's logger).
    pub fn with_logger(mut self, log: Logger) -> Spool {
        self.log = log;
        self
    }

    fn warn(&self, event: &'static str, message: String) {
        self.log.log(Record::new(Level::Warn, event, message).with("spool_dir", self.dir.display().to_string()));
    }

    /// Makes the folder and its sub-folders exist and checks them; true when
    /// the folder itself was made now.
    fn prepare(&self) -> Result<bool> {
        let created = match std::fs::symlink_metadata(&self.dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                DirBuilder::new().mode(0o700).recursive(true).create(&self.dir).map_err(|e| io_error("create folder", &self.dir, e))?;
                true
            }
            _ => false,
        };
        let (root, sharing) = self.root_once()?;
        for sub in SUBDIRS {
            self.sub(&root, sharing, sub)?;
        }
        Ok(created)
    }

    fn root_once(&self) -> Result<(Dir, Sharing)> {
        let root = Dir::open(&self.dir).map_err(|e| {
            // The folder itself is a link or a file (a parent that is not a folder is an I/O error).
            let not_a_folder = e.raw_os_error() == Some(libc::ELOOP)
                || (e.raw_os_error() == Some(libc::ENOTDIR) && std::fs::symlink_metadata(&self.dir).is_ok_and(|m| !m.is_dir()));
            if not_a_folder {
                Error::config("spool_dir", format!("{} is not a folder (a symlink?)", self.dir.display()))
            } else {
                io_error("open", &self.dir, e)
            }
        })?;
        let sharing = trust(&root)?;
        Ok((root, sharing))
    }

    /// The folder, open and checked (made again if it was removed).
    fn root(&self) -> Result<(Dir, Sharing)> {
        match self.root_once() {
            Err(e) if e.kind == ErrorKind::Io && !self.dir.exists() => {
                self.prepare()?;
                self.root_once()
            }
            other => other,
        }
    }

    /// The sub-folder `name`, open and checked where it is used (made if missing).
    fn sub(&self, root: &Dir, sharing: Sharing, name: &str) -> Result<Dir> {
        match root.sub(name) {
            Ok(d) => {
                sharing.check_sub(&d)?;
                Ok(d)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match root.mkdir(name, sharing.dir_mode() & 0o777) {
                    Ok(()) | Err(_) => {} // made now, or by another process meanwhile: opened and checked below
                }
                let d = root.sub(name).map_err(|e| io_error("create folder", &root.join(name), e))?;
                if d.stat().is_ok_and(|st| st.uid == trust::euid()) {
                    sharing.apply_fd(&d, true).map_err(|e| io_error("set the group of", d.path(), e))?;
                }
                sharing.check_sub(&d)?;
                Ok(d)
            }
            Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
                Err(Error::config("spool_dir", format!("{} is not a folder (a symlink?): remove it", root.join(name).display())))
            }
            Err(e) => Err(io_error("open", &root.join(name), e)),
        }
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
        if body.len() as u64 > MAX_ENTRY - 4096 {
            return Err(Error::invalid("order", format!("is {} bytes: too large to keep in the spool (at most {} MiB)", body.len(), MAX_ENTRY >> 20)));
        }
        self.retrying(|| {
            let (root, sharing) = self.root()?;
            let seq = match seq {
                Some(seq) => seq,
                None => self.take_seq(&root, sharing)?,
            };
            let bytes = entry::Meta::new(seq, destination, order_id, body.len()).file_bytes(body);
            let name = entry::file_name(seq, &destination.tag(), &order_key(order_id), random_u32());
            self.write_durably(&root, sharing, &name, &bytes)?;
            root.sync().map_err(|e| io_error("sync folder", root.path(), e))?;
            Ok(root.join(&name))
        })
    }

    /// Writes `bytes` as entry `name`: to `tmp/`, fsync'd, renamed into place
    /// without replacing anything (the caller syncs the folder).
    fn write_durably(&self, root: &Dir, sharing: Sharing, name: &str, bytes: &[u8]) -> Result<()> {
        let tmp = self.sub(root, sharing, "tmp")?;
        let part = format!("{name}.part");
        let write = || -> io::Result<()> {
            let mut f = tmp.create_new(&part, sharing.file_mode())?;
            sharing.apply(&f, false)?;
            f.write_all(bytes)?;
            f.sync_all()
        };
        if let Err(e) = write() {
            let _ = tmp.unlink(&part);
            return Err(io_error("write", &tmp.join(&part), e));
        }
        if let Err(e) = tmp.rename_noreplace(&part, root, name) {
            let _ = tmp.unlink(&part);
            return Err(io_error("move into place", &root.join(name), e));
        }
        Ok(())
    }

    /// Takes the next place in the queue now, for an entry that may be
    /// written later (a send that has not failed yet).
    pub fn reserve(&self) -> Result<u64> {
        self.retrying(|| {
            let (root, sharing) = self.root()?;
            self.take_seq(&root, sharing)
        })
    }

    fn take_seq(&self, root: &Dir, sharing: Sharing) -> Result<u64> {
        let (seq, repaired) = seq::take(root, sharing)?;
        if let Some(why) = repaired {
            self.warn("spool_repaired", format!("spool counter {}: {why}", root.join(".seq").display()));
        }
        Ok(seq)
    }

    /// Entry names in the folder (regular files only), sorted: delivery order.
    fn names(&self) -> Result<Vec<String>> {
        let (root, _) = self.root()?;
        let listing = root.list().map_err(|e| io_error("list", &self.dir, e))?;
        Ok(entry_names(listing))
    }

    /// Reads an entry. `Ok(None)`: it is gone (another flusher delivered it).
    /// `Err` with `ErrorKind::Io`: it could not be read now (permissions,
    /// too many open files…) and stays where it is. `Ok(Some(Err(why)))`: the
    /// file is complete but is not an entry (or not the spool's: a link, a
    /// FIFO, a file of another owner, a file over [`MAX_ENTRY`], never read).
    pub fn read(&self, path: &Path) -> Result<Option<std::result::Result<Entry, String>>> {
        let name = name_of(path)?;
        let (root, sharing) = self.root()?;
        match files::read_checked(&root, sharing, name, MAX_ENTRY).map_err(|e| io_error("read", path, e))? {
            None => Ok(None),
            Some(Err(why)) => Ok(Some(Err(why))),
            Some(Ok(bytes)) => Ok(Some(entry::parse(&bytes))),
        }
    }

    /// The flush lock (on the folder itself), or None while another thread
    /// or process holds it.
    pub fn try_lock(&self) -> Result<Option<FlushLock>> {
        let dir: File = self.retrying(|| self.root().map(|(root, _)| root.into_file()))?;
        match dir.try_lock() {
            Ok(()) => Ok(Some(FlushLock { _dir: crate::fork::HeldLock::new(dir) })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(io_error("lock", &self.dir, e)),
        }
    }

    /// Whether the entry is still in the folder (as a name: never followed).
    pub fn contains(&self, path: &Path) -> bool {
        let Ok(name) = name_of(path) else { return false };
        self.root().is_ok_and(|(root, _)| root.stat_at(name).is_ok_and(|st| st.is_some()))
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
        let (root, _) = self.root()?;
        root.unlink(name_of(path)?).map_err(|e| io_error("remove", path, e))
    }

    /// Makes the folder's changes durable (fsync of the folder).
    pub fn sync(&self) -> Result<()> {
        let (root, _) = self.root()?;
        root.sync().map_err(|e| io_error("sync folder", &self.dir, e))
    }

    /// Moves `path` into `sub/` with a note beside it (`<name>.<note_ext>`),
    /// durably: the note first, then the move, then both folders synced.
    fn set_aside(&self, path: &Path, sub: &str, note_ext: &str, note: &str) -> Result<PathBuf> {
        let name = name_of(path)?;
        let (root, sharing) = self.root()?;
        let target = self.sub(&root, sharing, sub)?;
        let note_name = format!("{name}.{note_ext}");
        files::write_note(&target, sharing, &note_name, note).map_err(|e| io_error("write", &target.join(&note_name), e))?;
        let moved = match root.rename_noreplace(name, &target, name) {
            // A name planted there beforehand is the writer's own: ours replaces it.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => target.unlink(name).and_then(|()| root.rename_noreplace(name, &target, name)),
            other => other,
        };
        moved.map_err(|e| io_error(&format!("move to {sub}/"), path, e))?;
        target.sync().map_err(|e| io_error("sync folder", target.path(), e))?;
        root.sync().map_err(|e| io_error("sync folder", root.path(), e))?;
        Ok(target.join(name))
    }

    /// Moves an entry SPREAD refused to `rejected/`, with its answer beside it.
    pub fn reject(&self, path: &Path, answer: &str) -> Result<()> {
        self.set_aside(path, "rejected", "answer", answer).map(drop)
    }

    /// Moves a complete file that is not an entry to `unreadable/`, with why.
    pub fn set_aside_unreadable(&self, path: &Path, why: &str) -> Result<()> {
        self.set_aside(path, "unreadable", "why", why).map(drop)
    }

    /// Deletes temp files left by writers that died mid-write (only inside
    /// `tmp/`, whatever `tmp` is swapped for meanwhile).
    pub fn clean_stale_tmp(&self) {
        let Ok((root, sharing)) = self.root() else { return };
        let Ok(tmp) = self.sub(&root, sharing, "tmp") else { return };
        let Ok(listing) = tmp.list() else { return };
        for (name, _) in listing {
            if tmp.stat_at(&name).ok().flatten().is_some_and(|st| !st.is_dir() && st.age_secs() > STALE_TMP.as_secs()) {
                let _ = tmp.unlink(&name);
            }
        }
    }
}

#[cfg(test)]
mod tests;
