//! The options of `spread send` and `spread check`.

use std::path::PathBuf;

use clap::Args;

use super::shared::{Destination, Transport};

#[derive(Args, Debug)]
pub struct SendArgs {
    /// The JSON lines to send; - (the default) reads standard input.
    #[arg(value_name = "FILE.jsonl|-", default_value = "-")]
    pub file: PathBuf,
    /// Orders sent at the same time (1 to 32).
    #[arg(short, long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub concurrency: u32,
    /// Write the lines that failed here (unchanged), and why to OUT.jsonl.errors.
    #[arg(long, value_name = "OUT.jsonl")]
    pub failed: Option<PathBuf>,
    /// Refuse a line whose optional fields break their rules (default: send as is, with a warning).
    #[arg(long)]
    pub strict: bool,
    /// Print the summary as one JSON object on stdout (lines, delivered, queued, failed, invalid…).
    #[arg(long)]
    pub json: bool,
    /// Keep orders that cannot be delivered now in this folder (it must exist) for `spread flush`.
    #[arg(long, env = "SPREAD_SPOOL", value_name = "DIR", hide_env_values = true)]
    pub spool: Option<PathBuf>,
    #[command(flatten)]
    pub destination: Destination,
    #[command(flatten)]
    pub transport: Transport,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The JSON lines to check; - reads standard input.
    #[arg(value_name = "FILE.jsonl|-")]
    pub file: PathBuf,
    /// Also fail lines whose optional fields break their rules.
    #[arg(long)]
    pub strict: bool,
}
