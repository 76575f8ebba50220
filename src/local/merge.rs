//! Sync: merge a cache's snapshot and journals into the next snapshot generation
//! and make it durable. Writers are blocked only for two short head updates; the
//! merge itself runs under a separate sync lock while writers append to a fresh
//! journal, and readers keep using the old files until the new head is in place.
//! A merge drops expired entries and enforces the cache's size limits. A large
//! import lands the same way, laid over the merge (see [`land`]).

use std::collections::HashSet;

use crate::clock::Clock;
use crate::entry::{Entry, StoredValue};
use crate::error::{Error, Result};
use crate::local::Cache;
use crate::local::blob;
use crate::local::cache::{CacheDir, Overlay, View};
use crate::local::counters::Counters;
use crate::local::fsutil::{self, Freed, LockGuard};
use crate::local::generation::Changing;
use crate::local::head::Head;
use crate::local::journal::{self, SetTotals, Torn};
use crate::local::manifest::{Freshness, Invalidated};
use crate::local::reclaim;
use crate::local::snapshot::{Snapshot, SnapshotWriter};
use crate::store::SyncResult;

/// Entries and bytes a cache may grow past a limit before a write asks for a
/// sync, however small the limit: a sync of a tiny cache still costs a process.
pub const OUTGROWN_ENTRIES: u64 = 64;
pub const OUTGROWN_BYTES: u64 = 256 << 10;

/// The result of a sync, with any torn journal tail it cut on the way and the
/// blob files it deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub result: SyncResult,
    pub cut: Option<Torn>,
    pub reclaimed: Freed,
}

/// What a sync enforces: the size limits, and which entries invalidations
/// have already made worthless.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MergeRules {
    pub max_entries: Option<u64>,
    pub max_bytes: Option<u64>,
    pub invalidated: Invalidated,
    /// Write a new snapshot even when nothing is pending (`gc`), so expired
    /// entries are dropped now.
    pub rewrite: bool,
}

impl MergeRules {
    pub fn of(cache: &Cache) -> MergeRules {
        MergeRules {
            max_entries: cache.settings.max_entries,
            max_bytes: cache.settings.max_bytes,
            invalidated: cache.invalidated,
            rewrite: false,
        }
    }

    fn exceeded_by(&self, entries: u64, bytes: u64) -> bool {
        self.max_entries.is_some_and(|max| entries > max)
            || self.max_bytes.is_some_and(|max| bytes > max)
    }

    /// Whether the cache's entries may have outgrown a limit by more than an
    /// eighth of it (and at least [`OUTGROWN_ENTRIES`] or [`OUTGROWN_BYTES`]):
    /// the snapshot header's totals plus the set records `sets` of the journal
    /// a write just appended to (an overwrite counts twice). A cache without
    /// limits costs nothing; one with limits, one read of the snapshot header.
    pub fn outgrown(&self, dir: &CacheDir, head: Head, sets: SetTotals) -> Result<bool> {
        if self.max_entries.is_none() && self.max_bytes.is_none() {
            return Ok(false);
        }
        let (entries, bytes) = match head.has_snapshot() {
            true => {
                let header = Snapshot::open(&dir.snapshot_path(head.generation))?.header;
                (header.entry_count, header.live_bytes)
            }
            false => (0, 0),
        };
        let past = |total: u64, max: Option<u64>, least: u64| {
            max.is_some_and(|max| total > max.saturating_add((max / 8).max(least)))
        };
        Ok(
            past(entries + sets.records, self.max_entries, OUTGROWN_ENTRIES)
                || past(
                    bytes.saturating_add(sets.bytes),
                    self.max_bytes,
                    OUTGROWN_BYTES,
                ),
        )
    }
}

/// Syncs one cache. With `wait`, blocks until any running sync finishes;
/// without, returns [`SyncResult::Busy`] at once.
pub fn sync(
    dir: &CacheDir,
    wait: bool,
    clock: &dyn Clock,
    limits: MergeRules,
) -> Result<SyncReport> {
    let report = |result, cut| {
        Ok(SyncReport {
            result,
            cut,
            reclaimed: Freed::default(),
        })
    };
    if dir.head()?.is_none() {
        return report(SyncResult::Clean, None);
    }
    let _sync_lock = match wait {
        true => LockGuard::acquire(&dir.sync_lock_path())?,
        false => match LockGuard::try_acquire(&dir.sync_lock_path())? {
            Some(lock) => lock,
            None => return report(SyncResult::Busy, None),
        },
    };
    let (old, cut) = match rotate(dir, clock.now_ms(), limits, &NoLayer)? {
        (Some(old), cut) => (old, cut),
        (None, cut) => return report(SyncResult::Clean, cut),
    };
    let (result, reclaimed) = merge_and_install(dir, old, clock, limits, &mut NoLayer)?;
    Ok(SyncReport {
        result,
        cut,
        reclaimed,
    })
}

/// Lays `layer` over a cache's files as a new snapshot: a sync whose merge
/// also takes the layer's entries, which replace the files' own. Writers are
/// blocked only for the two head updates; whatever they append meanwhile is
/// replayed over the new snapshot. Eviction is left to a later sync (the
/// caller sees whether one is due).
pub fn land(
    dir: &CacheDir,
    clock: &dyn Clock,
    rules: MergeRules,
    layer: &mut dyn Layer,
) -> Result<SyncReport> {
    fsutil::create_private_dir(dir.path())?;
    let _sync_lock = LockGuard::acquire(&dir.sync_lock_path())?;
    let rules = MergeRules {
        max_entries: None,
        max_bytes: None,
        rewrite: true,
        ..rules
    };
    let (Some(old), cut) = rotate(dir, clock.now_ms(), rules, layer)? else {
        unreachable!("a rotation with `rewrite` always rotates");
    };
    let (result, reclaimed) = merge_and_install(dir, old, clock, rules, layer)?;
    Ok(SyncReport {
        result,
        cut,
        reclaimed,
    })
}

/// Entries a merge lays over the files it merges (an import's): they replace
/// the files' entries for the same keys.
pub trait Layer {
    /// Whether the layer holds an entry for `key`.
    fn shadows(&self, key: &[u8]) -> Result<bool>;
    /// Called under the write lock as the merge begins: an error stops it
    /// before anything has changed.
    fn admit(&self) -> Result<()> {
        Ok(())
    }
    /// Calls `f` with each of the layer's entries, once per key.
    fn for_each(&mut self, f: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()>;
}

/// The empty layer of a plain sync.
struct NoLayer;

impl Layer for NoLayer {
    fn shadows(&self, _: &[u8]) -> Result<bool> {
        Ok(false)
    }

    fn for_each(&mut self, _: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()> {
        Ok(())
    }
}

/// Under the sync lock, after a rotation: merges the files `old` names and
/// `layer` into the next snapshot, installs it and deletes what it replaced.
fn merge_and_install(
    dir: &CacheDir,
    old: Head,
    clock: &dyn Clock,
    limits: MergeRules,
    layer: &mut dyn Layer,
) -> Result<(SyncResult, Freed)> {
    let (result, mut blobs) = merge(dir, old, clock.now_ms(), limits, layer)?;
    let sweep = reclaim::left_over(dir)?;
    let sweeping = sweep.is_some();
    blobs.gone.extend(sweep.into_iter().flatten());
    let reclaimed = install(dir, old, clock.now_ms(), &blobs, sweeping)?;
    remove_replaced(dir, old.last_journal + 1);
    Ok((result, reclaimed))
}

/// The blobs a merge saw: those of entries it dropped or found replaced, and
/// those the new snapshot names.
struct MergedBlobs {
    gone: reclaim::Blobs,
    kept: reclaim::Blobs,
}

/// Under the write lock, starts a fresh journal for writers and returns the head
/// describing what is to be merged, or `None` when there is nothing to do; an
/// error, with nothing changed, when `layer` does not admit the merge.
fn rotate(
    dir: &CacheDir,
    now: u64,
    limits: MergeRules,
    layer: &dyn Layer,
) -> Result<(Option<Head>, Option<Torn>)> {
    let writer = dir.writer(now)?;
    layer.admit()?;
    let head = writer.head;
    let cut = writer.cut.clone();
    if head.generation == head.last_journal
        && writer.appender.is_empty()
        && !needs_rewrite(&writer.view()?, limits)
    {
        return Ok((None, cut));
    }
    let next = head.last_journal + 1;
    journal::create(&dir.journal_path(next), &writer.appender.successor(now))?;
    dir.write_head(&Head {
        last_journal: next,
        ..head
    })?;
    Ok((Some(head), cut))
}

/// Whether the snapshot alone needs rewriting: it is over the limits, or holds
/// entries an invalidation since has made worthless.
fn needs_rewrite(view: &View, limits: MergeRules) -> bool {
    limits.rewrite
        || view.snapshot.as_ref().is_some_and(|s| {
            limits.exceeded_by(s.header.entry_count, s.header.live_bytes)
                || s.header.invalid_before < limits.invalidated.hard
        })
}

/// Writes snapshot `old.last_journal + 1` from the old snapshot and journals,
/// with `layer` over them.
fn merge(
    dir: &CacheDir,
    old: Head,
    now: u64,
    limits: MergeRules,
    layer: &mut dyn Layer,
) -> Result<(SyncResult, MergedBlobs)> {
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
    let generation = old.last_journal + 1;
    let mut merging = Merging {
        evict: eviction(dir, &view, &overlay, now, limits)?,
        writer: SnapshotWriter::create(
            &dir.snapshot_path(generation),
            generation,
            now,
            limits.invalidated.hard,
        )?,
        now,
        limits,
        dropped: 0,
        gone: reclaim::named_by_journals(&view.journals)?,
        kept: reclaim::Blobs::new(),
    };
    let mut replaced = reclaim::Blobs::new();
    view.walk(
        &overlay,
        |entry| match layer.shadows(&entry.key)? {
            true => {
                merging.gone.extend(reclaim::blob_of(&entry));
                Ok(())
            }
            false => merging.take(entry),
        },
        Some(&mut |entry| replaced.extend(reclaim::blob_of(&entry))),
    )?;
    layer.for_each(&mut |entry| merging.take(entry))?;
    let Merging {
        writer,
        dropped,
        evict,
        mut gone,
        kept,
        ..
    } = merging;
    gone.extend(replaced);
    let header = writer.finish()?;
    let result = SyncResult::Synced {
        merged_records: view.pending(),
        entries: header.entry_count,
        dropped,
        evicted: evict.len() as u64,
    };
    Ok((result, MergedBlobs { gone, kept }))
}

/// A snapshot being written by a merge, and what it has seen so far.
struct Merging {
    writer: SnapshotWriter,
    now: u64,
    limits: MergeRules,
    evict: HashSet<Vec<u8>>,
    dropped: u64,
    gone: reclaim::Blobs,
    kept: reclaim::Blobs,
}

impl Merging {
    /// Writes `entry` into the snapshot, unless an invalidation made it
    /// worthless or the limits evict it.
    fn take(&mut self, entry: Entry) -> Result<()> {
        if self.limits.invalidated.judge(&entry, self.now) == Freshness::Invalid {
            self.dropped += 1;
            self.gone.extend(reclaim::blob_of(&entry));
            Ok(())
        } else if self.evict.contains(&entry.key) {
            self.gone.extend(reclaim::blob_of(&entry));
            Ok(())
        } else {
            self.kept.extend(reclaim::blob_of(&entry));
            self.writer.add(&entry)
        }
    }
}

/// The keys to evict so that the live entries fit the limits: the least
/// recently used first, by the lossy access table of the counters file (an
/// approximate LRU, as ccache's by mtime); an entry it has no hit for counts
/// as used when it was written.
fn eviction(
    dir: &CacheDir,
    view: &View,
    overlay: &Overlay,
    now: u64,
    limits: MergeRules,
) -> Result<HashSet<Vec<u8>>> {
    if limits.max_entries.is_none() && limits.max_bytes.is_none() {
        return Ok(HashSet::new());
    }
    let counters = Counters::open(dir).ok().flatten();
    let last_used = |entry: &Entry| {
        counters
            .as_ref()
            .map_or(entry.created_ms, |c| c.last_used(entry))
    };
    let mut live = Vec::new();
    view.for_each_entry(overlay, |entry| {
        if limits.invalidated.judge(&entry, now) != Freshness::Invalid {
            live.push((last_used(&entry), entry.size(), entry.key));
        }
        Ok(())
    })?;
    let (mut count, mut bytes) = (live.len() as u64, live.iter().map(|e| e.1).sum::<u64>());
    live.sort_unstable();
    let mut evict = HashSet::new();
    for (_, size, key) in live {
        if !limits.exceeded_by(count, bytes) {
            break;
        }
        count -= 1;
        bytes -= size;
        evict.insert(key);
    }
    Ok(evict)
}

/// Under the write lock, points the head at the new snapshot, then deletes the
/// blobs that only the replaced files named (`sweeping`: every blob file an
/// earlier sync had to leave is among them).
fn install(
    dir: &CacheDir,
    old: Head,
    now: u64,
    blobs: &MergedBlobs,
    sweeping: bool,
) -> Result<Freed> {
    let _lock = Changing::acquire(&dir.write_lock_path())?;
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
    })?;
    // The new head is in place: garbage left because an export holds the
    // reclaim lock is the next sync's to sweep.
    let Ok(Some(_reclaim)) = LockGuard::try_acquire(&dir.reclaim_lock_path()) else {
        reclaim::leave_due(dir);
        return Ok(Freed::default());
    };
    match reclaim::remove_unnamed(dir, blobs.gone.iter().copied(), &blobs.kept) {
        Ok(freed) => {
            if sweeping {
                reclaim::swept(dir);
            }
            Ok(freed)
        }
        Err(_) => {
            reclaim::leave_due(dir);
            Ok(Freed::default())
        }
    }
}

/// Deletes every snapshot but the new one and every journal it merged: the
/// files it replaced, and whatever crashed syncs left behind (temporary files, a
/// snapshot renamed in but never installed, files never deleted). Runs under the
/// sync lock; readers that still hold old files open keep reading them.
pub(crate) fn remove_replaced(dir: &CacheDir, generation: u64) {
    if let Ok(listing) = fsutil::dir_entries(dir.path()) {
        for item in listing {
            let name = item.file_name();
            let Some(name) = name.to_str() else { continue };
            let stale = match name.split_once('.') {
                Some(("snap", rest)) => rest
                    .parse::<u64>()
                    .map_or(rest.ends_with(".tmp"), |n| n != generation),
                Some(("journal", rest)) => rest
                    .parse::<u64>()
                    .map_or(rest.ends_with(".tmp"), |n| n < generation),
                _ => false,
            };
            if stale {
                let _ = fsutil::remove(&item.path());
            }
        }
    }
    dir.remove_abandoned();
    let _ = fsutil::fsync_dir(dir.path());
}
