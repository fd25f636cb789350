//! Looking after a client's spool: the entries SPREAD refused for their
//! content (`rejected/`), listed, sent again or purged. The spool does the
//! file work; the client names its own destination and tells its logger,
//! so the C ABI and the bindings only convert.

use std::time::Duration;

use super::client::Client;
use crate::error::Result;
use crate::log::{Level, Record};
use crate::spool::Rejected;

impl Client {
    /// The rejected entries, oldest first (every destination's: the folder
    /// is shared, and a name is what [`Client::requeue`] takes).
    pub fn rejected(&self) -> Result<Vec<Rejected>> {
        self.core().spool()?.rejected()
    }

    /// One rejected entry and the body SPREAD refused (customer data).
    pub fn show_rejected(&self, name: &str) -> Result<(Rejected, Vec<u8>)> {
        self.core().spool()?.show_rejected(name)
    }

    /// Puts the rejected entry `only` (or, with None, every rejected entry
    /// of this client's destination) back at the end of the queue, for when
    /// the cause was fixed on SPREAD's side. Returns how many.
    pub fn requeue(&self, only: Option<&str>) -> Result<usize> {
        let core = self.core();
        let n = core.spool()?.requeue(&core.destination, only)?;
        core.log.log(Record::new(Level::Info, "requeued", format!("{n} rejected order(s) back in the queue")).with("requeued", n));
        Ok(n)
    }

    /// Deletes the rejected entries set aside at least `older_than` ago
    /// (zero: all of them), so `rejected/` does not grow forever. Returns how many.
    pub fn purge_rejected(&self, older_than: Duration) -> Result<usize> {
        let core = self.core();
        let n = core.spool()?.purge_rejected(older_than)?;
        core.log.log(
            Record::new(Level::Info, "purged", format!("{n} rejected order(s) deleted"))
                .with("purged", n)
                .with("older_than_secs", u128::from(older_than.as_secs())),
        );
        Ok(n)
    }
}
