//! `flush`, `status` and `rejected …`: the spool, as cron, monitoring and
//! a person on call see it.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde_json::json;
use spread::spool::SpoolStatus;
use spread::ErrorKind;

use crate::args::{Exit, Fail, FlushArgs, RejectedCommand, SpoolCommand, StatusArgs};
use crate::setup;

/// `42s`, `5m 3s`, `2h 10m`, `3d 4h`: an age at a glance.
pub fn human_age(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

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
    let stopped = report.stopped_by.map(|e| {
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
    if !(args.quiet && exit == Exit::Ok) {
        println!("{summary}");
        for note in &notes {
            println!("{note}");
        }
    }
    match stopped {
        Some((code, message)) if code != Exit::Incomplete => Err(Fail::new(exit, message)),
        Some((_, message)) => {
            println!("{message}");
            Ok(exit)
        }
        None => Ok(exit),
    }
}

fn status_json(st: &SpoolStatus, args: &StatusArgs, too_old: Option<bool>) -> String {
    let mut v = st.to_json();
    v["spool"] = json!(args.spool.spool.display().to_string());
    v["base_url"] = json!(args.destination.base_url);
    if let (Some(max), Some(too_old)) = (args.max_age, too_old) {
        v["max_age_secs"] = json!(max);
        v["too_old"] = json!(too_old);
    }
    v.to_string()
}

pub fn status(args: &StatusArgs) -> Result<Exit, Fail> {
    let (spool, destination) = setup::spool_view(&args.spool, &args.destination)?;
    let st = spool.status(&destination)?;
    // Stranded orders wait too (for an adoption): the age check counts them.
    let oldest = st.oldest.max(st.stranded_oldest).map(|d| d.as_secs());
    let too_old = args.max_age.map(|max| oldest.is_some_and(|age| age > max));
    if args.json {
        println!("{}", status_json(&st, args, too_old));
    } else {
        let age = oldest.map_or("-".to_owned(), |s| format!("{s}s"));
        println!(
            "pending {}, foreign {}, legacy {}, rejected {}, unreadable {}, oldest {age}, stranded {}",
            st.pending, st.foreign, st.legacy, st.rejected, st.unreadable, st.stranded
        );
        if st.stranded > 0 {
            println!("{} order(s) of this key wait under another base URL: see `spread spool adopt --help`", st.stranded);
        }
    }
    match (too_old, args.max_age, oldest) {
        (Some(true), Some(max), Some(age)) => Err(Fail::new(
            Exit::Incomplete,
            format!("CRITICAL: the oldest pending order waits since {} ({age} s > {max} s): is `spread flush` running?", human_age(age)),
        )),
        _ => Ok(Exit::Ok),
    }
}

/// Text from the spool (an order id, SPREAD's answer, a body), safe for a
/// terminal: control characters (escape sequences among them) are shown as
/// `\x1b`, `\u{9b}`…, so a planted entry cannot drive root's terminal.
/// `keep_lines`: line breaks and tabs stay as they are.
fn shown(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_lines => out.push(c),
            c if c.is_control() && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            // C1 controls, and the marks that reorder what follows (bidi overrides).
            c if c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// JSON as serde writes it escapes C0 controls but not C1 ones or bidi
/// marks: those become `\u` escapes too (the same JSON to a parser).
fn json_for_terminal(json: &str) -> String {
    json.chars()
        .map(|c| match c as u32 {
            0x80..=0x9f | 0x202a..=0x202e | 0x2066..=0x2069 => format!("\\u{:04x}", c as u32),
            _ => c.to_string(),
        })
        .collect()
}

/// One line of text for a table cell: no line breaks, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = shown(&text.split_whitespace().collect::<Vec<_>>().join(" "), false);
    if flat.chars().count() <= max {
        return flat;
    }
    flat.chars().take(max - 1).chain(std::iter::once('…')).collect()
}

pub fn rejected(command: RejectedCommand) -> Result<Exit, Fail> {
    match command {
        RejectedCommand::List { spool, json } => {
            let entries = setup::open_spool(&spool)?.rejected()?;
            if json {
                let text = serde_json::to_string(&entries).map_err(|e| Fail::new(Exit::Failure, e.to_string()))?;
                println!("{}", json_for_terminal(&text));
            } else if entries.is_empty() {
                println!("no rejected orders");
            } else {
                for r in &entries {
                    let id = shown(r.order_id.as_deref().unwrap_or("-"), false);
                    println!("{}  {id}  {}  {}", shown(&r.name, false), human_age(r.age_secs), one_line(&r.answer, 100));
                }
            }
            Ok(Exit::Ok)
        }
        RejectedCommand::Show { name, spool, raw } => {
            let (r, body) = setup::open_spool(&spool)?.show_rejected(&name)?;
            println!("name: {}", shown(&r.name, false));
            println!("order_id: {}", shown(r.order_id.as_deref().unwrap_or("-"), false));
            println!("destination: {}", shown(r.base_url.as_deref().unwrap_or("- (written by libspread 0.1)"), false));
            println!("rejected: {} ago", human_age(r.age_secs));
            println!("answer: {}", shown(r.answer.trim_end(), true));
            println!("body (customer data, keep it private):");
            if raw {
                println!("{}", shown(&String::from_utf8_lossy(&body), true));
            } else {
                for (k, v) in form_urlencoded::parse(&body) {
                    println!("  {} = {}", shown(&k, false), shown(&v, false));
                }
            }
            Ok(Exit::Ok)
        }
        RejectedCommand::Requeue { name, all, spool, destination } => {
            let (spool, destination) = setup::spool_view(&spool, &destination)?;
            let only = if all { None } else { name.as_deref() };
            let n = spool.requeue(&destination, only)?;
            println!("requeued {n}: the next `spread flush` sends them");
            Ok(Exit::Ok)
        }
        RejectedCommand::Purge { older_than, spool } => {
            let secs = older_than.checked_mul(86_400).ok_or_else(|| Fail::new(Exit::Usage, "--older-than: too many days"))?;
            let n = setup::open_spool(&spool)?.purge_rejected(Duration::from_secs(secs))?;
            println!("purged {n} rejected order(s) set aside more than {older_than} day(s) ago");
            Ok(Exit::Ok)
        }
    }
}

pub fn spool(command: SpoolCommand) -> Result<Exit, Fail> {
    match command {
        SpoolCommand::Adopt { spool, destination, from_base_url, from_old_key } => {
            let (spool, to) = setup::spool_view(&spool, &destination)?;
            let key = if from_old_key { Some(setup::old_public_key()?) } else { None };
            if from_base_url.is_none() && key.is_none() {
                return Err(Fail::new(Exit::Usage, "spool adopt: give --from-base-url OLD, --from-old-key, or both"));
            }
            let mut settings = spread::settings::Settings::default();
            settings.allow_insecure_http = true; // only names the old destination: nothing is sent to it
            if let Some(url) = &from_base_url {
                settings.set_base_url(url)?;
            }
            let from_url = if from_base_url.is_some() { settings.base_url.to_string() } else { to.base_url.clone() };
            let from = match &key {
                Some(k) => spread::spool::Destination::new(&from_url, k),
                None => spread::spool::Destination { base_url: spread::spool::Destination::new(&from_url, "").base_url, key: to.key.clone() },
            };
            let n = spool.adopt(&from, &to)?;
            println!("adopted {n} order(s) of {}: the next `spread flush` sends them to {}", from.base_url, to.base_url);
            Ok(Exit::Ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(human_age(42), "42s");
        assert_eq!(human_age(303), "5m 3s");
        assert_eq!(human_age(7800), "2h 10m");
        assert_eq!(human_age(3 * 86_400 + 4 * 3600 + 5), "3d 4h");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(shown("a\x1b]0;pwned\x07b", false), "a\\x1b]0;pwned\\x07b");
        assert_eq!(shown("l1\nl2\u{9b}2J\u{202e}", true), "l1\nl2\\u{9b}2J\\u{202e}");
        assert_eq!(shown("x\ny", false), "x\\x0ay");
        assert_eq!(one_line("ok \x1b[2J", 100), "ok \\x1b[2J");
    }

    #[test]
    fn json_output_escapes_every_control() {
        let text = serde_json::to_string("a\u{9b}b\u{202e}").unwrap();
        let safe = json_for_terminal(&text);
        assert_eq!(safe, "\"a\\u009bb\\u202e\"");
        assert_eq!(serde_json::from_str::<String>(&safe).unwrap(), "a\u{9b}b\u{202e}");
    }

    #[test]
    fn table_cells_stay_on_one_line() {
        assert_eq!(one_line("HTTP 422:\n{\"a\":  1}", 100), "HTTP 422: {\"a\": 1}");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }
}
