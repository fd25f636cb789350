//! `spread`: the command line of libspread, for cron, for monitoring and
//! for bulk imports. `spread --help` is its manual; the modules:
//! - `args`: the command line (clap) and the exit codes;
//! - `setup`: a client from the options and the environment (keys are
//!   never arguments: other users can read those in `ps`);
//! - one file per command on the spool: `flush`, `status`, `rejected`
//!   (`rejected list|show|requeue|purge`) and `spool` (`spool adopt`);
//!   `text`: what they print of the spool, safe for a terminal;
//!   `privilege`: root becomes the spool folder's owner before touching it;
//! - `bulk`: `send` and `check` over JSON lines (reading them, sending them
//!   with a progress on stderr, writing what failed);
//! - `doctor`: what a deployment needs, checked; `journal`: stderr lines
//!   (journald priorities, `--log-format json`).

mod args;
mod bulk;
mod doctor;
mod flush;
mod journal;
mod privilege;
mod rejected;
mod setup;
mod spool;
mod status;
mod text;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, Exit, Fail};

fn run(cli: Cli) -> Result<Exit, Fail> {
    if let Command::Doctor(a) = &cli.command {
        // The doctor reports a bad keys file as one of its checks, it does not stop on it.
        return doctor::run(a, cli.keys_file.as_deref());
    }
    setup::load_secrets(cli.keys_file.as_deref())?;
    match cli.command {
        Command::Flush(a) => flush::flush(&a, cli.verbose),
        Command::Status(a) => status::status(&a),
        Command::Rejected(a) => rejected::rejected(a),
        Command::Spool(a) => spool::spool(a),
        Command::Send(a) => bulk::send(&a, cli.verbose),
        Command::Check(a) => bulk::check(&a),
        Command::Doctor(_) => unreachable!("handled above"),
    }
}

fn main() -> ExitCode {
    // clap prints help and version (exit 0) and usage errors (exit 2) itself.
    let cli = Cli::parse();
    journal::set_format(cli.log_format);
    let exit = run(cli).unwrap_or_else(|fail| {
        // One line, no usage text: a runtime failure is not a usage error.
        journal::print(journal::Priority::Err, "failed", &fail.message);
        fail.exit
    });
    ExitCode::from(exit.code())
}
