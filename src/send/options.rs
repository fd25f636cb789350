//! The option table: every client option once, with the name every binding,
//! the C ABI and the CLI use, its type, its default (as text) and how a text
//! value is checked and applied. The bindings read this table through the C
//! ABI (`spread_option_name`, ...) and generate or check theirs from it.
//!
//! A value is checked alone when it is set (its type and range: a bad one is
//! refused, naming the option, and changes nothing); the rules between
//! options ([`Settings::check`]) are checked together when the client is
//! first used, so options may be set in any order.

use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::send::settings::{self, Settings};

/// What an option's value is; its text form is what `spread_client_set_option` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionType {
    /// Text (a URL, a product token); "" for none where the default is none.
    String,
    /// `true` or `false` (`1` and `0` too).
    Bool,
    /// A whole number in decimal.
    Integer,
    /// A whole number of milliseconds in decimal (bindings may show seconds or durations).
    Milliseconds,
    /// A file or folder path.
    Path,
    /// One of a few words, or a path: see the option's check.
    Choice,
}

impl OptionType {
    /// The type's name, as `spread_option_type` reports it.
    pub fn name(self) -> &'static str {
        match self {
            OptionType::String => "string",
            OptionType::Bool => "bool",
            OptionType::Integer => "integer",
            OptionType::Milliseconds => "milliseconds",
            OptionType::Path => "path",
            OptionType::Choice => "choice",
        }
    }
}

/// Where a value goes: the settings, or the client's spool (opened when set).
#[derive(Clone, Copy)]
pub(crate) enum Apply {
    Settings(fn(&mut Settings, &str) -> Result<()>),
    SpoolDir,
}

/// One client option.
#[derive(Clone, Copy)]
pub struct OptionSpec {
    /// The public name: `spread_client_set_<name>`, PHP's option key, the CLI's `--<name>`.
    pub name: &'static str,
    pub kind: OptionType,
    /// The default, as text ("" for none).
    pub default: &'static str,
    /// The environment variable a client made from the environment takes it from
    /// (`Client.from_env()`, `Client::fromEnv()`, the `spread` command), if any. A
    /// secret (the keys, SPREAD_PROXY) is not here: libspread reads those itself.
    pub env: Option<&'static str>,
    pub(crate) apply: Apply,
}

impl std::fmt::Debug for OptionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptionSpec").field("name", &self.name).field("kind", &self.kind).field("default", &self.default).field("env", &self.env).finish()
    }
}

const fn spec(name: &'static str, kind: OptionType, default: &'static str, set: fn(&mut Settings, &str) -> Result<()>) -> OptionSpec {
    OptionSpec { name, kind, default, env: None, apply: Apply::Settings(set) }
}

impl OptionSpec {
    const fn read_from(self, variable: &'static str) -> Self {
        OptionSpec { env: Some(variable), ..self }
    }
}

/// Every client option, in the order the documentation lists them. The
/// defaults are the constants of [`settings`]; a test checks that they agree.
pub const OPTIONS: &[OptionSpec] = &[
    spec("base_url", OptionType::String, settings::DEFAULT_BASE_URL, |s, v| s.set_base_url(v)).read_from("SPREAD_BASE_URL"),
    spec("allow_insecure_http", OptionType::Bool, "false", |s, v| {
        s.allow_insecure_http = bool_value("allow_insecure_http", v)?;
        Ok(())
    }),
    spec("timeout_ms", OptionType::Milliseconds, "30000", |s, v| s.set_timeout(millis("timeout_ms", v)?)),
    spec("connect_timeout_ms", OptionType::Milliseconds, "10000", |s, v| s.set_connect_timeout(millis("connect_timeout_ms", v)?)),
    spec("max_attempts", OptionType::Integer, "3", |s, v| s.set_max_attempts(integer("max_attempts", v)?)),
    spec("tls_roots", OptionType::Choice, "system", |s, v| s.set_tls_roots(v)),
    spec("ca_file", OptionType::Path, "", |s, v| match v {
        "" => {
            s.ca_file = None;
            Ok(())
        }
        path => s.set_ca_file(Path::new(path)),
    }),
    spec("proxy", OptionType::String, "", |s, v| s.set_proxy(Some(v))),
    spec("app_info", OptionType::String, "", |s, v| s.set_app_info(Some(v))).read_from("SPREAD_APP_INFO"),
    OptionSpec { name: "spool_dir", kind: OptionType::Path, default: "", env: Some("SPREAD_SPOOL"), apply: Apply::SpoolDir },
    spec("flush_budget_ms", OptionType::Milliseconds, "240000", |s, v| s.set_flush_budget(millis("flush_budget_ms", v)?)),
    spec("shutdown_timeout_ms", OptionType::Milliseconds, "2000", |s, v| {
        s.set_shutdown_timeout(millis("shutdown_timeout_ms", v)?);
        Ok(())
    }),
    spec("delivery_concurrency", OptionType::Integer, "8", |s, v| s.set_delivery_concurrency(integer("delivery_concurrency", v)? as usize)),
];

impl Settings {
    /// Applies one option of [`OPTIONS`] from its text form; `spool_dir` is
    /// the client's (`Client::set_option`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        match option(name)?.apply {
            Apply::Settings(set) => set(self, value),
            Apply::SpoolDir => Err(Error::config(name, "is the client's, not a setting: use Client::set_option")),
        }
    }
}

/// The option of this name, or a configuration error listing them all.
pub fn option(name: &str) -> Result<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.name == name).ok_or_else(|| {
        let names: Vec<&str> = OPTIONS.iter().map(|o| o.name).collect();
        Error::config(&printable(name), format!("unknown option; the options are {}", names.join(", ")))
    })
}

/// A name as an error may show it: never a control character (a log line must stay one line).
fn printable(name: &str) -> String {
    name.chars().map(|c| if c.is_control() { '?' } else { c }).take(64).collect()
}

fn bool_value(name: &str, v: &str) -> Result<bool> {
    match v {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::config(name, format!("{:?} is not true or false", printable(v)))),
    }
}

fn integer(name: &str, v: &str) -> Result<u32> {
    // Digits only: `u32::from_str` would take a leading '+'.
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::config(name, format!("{:?} is not a whole number", printable(v))));
    }
    v.parse().map_err(|_| Error::config(name, format!("{v} is out of range (0 to {})", u32::MAX)))
}

fn millis(name: &str, v: &str) -> Result<Duration> {
    Ok(Duration::from_millis(integer(name, v)?.into()))
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
