//! `spread send`: the lines sent chunk by chunk, each line's outcome counted
//! and reported (the progress on stderr, failures to --failed), the summary.

use serde_json::json;
use spread::{Client, Error, ErrorKind, Order, Sent};

use super::failed::{errors_path, FailedFiles, Failure};
use super::input::{count_lines, parse, Line, Lines};
use super::progress::Progress;
use crate::args::{Exit, Fail, SendArgs};
use crate::journal::{self, Priority};
use crate::setup;

/// Failures printed on stderr when they are not written to --failed.
const SHOWN_FAILURES: usize = 20;

#[derive(Default)]
struct Tally {
    delivered: u64,
    queued: u64,
    invalid: u64,
    refused: u64,
    undelivered: u64,
    not_sent: u64,
    warnings: u64,
    exit: Option<Exit>,
}

impl Tally {
    fn failed(&self) -> u64 {
        self.invalid + self.refused + self.undelivered + self.not_sent
    }

    fn outcome(&mut self, exit: Exit) {
        self.exit = Some(self.exit.unwrap_or(Exit::Ok).worst(exit));
    }
}

/// What a send does with each line's outcome: counts, reports, writes.
struct Report<'a> {
    args: &'a SendArgs,
    verbose: u8,
    progress: Progress,
    files: Option<FailedFiles>,
    tally: Tally,
    done: u64,
}

impl Report<'_> {
    fn warnings(&mut self, line: &Line, order: &Order) {
        self.tally.warnings += order.warnings().len() as u64;
        if self.verbose > 0 {
            for w in order.warnings() {
                self.progress.println(&journal::line(Priority::Warning, "warning", &format!("line {}: warning: {w}", line.no), Some(json!({"line": line.no}))));
            }
        }
    }

    fn fail(&mut self, line: &Line, failure: Failure) -> Result<(), Fail> {
        let e = &failure.error;
        match e.kind {
            _ if failure.not_sent => self.tally.not_sent += 1,
            ErrorKind::InvalidValue | ErrorKind::MissingField => self.tally.invalid += 1,
            ErrorKind::Rejected => self.tally.refused += 1,
            _ => self.tally.undelivered += 1,
        }
        self.tally.outcome(Exit::of(e.kind));
        let failed = self.tally.failed() as usize;
        if self.files.is_none() && failed <= SHOWN_FAILURES || self.verbose > 0 {
            self.progress.println(&journal::line(Priority::Err, "line_failed", &format!("line {}: {}", line.no, e.message), Some(json!({"line": line.no}))));
        } else if self.files.is_none() && failed == SHOWN_FAILURES + 1 {
            self.progress.println(&journal::line(Priority::Err, "line_failed", "more lines failed: --failed FILE keeps them all, with why", None));
        }
        if let Some(files) = &mut self.files {
            files.write(failed, line, &failure).map_err(|err| Fail::new(Exit::Failure, format!("--failed: {err}")))?;
        }
        Ok(())
    }

    fn line_done(&mut self) {
        self.done += 1;
        self.progress.set(self.done);
    }

    /// Sends one chunk; returns the failure that makes it pointless to go on, if any.
    fn chunk(&mut self, client: &Client, lines: Vec<Line>) -> Result<Option<Error>, Fail> {
        let count = lines.len() as u64;
        let mut parsed: Vec<(Line, Order)> = Vec::with_capacity(lines.len());
        let mut failed: Vec<(Line, Failure)> = Vec::new();
        for line in lines {
            match parse(&line, self.args.strict) {
                Ok(order) => {
                    self.warnings(&line, &order);
                    parsed.push((line, order));
                }
                Err(e) => failed.push((line, Failure::of(e, None))),
            }
        }
        let orders: Vec<&Order> = parsed.iter().map(|(_, o)| o).collect();
        let base = self.done + failed.len() as u64;
        let progress = &mut self.progress;
        let mut report = |done: usize, _total: usize| progress.set(base + done as u64);
        let outcomes = client.send_many(&orders, self.args.concurrency as usize, Some(&mut report))?;
        drop(orders);
        let mut reached = false;
        let mut blocking: Option<Error> = None;
        for ((line, order), outcome) in parsed.into_iter().zip(outcomes) {
            match outcome {
                Ok(Sent::Delivered(_)) => {
                    self.tally.delivered += 1;
                    reached = true;
                }
                Ok(Sent::Queued) => {
                    self.tally.queued += 1;
                    self.tally.outcome(Exit::Incomplete);
                    reached = true;
                }
                Err(e) => {
                    if e.is_content_refusal() {
                        reached = true;
                    } else if e.is_delivery_failure() {
                        blocking.get_or_insert_with(|| e.clone());
                    }
                    let failure = Failure::of(e, Some(&order));
                    failed.push((line, failure));
                }
            }
        }
        // Written in the input's order, whichever failed first.
        failed.sort_by_key(|(line, _)| line.no);
        for (line, failure) in failed {
            self.fail(&line, failure)?;
        }
        self.done += count;
        self.progress.set(self.done);
        Ok(if reached { None } else { blocking })
    }

    /// After a stop: the lines left are written to --failed as not sent.
    fn not_sent(&mut self, lines: &mut Lines, why: &Error) -> Result<(), Fail> {
        let message = format!("not sent: the send stopped when no order of a whole batch could be delivered ({why})");
        while let Some(line) = lines.next_line()? {
            let error = Error { message: message.clone(), ..why.clone() };
            let failure = Failure { error, order_id: None, warnings: Vec::new(), not_sent: true };
            self.fail(&line, failure)?;
            self.line_done();
        }
        Ok(())
    }

    /// Every non-blank input line is exactly one of: delivered, queued,
    /// failed (refused by SPREAD, not delivered, not sent) or invalid.
    fn summary(&self) {
        let t = &self.tally;
        let lines = self.done;
        let secs = self.progress.elapsed().as_secs_f64();
        let failed = t.refused + t.undelivered + t.not_sent;
        debug_assert_eq!(t.delivered + t.queued + failed + t.invalid, lines);
        if self.args.json {
            let v = json!({
                "lines": lines,
                "delivered": t.delivered,
                "queued": t.queued,
                "failed": failed,
                "invalid": t.invalid,
                "refused": t.refused,
                "not_delivered": t.undelivered,
                "not_sent": t.not_sent,
                "warnings": t.warnings,
                "seconds": (secs * 1000.0).round() / 1000.0,
                "failed_file": self.args.failed.as_ref().filter(|_| t.failed() > 0).map(|p| p.display().to_string()),
                "exit": t.exit.unwrap_or(Exit::Ok).code(),
            });
            println!("{v}");
            return;
        }
        println!(
            "{lines} lines in {secs:.1} s, {:.0} orders/s: {} delivered, {} queued, {failed} failed, {} invalid, {} warnings",
            self.progress.rate(lines),
            t.delivered,
            t.queued,
            t.invalid,
            t.warnings
        );
        if failed > 0 {
            println!("failed: {} refused by SPREAD, {} not delivered, {} not sent", t.refused, t.undelivered, t.not_sent);
        }
        if let (Some(out), true) = (&self.args.failed, t.failed() > 0) {
            let (why, out) = (errors_path(out), out.display());
            println!("failed and invalid lines: {out} (why: {}); fix them, then: spread send {out}", why.display());
        }
        if t.queued > 0 {
            println!("queued orders wait in the spool for `spread flush`");
        }
        if t.warnings > 0 && self.verbose == 0 {
            println!("warnings: fields sent as they were although they break a rule (-v lists them, --strict refuses them)");
        }
    }
}

pub fn send(args: &SendArgs, verbose: u8) -> Result<Exit, Fail> {
    let mut lines = Lines::open(&args.file)?;
    let progress = Progress::new(count_lines(&args.file));
    let client = setup::client(&args.destination, &args.transport, args.spool.as_deref(), verbose, progress.bar())?;
    let files = args.failed.as_deref().map(|out| FailedFiles::create(out, &args.file)).transpose()?;
    let mut report = Report { args, verbose, progress, files, tally: Tally::default(), done: 0 };
    // A small first chunk: when SPREAD cannot be reached, the send stops early.
    let concurrency = args.concurrency as usize;
    let mut size = concurrency * 4;
    loop {
        let chunk = lines.take(size)?;
        if chunk.is_empty() {
            break;
        }
        if let Some(why) = report.chunk(&client, chunk)? {
            report.not_sent(&mut lines, &why)?;
            break;
        }
        size = (concurrency * 64).max(256);
    }
    report.progress.finish();
    let failed = report.tally.failed() as usize;
    if let Some(files) = report.files.take() {
        files.close(failed).map_err(|e| Fail::new(Exit::Failure, format!("--failed: {e}")))?;
    }
    report.summary();
    Ok(report.tally.exit.unwrap_or(Exit::Ok))
}
