//! The commands of `spread spool` (`adopt`), and their options.

use clap::Subcommand;

use super::shared::{Destination, SpoolArg};

#[derive(Subcommand, Debug)]
pub enum SpoolCommand {
    /// Move the spooled orders of an old base URL, or of an old public key, to this destination.
    #[command(after_help = "After the base URL changed (SPREAD moved, a typo fixed, the sandbox replaced \
by production), the orders spooled for the old one wait under it: `spread status` counts them as \
stranded and every flush warns. `spread spool adopt --from-base-url OLD --base-url NEW` moves them \
to NEW, each keeping its place in the queue. After a key rotation, put the old public key in the \
keys file or the environment as SPREAD_OLD_PUBLIC_KEY and add --from-old-key. Never automatic: \
another shop on this host may share the folder and the base URL with keys of its own.")]
    Adopt {
        #[command(flatten)]
        spool: SpoolArg,
        #[command(flatten)]
        destination: Destination,
        /// The base URL the orders were spooled for (default: the current one, with --from-old-key).
        #[arg(long, value_name = "URL")]
        from_base_url: Option<String>,
        /// The orders were spooled with the public key in SPREAD_OLD_PUBLIC_KEY (keys file or environment).
        #[arg(long)]
        from_old_key: bool,
    },
}
