//! The report: one check per line (or one JSON object), the fix beside each
//! problem, and the exit code its worst check gives.

use serde_json::{json, Value};

use crate::args::Exit;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    Ok,
    Warning,
    Problem,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Problem => "problem",
        }
    }
}

pub struct Check {
    pub name: String,
    pub level: Level,
    pub detail: String,
    pub fix: Option<String>,
}

#[derive(Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn ok(&mut self, name: &str, detail: impl Into<String>) {
        self.checks.push(Check { name: name.into(), level: Level::Ok, detail: detail.into(), fix: None });
    }
    pub fn warn(&mut self, name: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.checks.push(Check { name: name.into(), level: Level::Warning, detail: detail.into(), fix: Some(fix.into()) });
    }
    pub fn problem(&mut self, name: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.checks.push(Check { name: name.into(), level: Level::Problem, detail: detail.into(), fix: Some(fix.into()) });
    }
    fn worst(&self) -> Level {
        self.checks.iter().map(|c| c.level).max().unwrap_or(Level::Ok)
    }

    /// Prints the checks, as text or one JSON object (`--json`); the exit
    /// code: 0 all good, 1 warnings only, 2 a problem.
    pub fn print(&self, json: bool) -> Exit {
        let worst = self.worst();
        if json {
            let checks: Vec<Value> = self.checks.iter().map(|c| json!({"name": c.name, "status": c.level.name(), "detail": c.detail, "fix": c.fix})).collect();
            println!("{}", json!({"status": worst.name(), "checks": checks}));
        } else {
            for c in &self.checks {
                match &c.fix {
                    Some(fix) => println!("{:<8} {}: {}; fix: {fix}", c.level.name(), c.name, c.detail),
                    None => println!("{:<8} {}: {}", c.level.name(), c.name, c.detail),
                }
            }
            let count = |l: Level| self.checks.iter().filter(|c| c.level == l).count();
            println!("doctor: {} ok, {} warning(s), {} problem(s)", count(Level::Ok), count(Level::Warning), count(Level::Problem));
        }
        match worst {
            Level::Ok => Exit::Ok,
            Level::Warning => Exit::Warning,
            Level::Problem => Exit::Critical,
        }
    }
}
