//! A cache's bindings as the manifest keeps them, and the store operations on
//! them: bind, unbind, read, and record what scans found (invalidating the
//! changed caches) in one manifest write.
//!
//! Scans run outside the store lock, so a finding is recorded only if the
//! cache's binding is still the one the scan was compared with: a
//! compare-and-swap. Otherwise another process (a watcher, a check, a read)
//! recorded first, and the caller compares again with what it recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::local::manifest::Manifest;
use crate::local::{LocalStore, fsutil, unknown_cache};
use crate::name::CacheName;
use crate::store::{CacheSettings, Invalidation, Store};
use crate::watch::fingerprint::{Fingerprint, Scan};
use crate::watch::pattern::{Pattern, canonical_or_same, compile_all};

/// The paths a cache is bound to, and their fingerprint when it was last
/// invalidated, checked or bound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// Sorted and free of duplicates.
    pub patterns: Vec<Pattern>,
    /// The bound files' state when the cache was last checked.
    pub fingerprint: Fingerprint,
}

/// What `bind` or `unbind` did.
#[derive(Debug, Default)]
pub struct Rebound {
    /// The patterns added or removed.
    pub changed: Vec<Pattern>,
    /// The cache's invalidation (with its dependents), when its bound files
    /// had changed since they were last fingerprinted.
    pub invalidation: Option<Invalidation>,
}

/// What a scan found for one bound cache.
#[derive(Debug)]
pub struct Finding {
    /// The bound cache.
    pub cache: CacheName,
    /// The binding the scan was compared with, as it was read.
    pub compared: Binding,
    /// The fingerprint to record.
    pub fingerprint: Fingerprint,
    /// Whether the files changed (else the new fingerprint only spares later
    /// comparisons reading racy files).
    pub changed: bool,
}

/// What [`record`] did.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Each changed cache with its own cascade, in the order found.
    pub invalidated: Vec<(CacheName, Invalidation)>,
    /// Changed caches whose binding was no longer the one compared with:
    /// compare again with the one stored now.
    pub outdated: Vec<CacheName>,
}

/// The store's directory, made canonical as bound paths are: what every scan
/// leaves out.
pub fn store_dir(store: &LocalStore) -> PathBuf {
    canonical_or_same(store.root())
}

/// Binds `cache` to more paths, creating the cache if needed.
pub fn bind(store: &LocalStore, cache: &CacheName, patterns: &[Pattern]) -> Result<Rebound> {
    let store_dir = store_dir(store);
    if let Some(inside) = patterns.iter().find(|p| p.base().starts_with(&store_dir)) {
        return Err(Error::usage_with_hint(
            format!("cannot bind a path inside the store: {inside}"),
            "the store's own files change with every write; bind the files a cache mirrors",
        ));
    }
    store.create(cache, &CacheSettings::default(), true)?;
    rebind(store, cache, |current| with_added(current, patterns))
}

/// `current` with `patterns` added (those naming a path already bound
/// left out), sorted, and the patterns added.
pub(crate) fn with_added(
    current: &[Pattern],
    patterns: &[Pattern],
) -> (Vec<Pattern>, Vec<Pattern>) {
    let mut added: Vec<Pattern> = Vec::new();
    for pattern in patterns {
        if !current.iter().chain(&added).any(|p| p.same_path(pattern)) {
            added.push(pattern.clone());
        }
    }
    let mut all = [current, &added[..]].concat();
    all.sort();
    (all, added)
}

/// `current` without the patterns naming the paths `patterns` name (all of
/// them with `None`), and the patterns removed.
pub(crate) fn without(
    current: &[Pattern],
    patterns: Option<&[Pattern]>,
) -> (Vec<Pattern>, Vec<Pattern>) {
    let gone = |p: &Pattern| patterns.is_none_or(|named| named.iter().any(|n| n.same_path(p)));
    current.iter().cloned().partition(|p| !gone(p))
}

/// Removes the bindings whose paths `patterns` name, whatever kind either was
/// named as (all of them with `None`).
pub fn unbind(
    store: &LocalStore,
    cache: &CacheName,
    patterns: Option<&[Pattern]>,
) -> Result<Rebound> {
    rebind(store, cache, |current| without(current, patterns))
}

/// Applies `edit` (current patterns -> the new ones and those changed) under
/// the store lock. A change the old patterns show since their fingerprint is
/// acted on in the same manifest write, so a rebinding never hides one.
fn rebind(
    store: &LocalStore,
    cache: &CacheName,
    edit: impl Fn(&[Pattern]) -> (Vec<Pattern>, Vec<Pattern>),
) -> Result<Rebound> {
    let current = of(store, cache)?.map(|b| b.patterns).unwrap_or_default();
    if store.find(cache)?.is_none() {
        return Err(unknown_cache(cache));
    }
    if edit(&current).1.is_empty() {
        return Ok(Rebound::default());
    }
    let skip = store_dir(store);
    store.update_manifest(|manifest| {
        if !manifest.caches.contains_key(cache.as_str()) {
            return Err(unknown_cache(cache));
        }
        let old = manifest.bindings.get(cache.as_str());
        let Some(Rebinding {
            new,
            changed,
            old_changed,
        }) = plan_rebind(old, &edit, &skip)?
        else {
            return Ok(Rebound::default());
        };
        let invalidation = match old_changed {
            true => invalidate_in(manifest, std::slice::from_ref(cache))?.pop(),
            false => None,
        };
        match new {
            None => manifest.bindings.remove(cache.as_str()),
            Some(binding) => manifest.bindings.insert(cache.to_string(), binding),
        };
        Ok(Rebound {
            changed,
            invalidation: invalidation.map(|(_, inv)| inv),
        })
    })
}

/// An edit of a binding's patterns: the current ones -> the new ones and
/// those changed.
pub(crate) type Edit<'a> = dyn Fn(&[Pattern]) -> (Vec<Pattern>, Vec<Pattern>) + 'a;

/// What a rebinding comes to.
pub(crate) struct Rebinding {
    /// The new binding (`None`: no pattern is left).
    pub new: Option<Binding>,
    /// The patterns added or removed.
    pub changed: Vec<Pattern>,
    /// Whether the old binding's files changed since its fingerprint.
    pub old_changed: bool,
}

/// Applies `edit` (current patterns -> the new ones and those changed) to
/// `old`, scanning old and new patterns (leaving out `skip`); `None` when
/// nothing changes.
pub(crate) fn plan_rebind(
    old: Option<&Binding>,
    edit: &Edit<'_>,
    skip: &Path,
) -> Result<Option<Rebinding>> {
    let old_patterns = old.map_or(&[][..], |b| &b.patterns[..]);
    let (patterns, changed) = edit(old_patterns);
    if changed.is_empty() {
        return Ok(None);
    }
    let mut scanned = [old_patterns, &patterns].concat();
    scanned.sort();
    scanned.dedup();
    let scan = Scan::of(&compile_all(&scanned)?, skip, &mut |_, _| {});
    let old_changed = old.is_some_and(|old| !scan.subset(&old.patterns).matches(&old.fingerprint));
    let new = (!patterns.is_empty()).then(|| Binding {
        fingerprint: scan.subset(&patterns).fingerprint(),
        patterns,
    });
    Ok(Some(Rebinding {
        new,
        changed,
        old_changed,
    }))
}

/// Every cache's bindings.
pub fn all(store: &LocalStore) -> Result<BTreeMap<String, Binding>> {
    Ok(store.read_manifest()?.bindings)
}

/// One cache's bindings, decoding only the manifest's bindings frame.
pub fn of(store: &LocalStore, cache: &CacheName) -> Result<Option<Binding>> {
    let path = store.manifest_path();
    match fsutil::read_optional(&path)? {
        Some(bytes) => Manifest::find_binding(&bytes, &path, cache.as_str()),
        None => Ok(None),
    }
}

/// Records the findings whose cache is still bound as compared (with
/// `force`, a change is recorded if the patterns are), in one manifest write
/// (none when nothing is recorded): the changed caches are invalidated with
/// all their dependents, each dependent once, in one new epoch. A finding
/// that only refreshes a fingerprint is dropped when outdated.
pub fn record(store: &LocalStore, findings: Vec<Finding>, force: bool) -> Result<Recorded> {
    if findings.is_empty() {
        return Ok(Recorded::default());
    }
    let mut outdated = Vec::new();
    let invalidated = store.update_manifest_if(|manifest| {
        let mut current = Vec::new();
        for finding in findings {
            let stored = manifest.bindings.get(finding.cache.as_str());
            let still = stored.is_some_and(|stored| {
                let forced = force && finding.changed;
                match forced {
                    true => stored.patterns == finding.compared.patterns,
                    false => *stored == finding.compared,
                }
            });
            match (still, finding.changed) {
                (true, _) => current.push(finding),
                (false, true) if stored.is_some() => outdated.push(finding.cache),
                (false, _) => {}
            }
        }
        if current.is_empty() {
            return Ok(None);
        }
        let roots: Vec<CacheName> = (current.iter())
            .filter(|f| f.changed)
            .map(|f| f.cache.clone())
            .collect();
        let done = match roots.is_empty() {
            true => Vec::new(),
            false => invalidate_in(manifest, &roots)?,
        };
        for finding in current {
            if let Some(binding) = manifest.bindings.get_mut(finding.cache.as_str()) {
                binding.fingerprint = finding.fingerprint;
            }
        }
        Ok(Some(done))
    })?;
    Ok(Recorded {
        invalidated: invalidated.unwrap_or_default(),
        outdated,
    })
}

/// Invalidates `roots` and their dependents in the manifest being changed.
fn invalidate_in(
    manifest: &mut Manifest,
    roots: &[CacheName],
) -> Result<Vec<(CacheName, Invalidation)>> {
    let cascade = |roots: &[&str]| -> Result<Vec<CacheName>> {
        let names = manifest.graph.cascade(roots.iter().copied());
        names.iter().map(|name| CacheName::new(name)).collect()
    };
    let all: Vec<&str> = roots.iter().map(CacheName::as_str).collect();
    let every = cascade(&all)?;
    let each = roots
        .iter()
        .map(|root| Ok((root.clone(), cascade(&[root.as_str()])?)))
        .collect::<Result<Vec<_>>>()?;
    let epoch = manifest.invalidate_hard(every.iter().map(CacheName::as_str));
    Ok(each
        .into_iter()
        .map(|(root, caches)| {
            let invalidation = Invalidation {
                caches,
                keys: 0,
                epoch,
            };
            (root, invalidation)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::pattern::Kind;

    #[test]
    fn bindings_live_in_the_manifest_beside_the_caches() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("store"));
        let cache = CacheName::new("cfg").unwrap();
        let file = dir.path().join("a.conf");
        let pattern = Pattern {
            kind: Kind::File,
            path: file.to_str().unwrap().as_bytes().to_vec(),
        };
        let rebound = bind(&store, &cache, &[pattern.clone(), pattern.clone()]).unwrap();
        assert_eq!(rebound.changed, std::slice::from_ref(&pattern));
        let binding = of(&store, &cache).unwrap().unwrap();
        assert_eq!(binding.patterns, std::slice::from_ref(&pattern));
        assert_eq!(binding.fingerprint.files, 0);
        assert_eq!(store.read_manifest().unwrap().bindings["cfg"], binding);
        assert!(store.find(&cache).unwrap().is_some());
        let as_dir = Pattern {
            kind: Kind::Dir,
            ..pattern
        };
        let rebound = unbind(&store, &cache, Some(&[as_dir])).unwrap();
        assert_eq!(rebound.changed.len(), 1, "matched by path, not by kind");
        assert_eq!(of(&store, &cache).unwrap(), None);
    }

    #[test]
    fn a_finding_is_recorded_only_while_the_binding_is_the_one_compared() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path().join("store"));
        let cache = CacheName::new("cfg").unwrap();
        let file = dir.path().join("a.conf");
        let pattern = Pattern::resolve(file.as_os_str(), dir.path()).unwrap();
        bind(&store, &cache, &[pattern]).unwrap();
        let compared = of(&store, &cache).unwrap().unwrap();
        std::fs::write(&file, "new").unwrap();
        // Two processes scan the same change before either records it.
        let found = || {
            let compiled = compile_all(&compared.patterns).unwrap();
            let scan = Scan::of(&compiled, &store_dir(&store), &mut |_, _| {});
            Finding {
                cache: cache.clone(),
                compared: compared.clone(),
                fingerprint: scan.fingerprint(),
                changed: true,
            }
        };
        let (first, second) = (found(), found());
        let epoch = store.epoch().unwrap();
        let recorded = record(&store, vec![first], false).unwrap();
        assert_eq!(recorded.invalidated.len(), 1);
        assert_eq!(store.epoch().unwrap(), epoch + 1);
        let manifest = std::fs::metadata(store.manifest_path()).unwrap();
        let recorded = record(&store, vec![second], false).unwrap();
        assert!(
            recorded.invalidated.is_empty(),
            "invalidated once, not twice"
        );
        assert_eq!(recorded.outdated, vec![cache.clone()]);
        assert_eq!(store.epoch().unwrap(), epoch + 1);
        let after = std::fs::metadata(store.manifest_path()).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            after.ino(),
            manifest.ino(),
            "nothing recorded, nothing written"
        );
        let forced = record(&store, vec![found()], true).unwrap();
        assert_eq!(forced.invalidated.len(), 1, "force records regardless");
    }
}
