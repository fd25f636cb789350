//! Running the `spread` command in a test: the tests that use it include this file
//! (`#[path = "common/cli.rs"] mod cli;`) beside `common`, which every test uses and
//! which cannot name the binary (cargo builds it only with the `cli` feature).

#![allow(dead_code)]

use std::process::{Command, Stdio};

use super::common::{PRIVATE_KEY, PUBLIC_KEY};

/// What a run of `spread` left.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The binary under test: this build's, or `SPREAD_OPS_BIN` (how a test is seen failing
/// against another build, main before a change).
pub fn bin() -> String {
    std::env::var("SPREAD_OPS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_spread").to_owned())
}

/// `spread` with the sandbox's keys and none of the caller's SPREAD_*, proxy or journal
/// settings, its stdin closed.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args).env("SPREAD_PUBLIC_KEY", PUBLIC_KEY).env("SPREAD_PRIVATE_KEY", PRIVATE_KEY);
    for var in [
        "SPREAD_BASE_URL",
        "SPREAD_SPOOL",
        "SPREAD_PROXY",
        "SPREAD_KEYS_FILE",
        "SPREAD_APP_INFO",
        "SPREAD_LIBRARY",
        "CREDENTIALS_DIRECTORY",
        "JOURNAL_STREAM",
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
    ] {
        c.env_remove(var);
    }
    c.stdin(Stdio::null());
    c
}

/// Asserts that no output carries a key: the private key, or the Basic
/// credentials made of both. ("SPREAD_PRIVATE_KEY", the variable's name, may appear.)
pub fn assert_no_secret(text: &str) {
    let without_names = text.replace("SPREAD_PRIVATE_KEY", "");
    for secret in [PRIVATE_KEY, "UFVCTElDX0tFWTpQUklWQVRFX0tFWQ", "s3cr3t-9f8e7d"] {
        assert!(!without_names.contains(secret), "a secret in the output: {text}");
    }
}

/// Runs `c` to its end; no key in what it printed.
pub fn finish(c: &mut Command) -> Run {
    let out = c.output().unwrap();
    let run = Run {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_secret(&run.stdout);
    assert_no_secret(&run.stderr);
    run
}

pub fn spread(args: &[&str]) -> Run {
    finish(&mut command(args))
}
