//! Reading the input: the non-blank lines of a file or of standard input,
//! and the order on each (the library's drop-in path).

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use spread::{dropin, Error, Order};

use crate::args::{Exit, Fail};

/// One line of the input, as it was (without its line break).
pub struct Line {
    pub no: usize,
    pub text: Vec<u8>,
}

/// The non-blank lines of a file or of standard input.
pub struct Lines {
    reader: Box<dyn BufRead>,
    no: usize,
    pub name: String,
}

impl Lines {
    pub fn open(path: &Path) -> Result<Lines, Fail> {
        let (reader, name): (Box<dyn BufRead>, String) = if path == Path::new("-") {
            (Box::new(BufReader::new(io::stdin())), "stdin".into())
        } else {
            let file = File::open(path).map_err(|e| Fail::config(format!("{}: {e}", path.display())))?;
            (Box::new(BufReader::new(file)), path.display().to_string())
        };
        Ok(Lines { reader, no: 0, name })
    }

    pub fn next_line(&mut self) -> Result<Option<Line>, Fail> {
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
    pub fn take(&mut self, n: usize) -> Result<Vec<Line>, Fail> {
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
pub fn count_lines(path: &Path) -> Option<u64> {
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
pub fn parse(line: &Line, strict: bool) -> Result<Order, Error> {
    let text = std::str::from_utf8(&line.text).map_err(|e| Error::invalid("line", format!("not valid UTF-8 (byte {})", e.valid_up_to())))?;
    dropin::from_json(text, strict)
}
