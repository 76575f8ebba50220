//! A problem `verify` found: the file, the offset when there is one, and what is
//! wrong, in the words a user can act on.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub offset: Option<u64>,
    pub what: String,
}

impl Problem {
    pub fn at(path: &Path, offset: u64, what: impl Into<String>) -> Problem {
        Problem {
            path: path.to_path_buf(),
            offset: Some(offset),
            what: what.into(),
        }
    }

    pub fn file(path: &Path, what: impl Into<String>) -> Problem {
        Problem {
            path: path.to_path_buf(),
            offset: None,
            what: what.into(),
        }
    }

    /// What is wrong with a counters file, and what becomes of it: counting is
    /// best-effort, so the damage loses counts, never data.
    pub fn counters(error: Error) -> Problem {
        let mut problem = Problem::from(error);
        problem
            .what
            .push_str("; counting is best-effort: the next counted read replaces the file");
        problem
    }
}

impl From<Error> for Problem {
    fn from(error: Error) -> Problem {
        match error {
            Error::Corrupt {
                path,
                offset,
                reason,
            } => Problem {
                path,
                offset: Some(offset),
                what: reason,
            },
            Error::Io { path, source } => Problem {
                path,
                offset: None,
                what: source.to_string(),
            },
            other => Problem {
                path: PathBuf::new(),
                offset: None,
                what: other.to_string(),
            },
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "{}: offset {offset}: {}", self.path.display(), self.what),
            None => write!(f, "{}: {}", self.path.display(), self.what),
        }
    }
}

/// A key as a report shows it: quoted text, or hex when it is not UTF-8.
pub fn key_label(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(text) => format!("{text:?}"),
        Err(_) => format!(
            "0x{}",
            key.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}
