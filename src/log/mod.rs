//! What the library tells a caller's logger: one record per event (an
//! attempt, a retry, a redirect, a Digest answer, an order queued, flushed or
//! rejected, a lenient-validation warning), with the order id and plain
//! values in its context. Never the private key, an Authorization header or
//! a body; the customer's e-mail only at debug level.
//!
//! The core calls a [`Logger`] from whichever thread did the work. Each
//! binding adapts it to its language (C callback, PSR-3 drained on PHP's own
//! thread, Python `logging`).

use std::fmt;
use std::sync::{Arc, RwLock};

mod queue;
pub use queue::{LogQueue, QUEUE_CAPACITY};

use serde::Serialize;

/// How much a record matters, most important first (numbers are the C ABI's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

impl Level {
    pub fn from_number(n: i32) -> Option<Level> {
        match n {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// A value in a record's context.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LogValue {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for LogValue {
    fn from(s: &str) -> Self {
        LogValue::Str(s.to_owned())
    }
}
impl From<String> for LogValue {
    fn from(s: String) -> Self {
        LogValue::Str(s)
    }
}
impl From<u16> for LogValue {
    fn from(n: u16) -> Self {
        LogValue::Int(n.into())
    }
}
impl From<u32> for LogValue {
    fn from(n: u32) -> Self {
        LogValue::Int(n.into())
    }
}
impl From<usize> for LogValue {
    fn from(n: usize) -> Self {
        LogValue::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<u128> for LogValue {
    fn from(n: u128) -> Self {
        LogValue::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<bool> for LogValue {
    fn from(b: bool) -> Self {
        LogValue::Bool(b)
    }
}

/// One event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub level: Level,
    /// A stable name: `attempt`, `retry`, `redirect`, `digest`, `queued`,
    /// `flushed`, `rejected`, `warning`, `tls_fallback`, `delivery_thread`.
    pub event: &'static str,
    /// One human sentence.
    pub message: String,
    /// `order_id`, `status`, `elapsed_ms`… in the order they were added.
    pub context: Vec<(&'static str, LogValue)>,
}

impl Record {
    pub fn new(level: Level, event: &'static str, message: impl Into<String>) -> Self {
        Record { level, event, message: message.into(), context: Vec::new() }
    }

    pub fn with(mut self, key: &'static str, value: impl Into<LogValue>) -> Self {
        self.context.push((key, value.into()));
        self
    }

    /// Adds the order id when there is one.
    pub fn order(self, id: Option<&str>) -> Self {
        match id {
            Some(id) => self.with("order_id", id),
            None => self,
        }
    }

    /// The context as a JSON object (`{"order_id":"42","status":503}`).
    pub fn context_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> =
            self.context.iter().map(|(k, v)| ((*k).to_owned(), serde_json::to_value(v).unwrap_or(serde_json::Value::Null))).collect();
        serde_json::Value::Object(map).to_string()
    }

    /// The whole record as one JSON object.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"level\":\"{}\",\"event\":{},\"message\":{},\"context\":{}}}",
            self.level.name(),
            serde_json::Value::from(self.event),
            serde_json::Value::from(self.message.as_str()),
            self.context_json()
        )
    }
}

/// Where records go; called on the thread that did the work.
pub type Sink = Arc<dyn Fn(&Record) + Send + Sync>;

type Slot = Option<(Sink, Level)>;

/// A sink with the least important level it wants. Clones share one slot:
/// the copies of a client's state held by batch workers and the background
/// delivery thread see a change at once, and once [`Logger::set`] returns,
/// the sink it replaced is not running and never runs again.
#[derive(Clone, Default)]
pub struct Logger {
    slot: Arc<RwLock<Slot>>,
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger").field("min_level", &self.read().as_ref().map(|(_, l)| *l)).finish()
    }
}

impl Logger {
    pub fn new(sink: Sink, min_level: Level) -> Self {
        Logger { slot: Arc::new(RwLock::new(Some((sink, min_level)))) }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Slot> {
        self.slot.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts `other`'s sink (or none) in this logger's slot, for every clone.
    /// Waits for records being written to finish: a sink must not change
    /// the logger of the client that calls it.
    pub fn set(&self, other: &Logger) {
        let new = other.read().clone();
        *self.slot.write().unwrap_or_else(|p| p.into_inner()) = new;
    }

    /// Whether a record at `level` would go anywhere (skip building it otherwise).
    pub fn enabled(&self, level: Level) -> bool {
        self.read().as_ref().is_some_and(|(_, min)| level <= *min)
    }

    pub fn log(&self, record: Record) {
        let slot = self.read();
        if let Some((sink, min)) = slot.as_ref() {
            if record.level <= *min {
                sink(&record);
            }
        }
    }

    /// Builds and logs a record only when its level is wanted.
    pub fn emit(&self, level: Level, build: impl FnOnce() -> Record) {
        let slot = self.read();
        if let Some((sink, min)) = slot.as_ref() {
            if level <= *min {
                let mut record = build();
                record.level = level;
                sink(&record);
            }
        }
    }
}

/// The lenient drop-in's warnings: each at warn level, in the words that leave a
/// customer's data out (`logged`, when the warning quotes some), then in full at debug
/// level (`warning_detail`): the customer's e-mail, phone, birthday… only at debug.
pub(crate) fn lenient_warnings<'a>(log: &Logger, warnings: impl Iterator<Item = (&'a str, Option<&'a str>)>, id: Option<&str>) {
    for (warning, logged) in warnings {
        log.emit(Level::Warn, || Record::new(Level::Warn, "warning", logged.unwrap_or(warning)).order(id));
        if logged.is_some() {
            log.emit(Level::Debug, || Record::new(Level::Debug, "warning_detail", warning).order(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn levels_filter_and_records_serialise() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let log = Logger::new(Arc::new(move |r: &Record| sink.lock().unwrap().push(r.to_json())), Level::Info);
        log.emit(Level::Debug, || panic!("not built below the level"));
        log.log(Record::new(Level::Warn, "retry", "HTTP 503, again in 200 ms").order(Some("42")).with("status", 503u16).with("wait_ms", 200u128));
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            [r#"{"level":"warn","event":"retry","message":"HTTP 503, again in 200 ms","context":{"order_id":"42","status":503,"wait_ms":200}}"#]
        );
        assert!(!Logger::default().enabled(Level::Error));
    }

    #[test]
    fn clones_share_one_slot() {
        let seen = Arc::new(Mutex::new(0));
        let sink = seen.clone();
        let held_by_a_thread = Logger::default();
        let client_side = held_by_a_thread.clone();
        client_side.set(&Logger::new(Arc::new(move |_: &Record| *sink.lock().unwrap() += 1), Level::Debug));
        held_by_a_thread.log(Record::new(Level::Info, "x", ""));
        client_side.set(&Logger::default());
        held_by_a_thread.log(Record::new(Level::Info, "x", ""));
        assert_eq!(*seen.lock().unwrap(), 1);
    }
}
