//! The commands of `spread rejected`, and their options.

use clap::Subcommand;

use super::shared::{Destination, SpoolArg};

#[derive(Subcommand, Debug)]
#[command(after_help = "Rejected entries hold customers' personal data (names, e-mails, addresses): \
they are kept 0600 (0660 in a shared spool); `show` prints them. Keep rejected/ from growing with \
a periodic `spread rejected purge --older-than 30`.")]
pub enum RejectedCommand {
    /// One line per rejected entry: name, order id, age, SPREAD's answer.
    List {
        #[command(flatten)]
        spool: SpoolArg,
        /// A JSON array instead.
        #[arg(long)]
        json: bool,
    },
    /// SPREAD's answer and the order that was refused (customer data: keep the output private).
    Show {
        /// The entry's name, from `spread rejected list`.
        name: String,
        #[command(flatten)]
        spool: SpoolArg,
        /// The body exactly as it was sent, instead of one field per line.
        #[arg(long)]
        raw: bool,
    },
    /// Put entries back at the end of the queue (once the cause is fixed); the next flush sends them.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["name", "all"])))]
    Requeue {
        /// The entry's name, from `spread rejected list`.
        name: Option<String>,
        /// Every rejected entry of this destination.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        spool: SpoolArg,
        #[command(flatten)]
        destination: Destination,
        /// {"requeued":N} instead of a sentence.
        #[arg(long)]
        json: bool,
    },
    /// Delete rejected entries set aside more than DAYS days ago (0: all).
    Purge {
        #[arg(long, value_name = "DAYS")]
        older_than: u64,
        #[command(flatten)]
        spool: SpoolArg,
        /// {"purged":N,"older_than_days":DAYS} instead of a sentence.
        #[arg(long)]
        json: bool,
    },
}
