//! Sync: merge a cache's snapshot and journals into the next snapshot generation
//! and make it durable. Writers are blocked only for two short head updates; the
//! merge itself runs under a separate sync lock while writers append to a fresh
//! journal, and readers keep using the old files until the new head is in place.

use std::fs;

use crate::clock::Clock;
use crate::entry::StoredValue;
use crate::error::{Error, Result};
use crate::local::blob;
use crate::local::cache::CacheDir;
use crate::local::fsutil::{self, LockGuard};
use crate::local::head::Head;
use crate::local::journal::{self, JournalHeader, Torn};
use crate::local::snapshot::SnapshotWriter;

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Another process is syncing this cache right now.
    Busy,
    /// Nothing was pending.
    Clean,
    /// A new snapshot holds everything up to the sync.
    Synced {
        merged_records: u64,
        entries: u64,
        dropped_expired: u64,
    },
}

/// The result of a sync, with any torn journal tail it cut on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub outcome: SyncOutcome,
    pub cut: Option<Torn>,
}

/// Syncs one cache. With `wait`, blocks until any running sync finishes;
/// without, returns [`SyncOutcome::Busy`] at once.
pub fn sync(dir: &CacheDir, wait: bool, clock: &dyn Clock) -> Result<SyncReport> {
    if dir.read_head()?.is_none() {
        return Ok(SyncReport {
            outcome: SyncOutcome::Clean,
            cut: None,
        });
    }
    let _sync_lock = if wait {
        LockGuard::acquire(&dir.sync_lock_path())?
    } else {
        match LockGuard::try_acquire(&dir.sync_lock_path())? {
            Some(lock) => lock,
            None => {
                return Ok(SyncReport {
                    outcome: SyncOutcome::Busy,
                    cut: None,
                });
            }
        }
    };
    let (old, cut) = match rotate(dir, clock.now_ms())? {
        (Some(old), cut) => (old, cut),
        (None, cut) => {
            return Ok(SyncReport {
                outcome: SyncOutcome::Clean,
                cut,
            });
        }
    };
    let outcome = merge(dir, old, clock.now_ms())?;
    install(dir, old, clock.now_ms())?;
    remove_replaced(dir, old);
    Ok(SyncReport { outcome, cut })
}

/// Under the write lock, starts a fresh journal for writers and returns the head
/// describing what is to be merged, or `None` when nothing is pending.
fn rotate(dir: &CacheDir, now: u64) -> Result<(Option<Head>, Option<Torn>)> {
    let writer = dir.writer(now)?;
    let head = writer.head;
    let cut = writer.cut.clone();
    if head.generation == head.last_journal && writer.appender.is_empty() {
        return Ok((None, cut));
    }
    let next = head.last_journal + 1;
    let header = JournalHeader {
        number: next,
        first_seq: writer.appender.next_seq(),
        created_ms: now,
    };
    journal::create(&dir.journal_path(next), &header)?;
    dir.write_head(&Head {
        last_journal: next,
        ..head
    })?;
    Ok((Some(head), cut))
}

/// Writes snapshot `old.last_journal + 1` from the old snapshot and journals.
fn merge(dir: &CacheDir, old: Head, now: u64) -> Result<SyncOutcome> {
    let view = dir.view_of(old)?;
    let overlay = view.overlay()?;
    let new_blobs = overlay
        .changes
        .values()
        .flatten()
        .filter_map(|entry| match &entry.value {
            StoredValue::Blob { hash, .. } => Some(hash),
            StoredValue::Inline(_) => None,
        });
    blob::make_durable(&dir.blobs_path(), new_blobs)?;
    let merged_records = view.pending();
    let mut writer = SnapshotWriter::create(
        &dir.snapshot_path(old.last_journal + 1),
        old.last_journal + 1,
        now,
    )?;
    let mut dropped_expired = 0;
    view.for_each_entry(&overlay, |entry| {
        if entry.is_expired(now) {
            dropped_expired += 1;
            Ok(())
        } else {
            writer.add(&entry)
        }
    })?;
    let header = writer.finish()?;
    Ok(SyncOutcome::Synced {
        merged_records,
        entries: header.entry_count,
        dropped_expired,
    })
}

/// Under the write lock, points the head at the new snapshot.
fn install(dir: &CacheDir, old: Head, now: u64) -> Result<()> {
    let _lock = LockGuard::acquire(&dir.write_lock_path())?;
    let current = dir.read_head()?.ok_or_else(|| {
        Error::corrupt(
            &dir.head_path(),
            0,
            "the head vanished while a sync was running",
        )
    })?;
    dir.write_head(&Head {
        generation: old.last_journal + 1,
        last_journal: current.last_journal,
        last_sync_ms: now,
    })
}

/// Deletes the files the new snapshot replaced, and leftovers of crashed syncs.
/// Readers that still hold them open keep reading them; new readers retry.
fn remove_replaced(dir: &CacheDir, old: Head) {
    if old.has_snapshot() {
        let _ = fs::remove_file(dir.snapshot_path(old.generation));
    }
    for number in old.generation..=old.last_journal {
        let _ = fs::remove_file(dir.journal_path(number));
    }
    if let Ok(listing) = fs::read_dir(dir.path()) {
        for item in listing.flatten() {
            let name = item.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("snap.") && name.ends_with(".tmp") {
                let _ = fs::remove_file(item.path());
            }
        }
    }
    let _ = fsutil::fsync_dir(dir.path());
}
