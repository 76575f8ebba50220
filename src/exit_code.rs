//! The exit statuses of `cacheman`, as the design's table fixes them.

/// Exit status of a `cacheman` command (`run` passes its command's own through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success, or a hit.
    Success = 0,
    /// A miss, a false answer from `has`, or corruption found by `verify`.
    Miss = 1,
    /// A usage error or bad input; nothing was changed.
    Usage = 2,
    /// A store or I/O error.
    Store = 3,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
