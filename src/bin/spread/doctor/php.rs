//! The PHP side, checked by the PHP half of the doctor run with the given
//! php (FFI, ffi.enable, the SAPIs, opcache.preload).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::report::{Check, Level, Report};

/// The PHP half (also `php vendor/bin/spread-doctor`), run with the php given to --php.
const PHP_DOCTOR: &str = include_str!("../../../../bindings/php/bin/spread-doctor");

/// The PHP checks, run by `php` (they print one JSON object).
pub fn php(r: &mut Report, php: &str) -> Option<String> {
    let mut parts = php.split_whitespace();
    let program = parts.next().unwrap_or("php");
    let mut child = match Command::new(program)
        .args(parts)
        .args(["--", "--json", "--no-library"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            r.problem("php", format!("cannot run {program}: {e}"), "install the PHP CLI, or give its path: --php /usr/bin/php8.2");
            return None;
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(PHP_DOCTOR.as_bytes());
    }
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => {
            r.problem("php", format!("{program}: {e}"), "run `php vendor/bin/spread-doctor` yourself");
            return None;
        }
    };
    let parsed: Option<Value> = serde_json::from_slice(&out.stdout).ok();
    let Some(v) = parsed else {
        let err = String::from_utf8_lossy(&out.stderr);
        r.problem("php", format!("{program} did not run the checks: {}", err.trim()), "run `php vendor/bin/spread-doctor` yourself");
        return None;
    };
    for c in v["checks"].as_array().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or("php").to_owned();
        let detail = c["detail"].as_str().unwrap_or_default().to_owned();
        let fix = c["fix"].as_str().map(str::to_owned);
        let level = match c["status"].as_str() {
            Some("problem") => Level::Problem,
            Some("warning") => Level::Warning,
            _ => Level::Ok,
        };
        r.checks.push(Check { name, level, detail, fix });
    }
    v["fpm_user"].as_str().map(str::to_owned)
}
