//! `spread`: the command line of libspread, for cron, for monitoring and
//! for bulk imports. `spread --help` is its manual; the modules:
//! - `args`: the command line (clap) and the exit codes;
//! - `setup`: a client from the options and the environment (keys are
//!   never arguments: other users can read those in `ps`);
//! - `spool`: `flush`, `status` and `rejected …`; `privilege`: root becomes
//!   the spool folder's owner before touching it;
//! - `bulk` and `progress`: `send` and `check` over JSON lines.

mod args;
mod bulk;
mod privilege;
mod progress;
mod setup;
mod spool;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, Exit, Fail};

fn run(cli: Cli) -> Result<Exit, Fail> {
    setup::load_secrets(cli.keys_file.as_deref())?;
    match cli.command {
        Command::Flush(a) => spool::flush(&a, cli.verbose),
        Command::Status(a) => spool::status(&a),
        Command::Rejected(a) => spool::rejected(a),
        Command::Spool(a) => spool::spool(a),
        Command::Send(a) => bulk::send(&a, cli.verbose),
        Command::Check(a) => bulk::check(&a),
    }
}

fn main() -> ExitCode {
    // clap prints help and version (exit 0) and usage errors (exit 2) itself.
    let cli = Cli::parse();
    let exit = run(cli).unwrap_or_else(|fail| {
        // One line, no usage text: a runtime failure is not a usage error.
        eprintln!("spread: {}", fail.message);
        fail.exit
    });
    ExitCode::from(exit as u8)
}
