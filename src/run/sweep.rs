//! What `gc` tidies up for `run` beside the caches: locks nobody holds, spool
//! files of runs that died, and notes whose result is gone, all through the
//! store.

use std::collections::HashSet;
use std::time::SystemTime;

use crate::name::CacheName;
use crate::run::note;
use crate::scratch::notes::KeepNotes;
use crate::store::Store;

/// Tidies up after `run` in `store`: the notes of `caches`, and with `every`
/// (all of the store's caches are listed) the notes of caches that no longer
/// exist. Best-effort (a cache whose keys cannot be listed keeps its notes);
/// returns how many files went.
pub fn sweep(store: &dyn Store, caches: &[CacheName], every: bool) -> u64 {
    let mut removed = store.sweep_locks();
    removed += store.scratch().map_or(0, |scratch| scratch.sweep_spool());
    for cache in caches {
        let listed = SystemTime::now();
        let Ok(keys) = store.keys(cache) else {
            continue;
        };
        let results: HashSet<Vec<u8>> = keys.into_iter().collect();
        let keep = note::keep_live(&results);
        removed += store.sweep_notes(
            cache.as_str(),
            Some(KeepNotes {
                keep: &keep,
                listed,
            }),
        );
    }
    if every {
        for name in store.note_caches() {
            if !caches.iter().any(|cache| cache.as_str() == name) {
                removed += store.sweep_notes(&name, None);
            }
        }
    }
    removed
}
