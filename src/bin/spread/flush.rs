//! `spread flush`: deliver what the spool holds, as cron and the systemd timer
//! run it (the library records the run for `spread status`).

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde_json::json;

use crate::args::{Exit, Fail, FlushArgs};
use crate::setup;

pub fn flush(args: &FlushArgs, verbose: u8) -> Result<Exit, Fail> {
    let mut client = setup::client(&args.destination, &args.transport, Some(&args.spool.spool), verbose, ProgressBar::hidden())?;
    client.set_delivery_concurrency(args.concurrency as usize)?;
    let budget = args.budget.map(Duration::from_secs);
    if let Some(budget) = budget {
        client.set_flush_budget(budget)?;
    }
    let budget = budget.unwrap_or(client.settings().flush_budget);
    let started = Instant::now();
    let report = client.flush_with(args.adopt_legacy)?;
    let legacy = if args.adopt_legacy { 0 } else { client.spool_status()?.legacy };

    let mut summary = format!("delivered {}, rejected {}, remaining {}", report.delivered, report.rejected, report.remaining);
    if report.unreadable > 0 {
        summary.push_str(&format!(", unreadable {} (moved to unreadable/)", report.unreadable));
    }
    let mut notes = Vec::new();
    let mut exit = Exit::Ok;
    if report.busy {
        notes.push("another flush of this spool is running: nothing done".to_owned());
    }
    if report.rejected > 0 {
        notes.push(format!("SPREAD refused {} order(s): see `spread rejected list`", report.rejected));
        exit = Exit::Incomplete;
    }
    if report.unreadable > 0 || report.remaining > 0 {
        exit = Exit::Incomplete;
    }
    if legacy > 0 {
        notes.push(format!("{legacy} entries of libspread 0.1 wait: deliver them here with --adopt-legacy"));
        exit = Exit::Incomplete;
    }
    let stopped = report.stopped_by.as_ref().map(|e| {
        // The flush's own budget running out is not a failure: the next flush goes on.
        if report.budget_used {
            (Exit::Incomplete, format!("the flush budget ({} s) is used up; the next flush goes on", budget.as_secs()))
        } else {
            (Exit::of(e.kind).worst(Exit::Failure), format!("flush stopped: {e}"))
        }
    });
    if let Some((code, _)) = &stopped {
        exit = exit.worst(*code);
    }
    // The library's outcome (what `.last-flush` records), and incomplete here also
    // when libspread 0.1's entries wait for --adopt-legacy.
    let outcome = match (&stopped, exit) {
        (Some((code, _)), _) if *code != Exit::Incomplete => "failed",
        (_, Exit::Ok) => "ok",
        _ => "incomplete",
    };
    if args.json {
        let mut all_notes = notes.clone();
        if let Some((Exit::Incomplete, message)) = &stopped {
            all_notes.push(message.clone());
        }
        let v = json!({
            "spool": args.spool.spool.display().to_string(),
            "outcome": if report.busy { "busy" } else { outcome },
            "delivered": report.delivered,
            "rejected": report.rejected,
            "remaining": report.remaining,
            "unreadable": report.unreadable,
            "legacy": legacy,
            "busy": report.busy,
            "duration_ms": started.elapsed().as_millis() as u64,
            "error": stopped.as_ref().filter(|(code, _)| *code != Exit::Incomplete).map(|(_, m)| m.clone()),
            "notes": all_notes,
            "exit": exit.code(),
        });
        println!("{v}");
    } else if !(args.quiet && exit == Exit::Ok) {
        println!("{summary}");
        for note in &notes {
            println!("{note}");
        }
    }
    match stopped {
        Some((code, message)) if code != Exit::Incomplete => Err(Fail::new(exit, message)),
        Some((_, message)) => {
            if !args.json {
                println!("{message}");
            }
            Ok(exit)
        }
        None => Ok(exit),
    }
}
