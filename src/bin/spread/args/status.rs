//! The options of `spread status`.

use clap::Args;

use super::shared::{Destination, SpoolArg};

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub spool: SpoolArg,
    #[command(flatten)]
    pub destination: Destination,
    /// One JSON object, for monitoring (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// text, json, or prometheus (the text exposition format, for node_exporter's textfile collector).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<StatusFormat>,
    /// Exit 4 when the oldest pending (or stranded) order is older than this (kept for existing checks: prefer --critical).
    #[arg(long, value_name = "SECONDS", conflicts_with_all = ["warning", "critical"])]
    pub max_age: Option<u64>,
    /// Check mode: WARNING (exit 1) when an order waits, or the last flush ended, longer ago than this.
    #[arg(long, value_name = "SECS")]
    pub warning: Option<u64>,
    /// Check mode: CRITICAL (exit 2) when an order waits, or the last flush ended, longer ago than this.
    #[arg(long, value_name = "SECS")]
    pub critical: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
    Prometheus,
}
