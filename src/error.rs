//! The library's error type: data about what failed, and the exit status each
//! kind maps to. Wording of hints is the command line's business (`cli::hint`).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::exit_code::ExitCode;

/// Everything the engine can refuse or fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input from the caller. Nothing was changed. `hint` is a suggestion
    /// specific to this refusal, for the command line to show.
    #[error("{message}")]
    Usage {
        /// What was wrong.
        message: String,
        /// A suggestion, for the command line to show.
        hint: Option<String>,
    },
    /// The store has no cache of this name. Nothing was changed.
    #[error("no cache named '{name}'")]
    UnknownCache {
        /// The name asked for.
        name: String,
    },
    /// `name` is not a valid cache name, for the reason `why`.
    #[error("invalid cache name {name:?}: {why}")]
    InvalidName {
        /// The name given.
        name: String,
        /// Why it is not valid.
        why: String,
    },
    /// No store was named and there is no home directory to hold the default one.
    #[error("cannot find a home directory for the default store")]
    NoDefaultStore,
    /// A cache of this name already exists. Nothing was changed.
    #[error("cache '{name}' already exists")]
    CacheExists {
        /// The name asked for.
        name: String,
    },
    /// `cache` cannot be dropped: other caches depend on it. Nothing was changed.
    #[error("{} {} on '{cache}'", quoted(dependents), match dependents.len() { 1 => "depends", _ => "depend" })]
    HasDependents {
        /// The cache asked to be dropped.
        cache: String,
        /// The caches that depend on it.
        dependents: Vec<String>,
    },
    /// Adding the edge `root -> dependent` would close `cycle`, written
    /// `a -> b -> ... -> a`. Nothing was changed.
    #[error("'{root}' -> '{dependent}' would close a cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// The root of the edge.
        root: String,
        /// The dependent of the edge.
        dependent: String,
        /// The cycle the edge would close.
        cycle: Vec<String>,
    },
    /// A conditional write was refused: `cache` was invalidated (at epoch
    /// `invalidated`) after the epoch `token` it was given. Nothing was changed.
    #[error(
        "not stored: cache '{cache}' was invalidated (epoch {invalidated}) after token {token} was taken"
    )]
    Conflict {
        /// The cache written to.
        cache: String,
        /// The epoch the cache was invalidated at.
        invalidated: u64,
        /// The epoch the write was conditional on.
        token: u64,
    },
    /// A write only if absent was refused: `key` of `cache` has a live
    /// entry. Nothing was changed.
    #[error("not stored: key {key} of cache '{cache}' already has a live entry")]
    Exists {
        /// The cache written to.
        cache: String,
        /// The key, as text (invalid UTF-8 replaced).
        key: String,
    },
    /// A file failed a magic, version or checksum check.
    #[error("{}: damaged at offset {offset}: {reason}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Where in the file the damage was found.
        offset: u64,
        /// What was wrong.
        reason: String,
    },
    /// An operating-system error on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        #[source]
        /// The operating system's error.
        source: io::Error,
    },
    /// An operating-system error on something that is not a file of its own.
    #[error("{on}: {source}")]
    Stream {
        /// What was read or written.
        on: Stream,
        #[source]
        /// The operating system's error.
        source: io::Error,
    },
    /// The store at `store` cannot do `what`. Nothing was changed.
    #[error("{what} is not supported by this store ({store})")]
    Unsupported {
        /// The operation.
        what: String,
        /// The store's location.
        store: String,
    },
    /// A store other than the local one holds something not in its layout
    /// (a key of the wrong type, a field that does not decode).
    #[error("{store}: damaged store data: {message}")]
    Damaged {
        /// The store's location.
        store: String,
        /// What is damaged.
        message: String,
    },
    /// A store other than the local one cannot be used at all: it cannot
    /// be reached or stopped answering in time, or it refuses this client
    /// (a wrong password, a URL naming another kind of server).
    #[error("{store}: {message}")]
    Unavailable {
        /// The store's location.
        store: String,
        /// What went wrong.
        message: String,
        /// What the user can do about it, for the command line to show.
        hint: Option<String>,
    },
    /// A store other than the local one (a service, a remote) failed.
    #[error("{store}: {message}")]
    Backend {
        /// The store's location.
        store: String,
        /// What went wrong.
        message: String,
    },
}

/// What an I/O error without a path of its own happened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stream {
    Stdin,
    Stdout,
    Stderr,
    /// A value being gathered into memory.
    Memory,
    /// The unnamed temporary file an import is gathered in.
    ImportSpool,
    /// The unnamed temporary file a batch's output spills into.
    BatchOutput,
    /// The process's signal handlers.
    Signals,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            // The standard streams keep the names their messages always had.
            Stream::Stdin => "<stdin>",
            Stream::Stdout => "<stdout>",
            Stream::Stderr => "<stderr>",
            Stream::Memory => "reading a value into memory",
            Stream::ImportSpool => "the import's temporary file",
            Stream::BatchOutput => "the batch output's temporary file",
            Stream::Signals => "installing signal handlers",
        })
    }
}

/// A result whose error is [`Error`] unless told otherwise.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Bad input, with a message and no hint.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    /// Bad input, with a message and a hint.
    pub fn usage_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// A damaged file at `path`, found at `offset`.
    pub fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }

    /// The exit status a command failing with this error ends with.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage { .. }
            | Error::UnknownCache { .. }
            | Error::InvalidName { .. }
            | Error::CacheExists { .. }
            | Error::NoDefaultStore
            | Error::HasDependents { .. }
            | Error::Cycle { .. }
            | Error::Unsupported { .. } => ExitCode::Usage,
            Error::Conflict { .. } | Error::Exists { .. } => ExitCode::Miss,
            Error::Corrupt { .. }
            | Error::Io { .. }
            | Error::Stream { .. }
            | Error::Damaged { .. }
            | Error::Unavailable { .. }
            | Error::Backend { .. } => ExitCode::Store,
        }
    }

    /// The operating-system error underneath, if there is one.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            Error::Io { source, .. } | Error::Stream { source, .. } => Some(source.kind()),
            _ => None,
        }
    }

    /// True when the underlying cause is a missing file.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// Names as a list: `'a', 'b'`.
fn quoted(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    quoted.join(", ")
}

/// Attaches the path an I/O error happened on.
pub trait IoContext<T> {
    fn at(self, path: &Path) -> Result<T>;
    /// Attaches what the error happened on, when that is not a file.
    fn on(self, stream: Stream) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    fn on(self, on: Stream) -> Result<T> {
        self.map_err(|source| Error::Stream { on, source })
    }
}
