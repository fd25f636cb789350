//! File-system calls relative to an open folder, never through a path.
//!
//! The spool's folder may be writable by another user (the php-fpm user):
//! between two calls that user can swap a sub-folder or a file for a
//! symlink, a FIFO or a hard link. Every call here therefore works on a
//! descriptor opened `O_DIRECTORY|O_NOFOLLOW` and takes one plain name (no
//! `/`, never `..`): a swapped name is refused or seen for what it is, and
//! nothing outside the folder is reached. Files are opened
//! `O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC` (a FIFO never blocks), and a new file is
//! always `O_EXCL` (a planted name is never written through).

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};

/// What `stat` says of a name, without following it.
#[derive(Clone, Copy, Debug)]
pub struct Stat {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u64,
    pub mtime: i64,
}

impl Stat {
    fn of(st: &libc::stat) -> Stat {
        Stat { mode: st.st_mode, uid: st.st_uid, gid: st.st_gid, nlink: st.st_nlink, mtime: st.st_mtime }
    }
    pub fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }
    pub fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }
    /// Seconds since the last change (0 for a time in the future).
    pub fn age_secs(&self) -> u64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        now.saturating_sub(self.mtime).max(0) as u64
    }
}

/// One name inside a folder: refuses anything that is not a plain name.
fn c_name(name: &str) -> io::Result<CString> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{name:?} is not a plain file name")));
    }
    CString::new(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a file name with a NUL byte"))
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// An open folder. Its path is kept for messages only.
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

const DIR_FLAGS: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
const FILE_FLAGS: libc::c_int = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;

impl Dir {
    /// Opens the folder at `path` (its last component must not be a symlink).
    pub fn open(path: &Path) -> io::Result<Dir> {
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: a NUL-terminated path; the descriptor returned is ours alone.
        let fd = check(unsafe { libc::open(c.as_ptr(), DIR_FLAGS) })?;
        // SAFETY: `fd` was just opened and is owned by nobody else.
        Ok(Dir { fd: unsafe { OwnedFd::from_raw_fd(fd) }, path: path.to_path_buf() })
    }

    /// Opens the sub-folder `name` (not through a symlink).
    pub fn sub(&self, name: &str) -> io::Result<Dir> {
        let c = c_name(name)?;
        // SAFETY: a valid folder descriptor and a NUL-terminated plain name.
        let fd = check(unsafe { libc::openat(self.fd.as_raw_fd(), c.as_ptr(), DIR_FLAGS) })?;
        // SAFETY: as in `open`.
        Ok(Dir { fd: unsafe { OwnedFd::from_raw_fd(fd) }, path: self.path.join(name) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The descriptor as a `File` (to lock the folder itself).
    pub fn into_file(self) -> File {
        File::from(self.fd)
    }

    /// `path/name`, for messages and for callers that name entries by path.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn stat(&self) -> io::Result<Stat> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `st` is writable storage for one stat structure.
        check(unsafe { libc::fstat(self.fd.as_raw_fd(), st.as_mut_ptr()) })?;
        // SAFETY: fstat succeeded, so it filled `st`.
        Ok(Stat::of(unsafe { &st.assume_init() }))
    }

    /// The name's own status (a symlink is reported as one); None when absent.
    pub fn stat_at(&self, name: &str) -> io::Result<Option<Stat>> {
        let c = c_name(name)?;
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: valid descriptor, NUL-terminated name, writable stat storage.
        let rc = unsafe { libc::fstatat(self.fd.as_raw_fd(), c.as_ptr(), st.as_mut_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
        match check(rc) {
            // SAFETY: fstatat succeeded, so it filled `st`.
            Ok(_) => Ok(Some(Stat::of(unsafe { &st.assume_init() }))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open_at(&self, name: &str, flags: libc::c_int, mode: u32) -> io::Result<File> {
        let c = c_name(name)?;
        // SAFETY: valid descriptor, NUL-terminated plain name.
        let fd = check(unsafe { libc::openat(self.fd.as_raw_fd(), c.as_ptr(), flags | FILE_FLAGS, mode as libc::c_uint) })?;
        // SAFETY: `fd` was just opened and is owned by nobody else.
        // O_NONBLOCK stays: it only guards the open (a FIFO), a regular file ignores it.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    /// Opens an existing file for reading.
    pub fn open_read(&self, name: &str) -> io::Result<File> {
        self.open_at(name, libc::O_RDONLY, 0)
    }

    /// Creates a new file for writing; fails if the name exists in any form.
    pub fn create_new(&self, name: &str, mode: u32) -> io::Result<File> {
        self.open_at(name, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL, mode)
    }

    /// Opens a file for reading and writing, creating it if absent (lock
    /// files and the counter, whose content we check after opening).
    pub fn open_or_create(&self, name: &str, mode: u32) -> io::Result<File> {
        self.open_at(name, libc::O_RDWR | libc::O_CREAT, mode)
    }

    pub fn mkdir(&self, name: &str, mode: u32) -> io::Result<()> {
        let c = c_name(name)?;
        // SAFETY: valid descriptor, NUL-terminated plain name.
        check(unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), mode as libc::mode_t) }).map(drop)
    }

    /// Removes the name (a link is removed, never what it points to).
    pub fn unlink(&self, name: &str) -> io::Result<()> {
        let c = c_name(name)?;
        // SAFETY: valid descriptor, NUL-terminated plain name.
        check(unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) }).map(drop)
    }

    /// Moves `from` (in this folder) to `to` in `target`, failing rather than
    /// replacing an existing `to`.
    pub fn rename_noreplace(&self, from: &str, target: &Dir, to: &str) -> io::Result<()> {
        let (a, b) = (c_name(from)?, c_name(to)?);
        // SAFETY: two valid descriptors and NUL-terminated plain names; renameat2
        // is called by number because glibc only wraps it from 2.28 and the
        // portable build targets 2.17.
        let rc = unsafe { libc::syscall(libc::SYS_renameat2, self.fd.as_raw_fd(), a.as_ptr(), target.fd.as_raw_fd(), b.as_ptr(), libc::RENAME_NOREPLACE) };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            // Kernels or file systems without renameat2: a hard link also refuses to replace.
            Some(libc::ENOSYS | libc::EINVAL) => {
                // SAFETY: as above; linkat without AT_SYMLINK_FOLLOW links the name itself.
                check(unsafe { libc::linkat(self.fd.as_raw_fd(), a.as_ptr(), target.fd.as_raw_fd(), b.as_ptr(), 0) })?;
                self.unlink(from)
            }
            _ => Err(err),
        }
    }

    pub fn sync(&self) -> io::Result<()> {
        // SAFETY: a valid descriptor.
        check(unsafe { libc::fsync(self.fd.as_raw_fd()) }).map(drop)
    }

    /// The folder's names (not `.` and `..`) with whether each is a regular
    /// file as the listing says (DT_UNKNOWN counts as maybe: callers check
    /// again when they open). Names that are not UTF-8 are skipped.
    pub fn list(&self) -> io::Result<Vec<(String, bool)>> {
        // SAFETY: dup of a valid descriptor; fdopendir takes ownership of the copy.
        let copy = check(unsafe { libc::fcntl(self.fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
        // SAFETY: `copy` is a directory descriptor we own.
        let stream = unsafe { libc::fdopendir(copy) };
        if stream.is_null() {
            let e = io::Error::last_os_error();
            // SAFETY: fdopendir failed, so `copy` is still ours to close.
            unsafe { libc::close(copy) };
            return Err(e);
        }
        // A dup shares the offset: start from the top whatever read it before.
        // SAFETY: `stream` is a valid open directory stream.
        unsafe { libc::rewinddir(stream) };
        let mut names = Vec::new();
        loop {
            // SAFETY: `stream` is valid; the entry it returns lives until the next readdir.
            let ent = unsafe { libc::readdir(stream) };
            if ent.is_null() {
                break;
            }
            // SAFETY: readdir returned a valid entry with a NUL-terminated name.
            let (name, kind) = unsafe { (CStr::from_ptr((*ent).d_name.as_ptr()), (*ent).d_type) };
            let Ok(name) = name.to_str() else { continue };
            if name == "." || name == ".." {
                continue;
            }
            names.push((name.to_owned(), kind == libc::DT_REG || kind == libc::DT_UNKNOWN));
        }
        // SAFETY: `stream` is valid and closed once (this also closes `copy`).
        unsafe { libc::closedir(stream) };
        Ok(names)
    }
}

impl AsRawFd for Dir {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The status of an open file.
pub fn fstat(file: &File) -> io::Result<Stat> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: a valid descriptor and writable stat storage.
    check(unsafe { libc::fstat(file.as_raw_fd(), st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so it filled `st`.
    Ok(Stat::of(unsafe { &st.assume_init() }))
}

/// An I/O failure on `path`, said as the spool's error (`what` is the verb).
pub(crate) fn io_error(what: &str, path: &Path, e: io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("spool: cannot {what} {}: {e}", path.display()))
}
