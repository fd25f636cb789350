//! The options of `spread flush`.

use clap::Args;

use super::shared::{Destination, SpoolArg, Transport};

#[derive(Args, Debug)]
pub struct FlushArgs {
    #[command(flatten)]
    pub spool: SpoolArg,
    #[command(flatten)]
    pub destination: Destination,
    #[command(flatten)]
    pub transport: Transport,
    /// Print nothing unless something needs attention (exit code not 0): for cron.
    #[arg(short, long)]
    pub quiet: bool,
    /// Stop after this many seconds and leave the rest for the next flush (default 240).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub budget: Option<u64>,
    /// Orders of different ids in flight at once (1 to 32); updates of one order still go one at a time, in order.
    #[arg(short, long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub concurrency: u32,
    /// Also deliver entries written by libspread 0.1, which did not record their destination.
    #[arg(long)]
    pub adopt_legacy: bool,
    /// One JSON object on stdout: outcome, delivered, rejected, remaining… (printed even with --quiet).
    #[arg(long)]
    pub json: bool,
}
