//! Dependencies and invalidation in the local store. Whole caches are
//! invalidated by epochs in the manifest: one atomic file write for a cascade of
//! any size, whatever the entry counts. Invalidating some keys of a cache writes
//! records for those keys, after its dependents are invalidated, so a crash never
//! leaves a dependent valid while its root's keys are gone.

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::local::manifest::{Freshness, Manifest};
use crate::local::record::Op;
use crate::local::{LocalStore, check_folder, move_aside, remove_aside, unknown_cache};
use crate::name::CacheName;
use crate::store::{CacheSettings, InvalidateOptions, Invalidation, KeySelector};

impl LocalStore {
    pub(super) fn add_edges(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        // Refuse a cycle before touching the disk (the store may not exist yet).
        self.read_manifest()?.graph.add_all(root, dependents)?;
        self.update_manifest(|manifest| {
            for name in std::iter::once(root).chain(dependents) {
                if !manifest.caches.contains_key(name.as_str()) {
                    self.add_cache(manifest, name, CacheSettings::default())?;
                }
            }
            manifest.graph.add_all(root, dependents)
        })
    }

    pub(super) fn remove_edges(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        let manifest = self.read_manifest()?;
        for name in std::iter::once(root).chain(dependents) {
            require(&manifest, name)?;
        }
        self.update_manifest(|manifest| Ok(manifest.graph.remove_all(root, dependents)))
    }

    pub(super) fn read_graph(&self) -> Result<Graph> {
        Ok(self.read_manifest()?.graph)
    }

    /// Drops a cache: under the store lock, the manifest forgets it and its
    /// directory is moved aside, so a `create` of the same name can never meet
    /// the old files; the files are deleted after. A volatile cache in a folder
    /// that fails [`check_folder`] is forgotten, its folder left alone; with
    /// the last volatile cache, the store forgets where they lived.
    pub(super) fn drop_with_edges(&self, cache: &CacheName, force: bool) -> Result<()> {
        require(&self.read_manifest()?, cache)?;
        let lock = self.store_lock()?;
        let mut manifest = self.read_manifest()?;
        let dependents: Vec<&str> = manifest.graph.dependents(cache.as_str()).collect();
        if !dependents.is_empty() && !force {
            return Err(Error::HasDependents {
                cache: cache.to_string(),
                dependents: dependents.iter().map(|d| d.to_string()).collect(),
            });
        }
        manifest.graph.remove_cache(cache.as_str());
        manifest.invalidated.remove(cache.as_str());
        manifest.bindings.remove(cache.as_str());
        let settings = manifest
            .caches
            .remove(cache.as_str())
            .ok_or_else(|| unknown_cache(cache))?;
        let dir = self.cache_dir(cache, &settings, manifest.runtime.as_deref());
        if !manifest.caches.values().any(|settings| settings.volatile) {
            // The next first volatile cache picks its folder anew.
            manifest.runtime = None;
        }
        // A volatile cache whose folder is not this user's private one (taken
        // by someone else after a reboot) is only forgotten: nothing in that
        // folder is touched, and the store is rid of a cache no one can use.
        let reachable = check_folder(&settings, &dir, false).is_ok();
        self.write_manifest(&manifest)?;
        let aside = match reachable && dir.path().exists() {
            true => Some(move_aside(dir.path())?),
            false => None,
        };
        drop(lock);
        aside.map_or(Ok(()), remove_aside)
    }

    pub(super) fn invalidate_caches(
        &self,
        caches: &[CacheName],
        options: &InvalidateOptions,
    ) -> Result<Invalidation> {
        let manifest = self.read_manifest()?;
        for cache in caches {
            require(&manifest, cache)?;
        }
        let plan = |manifest: &Manifest| -> Vec<String> {
            match options.cascade {
                true => manifest.graph.cascade(caches.iter().map(CacheName::as_str)),
                false => dedup(caches.iter().map(|c| c.to_string())),
            }
        };
        let mut report = Invalidation {
            caches: names(plan(&manifest))?,
            keys: 0,
            epoch: manifest.epoch,
        };
        if options.dry_run {
            if let Some(filter) = &options.keys {
                for cache in caches {
                    report.keys += self.matching_keys(cache, filter)?.len() as u64;
                }
            }
            return Ok(report);
        }
        // One manifest write records the whole invalidation: whole caches get a
        // new floor; caches losing some keys get a marker that refuses writes
        // conditional on older tokens. Only then do the keys go, so a dependent
        // is never left valid after its root changed.
        let keys_only = |manifest: &Manifest| keys_only(manifest, caches, options);
        report.epoch = self.update_manifest(|manifest| {
            manifest.epoch += 1;
            let epoch = manifest.epoch;
            let keys_only = keys_only(manifest);
            for name in plan(manifest) {
                let invalidated = manifest.invalidated.entry(name.clone()).or_default();
                match (keys_only.contains(&name), options.soft) {
                    (true, _) => invalidated.keys = epoch,
                    (false, true) => invalidated.soft = epoch,
                    (false, false) => invalidated.hard = epoch,
                }
            }
            Ok(epoch)
        })?;
        if let Some(filter) = &options.keys {
            for cache in keys_only(&self.read_manifest()?) {
                report.keys +=
                    self.invalidate_keys(&CacheName::new(&cache)?, filter, options.soft)?;
            }
        }
        Ok(report)
    }

    /// The live keys of a cache that `filter` accepts.
    fn matching_keys(&self, name: &CacheName, filter: &KeySelector) -> Result<Vec<Vec<u8>>> {
        use crate::store::Store;
        Ok(self
            .keys(name)?
            .into_iter()
            .filter(|k| filter.matches(k))
            .collect())
    }

    /// Deletes (or, soft, marks stale) the entries whose keys `filter` accepts.
    fn invalidate_keys(&self, name: &CacheName, filter: &KeySelector, soft: bool) -> Result<u64> {
        let cache = self.existing(name)?;
        let now = self.clock.now_ms();
        let mut writer = cache.dir.writer(now)?;
        let view = writer.view()?;
        let mut ops = Vec::new();
        view.for_each_entry(&view.overlay()?, |entry| {
            if !filter.matches(&entry.key) {
                return Ok(());
            }
            match (cache.invalidated.judge(&entry, now), soft) {
                (Freshness::Invalid, _) | (Freshness::Stale, true) => {}
                (_, false) => ops.push(Op::Del(entry.key)),
                (Freshness::Fresh, true) => ops.push(Op::Set(crate::entry::Entry {
                    stale: true,
                    ..entry
                })),
            }
            Ok(())
        })?;
        for chunk in ops.chunks(4096) {
            writer.append(chunk, cache.settings.durable)?;
        }
        let count = ops.len() as u64;
        self.settle(&cache, writer);
        Ok(count)
    }
}

/// With a key filter, the named caches that lose only those keys: those no other
/// named cache leads to. Every other cache in the cascade goes whole.
fn keys_only(
    manifest: &Manifest,
    caches: &[CacheName],
    options: &InvalidateOptions,
) -> Vec<String> {
    if options.keys.is_none() {
        return Vec::new();
    }
    let downstream_of_another = |name: &CacheName| {
        caches.iter().filter(|other| *other != name).any(|other| {
            manifest
                .graph
                .cascade([other.as_str()])
                .iter()
                .any(|c| c == name.as_str())
        })
    };
    dedup(
        caches
            .iter()
            .filter(|name| !options.cascade || !downstream_of_another(name))
            .map(|name| name.to_string()),
    )
}

fn require(manifest: &Manifest, cache: &CacheName) -> Result<()> {
    match manifest.caches.contains_key(cache.as_str()) {
        true => Ok(()),
        false => Err(unknown_cache(cache)),
    }
}

fn dedup(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    names.filter(|n| seen.insert(n.clone())).collect()
}

fn names(list: Vec<String>) -> Result<Vec<CacheName>> {
    list.iter().map(|n| CacheName::new(n)).collect()
}
