//! The `hint:` line under an error: what the user can do about it, worded at
//! the command line from the data the library's error carries.

use std::borrow::Cow;
use std::io;
use std::path::Path;

use crate::error::Error;

/// What an error reading a damaged manifest suggests.
pub const MANIFEST_HINT: &str = "`cacheman repair --manifest` rebuilds it from what is intact and the cache directories (`cacheman repair --help` says what that can lose)";

/// A suggestion printed on its own `hint:` line, if there is one.
pub fn hint(error: &Error) -> Option<Cow<'_, str>> {
    match error {
        Error::Usage { hint, .. } | Error::Unavailable { hint, .. } => {
            hint.as_deref().map(Cow::Borrowed)
        }
        Error::UnknownCache { .. } => Some(Cow::Borrowed(
            "`cacheman ls` lists the caches; `cacheman create NAME` makes one",
        )),
        Error::InvalidName { .. } => Some(Cow::Borrowed(
            "cache names use letters, digits, '.', '_' and '-', do not start with '.', and are at most 128 bytes",
        )),
        Error::NoDefaultStore => Some(Cow::Borrowed("pass --dir PATH or set CACHEMAN_DIR")),
        Error::CacheExists { .. } => Some(Cow::Borrowed(
            "`cacheman ls` shows its settings; `cacheman config` changes them",
        )),
        Error::HasDependents { .. } => Some(Cow::Borrowed(
            "pass --force to drop it anyway and remove those edges",
        )),
        Error::Cycle { .. } => Some(Cow::Borrowed(
            "the graph must stay acyclic; `cacheman graph` shows it",
        )),
        Error::Conflict { .. } => Some(Cow::Borrowed(
            "the value may be out of date; recompute it with a fresh token",
        )),
        Error::Corrupt { path, .. } => damage_hint(path),
        Error::Damaged { .. } => Some(Cow::Borrowed(
            "`cacheman verify` lists the damage; `cacheman repair CACHE` drops the damaged entries",
        )),
        _ => io_hint(error.io_kind()?).map(Cow::Borrowed),
    }
}

/// What to do about an operating-system error of this kind.
fn io_hint(kind: io::ErrorKind) -> Option<&'static str> {
    match kind {
        io::ErrorKind::StorageFull => {
            Some("the disk is full; free space and retry (nothing was changed)")
        }
        io::ErrorKind::PermissionDenied => Some(
            "permission denied: run as the store's owner, or give back the file's read and write permissions",
        ),
        _ => None,
    }
}

/// What to do about a damaged file: repair the manifest, or the cache it is in.
fn damage_hint(path: &Path) -> Option<Cow<'_, str>> {
    if path.file_name() == Some("manifest".as_ref()) {
        return Some(Cow::Borrowed(MANIFEST_HINT));
    }
    cache_of(path).map(|cache| {
        Cow::Owned(format!(
            "`cacheman verify {cache}` lists the damage; `cacheman repair {cache}` recovers the intact entries"
        ))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_in_a_cache_points_to_repair() {
        let hint =
            |path: &str| hint(&Error::corrupt(Path::new(path), 0, "bad")).map(|h| h.into_owned());
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
