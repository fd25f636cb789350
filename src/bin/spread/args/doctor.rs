//! The options of `spread doctor`.

use std::path::PathBuf;

use clap::Args;

use super::shared::{Destination, Transport};

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// The spool folder to check (optional).
    #[arg(long, env = "SPREAD_SPOOL", value_name = "DIR", hide_env_values = true)]
    pub spool: Option<PathBuf>,
    #[command(flatten)]
    pub destination: Destination,
    #[command(flatten)]
    pub transport: Transport,
    /// The user the web server's PHP runs as (php-fpm's pool user), who must be able to write the spool.
    #[arg(long, value_name = "USER")]
    pub web_user: Option<String>,
    /// Also check PHP: run the PHP checks with this php binary (default: php).
    #[arg(long, value_name = "PHP", num_args = 0..=1, default_missing_value = "php")]
    pub php: Option<String>,
    /// Skip DNS, TCP and TLS (no network).
    #[arg(long)]
    pub offline: bool,
    /// One JSON object: {"status":"ok|warning|problem","checks":[{"name","status","detail","fix"}…]}.
    #[arg(long)]
    pub json: bool,
}
