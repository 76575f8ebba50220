//! Checking bindings without a watcher: compare the bound files' fingerprint
//! with the recorded one, and invalidate (with the full cascade) on a change.

use std::path::PathBuf;

use crate::error::Result;
use crate::name::CacheName;
use crate::store::{Invalidation, Store};
use crate::watch::bindings::{Binding, Finding};
use crate::watch::fingerprint::{Scan, Verdict};
use crate::watch::pattern::{canonical_or_same, compile_all};

/// How many times a check compares again after another process recorded a
/// newer fingerprint first; the last time records its own finding regardless.
const ATTEMPTS: usize = 4;

/// Checks one cache's bound files: if they changed since the last fingerprint,
/// invalidates the cache and its dependents, records the new fingerprint and
/// returns what was invalidated. A cache without bindings costs one manifest
/// read.
pub fn check_cache(store: &dyn Store, cache: &CacheName) -> Result<Option<Invalidation>> {
    let Some(binding) = store.binding(cache)? else {
        return Ok(None);
    };
    let done = check_bound(store, vec![(cache.clone(), binding)])?;
    Ok(done
        .into_iter()
        .next()
        .map(|(_, invalidation)| invalidation))
}

/// What `--check-bindings` does before a read: [`check_cache`], unless the
/// cache's own setting makes the read check anyway (one check, not two).
pub fn check_before_read(store: &dyn Store, cache: &CacheName) -> Result<()> {
    let checks_itself = store
        .settings(cache)?
        .is_some_and(|settings| settings.check_bindings);
    if !checks_itself {
        check_cache(store, cache)?;
    }
    Ok(())
}

/// What a scan of bound files leaves out: the store's own directory (its
/// writes are no change), or, for a store without one, nothing (no path has
/// a NUL in it).
pub(crate) fn scan_skip(store: &dyn Store) -> PathBuf {
    store
        .directory()
        .map_or_else(|| PathBuf::from("\0"), canonical_or_same)
}

/// Checks the given caches (every bound cache with `None`) in one pass: the
/// changed ones are invalidated together, so a dependent of several is
/// invalidated once. Returns the invalidations made, in name order.
pub fn check_all(
    store: &dyn Store,
    only: Option<&[CacheName]>,
) -> Result<Vec<(CacheName, Invalidation)>> {
    check_bound(
        store,
        bound(store, |cache| only.is_none_or(|o| o.contains(cache)))?,
    )
}

/// The bound caches that `wanted` picks, with their bindings.
fn bound(
    store: &dyn Store,
    wanted: impl Fn(&CacheName) -> bool,
) -> Result<Vec<(CacheName, Binding)>> {
    let mut bound = Vec::new();
    for (name, binding) in store.bindings()? {
        let cache = CacheName::new(&name)?;
        if wanted(&cache) {
            bound.push((cache, binding));
        }
    }
    Ok(bound)
}

/// Scans and compares each cache, records what changed or settled, and
/// compares again those for which another process recorded first.
fn check_bound(
    store: &dyn Store,
    mut bound: Vec<(CacheName, Binding)>,
) -> Result<Vec<(CacheName, Invalidation)>> {
    let skip = scan_skip(store);
    let mut done = Vec::new();
    for attempt in 1..=ATTEMPTS {
        let mut findings = Vec::new();
        for (cache, compared) in bound {
            let scan = Scan::of(&compile_all(&compared.patterns)?, &skip, &mut |_, _| {});
            let (fingerprint, changed) = match scan.compare(&compared.fingerprint) {
                Verdict::Unchanged => continue,
                Verdict::Settled(fingerprint) => (fingerprint, false),
                Verdict::Changed(fingerprint) => (fingerprint, true),
            };
            findings.push(Finding {
                cache,
                compared,
                fingerprint,
                changed,
            });
        }
        let recorded = store.record_findings(findings, attempt == ATTEMPTS)?;
        done.extend(recorded.invalidated);
        if recorded.outdated.is_empty() || attempt == ATTEMPTS {
            break;
        }
        bound = self::bound(store, |cache| recorded.outdated.contains(cache))?;
    }
    done.sort_by(|(a, _), (b, _)| a.cmp(b));
    Ok(done)
}
