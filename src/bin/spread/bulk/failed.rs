//! What failed: why each line failed, and `--failed OUT.jsonl` (the lines
//! unchanged) with `OUT.jsonl.errors` (why, one JSON object per line).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use spread::{Error, Order};

use super::input::Line;
use crate::args::{Exit, Fail};

/// `invalid_value`, `rejected`, `network`… (the library's kind, in snake case).
/// Why a line failed.
pub struct Failure {
    pub error: Error,
    pub order_id: Option<String>,
    pub warnings: Vec<String>,
    /// Never handed to the library: the send stopped before.
    pub not_sent: bool,
}

impl Failure {
    pub fn of(error: Error, order: Option<&Order>) -> Failure {
        Failure {
            error,
            order_id: order.and_then(|o| o.id()).map(|id| id.into_owned()),
            warnings: order.map(|o| o.warnings().to_vec()).unwrap_or_default(),
            not_sent: false,
        }
    }
}

/// Where the reasons go for `--failed OUT.jsonl`: `OUT.jsonl.errors`.
pub fn errors_path(out: &Path) -> PathBuf {
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
pub struct FailedFiles {
    lines: (PathBuf, BufWriter<File>),
    reasons: (PathBuf, BufWriter<File>),
}

impl FailedFiles {
    pub fn create(out: &Path, input: &Path) -> Result<FailedFiles, Fail> {
        if input != Path::new("-") && std::fs::canonicalize(input).ok() == std::fs::canonicalize(out).ok() {
            return Err(Fail::new(Exit::Usage, format!("--failed {} is the input file: choose another name", out.display())));
        }
        let reasons = errors_path(out);
        let open = |p: &Path| owner_only(p).map(|f| (p.to_path_buf(), BufWriter::new(f))).map_err(|e| Fail::config(format!("--failed: {}: {e}", p.display())));
        Ok(FailedFiles { lines: open(out)?, reasons: open(&reasons)? })
    }

    pub fn write(&mut self, out_line: usize, line: &Line, failure: &Failure) -> io::Result<()> {
        self.lines.1.write_all(&line.text)?;
        self.lines.1.write_all(b"\n")?;
        let kind = if failure.not_sent { "not_sent".to_owned() } else { failure.error.kind.name().to_owned() };
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
    pub fn close(mut self, failed: usize) -> io::Result<()> {
        self.lines.1.flush()?;
        self.reasons.1.flush()?;
        if failed == 0 {
            std::fs::remove_file(&self.lines.0)?;
            std::fs::remove_file(&self.reasons.0)?;
        }
        Ok(())
    }
}
