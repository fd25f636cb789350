//! The options several commands share: the spool, the destination, the transport.

use std::path::PathBuf;

use clap::Args;

/// Where the spool is. The command refuses a folder that does not exist
/// (a typo in a cron line must not create a new, never-flushed spool).
#[derive(Args, Debug)]
pub struct SpoolArg {
    /// The spool folder (it must exist).
    #[arg(long, env = "SPREAD_SPOOL", value_name = "DIR", hide_env_values = true)]
    pub spool: PathBuf,
}

#[derive(Args, Debug)]
pub struct Destination {
    /// SPREAD's API root; orders go to URL/updateOrder.
    #[arg(long, env = "SPREAD_BASE_URL", value_name = "URL", default_value = spread::settings::DEFAULT_BASE_URL, hide_env_values = true)]
    pub base_url: String,
}

#[derive(Args, Debug)]
pub struct Transport {
    /// An HTTP CONNECT proxy, http://host:port, never used for loopback. Credentials never here
    /// (`ps` shows them): SPREAD_PROXY=http://user:password@host:port in the keys file or the environment.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Which certificate authorities https trusts: system (the host's store), bundled (Mozilla's), or a PEM file.
    #[arg(long, value_name = "system|bundled|PATH")]
    pub tls_roots: Option<String>,
    /// Trust only the CA certificates of this PEM file (the same as --tls-roots PATH).
    #[arg(long, value_name = "FILE", conflicts_with = "tls_roots")]
    pub ca_file: Option<PathBuf>,
    /// The time one order may take, retries included, in milliseconds (default 30000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: Option<u64>,
    /// Your application, appended to the User-Agent: `libspread/0.1.0 MyShop/2.1`.
    #[arg(long, env = "SPREAD_APP_INFO", value_name = "NAME/VERSION")]
    pub app_info: Option<String>,
}
