//! Checking bindings without a watcher: compare the bound files' fingerprint
//! with the recorded one, and invalidate (with the full cascade) on a change.

use std::path::PathBuf;

use crate::error::Result;
use crate::local::LocalStore;
use crate::name::CacheName;
use crate::store::{InvalidateOptions, Invalidation, Store};
use crate::watch::bindings::{self, Binding};
use crate::watch::fingerprint::{Scan, now_ns};
use crate::watch::pattern::Pattern;

/// Checks one cache's bound files: if they changed since the last fingerprint,
/// invalidates the cache and its dependents, records the new fingerprint and
/// returns what was invalidated. A cache without bindings costs one manifest
/// read.
pub fn check_cache(store: &LocalStore, cache: &CacheName) -> Result<Option<Invalidation>> {
    let Some(binding) = bindings::of(store, cache)? else {
        return Ok(None);
    };
    let taken_ns = now_ns();
    let scan = scan(store, &binding.patterns)?;
    if scan.matches(&binding.fingerprint) {
        return Ok(None);
    }
    invalidate_and_record(store, cache, &binding, taken_ns, &scan).map(Some)
}

/// The bound files as they are now; the store's own files never count.
pub fn scan(store: &LocalStore, patterns: &[Pattern]) -> Result<Scan> {
    Scan::of(patterns, &store_dir(store))
}

/// The store's directory, canonical when it exists (bound paths are).
pub fn store_dir(store: &LocalStore) -> PathBuf {
    let root = store.root();
    root.canonicalize().unwrap_or(root.to_path_buf())
}

/// Checks every bound cache; returns the invalidations made, in name order.
pub fn check_all(store: &LocalStore) -> Result<Vec<(CacheName, Invalidation)>> {
    let mut done = Vec::new();
    for name in bindings::all(store)?.keys() {
        let cache = CacheName::new(name)?;
        if let Some(invalidation) = check_cache(store, &cache)? {
            done.push((cache, invalidation));
        }
    }
    Ok(done)
}

/// Invalidates a bound cache with the full cascade, then records the scan
/// (taken at `taken_ns`) as its fingerprint.
pub fn invalidate_and_record(
    store: &LocalStore,
    cache: &CacheName,
    binding: &Binding,
    taken_ns: u64,
    scan: &Scan,
) -> Result<Invalidation> {
    let options = InvalidateOptions {
        cascade: true,
        ..InvalidateOptions::default()
    };
    let invalidation = store.invalidate(std::slice::from_ref(cache), &options)?;
    bindings::record(store, cache, &binding.patterns, scan.fingerprint(taken_ns))?;
    Ok(invalidation)
}
