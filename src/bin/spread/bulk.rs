//! `send` and `check`: files of JSON lines, one seed `$post_data` per line.
//!
//! `send` streams: it reads a chunk of lines, sends the chunk with
//! `Client::send_many`, writes what failed, and goes on, so a file of any
//! size takes little memory and the progress never stalls for long.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use spread::{dropin, Client, Error, ErrorKind, Order, Sent};

use crate::args::{CheckArgs, Exit, Fail, SendArgs};
use crate::journal::{self, Priority};
use crate::progress::Progress;
use crate::setup;

/// Failures printed on stderr when they are not written to --failed.
const SHOWN_FAILURES: usize = 20;

/// One line of the input, as it was (without its line break).
struct Line {
    no: usize,
    text: Vec<u8>,
}

/// The non-blank lines of a file or of standard input.
struct Lines {
    reader: Box<dyn BufRead>,
    no: usize,
    name: String,
}

impl Lines {
    fn open(path: &Path) -> Result<Lines, Fail> {
        let (reader, name): (Box<dyn BufRead>, String) = if path == Path::new("-") {
            (Box::new(BufReader::new(io::stdin())), "stdin".into())
        } else {
            let file = File::open(path).map_err(|e| Fail::config(format!("{}: {e}", path.display())))?;
            (Box::new(BufReader::new(file)), path.display().to_string())
        };
        Ok(Lines { reader, no: 0, name })
    }

    fn next_line(&mut self) -> Result<Option<Line>, Fail> {
        loop {
            let mut text = Vec::new();
            let n = self.reader.read_until(b'\n', &mut text).map_err(|e| Fail::new(Exit::Failure, format!("{}: {e}", self.name)))?;
            if n == 0 {
                return Ok(None);
            }
            self.no += 1;
            while text.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                text.pop();
            }
            if !text.iter().all(u8::is_ascii_whitespace) {
                return Ok(Some(Line { no: self.no, text }));
            }
        }
    }

    /// Up to `n` lines.
    fn take(&mut self, n: usize) -> Result<Vec<Line>, Fail> {
        let mut lines = Vec::with_capacity(n);
        while lines.len() < n {
            match self.next_line()? {
                Some(line) => lines.push(line),
                None => break,
            }
        }
        Ok(lines)
    }
}

/// How many non-blank lines a regular file has (for the progress bar's length).
fn count_lines(path: &Path) -> Option<u64> {
    if path == Path::new("-") {
        return None;
    }
    let mut lines = Lines::open(path).ok()?;
    let mut n = 0;
    while lines.next_line().ok()?.is_some() {
        n += 1;
    }
    Some(n)
}

/// The order on a line, through the library's drop-in path.
fn parse(line: &Line, strict: bool) -> Result<Order, Error> {
    let text = std::str::from_utf8(&line.text).map_err(|e| Error::invalid("line", format!("not valid UTF-8 (byte {})", e.valid_up_to())))?;
    dropin::from_json(text, strict)
}

/// `invalid_value`, `rejected`, `network`… (the library's kind, in snake case).
fn kind_name(kind: ErrorKind) -> String {
    let mut name = String::new();
    for (i, c) in format!("{kind:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

/// Why a line failed.
struct Failure {
    error: Error,
    order_id: Option<String>,
    warnings: Vec<String>,
    /// Never handed to the library: the send stopped before.
    not_sent: bool,
}

impl Failure {
    fn of(error: Error, order: Option<&Order>) -> Failure {
        Failure {
            error,
            order_id: order.and_then(|o| o.id()).map(|id| id.into_owned()),
            warnings: order.map(|o| o.warnings().to_vec()).unwrap_or_default(),
            not_sent: false,
        }
    }
}

/// Where the reasons go for `--failed OUT.jsonl`: `OUT.jsonl.errors`.
fn errors_path(out: &Path) -> PathBuf {
    PathBuf::from(format!("{}.errors", out.display()))
}

/// A new file for customers' data: 0600 whatever the umask. One that was there is
/// replaced, not emptied: `File::create` kept its mode (0644 under umask 022), and a
/// reader that opened it before would see what is written now.
fn owner_only(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let create = || std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
    match create() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(path)?;
            create()
        }
        other => other,
    }
}

/// The --failed files: the lines unchanged in OUT.jsonl, why in OUT.jsonl.errors.
struct FailedFiles {
    lines: (PathBuf, BufWriter<File>),
    reasons: (PathBuf, BufWriter<File>),
}

impl FailedFiles {
    fn create(out: &Path, input: &Path) -> Result<FailedFiles, Fail> {
        if input != Path::new("-") && std::fs::canonicalize(input).ok() == std::fs::canonicalize(out).ok() {
            return Err(Fail::new(Exit::Usage, format!("--failed {} is the input file: choose another name", out.display())));
        }
        let reasons = errors_path(out);
        let open = |p: &Path| owner_only(p).map(|f| (p.to_path_buf(), BufWriter::new(f))).map_err(|e| Fail::config(format!("--failed: {}: {e}", p.display())));
        Ok(FailedFiles { lines: open(out)?, reasons: open(&reasons)? })
    }

    fn write(&mut self, out_line: usize, line: &Line, failure: &Failure) -> io::Result<()> {
        self.lines.1.write_all(&line.text)?;
        self.lines.1.write_all(b"\n")?;
        let kind = if failure.not_sent { "not_sent".to_owned() } else { kind_name(failure.error.kind) };
        let reason = json!({
            "line": out_line,
            "input_line": line.no,
            "order_id": failure.order_id,
            "kind": kind,
            "http_status": failure.error.status,
            "error": failure.error.message,
            "warnings": failure.warnings,
        });
        writeln!(self.reasons.1, "{reason}")
    }

    /// Flushes both files; removes them when nothing failed.
    fn close(mut self, failed: usize) -> io::Result<()> {
        self.lines.1.flush()?;
        self.reasons.1.flush()?;
        if failed == 0 {
            std::fs::remove_file(&self.lines.0)?;
            std::fs::remove_file(&self.reasons.0)?;
        }
        Ok(())
    }
}

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

pub fn check(args: &CheckArgs) -> Result<Exit, Fail> {
    let mut lines = Lines::open(&args.file)?;
    let name = lines.name.clone();
    let (mut total, mut invalid, mut warnings) = (0, 0, 0);
    while let Some(line) = lines.next_line()? {
        total += 1;
        match parse(&line, args.strict) {
            Ok(order) => {
                for w in order.warnings() {
                    warnings += 1;
                    println!("{name}:{}: warning: {w}", line.no);
                }
            }
            Err(e) => {
                invalid += 1;
                println!("{name}:{}: {}", line.no, e.message);
            }
        }
    }
    println!("{total} lines: {} valid, {invalid} invalid, {warnings} warnings", total - invalid);
    Ok(if invalid > 0 { Exit::Incomplete } else { Exit::Ok })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_in_snake_case() {
        assert_eq!(kind_name(ErrorKind::InvalidValue), "invalid_value");
        assert_eq!(kind_name(ErrorKind::Rejected), "rejected");
    }
}
