//! `spread`: the spool's command line, for cron and for looking.
//!
//!     spread flush  --spool DIR [--base-url URL] [--timeout-ms N]
//!     spread status --spool DIR
//!
//! Keys come from the environment (SPREAD_PUBLIC_KEY, SPREAD_PRIVATE_KEY),
//! never from arguments, which other users can read in `ps`. The base URL
//! may also come from SPREAD_BASE_URL.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use spread::Client;

const USAGE: &str = "usage: spread flush --spool DIR [--base-url URL] [--timeout-ms N]\n       spread status --spool DIR\n\
keys from SPREAD_PUBLIC_KEY and SPREAD_PRIVATE_KEY; base URL from --base-url or SPREAD_BASE_URL";

struct Args {
    command: String,
    spool: PathBuf,
    base_url: Option<String>,
    timeout_ms: Option<u64>,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = argv.next().ok_or("no command")?;
    let (mut spool, mut base_url, mut timeout_ms) = (None, std::env::var("SPREAD_BASE_URL").ok(), None);
    while let Some(flag) = argv.next() {
        let mut value = || argv.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--spool" => spool = Some(PathBuf::from(value()?)),
            "--base-url" => base_url = Some(value()?),
            "--timeout-ms" => timeout_ms = Some(value()?.parse().map_err(|_| "--timeout-ms takes a number of milliseconds")?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let spool = spool.ok_or("--spool DIR is required")?;
    Ok(Args { command, spool, base_url, timeout_ms })
}

fn key(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn run(args: Args) -> Result<ExitCode, String> {
    match args.command.as_str() {
        "status" => {
            let mut client = Client::new(&key("SPREAD_PUBLIC_KEY")?, &key("SPREAD_PRIVATE_KEY")?).map_err(|e| e.to_string())?;
            if let Some(url) = &args.base_url {
                client.set_base_url(url).map_err(|e| e.to_string())?;
            }
            client.set_spool_dir(&args.spool).map_err(|e| e.to_string())?;
            let st = client.spool_status().map_err(|e| e.to_string())?;
            let oldest = st.oldest.map_or("-".to_owned(), |d| format!("{}s", d.as_secs()));
            println!("pending {}, rejected {}, oldest {oldest}", st.pending, st.rejected);
            Ok(ExitCode::SUCCESS)
        }
        "flush" => {
            let mut client = Client::new(&key("SPREAD_PUBLIC_KEY")?, &key("SPREAD_PRIVATE_KEY")?).map_err(|e| e.to_string())?;
            if let Some(url) = &args.base_url {
                client.set_base_url(url).map_err(|e| e.to_string())?;
            }
            if let Some(ms) = args.timeout_ms {
                client.set_timeout(Duration::from_millis(ms)).map_err(|e| e.to_string())?;
            }
            client.set_spool_dir(&args.spool).map_err(|e| e.to_string())?;
            let report = client.flush().map_err(|e| e.to_string())?;
            println!("delivered {}, rejected {}, remaining {}", report.delivered, report.rejected, report.remaining);
            match report.stopped_by {
                Some(e) => Err(format!("stopped: {e}")),
                None => Ok(ExitCode::SUCCESS),
            }
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn main() -> ExitCode {
    let outcome = parse(std::env::args().skip(1)).and_then(run);
    outcome.unwrap_or_else(|message| {
        eprintln!("spread: {message}\n{USAGE}");
        ExitCode::FAILURE
    })
}
