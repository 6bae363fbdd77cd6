//! A running count on stderr for long operations (import, export).
//!
//! On a terminal the count redraws in place a few times a second; when stderr
//! is a file or a pipe (CI, cron) it prints one line every `LINE_EVERY` items
//! instead, so logs stay readable. Stdout is left to the command's result.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const LINE_EVERY: u64 = 1000;
const REDRAW_EVERY: Duration = Duration::from_millis(100);

pub struct Progress {
    label: &'static str,
    total: u64,
    done: u64,
    terminal: bool,
    last_draw: Option<Instant>,
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Self {
        Self { label, total, done: 0, terminal: std::io::stderr().is_terminal(), last_draw: None }
    }

    /// One more item done.
    pub fn tick(&mut self) {
        self.done += 1;
        if self.terminal {
            if self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW_EVERY) || self.done == self.total {
                self.last_draw = Some(Instant::now());
                eprint!("\r{}: {}/{}", self.label, self.done, self.total);
                let _ = std::io::stderr().flush();
            }
        } else if self.done.is_multiple_of(LINE_EVERY) {
            eprintln!("{}: {}/{}", self.label, self.done, self.total);
        }
    }

    /// Prints something (a row error) without tearing the running count.
    pub fn note(&mut self, line: &str) {
        if self.terminal && self.last_draw.is_some() {
            eprint!("\r\x1b[K");
            self.last_draw = None;
        }
        eprintln!("{line}");
    }

    /// Ends the running count with its final value.
    pub fn finish(self) {
        if self.terminal {
            eprintln!("\r{}: {}/{}", self.label, self.done, self.total);
        } else if !self.done.is_multiple_of(LINE_EVERY) {
            eprintln!("{}: {}/{}", self.label, self.done, self.total);
        }
    }
}
