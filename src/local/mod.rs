//! The local directory store: one directory per cache under `caches/`, a manifest
//! of settings, and the engine files described in `docs/format.md`.

pub mod blob;
pub mod cache;
pub mod codec;
pub mod document;
pub mod format;
pub mod frame;
pub mod fsutil;
pub mod head;
pub mod journal;
pub mod manifest;
pub mod merge;
pub mod record;
pub mod snapshot;
mod volatile;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::entry::{Entry, StoredValue, now_ms};
use crate::error::{Error, IoContext, Result};
use crate::local::cache::CacheDir;
use crate::local::format::FileKind;
use crate::local::fsutil::LockGuard;
use crate::local::journal::Torn;
use crate::local::manifest::Manifest;
use crate::local::merge::SyncOutcome;
use crate::local::record::Op;
use crate::name::{CacheName, check_key};
use crate::store::{
    CacheSettings, CacheSummary, Hit, NewValue, SetOptions, Store, SyncResult, Ttl, Value,
    WriteReport,
};

/// Values longer than this go to blob files instead of inside records.
pub const INLINE_MAX: usize = 4 << 10;

/// A store kept in a local directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    /// Sync inside a write when its journal is due (the library default); the CLI
    /// turns this off and starts a background sync instead.
    inline_sync: bool,
}

impl LocalStore {
    /// A store rooted at `root`. Nothing is created until the first write.
    pub fn new(root: impl Into<PathBuf>) -> LocalStore {
        LocalStore {
            root: root.into(),
            inline_sync: true,
        }
    }

    /// Leaves due syncs to the caller, who sees them in [`WriteReport::sync_due`].
    pub fn with_deferred_sync(mut self) -> LocalStore {
        self.inline_sync = false;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn manifest_path(&self) -> PathBuf {
        self.root.join("manifest")
    }

    pub fn read_manifest(&self) -> Result<Manifest> {
        Ok(document::read(FileKind::Manifest, &self.manifest_path())?.unwrap_or_default())
    }

    /// Changes the manifest under the store lock, atomically.
    fn update_manifest<T>(&self, change: impl FnOnce(&mut Manifest) -> Result<T>) -> Result<T> {
        fsutil::create_private_dir(&self.root)?;
        let _lock = LockGuard::acquire(&self.root.join("store.lock"))?;
        let mut manifest = self.read_manifest()?;
        let result = change(&mut manifest)?;
        document::write(FileKind::Manifest, &self.manifest_path(), &manifest)?;
        Ok(result)
    }

    /// The directory holding a cache's files.
    pub fn cache_dir(&self, name: &CacheName, settings: &CacheSettings) -> Result<CacheDir> {
        let parent = if settings.volatile {
            volatile::root_for(&self.root)?
        } else {
            self.root.join("caches")
        };
        Ok(CacheDir::new(parent.join(name.as_str())))
    }

    /// A cache that must exist.
    fn existing(&self, name: &CacheName) -> Result<(CacheSettings, CacheDir)> {
        match self.read_manifest()?.caches.get(name.as_str()) {
            Some(settings) => Ok((settings.clone(), self.cache_dir(name, settings)?)),
            None => Err(unknown_cache(name)),
        }
    }

    /// A cache that exists already, or is created with default settings.
    fn existing_or_created(&self, name: &CacheName) -> Result<(CacheSettings, CacheDir)> {
        if let Some(settings) = self.read_manifest()?.caches.get(name.as_str()) {
            return Ok((settings.clone(), self.cache_dir(name, settings)?));
        }
        let settings = self.update_manifest(|manifest| {
            if let Some(settings) = manifest.caches.get(name.as_str()) {
                return Ok(settings.clone());
            }
            self.discard_leftovers(name)?;
            let settings = CacheSettings::default();
            manifest.caches.insert(name.to_string(), settings.clone());
            Ok(settings)
        })?;
        Ok((settings.clone(), self.cache_dir(name, &settings)?))
    }

    /// Removes files of a cache that is not in the manifest: what a crash in the
    /// middle of a `drop` left behind. Runs under the store lock.
    fn discard_leftovers(&self, name: &CacheName) -> Result<()> {
        let persistent = self.root.join("caches").join(name.as_str());
        let volatile = volatile::root_for(&self.root)
            .ok()
            .map(|root| root.join(name.as_str()));
        for dir in std::iter::once(persistent).chain(volatile) {
            if dir.exists() {
                discard_dir(&dir)?;
            }
        }
        Ok(())
    }

    /// Turns a finished write into a report, syncing inline when due and allowed.
    fn report(&self, dir: &CacheDir, cut: Option<Torn>, sync_due: bool) -> Result<WriteReport> {
        let mut notices: Vec<String> = cut.iter().map(|t| describe_cut(dir, t)).collect();
        if !sync_due {
            return Ok(WriteReport { sync_due, notices });
        }
        if self.inline_sync {
            let report = merge::sync(dir, false)?;
            notices.extend(report.cut.iter().map(|t| describe_cut(dir, t)));
            return Ok(WriteReport {
                sync_due: false,
                notices,
            });
        }
        // Ask for a sync only when none is running; the next write after it asks again.
        let idle = LockGuard::try_acquire(&dir.sync_lock_path())?.is_some();
        Ok(WriteReport {
            sync_due: idle,
            notices,
        })
    }

    fn stored_value(
        &self,
        dir: &CacheDir,
        value: NewValue<'_>,
        durable: bool,
    ) -> Result<StoredValue> {
        match value {
            NewValue::Bytes(bytes) if bytes.len() <= INLINE_MAX => {
                Ok(StoredValue::Inline(bytes.to_vec()))
            }
            NewValue::Bytes(bytes) => {
                let (hash, len) =
                    blob::write(&dir.blobs_path(), bytes, &mut std::io::empty(), durable)?;
                Ok(StoredValue::Blob { hash, len })
            }
            NewValue::Stream(reader) => {
                let mut head = Vec::with_capacity(INLINE_MAX + 1);
                reader
                    .take(INLINE_MAX as u64 + 1)
                    .read_to_end(&mut head)
                    .at(Path::new("<stdin>"))?;
                if head.len() <= INLINE_MAX {
                    return Ok(StoredValue::Inline(head));
                }
                let (hash, len) = blob::write(&dir.blobs_path(), &head, reader, durable)?;
                Ok(StoredValue::Blob { hash, len })
            }
        }
    }
}

/// Entries per journal write in [`Store::set_many`].
const SET_MANY_CHUNK: usize = 4096;

/// A new entry written now, with its TTL resolved against the cache's default.
fn new_entry(
    settings: &CacheSettings,
    options: &SetOptions,
    key: Vec<u8>,
    value: StoredValue,
) -> Entry {
    let now = now_ms();
    let ttl_ms = match options.ttl {
        Ttl::CacheDefault => settings.ttl_ms,
        Ttl::Never => None,
        Ttl::After(ttl) => Some(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)),
    };
    Entry {
        key,
        value,
        created_ms: now,
        expires_ms: ttl_ms.map(|ttl| now.saturating_add(ttl)),
        epoch: 0,
    }
}

fn unknown_cache(name: &CacheName) -> Error {
    Error::usage_with_hint(
        format!("no cache named '{name}'"),
        "`cacheman ls` lists the caches; `cacheman create NAME` makes one",
    )
}

fn describe_cut(dir: &CacheDir, torn: &Torn) -> String {
    format!(
        "cut a torn journal tail in {}: {} bytes at offset {} ({}); the writes before it are intact",
        dir.path().display(),
        torn.bytes,
        torn.offset,
        torn.reason
    )
}

/// Moves a directory aside (an atomic rename), then deletes it.
fn discard_dir(path: &Path) -> Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let aside = path.with_file_name(format!(
        ".{name}.dropped.{}.{}",
        std::process::id(),
        now_ms()
    ));
    fs::rename(path, &aside).at(path)?;
    fs::remove_dir_all(&aside).at(&aside)
}

impl Store for LocalStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn get(&self, cache: &CacheName, key: &[u8]) -> Result<Option<Hit>> {
        check_key(key)?;
        let manifest = self.read_manifest()?;
        let Some(settings) = manifest.caches.get(cache.as_str()) else {
            return Ok(None);
        };
        let dir = self.cache_dir(cache, settings)?;
        let Some(view) = dir.view()? else {
            return Ok(None);
        };
        let entry = match view.lookup(key)? {
            Some(entry) if !entry.is_expired(now_ms()) => entry,
            _ => return Ok(None),
        };
        let value = match entry.value {
            StoredValue::Inline(bytes) => Value::Bytes(bytes),
            StoredValue::Blob { hash, len } => {
                Value::Blob(blob::BlobReader::open(&dir.blobs_path(), &hash, len)?)
            }
        };
        Ok(Some(Hit {
            created_ms: entry.created_ms,
            expires_ms: entry.expires_ms,
            value,
        }))
    }

    fn set(
        &self,
        cache: &CacheName,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        check_key(key)?;
        let (settings, dir) = self.existing_or_created(cache)?;
        let durable = options.durable || settings.durable;
        let value = self.stored_value(&dir, value, durable)?;
        let entry = new_entry(&settings, options, key.to_vec(), value);
        let mut writer = dir.writer()?;
        writer.append(&[Op::Set(entry)], durable)?;
        let (cut, due) = (writer.cut.take(), writer.compaction_due());
        drop(writer);
        self.report(&dir, cut, due)
    }

    fn set_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        let (settings, dir) = self.existing_or_created(cache)?;
        let durable = options.durable || settings.durable;
        let mut writer = dir.writer()?;
        let mut chunk = Vec::with_capacity(SET_MANY_CHUNK);
        let mut items = items.peekable();
        while items.peek().is_some() {
            chunk.clear();
            for (key, value) in items.by_ref().take(SET_MANY_CHUNK) {
                check_key(&key)?;
                let value = self.stored_value(&dir, NewValue::Bytes(&value), durable)?;
                chunk.push(Op::Set(new_entry(&settings, options, key, value)));
            }
            writer.append(&chunk, durable)?;
        }
        let (cut, due) = (writer.cut.take(), writer.compaction_due());
        drop(writer);
        self.report(&dir, cut, due)
    }

    fn delete(&self, cache: &CacheName, keys: &[&[u8]]) -> Result<(usize, WriteReport)> {
        for key in keys {
            check_key(key)?;
        }
        let manifest = self.read_manifest()?;
        let Some(settings) = manifest.caches.get(cache.as_str()) else {
            return Ok((0, WriteReport::default()));
        };
        let dir = self.cache_dir(cache, settings)?;
        if dir.read_head()?.is_none() {
            return Ok((0, WriteReport::default()));
        }
        let mut writer = dir.writer()?;
        let view = writer.view()?;
        let now = now_ms();
        let mut ops = Vec::new();
        for key in keys {
            let live = view.lookup(key)?.is_some_and(|e| !e.is_expired(now));
            if live && !ops.contains(&Op::Del(key.to_vec())) {
                ops.push(Op::Del(key.to_vec()));
            }
        }
        if !ops.is_empty() {
            writer.append(&ops, settings.durable)?;
        }
        let (cut, due) = (writer.cut.take(), writer.compaction_due());
        drop(writer);
        Ok((ops.len(), self.report(&dir, cut, due)?))
    }

    fn keys(&self, cache: &CacheName) -> Result<Vec<Vec<u8>>> {
        let manifest = self.read_manifest()?;
        let Some(settings) = manifest.caches.get(cache.as_str()) else {
            return Ok(Vec::new());
        };
        let Some(view) = self.cache_dir(cache, settings)?.view()? else {
            return Ok(Vec::new());
        };
        let now = now_ms();
        let mut keys = Vec::new();
        view.for_each_entry(&view.overlay()?, |entry| {
            if !entry.is_expired(now) {
                keys.push(entry.key);
            }
            Ok(())
        })?;
        keys.sort();
        Ok(keys)
    }

    fn list(&self) -> Result<Vec<CacheSummary>> {
        let manifest = self.read_manifest()?;
        let mut out = Vec::new();
        for (name, settings) in manifest.caches {
            let name = CacheName::new(&name)?;
            let view = self.cache_dir(&name, &settings)?.view()?;
            let (entries, bytes, pending, last_sync_ms) = match view {
                Some(view) => {
                    let (entries, bytes) = view.totals()?;
                    (entries, bytes, view.pending(), Some(view.head.last_sync_ms))
                }
                None => (0, 0, 0, None),
            };
            out.push(CacheSummary {
                name,
                settings,
                entries,
                bytes,
                pending,
                last_sync_ms,
            });
        }
        Ok(out)
    }

    fn settings(&self, cache: &CacheName) -> Result<Option<CacheSettings>> {
        Ok(self.read_manifest()?.caches.get(cache.as_str()).cloned())
    }

    fn create(&self, cache: &CacheName, settings: &CacheSettings) -> Result<()> {
        self.update_manifest(|manifest| {
            if manifest.caches.contains_key(cache.as_str()) {
                return Err(Error::usage_with_hint(
                    format!("cache '{cache}' already exists"),
                    "`cacheman ls` shows its settings; `cacheman drop` removes it",
                ));
            }
            self.discard_leftovers(cache)?;
            manifest.caches.insert(cache.to_string(), settings.clone());
            Ok(())
        })
    }

    fn drop_cache(&self, cache: &CacheName) -> Result<()> {
        let settings = self.update_manifest(|manifest| {
            manifest
                .caches
                .remove(cache.as_str())
                .ok_or_else(|| unknown_cache(cache))
        })?;
        let dir = self.cache_dir(cache, &settings)?;
        if dir.path().exists() {
            let _lock = LockGuard::acquire(&dir.write_lock_path())?;
            discard_dir(dir.path())?;
        }
        Ok(())
    }

    fn clear(&self, cache: &CacheName) -> Result<WriteReport> {
        let (settings, dir) = self.existing(cache)?;
        let mut writer = dir.writer()?;
        writer.append(&[Op::Clear], settings.durable)?;
        let (cut, due) = (writer.cut.take(), writer.compaction_due());
        drop(writer);
        self.report(&dir, cut, due)
    }

    fn sync(&self, cache: &CacheName, wait: bool) -> Result<(SyncResult, WriteReport)> {
        let (_, dir) = self.existing(cache)?;
        let report = merge::sync(&dir, wait)?;
        let result = match report.outcome {
            SyncOutcome::Busy => SyncResult::Busy,
            SyncOutcome::Clean => SyncResult::Clean,
            SyncOutcome::Synced {
                merged_records,
                entries,
                dropped_expired,
            } => SyncResult::Synced {
                merged_records,
                entries,
                dropped_expired,
            },
        };
        let notices = report.cut.iter().map(|t| describe_cut(&dir, t)).collect();
        Ok((
            result,
            WriteReport {
                sync_due: false,
                notices,
            },
        ))
    }
}
