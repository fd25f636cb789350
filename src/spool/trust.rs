//! Whether a spool folder may be trusted, and how files are shared in it
//! (see the module documentation of `spool`).

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::io_error;
use crate::error::{Error, Result};

/// How files are made: private, or shared with the folder's group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sharing {
    group: Option<u32>,
}

impl Sharing {
    pub(super) fn file_mode(self) -> u32 {
        if self.group.is_some() { 0o660 } else { 0o600 }
    }
    pub(super) fn dir_mode(self) -> u32 {
        if self.group.is_some() { 0o2770 } else { 0o700 }
    }
    /// Gives a new file or folder the folder's group and the mode (umask aside).
    pub(super) fn apply(self, file: &File, dir: bool) -> io::Result<()> {
        if let Some(gid) = self.group {
            std::os::unix::fs::fchown(file, None, Some(gid))?;
        }
        file.set_permissions(fs::Permissions::from_mode(if dir { self.dir_mode() } else { self.file_mode() }))
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

/// Checks that the folder at `dir` may be trusted, and how to share files in it.
pub(super) fn trust(dir: &Path) -> Result<Sharing> {
    let meta = fs::metadata(dir).map_err(|e| io_error("open", dir, e))?;
    let refuse = |why: String| Err(Error::config("spool_dir", format!("{} {why}", dir.display())));
    if !meta.is_dir() {
        return refuse("is not a folder".into());
    }
    let mode = meta.mode();
    if mode & 0o002 != 0 {
        return refuse(format!("is writable by every user (mode {:o}): anyone could plant or read orders; chmod o-rwx it", mode & 0o7777));
    }
    let me = euid();
    let group_shared = mode & 0o020 != 0 && (me == 0 || in_group(meta.gid()));
    if meta.uid() != me && !group_shared {
        return refuse(format!(
            "belongs to another user (uid {}) and is not shared with a group of this process (uid {me}): run as its owner, \
             or share it: chgrp <group> DIR && chmod 2770 DIR (see the README, \"shared spool\")",
            meta.uid()
        ));
    }
    Ok(Sharing { group: (mode & 0o020 != 0).then_some(meta.gid()) })
}

