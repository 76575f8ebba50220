//! How the library tells its caller what is not an error: warnings and
//! notices go to a [`Reporter`], and the caller (the CLI) decides how to show
//! them. The library prints nothing itself.

use std::fmt::Display;

/// Receives what an operation has to say besides its result.
pub trait Reporter {
    /// Something went wrong that did not stop the operation.
    fn warning(&self, text: &dyn Display);
    /// One line of the reasons a run was not a hit (`run --explain`).
    fn explain(&self, line: &dyn Display);
}
