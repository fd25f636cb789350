//! The command line and the exit codes. Everything `spread --help` says is here.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};
use spread::{Error, ErrorKind};

use crate::journal::LogFormat;

/// What `spread` exits with; the table in `spread --help` and the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done: everything delivered, nothing to do, no problem found.
    Ok,
    /// A failure that is not about the orders: network, TLS, SPREAD down, a local file.
    Failure,
    /// Bad usage (clap's own exit code for usage errors).
    Usage,
    /// Configuration: missing keys, a spool folder that does not exist or
    /// is not safe, a bad URL, proxy or CA, keys SPREAD refuses, a wrong endpoint.
    Config,
    /// The run worked but some orders are not delivered: still pending in the
    /// spool, refused by SPREAD (rejected/), invalid lines; or `status
    /// --max-age`: the oldest pending order is older than allowed.
    Incomplete,
    /// A check's verdict in the Nagios plugin convention (`status --warning
    /// --critical`, `doctor`): 1 warning, 2 critical (doctor: a problem), 3 unknown.
    Warning,
    Critical,
    Unknown,
}

impl Exit {
    /// The process's exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failure | Exit::Warning => 1,
            Exit::Usage | Exit::Critical => 2,
            Exit::Config | Exit::Unknown => 3,
            Exit::Incomplete => 4,
        }
    }

    /// The more urgent of two outcomes: configuration, then failure, then incomplete.
    pub fn worst(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Ok => 0,
            Exit::Incomplete | Exit::Warning => 1,
            Exit::Failure | Exit::Critical => 2,
            Exit::Config | Exit::Unknown => 3,
            Exit::Usage => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// How a failure of the library ends the command.
    pub fn of(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::Config | ErrorKind::Auth | ErrorKind::Endpoint => Exit::Config,
            ErrorKind::InvalidValue | ErrorKind::MissingField | ErrorKind::Rejected => Exit::Incomplete,
            ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Tls | ErrorKind::Redirect | ErrorKind::Server | ErrorKind::Io | ErrorKind::Internal => {
                Exit::Failure
            }
        }
    }
}

/// A command that stops: its exit code and the one line it prints on stderr.
#[derive(Debug)]
pub struct Fail {
    pub exit: Exit,
    pub message: String,
}

impl Fail {
    pub fn new(exit: Exit, message: impl Into<String>) -> Fail {
        Fail { exit, message: message.into() }
    }

    pub fn config(message: impl Into<String>) -> Fail {
        Fail::new(Exit::Config, message)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        // A bad name given to `rejected show/requeue` is the caller's mistake.
        let exit = match e.kind {
            ErrorKind::InvalidValue => Exit::Usage,
            kind => Exit::of(kind),
        };
        Fail::new(exit, e.message)
    }
}

const ABOUT: &str = "Send orders to the SPREAD CRM, and look after the spool of orders waiting to be sent.";

const AFTER_HELP: &str = "\
Keys: SPREAD_PUBLIC_KEY and SPREAD_PRIVATE_KEY, never arguments (other users see
those in `ps`). Each is read from, in this order: the keys file (--keys-file or
SPREAD_KEYS_FILE: SPREAD_PUBLIC_KEY=… and SPREAD_PRIVATE_KEY=… lines, the format
of systemd's EnvironmentFile=, mode 0600 or 0640, owned by you or root), systemd
credentials ($CREDENTIALS_DIRECTORY/spread_public_key, spread_private_key), the
environment. `status` and `rejected` need only the public key; `check` needs
none. No key is ever printed.

Proxy: --proxy URL (no credentials there), else SPREAD_PROXY from the keys file,
the credential spread_proxy or the environment; a proxy's user and password go
only in those. HTTP_PROXY, HTTPS_PROXY and ALL_PROXY are never read (httpoxy).

Environment: SPREAD_SPOOL (--spool), SPREAD_BASE_URL (--base-url),
SPREAD_KEYS_FILE (--keys-file), SPREAD_APP_INFO (--app-info), SPREAD_PROXY.

Exit codes:
  0  done: everything delivered, nothing to do, no problem found
  1  failure not about the orders: network, TLS, SPREAD down (5xx), a local file
  2  usage error (a bad option or argument)
  3  configuration: missing keys, a spool folder that does not exist or that
     others may write, a bad URL, proxy or CA file, keys SPREAD refuses (401/403),
     an endpoint that is not SPREAD's (404)
  4  some orders are not delivered: still pending in the spool, refused by SPREAD
     (moved to rejected/), invalid lines; or `status --max-age`: the oldest
     pending order is older than allowed
`status --warning/--critical` and `doctor` follow the monitoring plugins' rule
instead: 0 OK, 1 WARNING, 2 CRITICAL (doctor: a problem), 3 UNKNOWN.

Logs: -v prints the library's records on stderr; under systemd (JOURNAL_STREAM)
each line carries its journald priority (<3> error … <7> debug); --log-format
json prints one JSON object per line instead.

systemd: spread-flush.timer runs spread-flush.service every 5 minutes (keys as
credentials, LoadCredential=); see `spread doctor` and the README, Operations.
Cron, every 5 minutes, mailing only on trouble (the keys in /etc/spread/keys, 0600):
  */5 * * * * spread flush --quiet --keys-file /etc/spread/keys --spool /var/spool/spread";

#[derive(Parser, Debug)]
// No help page for a bare `spread`: a usage error is one short message, like any other.
#[command(name = "spread", version, about = ABOUT, after_help = AFTER_HELP, propagate_version = true, arg_required_else_help = false)]
pub struct Cli {
    /// Say more: -v the library's log (attempts, retries, queued, flushed) and
    /// every warning; -vv debug records too (they may show customers' e-mails).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Read the keys (and SPREAD_PROXY) from this file: NAME=value lines, mode 0600 or 0640.
    #[arg(long, env = "SPREAD_KEYS_FILE", value_name = "FILE", global = true, hide_env_values = true)]
    pub keys_file: Option<PathBuf>,

    /// How messages on stderr look: text (with journald priorities under systemd) or one JSON object per line.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Deliver the orders waiting in the spool, oldest first (what cron runs).
    #[command(after_help = "Exit: 0 all delivered or nothing to do (also when another flush is running), \
1 stopped by a failure (network, SPREAD down: every order stays pending), 3 configuration, \
4 some orders still pending or moved to rejected/.")]
    Flush(FlushArgs),
    /// Count the spool's orders: pending, other destinations', legacy, rejected, unreadable.
    #[command(after_help = "Prints pending N, foreign N, legacy N, rejected N, unreadable N, oldest AGE. \
--json: {\"spool\":…,\"base_url\":…,\"pending\":3,\"foreign\":0,\"legacy\":0,\"rejected\":1,\"unreadable\":0,\
\"oldest_secs\":42} (null when nothing is pending) and \"last_flush\" (when the last `spread flush` \
ended, its outcome, delivered, remaining; null before the first), with \"max_age_secs\" and \"too_old\" under --max-age. \
--format prometheus: the same numbers for node_exporter's textfile collector.\n\n\
Check mode (--warning SECS and/or --critical SECS, for Nagios, Icinga, monitoring-plugins): one line \
`SPREAD OK|WARNING|CRITICAL|UNKNOWN - …` with performance data, exit 0/1/2/3; the ages checked are \
every oldest pending age (oldest_secs, and any other *oldest_secs) and the time since the last flush \
(no flush recorded yet: WARNING; a last flush that failed: WARNING).\n\n\
Exit: 0, or 4 with --max-age when the oldest pending order is older; 3 when the spool folder does not exist; \
check mode: 0/1/2/3.")]
    Status(StatusArgs),
    /// Check what a deployment needs, one line per check with the fix when it fails.
    #[command(after_help = "Checks: this library and its ABI; the keys (file mode and owner, or where they come \
from); the spool folder (owner, group, mode, free space, whether the web server's user can write it); \
the CA store https trusts and its size; DNS, TCP and the TLS handshake to the base URL; with --php, the \
PHP side (FFI loaded, ffi.enable for the cli, cli-server (php -S) and fpm SAPIs, opcache.preload and \
opcache.preload_user; also `php vendor/bin/spread-doctor`).\n\n\
Exit: 0 all good, 1 warnings only, 2 at least one problem.")]
    Doctor(DoctorArgs),
    /// Send orders from a file of JSON lines: the seed's $post_data, json_encode()d, one per line.
    #[command(after_help = "Each line is one order: the seed's $post_data as json_encode($post_data) \
writes it ({\"data\":{…},\"request\":{…}}), or just its data part. Lines are validated first: \
SPREAD's required fields strictly, other fields leniently (sent as they are, with a warning) \
unless --strict. A line that fails fails alone.\n\n\
--failed OUT.jsonl receives every failed line unchanged, and OUT.jsonl.errors one JSON object \
per failed line, in the same order: {\"line\":<line in OUT.jsonl>,\"input_line\":N,\"order_id\":…,\
\"kind\":\"invalid_value\",\"http_status\":422,\"error\":…,\"warnings\":[…]}. Fix OUT.jsonl and run \
`spread send OUT.jsonl` again. Both files are removed when nothing failed.\n\n\
Exit: 0 all delivered, 1 orders not delivered for a reason that is not theirs (network, SPREAD down), \
3 configuration (keys refused, wrong endpoint), 4 some lines invalid or refused by SPREAD, or queued in the spool.")]
    Send(SendArgs),
    /// Validate a file of JSON lines without sending: one line per problem.
    #[command(after_help = "Prints FILE:LINE: field: problem for every line that would fail, and \
FILE:LINE: warning: … for fields that would be sent as they are. Exit: 0 no line fails, 4 some lines fail.")]
    Check(CheckArgs),
    /// The orders SPREAD refused for their content (kept in SPOOL/rejected/).
    #[command(subcommand)]
    Rejected(RejectedCommand),
    /// Look after the spool folder itself (`adopt`: after the base URL or the keys changed).
    #[command(subcommand)]
    Spool(SpoolCommand),
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_worst_outcome_wins() {
        assert_eq!(Exit::Ok.worst(Exit::Incomplete), Exit::Incomplete);
        assert_eq!(Exit::Incomplete.worst(Exit::Failure), Exit::Failure);
        assert_eq!(Exit::Config.worst(Exit::Failure), Exit::Config);
    }
}

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
