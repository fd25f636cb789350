//! What waits in a spool: counts by kind, the oldest entry's age, and entries
//! stranded under another base URL.

use std::path::PathBuf;
use std::time::Duration;

use super::fsat::{io_error, Dir};
use super::trust::Sharing;
use super::{entry, entry_names, order_key, Destination, Spool};
use crate::error::Result;

/// What `status` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct SpoolStatus {
    /// Entries for this client's destination.
    pub pending: usize,
    /// Entries for other destinations (another shop, the sandbox…), left alone.
    pub foreign: usize,
    /// Entries from libspread 0.1, which did not record their destination.
    pub legacy: usize,
    pub rejected: usize,
    pub unreadable: usize,
    /// Age of the oldest pending entry (from its file's time).
    #[serde(rename = "oldest_secs", serialize_with = "secs")]
    pub oldest: Option<Duration>,
    /// Entries of this public key recorded under another base URL: nothing
    /// delivers them until they are adopted (`spread spool adopt`).
    pub stranded: usize,
    /// Age of the oldest stranded entry.
    #[serde(rename = "stranded_oldest_secs", serialize_with = "secs")]
    pub stranded_oldest: Option<Duration>,
}

/// Entries of a key recorded under other base URLs (see [`Spool::stranded`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stranded {
    pub count: usize,
    pub oldest: Option<Duration>,
    /// The base URLs they were recorded for, each once.
    pub base_urls: Vec<String>,
}

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_some(&d.map(|d| d.as_secs()))
}

impl SpoolStatus {
    /// `{"pending":3,"foreign":0,"legacy":0,"rejected":1,"unreadable":0,"oldest_secs":42}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("plain counts always serialise")
    }
}

impl Spool {
    /// The entries `destination` should deliver, oldest first (`legacy`: also
    /// libspread 0.1's entries, whose destination is unknown).
    pub fn entries_for(&self, destination: &Destination, legacy: bool) -> Result<Vec<PathBuf>> {
        let tags = destination.tags();
        Ok(self
            .names()?
            .into_iter()
            .filter(|n| match entry::parse_name(n) {
                Some(name) => tags.iter().any(|t| t == name.tag),
                None => legacy,
            })
            .map(|n| self.dir.join(n))
            .collect())
    }

    /// Whether any entry of `destination` waits.
    pub fn has_pending(&self, destination: &Destination) -> Result<bool> {
        let tags = destination.tags();
        Ok(self.names()?.iter().any(|n| entry::parse_name(n).is_some_and(|name| tags.iter().any(|t| t == name.tag))))
    }

    /// Whether an entry of `destination` placed before `seq` may be an
    /// update of `order_id` (its name says so, or was written before names
    /// carried the order): such an entry must reach SPREAD first. Reads
    /// names only, so a folder full of other entries costs one listing.
    pub fn has_older_update(&self, destination: &Destination, order_id: Option<&str>, seq: u64) -> Result<bool> {
        let Some(id) = order_id else { return Ok(false) };
        let (tags, key) = (destination.tags(), order_key(Some(id)));
        Ok(self
            .names()?
            .iter()
            .filter_map(|n| entry::parse_name(n))
            .any(|name| tags.iter().any(|t| t == name.tag) && name.seq < seq && name.order.is_none_or(|o| o == key)))
    }

    /// How many entries of `destination` wait.
    pub fn pending(&self, destination: &Destination) -> Result<usize> {
        Ok(self.entries_for(destination, false)?.len())
    }

    /// Pending (ours), foreign, legacy, rejected and unreadable counts, and the
    /// age of our oldest entry.
    pub fn status(&self, destination: &Destination) -> Result<SpoolStatus> {
        let tags = destination.tags();
        let (root, sharing) = self.root()?;
        let mut st = SpoolStatus::default();
        let mut oldest: Option<u64> = None;
        for name in entry_names(root.list().map_err(|e| io_error("list", &self.dir, e))?) {
            match entry::parse_name(&name) {
                Some(n) if tags.iter().any(|t| t == n.tag) => {
                    st.pending += 1;
                    if oldest.is_none() {
                        oldest = root.stat_at(&name).ok().flatten().map(|s| s.age_secs());
                    }
                }
                Some(_) => st.foreign += 1,
                None => st.legacy += 1,
            }
        }
        st.oldest = oldest.map(Duration::from_secs);
        let stranded = self.stranded(destination)?;
        (st.stranded, st.stranded_oldest) = (stranded.count, stranded.oldest);
        st.rejected = self.count_in(&root, sharing, "rejected", ".req")?;
        st.unreadable = self.count_in(&root, sharing, "unreadable", ".why")?;
        Ok(st)
    }

    fn count_in(&self, root: &Dir, sharing: Sharing, sub: &str, suffix: &str) -> Result<usize> {
        let dir = self.sub(root, sharing, sub)?;
        let listing = dir.list().map_err(|e| io_error("list", dir.path(), e))?;
        Ok(listing.iter().filter(|(n, file)| *file && n.ends_with(suffix)).count())
    }
}
