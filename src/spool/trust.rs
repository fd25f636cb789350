//! Whether a spool folder may be trusted, and how files are shared in it
//! (see the module documentation of `spool`).

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt;

use super::fsat::{Dir, Stat};
use crate::error::{Error, Result};

/// How files are made: private, or shared with the folder's group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sharing {
    group: Option<u32>,
    /// The folder's owner: files of this owner (or ours) are the spool's.
    owner: u32,
}

impl Sharing {
    pub(super) fn file_mode(self) -> u32 {
        if self.group.is_some() {
            0o660
        } else {
            0o600
        }
    }
    pub(super) fn dir_mode(self) -> u32 {
        if self.group.is_some() {
            0o2770
        } else {
            0o700
        }
    }
    /// Gives a new file or folder the folder's group and the mode (umask aside).
    pub(super) fn apply(self, file: &File, dir: bool) -> io::Result<()> {
        if let Some(gid) = self.group {
            std::os::unix::fs::fchown(file, None, Some(gid))?;
        }
        file.set_permissions(fs::Permissions::from_mode(if dir { self.dir_mode() } else { self.file_mode() }))
    }

    /// Whether a file of ours already has the mode and group `apply` gives.
    pub(super) fn fits(self, st: &Stat) -> bool {
        st.mode & 0o7777 == self.file_mode() && self.group.is_none_or(|g| st.gid == g)
    }

    /// `apply` for an open folder.
    pub(super) fn apply_fd(self, dir: &Dir, is_dir: bool) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        let fd = dir.as_raw_fd();
        if let Some(gid) = self.group {
            // SAFETY: a valid descriptor; -1 leaves the owner as it is.
            if unsafe { libc::fchown(fd, u32::MAX, gid) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        let mode = if is_dir { self.dir_mode() } else { self.file_mode() };
        // SAFETY: a valid descriptor.
        if unsafe { libc::fchmod(fd, mode as libc::mode_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Why a file found in the folder is not one of the spool's (None: it is):
    /// a regular file with one link, made by the folder's owner, by us, or
    /// (in a shared folder) with the folder's group.
    pub(super) fn foreign_file(self, st: &Stat) -> Option<String> {
        if !st.is_file() {
            return Some("not a regular file".into());
        }
        if st.nlink != 1 {
            return Some(format!("has {} hard links (a spool file has one)", st.nlink));
        }
        let ours = st.uid == self.owner || st.uid == euid() || self.group.is_some_and(|g| st.gid == g);
        (!ours).then(|| format!("belongs to uid {} gid {}, not to the spool's owner or group", st.uid, st.gid))
    }

    /// Whether a sub-folder found in the spool may be used: a real folder
    /// (not a symlink: it was opened O_NOFOLLOW), of the spool's owner or
    /// ours, that others cannot write.
    pub(super) fn check_sub(self, dir: &Dir) -> Result<()> {
        let st = dir.stat().map_err(|e| super::io_error("check", dir.path(), e))?;
        let refuse = |why: String| Err(Error::config("spool_dir", format!("{} {why}: remove it (it is made again)", dir.path().display())));
        if !st.is_dir() {
            return refuse("is not a folder".into());
        }
        if st.uid != self.owner && st.uid != euid() {
            return refuse(format!("belongs to uid {}, not to the spool's owner", st.uid));
        }
        if st.mode & 0o002 != 0 {
            return refuse("is writable by every user".into());
        }
        Ok(())
    }
}

pub(super) fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn in_group(gid: u32) -> bool {
    // SAFETY: as above.
    if unsafe { libc::getegid() } == gid {
        return true;
    }
    let mut groups = vec![0 as libc::gid_t; 256];
    // SAFETY: `groups` has room for the 256 entries we say it has.
    let n = unsafe { libc::getgroups(groups.len() as libc::c_int, groups.as_mut_ptr()) };
    n > 0 && groups[..n as usize].contains(&gid)
}

/// What a root process should do instead of using a folder another user can write.
pub const ROOT_FIX: &str = "root does not work inside a folder another user can write (that user could turn root's \
     file operations against the system): run `spread` as root, which switches to the folder's owner first, \
     or run this process as that user";

/// Checks that the open folder `dir` may be trusted, and how to share files in it.
pub(super) fn trust(dir: &Dir) -> Result<Sharing> {
    let st = dir.stat().map_err(|e| super::io_error("open", dir.path(), e))?;
    let shown = dir.path().display();
    let refuse = |why: String| Err(Error::config("spool_dir", format!("{shown} {why}")));
    if !st.is_dir() {
        return refuse("is not a folder".into());
    }
    let mode = st.mode;
    if mode & 0o002 != 0 {
        return refuse(format!("is writable by every user (mode {:o}): anyone could plant or read orders; chmod o-rwx it", mode & 0o7777));
    }
    let me = euid();
    let group_writable = mode & 0o020 != 0;
    if me == 0 && (st.uid != 0 || group_writable) {
        return refuse(format!("belongs to uid {} (mode {:o}): {ROOT_FIX} (see docs/spool.md, \"Security model\")", st.uid, mode & 0o7777));
    }
    let group_shared = group_writable && in_group(st.gid);
    if st.uid != me && !group_shared {
        return refuse(format!(
            "belongs to another user (uid {}) and is not shared with a group of this process (uid {me}): run as its owner, \
             or share it: chgrp <group> DIR && chmod 2770 DIR (see docs/spool.md, \"A spool shared by php-fpm and a root cron\")",
            st.uid
        ));
    }
    Ok(Sharing { group: group_writable.then_some(st.gid), owner: st.uid })
}
