//! `rejected/`: entries SPREAD refused for their content, kept (0600/0660,
//! they hold personal data) with SPREAD's answer until someone looks at
//! them. They can be listed, shown, sent again (requeued, at the end of the
//! queue) or purged by age, so the folder does not grow forever. Like the
//! rest of the spool, nothing here follows a link or reads more than a cap.

use std::time::Duration;

use serde::Serialize;

use super::files::{self, MAX_NOTE};
use super::fsat::Dir;
use super::trust::Sharing;
use super::{entry, io_error, Destination, Owner, Spool, MAX_ENTRY};
use crate::error::{Error, ErrorKind, Result};

/// One rejected entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// Its file name in `rejected/`: what `show` and `requeue` take.
    pub name: String,
    pub order_id: Option<String>,
    /// SPREAD's answer when it refused the entry.
    pub answer: String,
    /// Seconds since it was set aside.
    pub age_secs: u64,
    /// Its destination's base URL (None for a libspread 0.1 entry).
    pub base_url: Option<String>,
}

impl Spool {
    fn rejected_dir(&self) -> Result<(Dir, Sharing)> {
        let (root, sharing) = self.root()?;
        Ok((self.sub(&root, sharing, "rejected")?, sharing))
    }

    fn rejected_names(dir: &Dir) -> Result<Vec<String>> {
        Ok(super::entry_names(dir.list().map_err(|e| io_error("list", dir.path(), e))?))
    }

    /// A name given by a user: one plain file name of `rejected/`, nothing else.
    fn check_rejected_name(dir: &Dir, name: &str) -> Result<()> {
        if name.is_empty() || name.contains('/') || name.starts_with('.') || !name.ends_with(".req") {
            return Err(Error::invalid("name", format!("{name:?} is not the name of a rejected entry (see `spread rejected list`)")));
        }
        if !dir.stat_at(name).ok().flatten().is_some_and(|st| st.is_file()) {
            return Err(Error::invalid("name", format!("no rejected entry {name:?}")));
        }
        Ok(())
    }

    /// The entry's bytes, if it is a file of the spool's (never through a link).
    fn read_rejected(dir: &Dir, sharing: Sharing, name: &str) -> Result<Vec<u8>> {
        let path = dir.join(name);
        match files::read_checked(dir, sharing, name, MAX_ENTRY).map_err(|e| io_error("read", &path, e))? {
            Some(Ok(bytes)) => Ok(bytes),
            Some(Err(why)) => Err(Error::new(ErrorKind::Io, format!("spool: {} is not an entry: {why}", path.display()))),
            None => Err(Error::invalid("name", format!("no rejected entry {name:?}"))),
        }
    }

    fn describe_rejected(dir: &Dir, sharing: Sharing, name: &str) -> Result<(Rejected, Vec<u8>)> {
        Self::check_rejected_name(dir, name)?;
        let answer_name = format!("{name}.answer");
        let answer = match files::read_checked(dir, sharing, &answer_name, MAX_NOTE as u64) {
            Ok(Some(Ok(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(Some(Err(why))) => format!("(the answer file is not the spool's: {why})"),
            _ => String::new(),
        };
        let age_secs = set_aside_secs(dir, name);
        let bytes = Self::read_rejected(dir, sharing, name)?;
        let (order_id, base_url, body) = match entry::parse(&bytes) {
            Ok(e) => {
                let base = match e.owner {
                    Owner::Known(d) => Some(d.base_url),
                    Owner::Legacy => None,
                };
                (e.order_id, base, e.body)
            }
            Err(_) => (None, None, bytes),
        };
        Ok((Rejected { name: name.to_owned(), order_id, answer, age_secs, base_url }, body))
    }

    /// Every rejected entry, oldest first.
    pub fn rejected(&self) -> Result<Vec<Rejected>> {
        let (dir, sharing) = self.rejected_dir()?;
        Self::rejected_names(&dir)?.iter().map(|n| Self::describe_rejected(&dir, sharing, n).map(|(r, _)| r)).collect()
    }

    /// One rejected entry and the body that was refused.
    pub fn show_rejected(&self, name: &str) -> Result<(Rejected, Vec<u8>)> {
        let (dir, sharing) = self.rejected_dir()?;
        Self::describe_rejected(&dir, sharing, name)
    }

    /// Sends a rejected entry (or all of them, `None`) again: each goes back
    /// to the end of the queue for `destination` (the client's own; its
    /// recorded destination must match). Returns how many were requeued.
    pub fn requeue(&self, destination: &Destination, only: Option<&str>) -> Result<usize> {
        let (dir, sharing) = self.rejected_dir()?;
        let names = match only {
            Some(n) => vec![n.to_owned()],
            None => Self::rejected_names(&dir)?,
        };
        let mut count = 0;
        for name in names {
            Self::check_rejected_name(&dir, &name)?;
            let bytes = Self::read_rejected(&dir, sharing, &name)?;
            let entry = entry::parse(&bytes).map_err(|why| Error::new(ErrorKind::Io, format!("spool: rejected/{name} is not an entry: {why}")))?;
            if matches!(&entry.owner, Owner::Known(d) if d != destination) {
                if only.is_some() {
                    return Err(Error::config("requeue", format!("rejected/{name} belongs to another destination")));
                }
                continue;
            }
            self.push(destination, entry.order_id.as_deref(), &entry.body)?;
            remove_with_answer(&dir, &name)?;
            count += 1;
        }
        Ok(count)
    }

    /// Deletes rejected entries set aside more than `older_than` ago;
    /// returns how many.
    pub fn purge_rejected(&self, older_than: Duration) -> Result<usize> {
        let (dir, _) = self.rejected_dir()?;
        let mut count = 0;
        for name in Self::rejected_names(&dir)? {
            if Duration::from_secs(set_aside_secs(&dir, &name)) >= older_than {
                remove_with_answer(&dir, &name)?;
                count += 1;
            }
        }
        Ok(count)
    }
}

/// Seconds since entry `name` was set aside: its answer's time (written then), else its own.
fn set_aside_secs(dir: &Dir, name: &str) -> u64 {
    let answer = format!("{name}.answer");
    dir.stat_at(&answer).ok().flatten().or_else(|| dir.stat_at(name).ok().flatten()).map_or(0, |st| st.age_secs())
}

/// Removes the names (a link is removed, never what it points to).
fn remove_with_answer(dir: &Dir, name: &str) -> Result<()> {
    dir.unlink(name).map_err(|e| io_error("remove", &dir.join(name), e))?;
    let answer = format!("{name}.answer");
    match dir.unlink(&answer) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error("remove", &dir.join(&answer), e)),
        _ => Ok(()),
    }
}
