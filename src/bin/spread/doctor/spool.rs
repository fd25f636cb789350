//! The spool folder: its owner, group and mode, whether the web server's
//! user can write it, and the free space under it.

use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::report::Report;

/// Under this much free space the spool warns; under a tenth of it, a problem.
const LOW_SPACE: u64 = 256 << 20;

/// A user's uid, primary gid and every group it belongs to.
pub fn user_groups(name: &str) -> Option<(u32, Vec<u32>)> {
    let c = CString::new(name).ok()?;
    // SAFETY: getpwnam returns NULL or a pointer to static storage, read at once.
    let pw = unsafe { libc::getpwnam(c.as_ptr()) };
    if pw.is_null() {
        return None;
    }
    // SAFETY: not NULL, so a valid passwd entry.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    let mut groups = vec![0 as libc::gid_t; 256];
    let mut n = groups.len() as libc::c_int;
    // SAFETY: `groups` holds `n` entries; getgrouplist writes at most that many and sets `n`.
    if unsafe { libc::getgrouplist(c.as_ptr(), gid, groups.as_mut_ptr(), &mut n) } < 0 {
        n = 0;
    }
    groups.truncate(n.max(0) as usize);
    groups.push(gid);
    Some((uid, groups))
}

fn user_name(uid: u32) -> String {
    // SAFETY: getpwuid returns NULL or static storage, read at once.
    let pw = unsafe { libc::getpwuid(uid) };
    if pw.is_null() {
        return uid.to_string();
    }
    // SAFETY: a valid entry with a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr((*pw).pw_name) }.to_string_lossy().into_owned()
}

fn group_name(gid: u32) -> String {
    // SAFETY: getgrgid returns NULL or static storage, read at once.
    let gr = unsafe { libc::getgrgid(gid) };
    if gr.is_null() {
        return gid.to_string();
    }
    // SAFETY: a valid entry with a NUL-terminated name.
    unsafe { std::ffi::CStr::from_ptr((*gr).gr_name) }.to_string_lossy().into_owned()
}

fn free_bytes(dir: &Path) -> Option<u64> {
    let c = CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: a NUL-terminated path and writable storage for one statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: statvfs succeeded.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::unnecessary_cast)] // u32 on some targets
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

pub fn spool(r: &mut Report, dir: &Path, web_user: Option<&str>) {
    let shown = dir.display();
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            let who = web_user.unwrap_or("www-data");
            return r.problem("spool", format!("{shown}: {e}"), format!("install -d -o {who} -g {who} -m 2770 {shown}"));
        }
    };
    if !meta.is_dir() {
        return r.problem("spool", format!("{shown} is not a folder (a symlink or a file)"), "give the folder itself");
    }
    let (uid, gid, mode) = (meta.uid(), meta.gid(), meta.mode() & 0o7777);
    let (owner, group) = (user_name(uid), group_name(gid));
    let what = format!("{shown}: owner {owner}, group {group}, mode {mode:04o}");
    let mut fine = true;
    if mode & 0o002 != 0 {
        fine = false;
        r.problem("spool", format!("{what}: every user can write it (and plant orders)"), format!("chmod o-rwx {shown}"));
    } else if mode & 0o700 != 0o700 {
        fine = false;
        r.problem("spool", format!("{what}: its owner cannot use it"), format!("chmod u+rwx {shown}"));
    } else if uid == 0 && mode & 0o020 != 0 {
        fine = false;
        r.problem(
            "spool",
            format!("{what}: root's folder that a group can write: root's flush refuses it"),
            format!("give it to the web server's user: chown {} {shown}", web_user.unwrap_or("www-data")),
        );
    } else if mode & 0o020 != 0 && mode & 0o2000 == 0 {
        fine = false;
        r.warn("spool", format!("{what}: shared with its group but without setgid"), format!("chmod g+s {shown} (new files keep the group)"));
    }
    if let Some(name) = web_user {
        match user_groups(name) {
            None => r.warn("spool", format!("the web server's user {name} does not exist here"), "give the right one: --web-user USER"),
            Some((wuid, groups)) => {
                let bits = if wuid == uid {
                    (mode >> 6) & 7
                } else if groups.contains(&gid) {
                    (mode >> 3) & 7
                } else {
                    mode & 7
                };
                if wuid != 0 && bits & 3 != 3 {
                    fine = false;
                    r.problem(
                        "spool",
                        format!("{what}: {name} (the web server's user) cannot write it: orders it spools would fail"),
                        format!("chown {name}:{name} {shown} && chmod 2770 {shown} (or share its group: chgrp {name} {shown} && chmod 2770 {shown})"),
                    );
                }
            }
        }
    }
    match free_bytes(dir) {
        Some(free) if free < LOW_SPACE / 10 => {
            fine = false;
            r.problem("spool", format!("{shown}: only {} MiB free", free >> 20), "free space on that file system (entries cannot be written)")
        }
        Some(free) if free < LOW_SPACE => {
            fine = false;
            r.warn("spool", format!("{shown}: only {} MiB free", free >> 20), "free space on that file system")
        }
        _ => {}
    }
    if fine {
        let free = free_bytes(dir).map_or(String::new(), |f| format!(", {} MiB free", f >> 20));
        let writer = web_user.map_or(String::new(), |u| format!(", writable by {u}"));
        r.ok("spool", format!("{what}{writer}{free}"));
    }
}
