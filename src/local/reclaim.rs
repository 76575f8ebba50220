//! Deleting the blobs no record names any more. Writers place a blob under the
//! write lock just before appending the record naming it, so under that lock a
//! blob that no record of the files `HEAD` names is garbage. Only a sync makes
//! a named blob garbage (it installs a head whose files no longer name it), so
//! a reader whose blob went finds `HEAD` changed and takes a new view. A sync
//! deletes the blobs of the entries it dropped; `gc` sweeps the folder.
//! Readers that read blobs long after taking their view (an export) hold
//! `reclaim.lock` shared; a sync that finds it held leaves `reclaim.due`, and
//! the next sync sweeps the whole folder.

use std::collections::HashSet;
use std::fs;

use crate::entry::{Entry, StoredValue};
use crate::error::{Error, Result};
use crate::local::blob;
use crate::local::cache::{CacheDir, View};
use crate::local::fsutil::{self, Freed, LockGuard};
use crate::local::journal::JournalData;
use crate::local::record::Op;

/// A set of blob hashes.
pub type Blobs = HashSet<[u8; 32]>;

/// The blob an entry's value lives in, if it is not inline.
pub fn blob_of(entry: &Entry) -> Option<[u8; 32]> {
    match entry.value {
        StoredValue::Blob { hash, .. } => Some(hash),
        StoredValue::Inline(_) => None,
    }
}

/// Every blob the set records of `journals` name, replaced ones included.
pub fn named_by_journals(journals: &[JournalData]) -> Result<Blobs> {
    let mut named = Blobs::new();
    for journal in journals {
        for record in journal.records() {
            let (offset, view) = record?;
            let op = view
                .op()
                .map_err(|reason| Error::corrupt(&journal.path, offset, reason))?;
            if let Op::Set(entry) = op {
                named.extend(blob_of(&entry));
            }
        }
    }
    Ok(named)
}

/// Every blob a record of `view`'s files names: its snapshot's entries, and
/// every set record of its journals, replaced ones included. A reader holding
/// a view of the same head can only be looking for one of these.
pub fn named_by_files(view: &View) -> Result<Blobs> {
    let mut named = named_by_journals(&view.journals)?;
    if let Some(snapshot) = &view.snapshot {
        for entry in snapshot.entries()? {
            named.extend(blob_of(&entry?));
        }
    }
    Ok(named)
}

/// Deletes each of `candidates` that `keep` does not hold and no record of
/// the journals the cache's head names now does. The caller holds the write
/// lock, so no writer is between placing a blob and naming it, and the reclaim
/// lock, so no export is reading an older view's blobs.
pub fn remove_unnamed(
    dir: &CacheDir,
    candidates: impl IntoIterator<Item = [u8; 32]>,
    keep: &Blobs,
) -> Result<Freed> {
    let mut candidates: Vec<[u8; 32]> = candidates
        .into_iter()
        .filter(|hash| !keep.contains(hash))
        .collect();
    if candidates.is_empty() {
        return Ok(Freed::default());
    }
    let journals = match dir.read_head()? {
        Some(head) => head
            .journals()
            .map(|n| JournalData::read(&dir.journal_path(n)))
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let named = named_by_journals(&journals)?;
    candidates.retain(|hash| !named.contains(hash));
    let blobs = dir.blobs_path();
    let mut freed = Freed::default();
    for hash in candidates {
        let path = blob::path_for(&blobs, &hash);
        if let Ok(meta) = fs::symlink_metadata(&path)
            && meta.is_file()
        {
            freed.remove(&path, meta.len());
        }
    }
    Ok(freed)
}

/// Holds the reclaim lock shared while a reader reads blobs of an older view;
/// `None` when the lock file cannot be opened (a read-only store), where the
/// reader does without.
pub fn hold_blobs(dir: &CacheDir) -> Option<LockGuard> {
    LockGuard::acquire_shared(&dir.reclaim_lock_path()).ok()
}

/// Every blob file in the cache's folder, by hash, when a sync left garbage
/// for the next one to sweep; `None` otherwise.
pub fn left_over(dir: &CacheDir) -> Result<Option<Blobs>> {
    if due_path(dir).symlink_metadata().is_err() {
        return Ok(None);
    }
    let listed = blob::files(&dir.blobs_path())?;
    Ok(Some(
        listed.iter().filter_map(|p| blob::hash_named(p)).collect(),
    ))
}

/// Notes that garbage was left because an export held the reclaim lock.
pub fn leave_due(dir: &CacheDir) {
    let _ = fsutil::open_private(&due_path(dir));
}

/// Notes that the whole folder was swept.
pub fn swept(dir: &CacheDir) {
    let _ = fsutil::remove(&due_path(dir));
}

fn due_path(dir: &CacheDir) -> std::path::PathBuf {
    dir.path().join("reclaim.due")
}
