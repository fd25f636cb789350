//! Progress of a bulk send on stderr: an indicatif bar on a terminal, a
//! plain line every few seconds otherwise (a log file, a pipe, cron).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// How often the plain lines come when stderr is not a terminal.
const LINE_EVERY: Duration = Duration::from_secs(2);

pub struct Progress {
    /// Drawn on a terminal; hidden otherwise (then `suspend` just runs its closure).
    bar: ProgressBar,
    on_terminal: bool,
    total: Option<u64>,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// `total`: how many lines, when known (a file; not standard input).
    pub fn new(total: Option<u64>) -> Progress {
        let on_terminal = std::io::stderr().is_terminal();
        let bar = if on_terminal {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            let template = match total {
                Some(_) => "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} orders, {rate}, eta {eta}",
                None => "{spinner} {elapsed_precise} {human_pos} orders, {rate}",
            };
            let style = ProgressStyle::with_template(template)
                .expect("a valid template")
                .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0} orders/s", state.per_sec());
                })
                .progress_chars("=> ");
            bar.set_style(style);
            bar
        } else {
            ProgressBar::hidden()
        };
        let now = Instant::now();
        Progress { bar, on_terminal, total, started: now, last_line: now }
    }

    /// A handle for printing around the bar (`ProgressBar::suspend`), e.g. from the logger.
    pub fn bar(&self) -> ProgressBar {
        self.bar.clone()
    }

    /// Orders per second since the start.
    pub fn rate(&self, done: u64) -> f64 {
        done as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// `done` lines are finished.
    pub fn set(&mut self, done: u64) {
        if self.on_terminal {
            self.bar.set_position(done);
        } else if self.last_line.elapsed() >= LINE_EVERY {
            self.last_line = Instant::now();
            let of = match self.total {
                Some(total) => format!("{}% {done}/{total}", done * 100 / total.max(1)),
                None => done.to_string(),
            };
            let text = format!("{of} orders sent, {:.0} orders/s", self.rate(done));
            eprintln!("{}", crate::journal::line(crate::journal::Priority::Info, "progress", &text, Some(serde_json::json!({"done": done}))));
        }
    }

    /// Prints a line on stderr without tearing the bar.
    pub fn println(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Leaves the bar in its final state, on a line of its own.
    pub fn finish(&self) {
        if self.on_terminal {
            self.bar.finish();
            eprintln!();
        }
    }
}
