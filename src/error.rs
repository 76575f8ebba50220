//! The library's error type, and how each kind of failure maps to an exit status.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use crate::exit_code::ExitCode;

/// Everything the engine can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input from the caller. Nothing was changed.
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// A conditional write was refused: the cache was invalidated after the
    /// token it was given. Nothing was changed.
    #[error("{message}")]
    Conflict { message: String, hint: String },
    /// A file failed a magic, version or checksum check.
    #[error("{}: damaged at offset {offset}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },
    /// An operating-system error on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

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
            Error::Usage { .. } => ExitCode::Usage,
            Error::Conflict { .. } => ExitCode::Miss,
            Error::Corrupt { .. } | Error::Io { .. } => ExitCode::Store,
        }
    }

    /// A suggestion printed on its own `hint:` line, if there is one.
    pub fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::Usage { hint, .. } => hint.as_deref().map(Cow::Borrowed),
            Error::Conflict { hint, .. } => Some(Cow::Borrowed(hint)),
            Error::Io { source, .. } if source.kind() == io::ErrorKind::StorageFull => Some(
                Cow::Borrowed("the disk is full; free space and retry (nothing was changed)"),
            ),
            Error::Io { source, .. } if source.kind() == io::ErrorKind::PermissionDenied => {
                Some(Cow::Borrowed(
                    "permission denied: run as the store's owner, or give back the file's read and write permissions",
                ))
            }
            Error::Corrupt { path, .. } if path.file_name() == Some("manifest".as_ref()) => {
                Some(Cow::Borrowed(crate::local::inspect::recover::MANIFEST_HINT))
            }
            Error::Corrupt { path, .. } => cache_of(path).map(|cache| {
                Cow::Owned(format!(
                    "`cacheman verify {cache}` lists the damage; `cacheman repair {cache}` recovers the intact entries"
                ))
            }),
            _ => None,
        }
    }

    /// True when the underlying cause is a missing file.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// The cache a damaged file belongs to: the directory under `caches/` (or
/// under a volatile store's `cacheman-*` runtime folder) that holds it.
fn cache_of(path: &Path) -> Option<&str> {
    path.ancestors().find_map(|dir| {
        let parent = dir.parent()?.file_name()?.to_str()?;
        let volatile = parent
            .strip_prefix("cacheman-")
            .is_some_and(|tag| tag.len() == 16 && tag.bytes().all(|b| b.is_ascii_hexdigit()));
        match parent == "caches" || volatile {
            true => dir.file_name()?.to_str(),
            false => None,
        }
    })
}

/// Attaches the path an I/O error happened on.
pub trait IoContext<T> {
    fn at(self, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_in_a_cache_points_to_repair() {
        let hint = |path: &str| {
            Error::corrupt(Path::new(path), 0, "bad")
                .hint()
                .map(|h| h.into_owned())
        };
        let journal = hint("/s/caches/users/journal.3").unwrap();
        assert!(journal.contains("`cacheman repair users`"), "{journal}");
        let blob = hint("/s/caches/users/blobs/ab/abcd").unwrap();
        assert!(blob.contains("`cacheman repair users`"), "{blob}");
        let volatile = hint("/run/cacheman-0123456789abcdef/tmp/HEAD").unwrap();
        assert!(volatile.contains("`cacheman repair tmp`"), "{volatile}");
        let manifest = hint("/tmp/cacheman-it-x/store/manifest").unwrap();
        assert!(
            manifest.contains("`cacheman repair --manifest`"),
            "{manifest}"
        );
    }
}
