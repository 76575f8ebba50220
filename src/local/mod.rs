//! The local directory store: one directory per cache under `caches/`, a manifest
//! of settings, and the engine files described in `docs/format.md`.

mod atomic;
mod bindings;
pub mod blob;
pub mod cache;
pub mod counters;
pub mod gc;
pub mod generation;
pub mod head;
pub mod inspect;
mod invalidate;
pub mod journal;
pub mod kept_writer;
mod lasting;
pub mod lock;
pub mod manifest;
pub mod merge;
mod ops;
pub mod reclaim;
pub mod record;
pub mod snapshot;
pub mod spool;
pub mod stats;
pub mod transfer;
mod volatile;

// The neutral file primitives and formats the engine builds on, under the
// names the engine has always used.
pub use crate::files::{codec, document, format, frame, fsutil, temp, trusted};

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::autosync::Autosync;
use crate::clock::{Clock, SystemClock, unique_suffix};
use crate::error::{Error, IoContext, Result};
use crate::local::cache::CacheDir;
use crate::local::generation::Changing;
use crate::local::manifest::{CacheRecord, Invalidated, Manifest};
use crate::name::CacheName;
use crate::store::CacheSettings;

/// Values longer than this go to blob files instead of inside records.
pub const INLINE_MAX: usize = 4 << 10;

/// A store kept in a local directory.
#[warn(missing_docs)]
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    /// Sync inside a write when one is due (the library default); the CLI turns
    /// this off and starts a background sync instead.
    inline_sync: bool,
    /// Count hits and misses of `get` in each cache's counters file.
    counting: bool,
    clock: Arc<dyn Clock>,
    /// What this handle keeps of the caches it reads, shared by its clones.
    views: Arc<lasting::Views>,
}

/// A cache found in the manifest: its settings, the autosync rules in force for
/// it, and its files.
#[derive(Debug, Clone)]
pub struct Cache {
    pub name: CacheName,
    pub settings: CacheSettings,
    pub autosync: Autosync,
    /// The store's epoch when the manifest was read: new entries are written in it.
    pub epoch: u64,
    pub invalidated: Invalidated,
    pub dir: CacheDir,
}

#[warn(missing_docs)]
impl LocalStore {
    /// A store rooted at `root`. Nothing is created until the first write.
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore {
            root: root.into(),
            inline_sync: true,
            counting: true,
            clock: Arc::new(SystemClock),
            views: Arc::default(),
        }
    }

    /// The store at `root`, refused unless it is the user's own (see
    /// [`trusted::open_root`]) and named canonically, so that no symbolic link
    /// inside it is ever followed. Checked once, here, with one `fstat`.
    pub fn open(root: impl AsRef<Path>) -> Result<LocalStore> {
        trusted::open_root(root.as_ref()).map(LocalStore::new)
    }

    /// Leaves due syncs to the caller, who sees them in
    /// [`WriteReport::sync_due`](crate::store::WriteReport::sync_due).
    pub fn with_deferred_sync(mut self) -> LocalStore {
        self.inline_sync = false;
        self
    }

    /// Leaves the hit and miss counters (and the access times eviction uses) alone.
    pub fn without_counting(mut self) -> LocalStore {
        self.counting = false;
        self
    }

    /// Reads the time from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> LocalStore {
        self.clock = clock;
        self
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The clock the store reads the time from.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The manifest file's path.
    pub fn manifest_path(&self) -> PathBuf {
        self.root.join("manifest")
    }

    /// The manifest; an empty one for a new store.
    pub fn read_manifest(&self) -> Result<Manifest> {
        let path = self.manifest_path();
        match self.manifest_bytes()? {
            Some(bytes) => Manifest::decode(&bytes, &path),
            None => Ok(Manifest::default()),
        }
    }

    /// The manifest as it stands when no change to it is under way: read
    /// under the store lock, after any cache creation in progress is done.
    pub fn read_manifest_settled(&self) -> Result<Manifest> {
        let _lock = self.store_lock()?;
        self.read_manifest()
    }

    /// The manifest file's bytes, or `None` for a new store. A missing manifest
    /// beside cache directories is damage, never a new store: reading it as
    /// one would show the caches empty and let the next write discard them.
    fn manifest_bytes(&self) -> Result<Option<Vec<u8>>> {
        let path = self.manifest_path();
        match fsutil::read_optional(&path)? {
            // A new store's first cache writes the manifest before its
            // directory: one found after the manifest was missing may be that.
            None if self.has_cache_dirs()? => match fsutil::read_optional(&path)? {
                None => Err(Error::corrupt(
                    &path,
                    0,
                    "missing, but cache directories remain in caches/",
                )),
                read => Ok(read),
            },
            read => Ok(read),
        }
    }

    /// Whether `caches/` holds a directory not hidden (as a dropped cache's is).
    fn has_cache_dirs(&self) -> Result<bool> {
        let caches = self.root.join("caches");
        for item in fsutil::dir_entries(&caches)? {
            let hidden = item.file_name().as_encoded_bytes().starts_with(b".");
            if !hidden && item.file_type().is_ok_and(|t| t.is_dir()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Changes the manifest under the store lock, atomically.
    pub fn update_manifest<T>(&self, change: impl FnOnce(&mut Manifest) -> Result<T>) -> Result<T> {
        let changed = self.update_manifest_if(|manifest| change(manifest).map(Some))?;
        Ok(changed.expect("the change always says it changed something"))
    }

    /// [`LocalStore::update_manifest`] with a change that may decide to make
    /// none (`None`): then nothing is written.
    pub fn update_manifest_if<T>(
        &self,
        change: impl FnOnce(&mut Manifest) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let _lock = self.store_lock()?;
        let mut manifest = self.read_manifest()?;
        let Some(result) = change(&mut manifest)? else {
            return Ok(None);
        };
        self.write_manifest(&manifest)?;
        Ok(Some(result))
    }

    /// Replaces the manifest under the store lock with what `rebuild` makes
    /// (nothing changes when it makes nothing). Every other change goes through
    /// [`LocalStore::update_manifest`], which needs a manifest that reads back:
    /// this is how `repair --manifest` replaces one that does not.
    pub fn rebuild_manifest<T>(
        &self,
        rebuild: impl FnOnce() -> Result<Option<(Manifest, T)>>,
    ) -> Result<Option<T>> {
        let _lock = self.store_lock()?;
        let Some((manifest, outcome)) = rebuild()? else {
            return Ok(None);
        };
        self.write_manifest(&manifest)?;
        Ok(Some(outcome))
    }

    /// The folder holding this store's volatile caches, for listings: the one
    /// the manifest records (read from a damaged manifest too, when its first
    /// frame is whole), else where an older version put them; `None` when no
    /// private folder of this user's is there.
    pub fn volatile_root(&self) -> Option<PathBuf> {
        let bytes = fsutil::read_optional(&self.manifest_path()).ok().flatten();
        let recorded = bytes.and_then(|bytes| Manifest::salvage(&bytes).runtime);
        Some(self.volatile_folder(recorded.as_deref())).filter(|root| volatile::is_private(root))
    }

    /// The volatile folder a manifest records, or, for a store that records
    /// none, the one [`volatile::default_root`] picks.
    fn volatile_folder(&self, recorded: Option<&Path>) -> PathBuf {
        recorded.map_or_else(|| volatile::default_root(&self.root), Path::to_path_buf)
    }

    /// Records (when it is the store's first) and prepares the volatile folder
    /// for a new volatile cache, under the store lock and before the manifest
    /// is written, so a folder that cannot be used refuses the creation whole.
    fn record_volatile_folder(&self, manifest: &mut Manifest) -> Result<()> {
        let root = self.volatile_folder(manifest.runtime.as_deref());
        volatile::prepare(&root, true)?;
        manifest.runtime = Some(root);
        Ok(())
    }

    /// The store lock, which every manifest change holds.
    fn store_lock(&self) -> Result<Changing> {
        fsutil::create_private_dir(&self.root)?;
        trusted::adopt(&self.root)?;
        Changing::acquire(&self.store_lock_path())
    }

    /// The store lock's file, whose generation word covers the manifest.
    pub fn store_lock_path(&self) -> PathBuf {
        self.root.join("store.lock")
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<()> {
        fsutil::write_atomic(&self.manifest_path(), &manifest.encode())
    }

    /// The directory holding a cache's files (for a volatile cache, in the
    /// folder `runtime`, the manifest's record; see [`check_folder`]).
    fn cache_dir(
        &self,
        name: &CacheName,
        settings: &CacheSettings,
        runtime: Option<&Path>,
    ) -> CacheDir {
        let parent = match settings.volatile {
            true => self.volatile_folder(runtime),
            false => self.root.join("caches"),
        };
        let path = parent.join(name.as_str());
        match settings.volatile {
            true => CacheDir::volatile(path),
            false => CacheDir::new(path),
        }
    }

    fn cache_in(&self, manifest: &Manifest, name: &CacheName) -> Option<Cache> {
        let settings = manifest.caches.get(name.as_str())?;
        let record = CacheRecord {
            settings: settings.clone(),
            invalidated: manifest.invalidated(name.as_str()),
            autosync: manifest.autosync.clone(),
            epoch: manifest.epoch,
            runtime: manifest.runtime.clone(),
        };
        Some(self.cache_from(name, record))
    }

    fn cache_from(&self, name: &CacheName, record: CacheRecord) -> Cache {
        Cache {
            name: name.clone(),
            epoch: record.epoch,
            invalidated: record.invalidated,
            autosync: record.settings.autosync.clone().unwrap_or(record.autosync),
            dir: self.cache_dir(name, &record.settings, record.runtime.as_deref()),
            settings: record.settings,
        }
    }

    /// The store's epoch, read from the manifest's first frame alone.
    pub fn current_epoch(&self) -> Result<u64> {
        let path = self.manifest_path();
        match self.manifest_bytes()? {
            Some(bytes) => Ok(Manifest::store_fields(&bytes, &path)?.1),
            None => Ok(0),
        }
    }

    /// A cache, or `None` when it does not exist. Only this cache's record of
    /// the manifest is decoded, so it costs little in a store of many caches.
    /// A volatile cache's folder is checked (see [`check_folder`]).
    pub fn find(&self, name: &CacheName) -> Result<Option<Cache>> {
        self.lookup(name, false)
    }

    /// [`LocalStore::find`], making a volatile cache's missing folder with
    /// `create` (for a write).
    fn lookup(&self, name: &CacheName, create: bool) -> Result<Option<Cache>> {
        let path = self.manifest_path();
        let Some(bytes) = self.manifest_bytes()? else {
            return Ok(None);
        };
        let Some(record) = Manifest::find(&bytes, &path, name.as_str())? else {
            return Ok(None);
        };
        let cache = self.cache_from(name, record);
        check_folder(&cache.settings, &cache.dir, create)?;
        Ok(Some(cache))
    }

    /// Every cache, sorted by name. A volatile cache's folder is not checked
    /// here: check it ([`check_folder`]) before using its files.
    pub fn caches(&self) -> Result<Vec<Cache>> {
        let manifest = self.read_manifest()?;
        let mut caches = Vec::with_capacity(manifest.caches.len());
        for name in manifest.caches.keys() {
            let name = CacheName::new(name)?;
            caches.extend(self.cache_in(&manifest, &name));
        }
        Ok(caches)
    }

    /// A cache that must exist, its folder made if it is volatile and missing.
    fn existing(&self, name: &CacheName) -> Result<Cache> {
        self.lookup(name, true)?.ok_or_else(|| unknown_cache(name))
    }

    /// A cache that exists already, or is created with default settings.
    fn existing_or_created(&self, name: &CacheName) -> Result<Cache> {
        if let Some(cache) = self.lookup(name, true)? {
            return Ok(cache);
        }
        let manifest = self.update_manifest(|manifest| {
            if !manifest.caches.contains_key(name.as_str()) {
                self.add_cache(manifest, name, CacheSettings::default())?;
            }
            Ok(manifest.clone())
        })?;
        let cache = self
            .cache_in(&manifest, name)
            .ok_or_else(|| unknown_cache(name))?;
        check_folder(&cache.settings, &cache.dir, true)?;
        Ok(cache)
    }

    /// Names a new cache in `manifest`, under the store lock, once its files
    /// are laid out (what a crash in a `drop` left under its name goes
    /// first), and with them the clock of its autosync rules started. So
    /// the manifest never names a persistent cache that has no directory:
    /// a missing one is lost, never merely not written yet.
    fn add_cache(
        &self,
        manifest: &mut Manifest,
        name: &CacheName,
        settings: CacheSettings,
    ) -> Result<()> {
        if settings.volatile {
            self.record_volatile_folder(manifest)?;
        }
        self.discard_leftovers(manifest, name)?;
        if !self.manifest_path().exists() {
            // A new store's (empty) manifest goes first: one missing beside a
            // cache directory is damage to every reader meanwhile.
            self.write_manifest(&Manifest::default())?;
        }
        self.cache_dir(name, &settings, manifest.runtime.as_deref())
            .lay_out(self.clock.now_ms())?;
        manifest.caches.insert(name.to_string(), settings);
        Ok(())
    }

    /// Removes files of a cache that is not in the manifest: what a crash in the
    /// middle of a `drop` left behind (in the volatile folder only when it is
    /// this user's and private). Runs under the store lock.
    fn discard_leftovers(&self, manifest: &Manifest, name: &CacheName) -> Result<()> {
        let persistent = self.root.join("caches").join(name.as_str());
        let folder = self.volatile_folder(manifest.runtime.as_deref());
        let volatile = volatile::is_private(&folder).then(|| folder.join(name.as_str()));
        for dir in std::iter::once(persistent).chain(volatile) {
            if dir.symlink_metadata().is_ok() {
                discard_dir(&dir)?;
            }
        }
        Ok(())
    }
}

/// Checks that a volatile cache's folder is this user's and private (with
/// `create`, making it when missing) before any of its files is read or
/// written. Listings call it per cache, so such a folder fails only its caches.
pub fn check_folder(settings: &CacheSettings, dir: &CacheDir, create: bool) -> Result<()> {
    match (settings.volatile, dir.path().parent()) {
        (true, Some(folder)) => volatile::prepare(folder, create),
        _ => Ok(()),
    }
}

pub(crate) use crate::store::unknown_cache;

/// Moves a directory aside (an atomic rename), then deletes it.
fn discard_dir(path: &Path) -> Result<()> {
    remove_aside(move_aside(path)?)
}

/// Renames a directory to a hidden name beside it, where no cache name can reach.
fn move_aside(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let aside = path.with_file_name(format!(".{name}.dropped.{}", unique_suffix()));
    fsutil::rename(path, &aside)?;
    Ok(aside)
}

fn remove_aside(aside: PathBuf) -> Result<()> {
    fs::remove_dir_all(&aside).at(&aside)
}
