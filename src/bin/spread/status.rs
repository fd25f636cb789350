//! `spread status`: the spool's counts and its last flush, as text, JSON,
//! Prometheus gauges, or a monitoring plugin's verdict (`--warning`/`--critical`).

use serde_json::{json, Value};
use spread::spool::{FlushRecord, SpoolStatus};

use crate::args::{Exit, Fail, StatusArgs, StatusFormat};
use crate::setup;
use crate::text::{human_age, shown};

/// The ages a check looks at: every `…oldest_secs` field of the status
/// (the oldest pending order, and any other kind of entry that gains one).
fn oldest_ages(st: &Value) -> Vec<(String, u64)> {
    st.as_object().into_iter().flatten().filter(|(k, _)| k.ends_with("oldest_secs")).filter_map(|(k, v)| v.as_u64().map(|age| (k.clone(), age))).collect()
}

fn record_json(record: Option<&FlushRecord>) -> Value {
    match record {
        Some(r) => {
            let mut v = json!(r);
            v["age_secs"] = json!(r.age_secs());
            v
        }
        None => Value::Null,
    }
}

fn status_json(st: &SpoolStatus, record: Option<&FlushRecord>, args: &StatusArgs, too_old: Option<bool>) -> String {
    let mut v = st.to_json();
    v["spool"] = json!(args.spool.spool.display().to_string());
    v["base_url"] = json!(args.destination.base_url);
    v["last_flush"] = record_json(record);
    if let (Some(max), Some(too_old)) = (args.max_age, too_old) {
        v["max_age_secs"] = json!(max);
        v["too_old"] = json!(too_old);
    }
    v.to_string()
}

/// A label value in the Prometheus text format: `\`, `"` and line breaks escaped.
fn prom_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The Prometheus text exposition format, for node_exporter's textfile
/// collector. Every number of the status becomes a gauge (`…_secs` as
/// `…_seconds`; an age with nothing pending is 0), so new fields appear
/// without a change here.
fn prometheus(st: &SpoolStatus, record: Option<&FlushRecord>, spool: &str) -> String {
    let labels = format!("{{spool=\"{}\"}}", prom_label(spool));
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, value: String| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n{name}{labels} {value}\n"));
    };
    for (key, value) in st.to_json().as_object().into_iter().flatten() {
        let name = format!("spread_spool_{}", key.strip_suffix("_secs").map_or_else(|| key.clone(), |k| format!("{k}_seconds")));
        let value = match value {
            Value::Number(n) => n.to_string(),
            Value::Null if key.ends_with("_secs") => "0".to_owned(),
            _ => continue,
        };
        gauge(&name, &format!("spread status: {key}"), value);
    }
    gauge("spread_last_flush_recorded", "1 when a spread flush has recorded its last run in this spool", u8::from(record.is_some()).to_string());
    if let Some(r) = record {
        gauge("spread_last_flush_timestamp_seconds", "when the last spread flush ended (Unix time)", r.finished_at.to_string());
        gauge("spread_last_flush_success", "1 when the last flush left nothing behind (outcome ok)", u8::from(r.outcome == "ok").to_string());
        gauge("spread_last_flush_failed", "1 when the last flush was stopped by a failure (outcome failed)", u8::from(r.outcome == "failed").to_string());
        gauge("spread_last_flush_delivered", "orders the last flush delivered", r.delivered.to_string());
        gauge("spread_last_flush_rejected", "orders the last flush moved to rejected/", r.rejected.to_string());
        gauge("spread_last_flush_remaining", "orders the last flush left pending", r.remaining.to_string());
        gauge("spread_last_flush_duration_seconds", "how long the last flush took", format!("{:.3}", r.duration_ms as f64 / 1000.0));
    }
    out
}

/// `--warning`/`--critical`: a monitoring plugin's answer, one line with
/// performance data; 0 OK, 1 WARNING, 2 CRITICAL (3 UNKNOWN is the caller's).
fn check(st: &SpoolStatus, record: Option<&FlushRecord>, warning: Option<u64>, critical: Option<u64>) -> (Exit, String) {
    let json = st.to_json();
    let mut exit = Exit::Ok;
    let mut why = Vec::new();
    let mut judge = |what: String, age: u64| {
        if critical.is_some_and(|c| age > c) {
            exit = exit.worst(Exit::Critical);
            why.push(format!("{what} {} (> {} s)", human_age(age), critical.unwrap_or(0)));
        } else if warning.is_some_and(|w| age > w) {
            exit = exit.worst(Exit::Warning);
            why.push(format!("{what} {} (> {} s)", human_age(age), warning.unwrap_or(0)));
        }
    };
    for (key, age) in oldest_ages(&json) {
        let what = if key == "oldest_secs" { "the oldest pending order waits".to_owned() } else { format!("{key}:") };
        judge(what, age);
    }
    match record {
        Some(r) => {
            judge("the last flush ended".to_owned(), r.age_secs());
            if r.outcome == "failed" {
                exit = exit.worst(Exit::Warning);
                why.push(format!("the last flush failed: {}", r.error.as_deref().unwrap_or("?")));
            }
        }
        None => {
            exit = exit.worst(Exit::Warning);
            why.push("no flush recorded in this spool yet: is spread-flush.timer (or the cron line) running?".to_owned());
        }
    }
    let state = match exit {
        Exit::Ok => "OK",
        Exit::Warning => "WARNING",
        _ => "CRITICAL",
    };
    let counts: Vec<String> =
        json.as_object().into_iter().flatten().filter(|(k, _)| !k.ends_with("_secs")).filter_map(|(k, v)| v.as_u64().map(|n| format!("{k} {n}"))).collect();
    let (w, c) = (warning.map_or(String::new(), |w| w.to_string()), critical.map_or(String::new(), |c| c.to_string()));
    let mut perf: Vec<String> = json
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match (k.ends_with("_secs"), v) {
            (true, Value::Null) => Some(format!("{}=0s;{w};{c}", k.trim_end_matches("_secs"))),
            (true, v) => v.as_u64().map(|n| format!("{}={n}s;{w};{c}", k.trim_end_matches("_secs"))),
            (false, v) => v.as_u64().map(|n| format!("{k}={n}")),
        })
        .collect();
    if let Some(r) = record {
        perf.push(format!("last_flush_age={}s;{w};{c}", r.age_secs()));
    }
    let detail = if why.is_empty() { String::new() } else { format!("{}; ", why.join("; ")) };
    (exit, format!("SPREAD {state} - {detail}{} | {}", counts.join(", "), perf.join(" ")))
}

pub fn status(args: &StatusArgs) -> Result<Exit, Fail> {
    if args.warning.is_some() || args.critical.is_some() {
        if let (Some(w), Some(c)) = (args.warning, args.critical) {
            if w > c {
                return Err(Fail::new(Exit::Usage, format!("--warning {w} is above --critical {c}: a warning comes first")));
            }
        }
        // Whatever goes wrong before a verdict is UNKNOWN (3), on stdout as the plugins' rule wants.
        let looked = setup::spool_view(&args.spool, &args.destination).and_then(|(spool, destination)| {
            let st = spool.status(&destination)?;
            Ok((st, spool.flush_record()?))
        });
        return Ok(match looked {
            Ok((st, record)) => {
                let (exit, line) = check(&st, record.as_ref(), args.warning, args.critical);
                println!("{line}");
                exit
            }
            Err(fail) => {
                println!("SPREAD UNKNOWN - {}", fail.message);
                Exit::Unknown
            }
        });
    }
    let (spool, destination) = setup::spool_view(&args.spool, &args.destination)?;
    let st = spool.status(&destination)?;
    let record = spool.flush_record()?;
    // Stranded orders wait too (for an adoption): the age check counts them.
    let oldest = st.oldest.max(st.stranded_oldest).map(|d| d.as_secs());
    let too_old = args.max_age.map(|max| oldest.is_some_and(|age| age > max));
    let format = if args.json { StatusFormat::Json } else { args.format.unwrap_or(StatusFormat::Text) };
    match format {
        StatusFormat::Json => println!("{}", status_json(&st, record.as_ref(), args, too_old)),
        StatusFormat::Prometheus => print!("{}", prometheus(&st, record.as_ref(), &args.spool.spool.display().to_string())),
        StatusFormat::Text => {
            let age = oldest.map_or("-".to_owned(), |s| format!("{s}s"));
            println!(
                "pending {}, foreign {}, legacy {}, rejected {}, unreadable {}, oldest {age}, stranded {}",
                st.pending, st.foreign, st.legacy, st.rejected, st.unreadable, st.stranded
            );
            if st.stranded > 0 {
                println!("{} order(s) of this key wait under another base URL: see `spread spool adopt --help`", st.stranded);
            }
            match &record {
                Some(r) => println!(
                    "last flush {} ago: {}, delivered {}, rejected {}, remaining {}{}",
                    human_age(r.age_secs()),
                    r.outcome,
                    r.delivered,
                    r.rejected,
                    r.remaining,
                    r.error.as_deref().map_or(String::new(), |e| format!(" ({})", shown(e, false)))
                ),
                None => println!("last flush: none recorded (spread flush records each run here)"),
            }
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
