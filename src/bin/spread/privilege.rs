//! Root never works as root in a spool folder another user can write (the
//! docs/spool.md, "Security model"): before touching such a folder, `spread`
//! becomes its owner, with the owner's groups and the folder's group, as
//! logrotate's `su` does. Whatever that user planted in the folder (links,
//! swapped sub-folders, hard links) then reaches only what that user could
//! reach anyway. Keys and options are read before, as root.

use std::ffi::CStr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::args::Fail;

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// The name and primary group of `uid`, from the user database.
fn user(uid: u32) -> Option<(std::ffi::CString, u32)> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut pw = std::mem::MaybeUninit::<libc::passwd>::uninit();
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes into `pw` and `buf` (whose length we pass) and sets `found`.
    let rc = unsafe { libc::getpwuid_r(uid, pw.as_mut_ptr(), buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc != 0 || found.is_null() {
        return None;
    }
    // SAFETY: getpwuid_r succeeded: `pw` is filled and its name points into `buf`.
    let pw = unsafe { pw.assume_init() };
    // SAFETY: as above, a NUL-terminated name.
    Some((unsafe { CStr::from_ptr(pw.pw_name) }.to_owned(), pw.pw_gid))
}

fn fail(what: &str) -> Fail {
    Fail::config(format!("cannot switch to the spool folder's owner ({what}: {}): refusing to work in it as root", std::io::Error::last_os_error()))
}

/// As root, for a folder that belongs to another user: switches this whole
/// process to that user for good (groups, gid, uid). Nothing to do for
/// other users, or for root's own folder.
pub fn become_owner_of(dir: &Path) -> Result<(), Fail> {
    if euid() != 0 {
        return Ok(());
    }
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(_) => return Ok(()), // the caller reports a missing folder
    };
    if meta.file_type().is_symlink() {
        return Err(Fail::config(format!("spool: {} is a symlink: give the folder itself", dir.display())));
    }
    let (uid, gid) = (meta.uid(), meta.gid());
    if uid == 0 {
        return Ok(()); // root's own; the library refuses it if others can write it
    }
    let (name, primary) = user(uid).ok_or_else(|| Fail::config(format!("spool: {} belongs to uid {uid}, which has no user entry", dir.display())))?;
    // SAFETY: plain calls with a NUL-terminated user name and ids; each result is checked.
    unsafe {
        if libc::initgroups(name.as_ptr(), primary) != 0 {
            return Err(fail("initgroups"));
        }
        if libc::setgid(gid) != 0 {
            return Err(fail("setgid"));
        }
        if libc::setuid(uid) != 0 {
            return Err(fail("setuid"));
        }
        // Gone for good: root cannot be taken back.
        if libc::setuid(0) == 0 || libc::geteuid() != uid {
            return Err(fail("dropping root"));
        }
    }
    Ok(())
}
