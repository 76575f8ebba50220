//! How the library tells its caller what is not an error: warnings and
//! notices go to a [`Reporter`], how far a long operation got to a
//! [`Progress`], and the caller (the CLI) decides how to show them. The
//! library prints nothing itself.

use std::ffi::OsStr;
use std::fmt::Display;
use std::io;

/// Receives what an operation has to say besides its result.
pub trait Reporter {
    /// Something went wrong that did not stop the operation.
    fn warning(&self, text: &dyn Display);
    /// One line of the reasons a run was not a hit (`run --explain`).
    fn explain(&self, line: &dyn Display);
    /// A command `run` was to run could not be started.
    fn not_started(&self, failure: &NotStarted<'_>);
}

/// Where a long operation reports how far it got, in bytes read: the library
/// calls it, the caller shows it (the CLI draws a bar). `()` shows nothing.
pub trait Progress {
    /// How far it got.
    fn position(&self) -> u64;

    /// It got to `bytes`.
    fn set_position(&self, bytes: u64);

    /// It read `bytes` more.
    fn inc(&self, bytes: u64);

    /// Work of about `bytes` begins whose progress is not followed further
    /// (a gc): only that it goes on can be shown, until the call returns.
    fn begin(&self, bytes: u64) {
        let _ = bytes;
    }
}

/// No progress shown.
impl Progress for () {
    fn position(&self) -> u64 {
        0
    }

    fn set_position(&self, _: u64) {}

    fn inc(&self, _: u64) {}
}

/// Why a command could not be started.
pub struct NotStarted<'a> {
    pub program: &'a OsStr,
    pub error: &'a io::Error,
    /// For a program not found: whether its file exists after all (so its
    /// `#!` interpreter is what was not found).
    pub file_exists: bool,
}
