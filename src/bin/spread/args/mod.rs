//! The command line and the exit codes: everything `spread --help` says is
//! in this folder. Here the commands and the help of `spread` itself; each
//! command's options in the file of its name (as the command's own file
//! above this folder), the options several commands share in `shared`, the
//! exit codes in `exit`.

mod bulk;
mod doctor;
mod exit;
mod flush;
mod rejected;
mod shared;
mod spool;
mod status;

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand};

use crate::journal::LogFormat;

pub use bulk::{CheckArgs, SendArgs};
pub use doctor::DoctorArgs;
pub use exit::{Exit, Fail};
pub use flush::FlushArgs;
pub use rejected::RejectedCommand;
pub use shared::{Destination, SpoolArg, Transport};
pub use spool::SpoolCommand;
pub use status::{StatusArgs, StatusFormat};

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The variables the command reads options from are the option table's (which the
    /// bindings' `fromEnv`/`from_env` read), each for the option of its name, and the
    /// help lists them; the keys file is the one the command adds.
    #[test]
    fn the_environment_is_the_option_tables() {
        let mut read = std::collections::BTreeMap::new();
        let mut commands = vec![Cli::command()];
        while let Some(command) = commands.pop() {
            for arg in command.get_arguments() {
                if let Some(env) = arg.get_env() {
                    read.insert(env.to_string_lossy().into_owned(), arg.get_long().unwrap_or_default().replace('-', "_"));
                }
            }
            commands.extend(command.get_subcommands().cloned());
        }
        let mut table: std::collections::BTreeMap<String, String> =
            spread::send::options::OPTIONS.iter().filter_map(|o| Some((o.env?.to_owned(), o.name.to_owned()))).collect();
        // `--spool` is the option `spool_dir`; the keys file is a secret the library reads.
        table.insert("SPREAD_KEYS_FILE".into(), "keys_file".into());
        read.entry("SPREAD_SPOOL".into()).and_modify(|long| *long = "spool_dir".into());
        assert_eq!(read, table);
        for env in table.keys() {
            assert!(AFTER_HELP.contains(env.as_str()), "{env}");
        }
    }
}
