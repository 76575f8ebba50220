//! The exit statuses of `cacheman`, as the design's table fixes them.

/// Exit status of a `cacheman` command (`run` passes its command's own through).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Success, or a hit.
    Success,
    /// A miss, a false answer from `has`, or corruption found by `verify`.
    Miss,
    /// A usage error or bad input; nothing was changed.
    Usage,
    /// A store or I/O error.
    Store,
    /// The status of the command `run` ran (or replayed), or one of `run`'s own
    /// statuses: 125 (cacheman failed), 126 (cannot execute), 127 (not found).
    Command(u8),
}

impl ExitCode {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Miss => 1,
            ExitCode::Usage => 2,
            ExitCode::Store => 3,
            ExitCode::Command(code) => code,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}
