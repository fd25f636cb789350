//! Entries stranded under an old destination: a shop that changed its base
//! URL (SPREAD moved, a typo fixed, the sandbox replaced by production) or
//! rotated its keys leaves entries that no flush of the new destination
//! sends. They are found (same public key, another base URL: `stranded`),
//! reported, and moved to the current destination on request (`adopt`),
//! never automatically: another shop on the host may share the base URL
//! with keys of its own.

use std::io::Read;
use std::time::Duration;

use super::entry::{self, Destination, Meta};
use super::fsat::Dir;
use super::trust::Sharing;
use super::{files, io_error, order_key, random_u32, Spool, Stranded};
use crate::error::{Error, Result};

/// How much of a file is read to learn whose entry it is (its metadata line).
const META_READ: u64 = 4096;

impl Spool {
    /// The metadata of entry `name`, if it is a spool file whose first line says so.
    fn meta_of(root: &Dir, sharing: Sharing, name: &str) -> Option<Meta> {
        let file = files::open_checked(root, sharing, name).ok()??.ok()?;
        let mut head = Vec::new();
        file.take(META_READ).read_to_end(&mut head).ok()?;
        entry::parse_meta(&head)
    }

    /// Entries of `destination`'s public key recorded under another base URL.
    pub fn stranded(&self, destination: &Destination) -> Result<Stranded> {
        let (root, sharing) = self.root()?;
        let tags = destination.tags();
        let mut found = Stranded::default();
        for name in super::entry_names(root.list().map_err(|e| io_error("list", &self.dir, e))?) {
            let Some(n) = entry::parse_name(&name) else { continue };
            if tags.iter().any(|t| t == n.tag) {
                continue;
            }
            let Some(meta) = Self::meta_of(&root, sharing, &name) else { continue };
            if meta.destination.key != destination.key || meta.destination.base_url == destination.base_url {
                continue;
            }
            found.count += 1;
            if found.oldest.is_none() {
                found.oldest = root.stat_at(&name).ok().flatten().map(|st| Duration::from_secs(st.age_secs()));
            }
            if !found.base_urls.contains(&meta.destination.base_url) {
                found.base_urls.push(meta.destination.base_url);
            }
        }
        Ok(found)
    }

    /// Moves the entries recorded for `from` to `to`, each keeping its place
    /// in the queue (its sequence number), so they go out in the order they
    /// were made, among the entries already there. The new entry is durable
    /// before the old one is removed: a crash in between leaves a copy that
    /// SPREAD's update by order id makes harmless. Returns how many.
    pub fn adopt(&self, from: &Destination, to: &Destination) -> Result<usize> {
        if from == to {
            return Err(Error::invalid("from", "is this client's own destination: nothing to adopt"));
        }
        // No flush may send an entry while it changes hands (waiting at most a flush's usual length).
        let started = std::time::Instant::now();
        let _flushing = loop {
            match self.try_lock()? {
                Some(lock) => break lock,
                None if started.elapsed() < Duration::from_secs(60) => std::thread::sleep(Duration::from_millis(20)),
                None => return Err(Error::new(crate::error::ErrorKind::Timeout, "spool: a flush has held the folder for a minute: try again")),
            }
        };
        let (root, sharing) = self.root()?;
        let tags = from.tags();
        let mut count = 0;
        for name in super::entry_names(root.list().map_err(|e| io_error("list", &self.dir, e))?) {
            let Some(n) = entry::parse_name(&name) else { continue };
            if !tags.iter().any(|t| t == n.tag) {
                continue;
            }
            let path = root.join(&name);
            let entry = match self.read(&path)? {
                Some(Ok(e)) => e,
                _ => continue, // gone, or not an entry: a flush sets it aside
            };
            if entry.owner != entry::Owner::Known(from.clone()) {
                continue;
            }
            let bytes = Meta::new(n.seq, to, entry.order_id.as_deref(), entry.body.len()).file_bytes(&entry.body);
            let new_name = entry::file_name(n.seq, &to.tag(), &order_key(entry.order_id.as_deref()), random_u32());
            self.write_durably(&root, sharing, &new_name, &bytes)?;
            root.sync().map_err(|e| io_error("sync folder", &self.dir, e))?;
            root.unlink(&name).map_err(|e| io_error("remove", &path, e))?;
            count += 1;
        }
        root.sync().map_err(|e| io_error("sync folder", &self.dir, e))?;
        Ok(count)
    }
}
