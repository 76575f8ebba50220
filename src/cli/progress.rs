//! Progress bars for long operations, and the one place that decides whether
//! one is drawn: only for a job big enough to be worth it, only on a terminal
//! (stderr), and never when stdout is piped, so `cacheman export c | wc -l`
//! stays clean even at a terminal. `NO_COLOR` only drops their colour.

use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;
use std::time::Duration;

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::reporter::Progress;

/// A bar shows how far the library's checks got.
impl Progress for ProgressBar {
    fn position(&self) -> u64 {
        ProgressBar::position(self)
    }

    fn set_position(&self, bytes: u64) {
        ProgressBar::set_position(self, bytes);
    }

    fn inc(&self, bytes: u64) {
        ProgressBar::inc(self, bytes);
    }
}

/// What a bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Entries, records or files.
    Items,
    Bytes,
}

impl Unit {
    /// Below this much work a bar is not worth drawing.
    fn threshold(self) -> u64 {
        match self {
            Unit::Items => 10_000,
            Unit::Bytes => 64 << 20,
        }
    }
}

/// Whether a bar may be drawn for `work` of `unit`, given where the output goes.
pub fn shown(work: u64, unit: Unit, stderr_is_terminal: bool, stdout_is_pipe: bool) -> bool {
    work >= unit.threshold() && stderr_is_terminal && !stdout_is_pipe
}

/// [`shown`] for this process's own stderr and stdout.
fn shown_here(work: u64, unit: Unit) -> bool {
    if work < unit.threshold() {
        return false;
    }
    let stdout_is_pipe = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|stdout| stdout.metadata())
        .is_ok_and(|meta| meta.file_type().is_fifo() || meta.file_type().is_socket());
    shown(work, unit, std::io::stderr().is_terminal(), stdout_is_pipe)
}

/// A bar for `total` of `unit`, labelled `what` ("verifying users").
pub fn bar(total: u64, unit: Unit, what: &str) -> ProgressBar {
    if !shown_here(total, unit) {
        return ProgressBar::hidden();
    }
    let counts = match unit {
        Unit::Items => "{human_pos}/{human_len} {rate}",
        Unit::Bytes => "{binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}",
    };
    drawn(
        Some(total),
        &format!("{{msg}} [{{bar:30}}] {counts} eta {{eta}}"),
        what,
    )
}

/// A spinner for `work` of `unit` whose progress cannot be followed (a gc runs
/// inside the engine), showing only that it goes on and for how long.
fn activity(work: u64, unit: Unit, what: &str) -> ProgressBar {
    if !shown_here(work, unit) {
        return ProgressBar::hidden();
    }
    let spinner = drawn(None, "{spinner} {msg} ({elapsed})", what);
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

/// A spinner (see `activity`) drawn once an operation says how much work it
/// begins ([`Progress::begin`]), its progress being followed no further.
pub struct Activity {
    unit: Unit,
    what: String,
    spinner: std::cell::OnceCell<ProgressBar>,
}

impl Activity {
    pub fn new(unit: Unit, what: &str) -> Activity {
        Activity {
            unit,
            what: what.to_owned(),
            spinner: std::cell::OnceCell::new(),
        }
    }

    pub fn finish_and_clear(&self) {
        if let Some(spinner) = self.spinner.get() {
            spinner.finish_and_clear();
        }
    }
}

impl Progress for Activity {
    fn position(&self) -> u64 {
        self.spinner.get().map_or(0, ProgressBar::position)
    }

    fn set_position(&self, bytes: u64) {
        if let Some(spinner) = self.spinner.get() {
            spinner.set_position(bytes);
        }
    }

    fn inc(&self, bytes: u64) {
        if let Some(spinner) = self.spinner.get() {
            spinner.inc(bytes);
        }
    }

    fn begin(&self, bytes: u64) {
        self.spinner
            .get_or_init(|| activity(bytes, self.unit, &self.what));
    }
}

/// Progress through input of a known size (a [`bar`]) or of an unknown one
/// (an import from stdin): then hidden until it passes the threshold, and
/// drawn as a spinner with the count and rate from there on.
pub struct Counter {
    bar: ProgressBar,
    /// The size is unknown and whether to draw a bar not decided yet: that
    /// happens once the count passes the threshold.
    open_ended: bool,
    unit: Unit,
    what: String,
}

impl Counter {
    pub fn new(total: Option<u64>, unit: Unit, what: &str) -> Counter {
        Counter {
            bar: total.map_or_else(ProgressBar::hidden, |total| bar(total, unit, what)),
            open_ended: total.is_none(),
            unit,
            what: what.to_owned(),
        }
    }

    pub fn set_position(&mut self, position: u64) {
        if self.open_ended && position >= self.unit.threshold() {
            self.open_ended = false; // decided once
            if !shown_here(position, self.unit) {
                return;
            }
            let counts = match self.unit {
                Unit::Items => "{human_pos} {rate}",
                Unit::Bytes => "{binary_bytes} {binary_bytes_per_sec}",
            };
            // Starting where the count is, so its rate is not the jump from 0.
            self.bar = drawn(None, &format!("{{spinner}} {{msg}} {counts}"), &self.what)
                .with_position(position);
        }
        self.bar.set_position(position);
    }

    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// A bar drawn on stderr with `template`.
fn drawn(total: Option<u64>, template: &str, what: &str) -> ProgressBar {
    let template = match std::env::var_os("NO_COLOR") {
        Some(_) => template.to_owned(),
        None => template.replace("{bar:30}", "{bar:30.cyan/blue}"),
    };
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}/s", HumanCount(state.per_sec() as u64));
            },
        )
        .progress_chars("=> ");
    ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(10))
        .with_style(style)
        .with_message(what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_needs_a_big_job_a_terminal_and_no_pipe() {
        for unit in [Unit::Items, Unit::Bytes] {
            let big = unit.threshold();
            assert!(shown(big, unit, true, false), "{unit:?}");
            assert!(!shown(big - 1, unit, true, false), "{unit:?}: too small");
            assert!(
                !shown(big, unit, false, false),
                "{unit:?}: stderr not a terminal"
            );
            assert!(!shown(big, unit, true, true), "{unit:?}: stdout piped");
        }
    }
}
