//! `spread flush`: deliver what the spool holds, as cron and the systemd timer
//! run it, and record the run for `spread status`.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde_json::json;
use spread::spool::FlushRecord;
use spread::ErrorKind;

use crate::args::{Exit, Fail, FlushArgs};
use crate::journal::{self, Priority};
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
    let record = |outcome: &str, delivered: usize, rejected: usize, remaining: usize, error: Option<String>| {
        // Monitoring reads it (`spread status`); a flush that cannot write it still did its work.
        if let Some(spool) = client.spool() {
            let ms = started.elapsed().as_millis() as u64;
            let r = FlushRecord::now(outcome, delivered as u64, rejected as u64, remaining as u64, ms, error);
            if let Err(e) = spool.write_flush_record(&r) {
                journal::print(Priority::Warning, "flush_record", &format!("cannot record this flush: {e}"));
            }
        }
    };
    let report = match client.flush_with(args.adopt_legacy) {
        Ok(report) => report,
        Err(e) => {
            record("failed", 0, 0, client.spool_status().map_or(0, |s| s.pending), Some(e.message.clone()));
            return Err(e.into());
        }
    };
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
        // (The report does not say so itself: it ended on a Timeout once the budget had passed.)
        if e.kind == ErrorKind::Timeout && started.elapsed() >= budget {
            (Exit::Incomplete, format!("the flush budget ({} s) is used up; the next flush goes on", budget.as_secs()))
        } else {
            (Exit::of(e.kind).worst(Exit::Failure), format!("flush stopped: {e}"))
        }
    });
    if let Some((code, _)) = &stopped {
        exit = exit.worst(*code);
    }
    let outcome = match (&stopped, exit) {
        (Some((code, _)), _) if *code != Exit::Incomplete => "failed",
        (_, Exit::Ok) => "ok",
        _ => "incomplete",
    };
    // The flush that holds the lock records its own run.
    if !report.busy {
        let error = stopped.as_ref().filter(|(code, _)| *code != Exit::Incomplete).map(|(_, m)| m.clone());
        record(outcome, report.delivered, report.rejected, report.remaining, error);
    }
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
