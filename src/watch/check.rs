//! Checking bindings without a watcher: compare the bound files' fingerprint
//! with the recorded one, and invalidate (with the full cascade) on a change.

use crate::error::Result;
use crate::local::LocalStore;
use crate::name::CacheName;
use crate::store::Invalidation;
use crate::watch::bindings::{self, Binding, Change, store_dir};
use crate::watch::fingerprint::Scan;
use crate::watch::pattern::compile_all;

/// Checks one cache's bound files: if they changed since the last fingerprint,
/// invalidates the cache and its dependents, records the new fingerprint and
/// returns what was invalidated. A cache without bindings costs one manifest
/// read.
pub fn check_cache(store: &LocalStore, cache: &CacheName) -> Result<Option<Invalidation>> {
    let Some(binding) = bindings::of(store, cache)? else {
        return Ok(None);
    };
    let done = check_bound(store, vec![(cache.clone(), binding)])?;
    Ok(done
        .into_iter()
        .next()
        .map(|(_, invalidation)| invalidation))
}

/// Checks the given caches (every bound cache with `None`) in one pass: the
/// changed ones are invalidated together, so a dependent of several is
/// invalidated once. Returns the invalidations made, in name order.
pub fn check_all(
    store: &LocalStore,
    only: Option<&[CacheName]>,
) -> Result<Vec<(CacheName, Invalidation)>> {
    let mut bound = Vec::new();
    for (name, binding) in bindings::all(store)? {
        let cache = CacheName::new(&name)?;
        if only.is_none_or(|only| only.contains(&cache)) {
            bound.push((cache, binding));
        }
    }
    check_bound(store, bound)
}

fn check_bound(
    store: &LocalStore,
    bound: Vec<(CacheName, Binding)>,
) -> Result<Vec<(CacheName, Invalidation)>> {
    let skip = store_dir(store);
    let mut changes: Vec<Change> = Vec::new();
    for (cache, binding) in bound {
        let scan = Scan::of(&compile_all(&binding.patterns)?, &skip, &mut |_, _| {});
        if !scan.matches(&binding.fingerprint) {
            changes.push((cache, binding.patterns, scan.fingerprint()));
        }
    }
    bindings::invalidate_changed(store, changes)
}
