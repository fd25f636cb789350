//! Opening, reading and writing single files in a folder another user may
//! write: never through a link, never blocking on a FIFO, never trusting a
//! size, never writing through a name we did not create.

use std::fs::File;
use std::io::{self, Read, Write};

use super::fsat::{self, Dir};
use super::trust::{self, Sharing};

/// The most of a note (`.answer`, `.why`) that is written or read back.
pub(super) const MAX_NOTE: usize = 64 << 10;

/// Reads at most `cap` bytes; None when the file holds more (never trusting its size).
pub(super) fn read_capped(file: impl Read, cap: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

/// Opens (making it if absent) a file the spool keeps for itself and only
/// locks or rewrites in place (`.seq`, `inflight/*.lock`). A name that is
/// not one of ours (a link, a FIFO, another owner's file, a hard link) is
/// removed, never what it points to, and made again, once; any other
/// failure (too many open files…) removes nothing, since another process
/// may hold a lock on the file. `Ok((file, Some(why)))`: the name was
/// replaced, and why; `Err(why)`: it could not be had.
pub(super) fn open_own(dir: &Dir, sharing: Sharing, name: &str) -> std::result::Result<(File, Option<String>), String> {
    // Err((why, whether the name is a planted one to replace)).
    let open = || -> std::result::Result<File, (String, bool)> {
        let file = dir.open_or_create(name, sharing.file_mode()).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => ("is a symlink".to_owned(), true),
            _ => (format!("cannot be opened ({e})"), false),
        })?;
        let st = fsat::fstat(&file).map_err(|e| (e.to_string(), false))?;
        if let Some(why) = sharing.foreign_file(&st) {
            return Err((why, true));
        }
        // Only when needed: a change of mode is a change of the inode, journaled with the next fsync.
        if st.uid == trust::euid() && !sharing.fits(&st) {
            let _ = sharing.apply(&file, false);
        }
        Ok(file)
    };
    match open() {
        Ok(file) => Ok((file, None)),
        Err((why, false)) => Err(why),
        Err((why, true)) => {
            dir.unlink(name).map_err(|e| format!("{why}, and cannot be removed ({e})"))?;
            let file = open().map_err(|(again, _)| format!("{why}; made again, it {again}"))?;
            Ok((file, Some(why)))
        }
    }
}

/// Opens `name` in `dir` for reading if it is one of the spool's files:
/// `Ok(None)` when it is gone, `Ok(Some(Err(why)))` when it is not ours
/// to read (a link, a FIFO, another owner's file, a hard link).
pub(super) fn open_checked(dir: &Dir, sharing: Sharing, name: &str) -> io::Result<Option<std::result::Result<File, String>>> {
    let file = match dir.open_read(name) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(Some(Err("a symlink".into()))),
        Err(e) => return Err(e),
    };
    let st = fsat::fstat(&file)?;
    Ok(Some(match sharing.foreign_file(&st) {
        Some(why) => Err(why),
        None => Ok(file),
    }))
}

/// `open_checked`, then the whole file if it holds at most `cap` bytes (too large: why).
pub(super) fn read_checked(dir: &Dir, sharing: Sharing, name: &str, cap: u64) -> io::Result<Option<std::result::Result<Vec<u8>, String>>> {
    Ok(match open_checked(dir, sharing, name)? {
        None => None,
        Some(Err(why)) => Some(Err(why)),
        Some(Ok(file)) => Some(read_capped(file, cap)?.ok_or_else(|| format!("larger than {cap} bytes"))),
    })
}

/// Writes a note `name` in `dir`: a new file, never through an existing
/// name (a planted link or file is removed first, never written to).
pub(super) fn write_note(dir: &Dir, sharing: Sharing, name: &str, text: &str) -> io::Result<()> {
    let text = &text.as_bytes()[..text.len().min(MAX_NOTE)];
    let create = || dir.create_new(name, sharing.file_mode());
    let mut f = match create() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            dir.unlink(name)?;
            create()?
        }
        other => other?,
    };
    sharing.apply(&f, false)?;
    f.write_all(text)?;
    f.sync_all()
}
