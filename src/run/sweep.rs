//! What `gc` tidies up for `run` beside the caches: lock files nobody holds,
//! spool files of writers that died, and notes whose result is gone.

use std::collections::HashSet;
use std::path::Path;
use std::time::SystemTime;

use crate::local::{fsutil, lock};
use crate::name::CacheName;
use crate::run::note::Notes;
use crate::store::Store;

/// Tidies up after `run` in the store at `root`: the notes of `caches`, and
/// with `every` (all of the store's caches are listed) the notes of caches
/// that no longer exist. Best-effort (a cache whose keys cannot be listed
/// keeps its notes); returns how many files went.
pub fn sweep(root: &Path, store: &dyn Store, caches: &[CacheName], every: bool) -> u64 {
    let mut removed = lock::sweep(root);
    removed += fsutil::remove_abandoned(&root.join("run-spool"), "spool").files;
    let notes = Notes::new(root);
    for cache in caches {
        let listed = SystemTime::now();
        let Ok(keys) = store.keys(cache) else {
            continue;
        };
        let results: HashSet<Vec<u8>> = keys.into_iter().collect();
        removed += notes.sweep(cache.as_str(), Some((&results, listed)));
    }
    if every {
        for name in notes.caches() {
            if !caches.iter().any(|cache| cache.as_str() == name) {
                removed += notes.sweep(&name, None);
            }
        }
    }
    removed
}
