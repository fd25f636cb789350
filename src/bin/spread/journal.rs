//! Every line `spread` writes on stderr goes through here: as text, with a
//! `<N>` syslog priority in front when stderr is the journal (systemd sets
//! `JOURNAL_STREAM` to the device and inode of the stream it gave us; a
//! redirected stderr no longer matches, so a terminal or a file never sees
//! the prefixes), or as one JSON object per line (`--log-format json`).

use std::os::fd::AsRawFd;
use std::sync::OnceLock;

use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `spread: …` lines (with journald priorities under systemd).
    Text,
    /// One JSON object per line: {"level","event","message",…}.
    Json,
}

/// Syslog severities, as journald reads them from a `<N>` prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    Err = 3,
    Warning = 4,
    Info = 6,
    Debug = 7,
}

impl Priority {
    fn name(self) -> &'static str {
        match self {
            Priority::Err => "error",
            Priority::Warning => "warn",
            Priority::Info => "info",
            Priority::Debug => "debug",
        }
    }

    pub fn of(level: spread::log::Level) -> Priority {
        match level {
            spread::log::Level::Error => Priority::Err,
            spread::log::Level::Warn => Priority::Warning,
            spread::log::Level::Info => Priority::Info,
            spread::log::Level::Debug => Priority::Debug,
        }
    }
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

pub fn set_format(format: LogFormat) {
    let _ = FORMAT.set(format);
}

fn format() -> LogFormat {
    *FORMAT.get().unwrap_or(&LogFormat::Text)
}

pub fn is_json() -> bool {
    format() == LogFormat::Json
}

/// Whether stderr is the stream systemd connected to the journal.
fn stderr_is_journal() -> bool {
    static IS: OnceLock<bool> = OnceLock::new();
    *IS.get_or_init(|| {
        let Some(value) = std::env::var_os("JOURNAL_STREAM") else { return false };
        let Some((dev, ino)) = value.to_str().and_then(|v| v.split_once(':')) else { return false };
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: fstat on our own stderr descriptor into writable storage.
        if unsafe { libc::fstat(std::io::stderr().as_raw_fd(), st.as_mut_ptr()) } != 0 {
            return false;
        }
        // SAFETY: fstat succeeded, so it filled `st`.
        let st = unsafe { st.assume_init() };
        dev.parse::<u64>().ok() == Some(st.st_dev) && ino.parse::<u64>().ok() == Some(st.st_ino)
    })
}

/// The line to print for a message: `spread: text` (prefixed under the
/// journal), or a JSON object with the event, the message and `extra`'s fields.
pub fn line(priority: Priority, event: &str, text: &str, extra: Option<Value>) -> String {
    match format() {
        LogFormat::Json => {
            let mut v = json!({"level": priority.name(), "event": event, "message": text});
            if let Some(Value::Object(fields)) = extra {
                for (k, val) in fields {
                    v.as_object_mut().expect("an object").entry(k).or_insert(val);
                }
            }
            v.to_string()
        }
        LogFormat::Text if stderr_is_journal() => format!("<{}>spread: {text}", priority as u8),
        LogFormat::Text => format!("spread: {text}"),
    }
}

/// Prints one message on stderr.
pub fn print(priority: Priority, event: &str, text: &str) {
    eprintln!("{}", line(priority, event, text, None));
}
