//! `rejected/`: entries SPREAD refused for their content, kept (0600/0660,
//! they hold personal data) with SPREAD's answer until someone looks at
//! them. They can be listed, shown, sent again (requeued, at the end of the
//! queue) or purged by age, so the folder does not grow forever.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{entry, io_error, Destination, Owner, Spool};
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
    fn rejected_dir(&self) -> PathBuf {
        self.dir.join("rejected")
    }

    fn rejected_names(&self) -> Result<Vec<String>> {
        let dir = self.rejected_dir();
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("list", &dir, e)),
        };
        Ok(super::entry_names(listing))
    }

    /// A name given by a user: one plain file name of `rejected/`, nothing else.
    fn rejected_path(&self, name: &str) -> Result<PathBuf> {
        if name.is_empty() || name.contains('/') || name.starts_with('.') || !name.ends_with(".req") {
            return Err(Error::invalid("name", format!("{name:?} is not the name of a rejected entry (see `spread rejected list`)")));
        }
        let path = self.rejected_dir().join(name);
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            return Err(Error::invalid("name", format!("no rejected entry {name:?}")));
        }
        Ok(path)
    }

    fn describe_rejected(&self, name: &str) -> Result<(Rejected, Vec<u8>)> {
        let path = self.rejected_path(name)?;
        let answer_path = self.rejected_dir().join(format!("{name}.answer"));
        let answer = fs::read_to_string(&answer_path).unwrap_or_default();
        let age_secs = fs::symlink_metadata(&answer_path)
            .or_else(|_| fs::symlink_metadata(&path))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map_or(0, |d| d.as_secs());
        let bytes = fs::read(&path).map_err(|e| io_error("read", &path, e))?;
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
        self.rejected_names()?.iter().map(|n| self.describe_rejected(n).map(|(r, _)| r)).collect()
    }

    /// One rejected entry and the body that was refused.
    pub fn show_rejected(&self, name: &str) -> Result<(Rejected, Vec<u8>)> {
        self.describe_rejected(name)
    }

    /// Sends a rejected entry (or all of them, `None`) again: each goes back
    /// to the end of the queue for `destination` (the client's own; its
    /// recorded destination must match). Returns how many were requeued.
    pub fn requeue(&self, destination: &Destination, only: Option<&str>) -> Result<usize> {
        let names = match only {
            Some(n) => vec![n.to_owned()],
            None => self.rejected_names()?,
        };
        let mut count = 0;
        for name in names {
            let path = self.rejected_path(&name)?;
            let bytes = fs::read(&path).map_err(|e| io_error("read", &path, e))?;
            let entry = entry::parse(&bytes).map_err(|why| Error::new(ErrorKind::Io, format!("spool: rejected/{name} is not an entry: {why}")))?;
            if matches!(&entry.owner, Owner::Known(d) if d != destination) {
                if only.is_some() {
                    return Err(Error::config("requeue", format!("rejected/{name} belongs to another destination")));
                }
                continue;
            }
            self.push(destination, entry.order_id.as_deref(), &entry.body)?;
            remove_with_answer(&path)?;
            count += 1;
        }
        Ok(count)
    }

    /// Deletes rejected entries set aside more than `older_than` ago;
    /// returns how many.
    pub fn purge_rejected(&self, older_than: Duration) -> Result<usize> {
        let mut count = 0;
        for r in self.rejected()? {
            if Duration::from_secs(r.age_secs) >= older_than {
                remove_with_answer(&self.rejected_dir().join(&r.name))?;
                count += 1;
            }
        }
        Ok(count)
    }
}

fn remove_with_answer(path: &Path) -> Result<()> {
    fs::remove_file(path).map_err(|e| io_error("remove", path, e))?;
    let answer = PathBuf::from(format!("{}.answer", path.display()));
    match fs::remove_file(&answer) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error("remove", &answer, e)),
        _ => Ok(()),
    }
}
