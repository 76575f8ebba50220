//! `repair --manifest`: rebuilds a store's manifest that no longer reads back
//! (or is missing while cache directories remain) from what survives: the
//! frames of it still whole, and the cache directories. Safety comes first: no
//! entry invalidated before the damage may be served again, so when the
//! invalidation floors (or the file bindings, whose checks would have
//! invalidated entries) are lost, every cache is invalidated. The damaged file
//! goes to `STORE/quarantine/`, never deleted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::local::LocalStore;
use crate::local::fsutil::{self, Placement};
use crate::local::inspect::problem::Problem;
use crate::local::inspect::repair::QUARANTINE;
use crate::local::inspect::scan;
use crate::local::inspect::target::{self, Numbered};
use crate::local::manifest::{Invalidated, Manifest, Salvage};
use crate::local::record::Op;
use crate::name::CacheName;
use crate::store::CacheSettings;

/// How far the epoch jumps when the damage took the old one with it: past any
/// token handed out before (each invalidation advances the epoch by one).
const EPOCH_JUMP: u64 = 1 << 32;

/// A manifest that does not read back: its bytes (none when it is missing or
/// not a regular file) and what is wrong.
pub struct Damaged {
    bytes: Vec<u8>,
    regular: bool,
    pub problem: Problem,
}

/// The store's manifest (the empty one when there is none and no cache
/// directory either), or what is wrong with it.
pub fn read_manifest(store: &LocalStore) -> Result<Result<Manifest, Damaged>> {
    let path = store.manifest_path();
    let damaged = |bytes, regular, problem| {
        Ok(Err(Damaged {
            bytes,
            regular,
            problem,
        }))
    };
    match fsutil::check_regular(&path) {
        Ok(()) => {
            let bytes = fsutil::read(&path)?;
            match Manifest::decode(&bytes, &path) {
                Ok(manifest) => Ok(Ok(manifest)),
                Err(e @ Error::Corrupt { .. }) => damaged(bytes, true, e.into()),
                Err(e) => Err(e),
            }
        }
        Err(e) if e.is_not_found() => match directories(store)?.is_empty() {
            true => Ok(Ok(Manifest::default())),
            // A new store's first cache writes the manifest before its directory.
            false if path.exists() => read_manifest(store),
            false => damaged(
                Vec::new(),
                false,
                Problem::file(&path, "missing, but cache directories remain"),
            ),
        },
        Err(e @ Error::Corrupt { .. }) => damaged(Vec::new(), false, e.into()),
        Err(e) => Err(e),
    }
}

/// What rebuilding the manifest did.
#[derive(Debug)]
pub struct Recovery {
    /// What was wrong with the manifest.
    pub damage: Problem,
    /// Where the damaged manifest went (nothing, when there was no file).
    pub quarantined: Option<PathBuf>,
    /// The parts of the manifest read back whole, and those lost.
    pub kept: Vec<&'static str>,
    pub lost: Vec<&'static str>,
    /// Caches known only by their directories, given default settings.
    pub found: Vec<String>,
    pub caches: usize,
    pub epoch: u64,
    /// Every cache was invalidated at `epoch`.
    pub invalidated_all: bool,
}

/// Rebuilds the manifest under the store lock when it does not read back;
/// `None` when it is sound (nothing changes).
pub fn recover_manifest(store: &LocalStore) -> Result<Option<Recovery>> {
    if read_manifest(store)?.is_ok() {
        return Ok(None); // without the lock, which would make a missing store
    }
    store.rebuild_manifest(|| {
        let damaged = match read_manifest(store)? {
            Ok(_) => return Ok(None),
            Err(damaged) => damaged,
        };
        let directories = directories(store)?;
        let salvage = Manifest::salvage(&damaged.bytes);
        let (manifest, mut recovery) = rebuild(salvage, &directories, damaged.problem)?;
        let folder = store.root().join(QUARANTINE);
        let path = store.manifest_path();
        recovery.quarantined = match (damaged.regular, path.symlink_metadata().is_ok()) {
            (true, _) => Some(fsutil::quarantine(&folder, &path, Placement::Copy)?),
            (false, true) => Some(fsutil::quarantine(&folder, &path, Placement::Move)?),
            (false, false) => None,
        };
        Ok(Some((manifest, recovery)))
    })
}

/// The manifest made of what was salvaged and the directories found.
fn rebuild(
    salvage: Salvage,
    directories: &BTreeMap<String, (PathBuf, bool)>,
    damage: Problem,
) -> Result<(Manifest, Recovery)> {
    // The volatile folder as recorded, else the one the volatile caches were found in.
    let found_folder = directories
        .values()
        .find(|(_, volatile)| *volatile)
        .and_then(|(dir, _)| dir.parent().map(Path::to_path_buf));
    let mut manifest = Manifest {
        runtime: salvage.runtime.clone().or(found_folder),
        ..Manifest::default()
    };
    let mut recovery = Recovery {
        damage,
        quarantined: None,
        kept: Vec::new(),
        lost: Vec::new(),
        found: Vec::new(),
        caches: 0,
        epoch: 0,
        invalidated_all: false,
    };
    let mut part = |whole: bool, what: &'static str| match whole {
        true => recovery.kept.push(what),
        false => recovery.lost.push(what),
    };
    part(
        salvage.store_fields.is_some(),
        "the store's default autosync rules and epoch",
    );
    part(
        salvage.caches.is_some(),
        "every cache's settings and invalidation floors",
    );
    part(salvage.graph.is_some(), "the dependencies between caches");
    part(salvage.bindings.is_some(), "the file bindings");
    let old_epoch = salvage.store_fields.map(|(autosync, epoch)| {
        manifest.autosync = autosync;
        epoch
    });
    let invalidated_all = salvage.caches.is_none() || salvage.bindings.is_none();
    match salvage.caches {
        Some(table) => {
            for (name, (settings, floors)) in table {
                if floors != Invalidated::default() {
                    manifest.invalidated.insert(name.clone(), floors);
                }
                manifest.caches.insert(name, settings);
            }
        }
        None => {
            for (name, (_, volatile)) in directories {
                let settings = CacheSettings {
                    volatile: *volatile,
                    ..CacheSettings::default()
                };
                manifest.caches.insert(name.clone(), settings);
                recovery.found.push(name.clone());
            }
        }
    }
    let named = |cache: &str| manifest.caches.contains_key(cache);
    if let Some(graph) = salvage.graph {
        let mut kept = Graph::default();
        for (root, dependent) in graph.edges().filter(|(r, d)| named(r) && named(d)) {
            // A part of an acyclic graph closes no cycle.
            let _ = kept.add(root, dependent);
        }
        manifest.graph = kept;
    }
    if let Some(mut bindings) = salvage.bindings {
        bindings.retain(|cache, _| named(cache));
        manifest.bindings = bindings;
    }
    let highest = highest_epoch(directories.values().map(|(dir, _)| dir.as_path()))?.max(
        manifest
            .invalidated
            .values()
            .map(Invalidated::latest)
            .max()
            .unwrap_or(0),
    );
    let base = old_epoch
        .unwrap_or_else(|| highest.saturating_add(EPOCH_JUMP))
        .max(highest);
    manifest.epoch = match invalidated_all {
        true => base.saturating_add(1),
        false => base,
    };
    if invalidated_all {
        for name in manifest.caches.keys() {
            let floors = manifest.invalidated.entry(name.clone()).or_default();
            floors.hard = manifest.epoch;
        }
    }
    recovery.caches = manifest.caches.len();
    recovery.epoch = manifest.epoch;
    recovery.invalidated_all = invalidated_all;
    Ok((manifest, recovery))
}

/// The cache directories present, by name: persistent ones under `caches/`
/// and volatile ones in the runtime folder (`true`), each with its path.
fn directories(store: &LocalStore) -> Result<BTreeMap<String, (PathBuf, bool)>> {
    let mut found = BTreeMap::new();
    let volatile = match store.volatile_root() {
        Some(root) => target::cache_dirs(&root)?,
        None => Vec::new(),
    };
    let persistent = target::store_caches(store.root())?;
    for (dir, is_volatile) in volatile
        .into_iter()
        .map(|dir| (dir, true))
        .chain(persistent.into_iter().map(|dir| (dir, false)))
    {
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        if CacheName::new(&name).is_ok() {
            found.insert(name.into_owned(), (dir, is_volatile));
        }
    }
    Ok(found)
}

/// The highest epoch any readable record of these cache directories carries,
/// damaged files read as far as they can be (a later `repair` may salvage
/// what a reader skips), snapshots' floors included.
fn highest_epoch<'a>(dirs: impl Iterator<Item = &'a Path>) -> Result<u64> {
    let mut highest = 0;
    for dir in dirs {
        for file in target::record_files(dir)? {
            match file.kind {
                Numbered::Snapshot => {
                    let scan = scan::snapshot(&file.path, |_, _, entry| {
                        highest = highest.max(entry.epoch);
                        Ok(())
                    })?;
                    if let Some(snapshot) = scan.opened {
                        highest = highest.max(snapshot.header.invalid_before);
                    }
                }
                Numbered::Journal => {
                    scan::journal(&file.path, |_, _, op| {
                        if let Op::Set(entry) = op {
                            highest = highest.max(entry.epoch);
                        }
                        Ok(())
                    })?;
                }
            }
        }
    }
    Ok(highest)
}
