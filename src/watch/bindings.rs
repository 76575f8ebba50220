//! A cache's bindings as the manifest keeps them, and the store operations on
//! them: bind, unbind, read, and record a new fingerprint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::local::LocalStore;
use crate::local::fsutil;
use crate::local::manifest::Manifest;
use crate::name::CacheName;
use crate::store::{CacheSettings, Store};
use crate::watch::check;
use crate::watch::fingerprint::{Fingerprint, now_ns};
use crate::watch::pattern::Pattern;

/// The paths a cache is bound to, and their fingerprint when it was last
/// invalidated, checked or bound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// Sorted and free of duplicates.
    pub patterns: Vec<Pattern>,
    pub fingerprint: Fingerprint,
}

/// Binds `cache` to more paths (creating the cache if needed) and returns how
/// many are new. A change the old bindings show is acted on first, so adding a
/// path never hides one.
pub fn bind(store: &LocalStore, cache: &CacheName, patterns: &[Pattern]) -> Result<usize> {
    store.create(cache, &CacheSettings::default(), true)?;
    check::check_cache(store, cache)?;
    change_patterns(store, cache, |current| {
        let before = current.len();
        current.extend(patterns.iter().cloned());
        current.sort();
        current.dedup();
        Ok(current.len() - before)
    })
}

/// Removes some of a cache's bindings (all of them with `None`) and returns
/// how many it had.
pub fn unbind(
    store: &LocalStore,
    cache: &CacheName,
    patterns: Option<&[Pattern]>,
) -> Result<usize> {
    if store.settings(cache)?.is_none() {
        return Err(Error::usage_with_hint(
            format!("no cache named '{cache}'"),
            "`cacheman ls` lists the caches",
        ));
    }
    check::check_cache(store, cache)?;
    change_patterns(store, cache, |current| {
        let before = current.len();
        match patterns {
            Some(gone) => current.retain(|p| !gone.contains(p)),
            None => current.clear(),
        }
        Ok(before - current.len())
    })
}

/// Applies `change` to a cache's patterns under the store lock, with a fresh
/// fingerprint of the new set.
fn change_patterns(
    store: &LocalStore,
    cache: &CacheName,
    change: impl FnOnce(&mut Vec<Pattern>) -> Result<usize>,
) -> Result<usize> {
    store.update_manifest(|manifest| {
        let mut patterns = manifest
            .bindings
            .get(cache.as_str())
            .map(|b| b.patterns.clone())
            .unwrap_or_default();
        let changed = change(&mut patterns)?;
        if changed == 0 {
            return Ok(0);
        }
        if patterns.is_empty() {
            manifest.bindings.remove(cache.as_str());
        } else {
            let taken_ns = now_ns();
            let fingerprint = check::scan(store, &patterns)?.fingerprint(taken_ns);
            manifest.bindings.insert(
                cache.to_string(),
                Binding {
                    patterns,
                    fingerprint,
                },
            );
        }
        Ok(changed)
    })
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

/// Records a new fingerprint, unless the patterns changed meanwhile (their
/// own change recorded one).
pub fn record(
    store: &LocalStore,
    cache: &CacheName,
    patterns: &[Pattern],
    fingerprint: Fingerprint,
) -> Result<()> {
    store.update_manifest(|manifest| {
        if let Some(binding) = manifest.bindings.get_mut(cache.as_str())
            && binding.patterns == patterns
        {
            binding.fingerprint = fingerprint;
        }
        Ok(())
    })
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
        assert_eq!(
            bind(&store, &cache, &[pattern.clone(), pattern.clone()]).unwrap(),
            1
        );
        let binding = of(&store, &cache).unwrap().unwrap();
        assert_eq!(binding.patterns, std::slice::from_ref(&pattern));
        assert_eq!(binding.fingerprint.files, 0);
        assert_eq!(store.read_manifest().unwrap().bindings["cfg"], binding);
        assert!(store.find(&cache).unwrap().is_some());
        assert_eq!(unbind(&store, &cache, Some(&[pattern])).unwrap(), 1);
        assert_eq!(of(&store, &cache).unwrap(), None);
    }
}
