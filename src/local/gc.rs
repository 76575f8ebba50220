//! `gc` of one cache: a sync that always rewrites the snapshot (so expired entries
//! go now) under tighter limits if asked, then a sweep of the blobs folder for
//! blobs no entry refers to and temporary files of writers that died.

use crate::error::Result;
use crate::local::LocalStore;
use crate::local::blob;
use crate::local::cache::CacheDir;
use crate::local::fsutil::{self, Freed, LockGuard};
use crate::local::generation::Changing;
use crate::local::inspect::verify;
use crate::local::merge::{self, MergeRules};
use crate::local::reclaim;
use crate::local::temp;
use crate::name::CacheName;
use crate::reporter::Progress;
pub use crate::reports::{GcLimits, GcReport};
use crate::store::SyncResult;

impl LocalStore {
    /// Collects one cache's garbage; see [`GcReport`].
    pub fn gc(&self, name: &CacheName, limits: GcLimits) -> Result<GcReport> {
        self.gc_reporting(name, limits, &())
    }

    /// [`LocalStore::gc`], telling `progress` how many record bytes it
    /// begins to read.
    pub fn gc_reporting(
        &self,
        name: &CacheName,
        limits: GcLimits,
        progress: &dyn Progress,
    ) -> Result<GcReport> {
        let cache = self.existing(name)?;
        progress.begin(verify::record_bytes(&cache.dir));
        let Some(before) = cache.dir.view()? else {
            return Ok(GcReport::default());
        };
        let (_, bytes_before) = before.totals()?;
        drop(before);
        let mut temporary = cache.dir.remove_abandoned();
        // The manifest's temporary files, beside it.
        temporary.add(fsutil::remove_abandoned(self.root(), temp::PREFIX));
        let own = MergeRules::of(&cache);
        let rules = MergeRules {
            max_entries: tighter(own.max_entries, limits.max_entries),
            max_bytes: tighter(own.max_bytes, limits.max_bytes),
            rewrite: true,
            ..own
        };
        let synced = merge::sync(&cache.dir, true, self.clock(), rules)?;
        let (dropped, evicted) = match synced.result {
            SyncResult::Synced {
                dropped, evicted, ..
            } => (dropped, evicted),
            SyncResult::Busy | SyncResult::Clean => (0, 0),
        };
        let orphans = sweep(&cache.dir)?;
        let mut blobs = synced.reclaimed;
        blobs.add(orphans);
        let Some(after) = cache.dir.view()? else {
            return Ok(GcReport::default());
        };
        let (entries, bytes_after) = after.totals()?;
        Ok(GcReport {
            dropped,
            evicted,
            bytes: bytes_before.saturating_sub(bytes_after),
            blobs,
            orphans,
            temporary,
            entries,
        })
    }
}

fn tighter(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Deletes every blob file no record of the cache's files names. It first
/// waits for exports to end (holding no other lock meanwhile, so syncs go on),
/// then holds the sync lock, so the files it reads stay the ones `HEAD` names,
/// and takes the write lock to read what the journals have gained since.
pub(crate) fn sweep(dir: &CacheDir) -> Result<Freed> {
    let _reclaim = LockGuard::acquire(&dir.reclaim_lock_path())?;
    let _sync = LockGuard::acquire(&dir.sync_lock_path())?;
    let Some(view) = dir.view()? else {
        return Ok(Freed::default());
    };
    let named = reclaim::named_by_files(&view)?;
    let listed = blob::files(&dir.blobs_path())?;
    let candidates = listed.iter().filter_map(|path| blob::hash_named(path));
    let _write = Changing::acquire(&dir.write_lock_path())?;
    let freed = reclaim::remove_unnamed(dir, candidates, &named)?;
    reclaim::swept(dir);
    Ok(freed)
}
