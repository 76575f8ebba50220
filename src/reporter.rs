//! How the library tells its caller what is not an error: warnings and
//! notices go to a [`Reporter`], and the caller (the CLI) decides how to show
//! them. The library prints nothing itself.

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

/// Why a command could not be started.
pub struct NotStarted<'a> {
    pub program: &'a OsStr,
    pub error: &'a io::Error,
    /// For a program not found: whether its file exists after all (so its
    /// `#!` interpreter is what was not found).
    pub file_exists: bool,
}
