//! The `Store` interface's defaults, seen from a store that is not the local
//! engine: a wrapper that forwards only the required operations of a
//! `LocalStore`. Every optional family must then answer "not supported by
//! this store" (exit 2) instead of pretending, and the escape hatch to the
//! local engine must be closed.

use std::sync::Arc;

use cacheman::Autosync;
use cacheman::Clock;
use cacheman::Graph;
use cacheman::internals::store;
use cacheman::{
    CacheName, CacheSettings, ExitCode, Hit, LocalStore, NewValue, Result, SetOptions, Store,
};
use cacheman::{
    CacheSummary, InvalidateOptions, Invalidation, SettingsChange, SyncResult, WriteReport,
};

/// A store with only the operations every store must have.
struct Bare(LocalStore);

impl Store for Bare {
    fn location(&self) -> String {
        format!("bare:{}", self.0.location())
    }
    fn clock(&self) -> &dyn Clock {
        Store::clock(&self.0)
    }
    fn get(&self, cache: &CacheName, key: &[u8]) -> Result<Option<Hit>> {
        self.0.get(cache, key)
    }
    fn set(
        &self,
        cache: &CacheName,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        self.0.set(cache, key, value, options)
    }
    fn set_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        self.0.set_many(cache, items, options)
    }
    fn delete(&self, cache: &CacheName, keys: &[&[u8]]) -> Result<(usize, WriteReport)> {
        self.0.delete(cache, keys)
    }
    fn keys(&self, cache: &CacheName) -> Result<Vec<Vec<u8>>> {
        self.0.keys(cache)
    }
    fn list(&self) -> Result<Vec<CacheSummary>> {
        self.0.list()
    }
    fn settings(&self, cache: &CacheName) -> Result<Option<CacheSettings>> {
        self.0.settings(cache)
    }
    fn configure(&self, cache: &CacheName, change: SettingsChange<'_>) -> Result<CacheSettings> {
        self.0.configure(cache, change)
    }
    fn default_autosync(&self) -> Result<Autosync> {
        self.0.default_autosync()
    }
    fn set_default_autosync(&self, rules: &Autosync) -> Result<()> {
        self.0.set_default_autosync(rules)
    }
    fn create(&self, cache: &CacheName, settings: &CacheSettings, exist_ok: bool) -> Result<bool> {
        self.0.create(cache, settings, exist_ok)
    }
    fn drop_cache(&self, cache: &CacheName, force: bool) -> Result<()> {
        self.0.drop_cache(cache, force)
    }
    fn epoch(&self) -> Result<u64> {
        self.0.epoch()
    }
    fn depend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.0.depend(root, dependents)
    }
    fn undepend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.0.undepend(root, dependents)
    }
    fn graph(&self) -> Result<Graph> {
        self.0.graph()
    }
    fn invalidate(
        &self,
        caches: &[CacheName],
        options: &InvalidateOptions,
    ) -> Result<Invalidation> {
        self.0.invalidate(caches, options)
    }
    fn clear(&self, cache: &CacheName) -> Result<WriteReport> {
        self.0.clear(cache)
    }
    fn sync(&self, cache: &CacheName, wait: bool) -> Result<(SyncResult, WriteReport)> {
        self.0.sync(cache, wait)
    }
    fn uncounted(&self) -> Arc<dyn Store> {
        Arc::new(Bare(self.0.clone().without_counting()))
    }
}

/// Asserts that `result` is the "not supported by this store" error.
#[track_caller]
fn unsupported<T>(result: Result<T>, what: &str) {
    let Err(e) = result else {
        panic!("{what}: a store without it answered as if it had it");
    };
    assert_eq!(e.exit_code(), ExitCode::Usage, "{what}: {e}");
    let message = e.to_string();
    assert!(
        message.starts_with(&format!("{what} is not supported by this store (bare:")),
        "{message}"
    );
}

#[test]
fn a_store_without_an_operation_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let bare = Bare(LocalStore::new(dir.path()));
    let cache = CacheName::new("c").unwrap();
    bare.set(&cache, b"k", NewValue::Bytes(b"v"), &SetOptions::default())
        .unwrap();

    assert!(bare.as_local().is_none(), "the escape hatch is closed");
    unsupported(store::local(&bare, "verify").map(drop), "verify");
    unsupported(bare.reopen_args(), "background work");
    unsupported(bare.stats(&cache), "stats");
    unsupported(bare.reset_counters(&cache), "stats --reset");
    unsupported(bare.gc(&cache, Default::default()), "gc");
    unsupported(bare.export(&cache).map(drop), "export");
    unsupported(bare.import(&cache).map(drop), "import");
    unsupported(bare.lock("k").map(drop), "locks");
    unsupported(bare.try_lock("k").map(drop), "locks");
    unsupported(bare.bindings(), "file bindings");
    unsupported(bare.binding(&cache), "file bindings");
    unsupported(bare.bind(&cache, &[]), "bind");
    unsupported(bare.unbind(&cache, None), "unbind");
    unsupported(bare.record_findings(Vec::new(), false), "file bindings");
    unsupported(cacheman::check_cache(&bare, &cache), "file bindings");

    // What the defaults can answer truthfully, they answer.
    assert_eq!(bare.cache_names().unwrap(), vec![cache.clone()]);
    assert!(bare.exists() && bare.directory().is_none());
    assert_eq!(bare.autosync_due().unwrap(), Vec::<CacheName>::new());
    let hit = bare.uncounted().get(&cache, b"k").unwrap().unwrap();
    assert_eq!(hit.value.into_bytes().unwrap(), b"v");
}

#[test]
fn a_store_other_than_the_local_one_keeps_notes_and_spool_in_a_private_sidecar() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bare = Bare(LocalStore::new(dir.path()));
    let scratch = bare.scratch().unwrap();
    let sidecar = scratch.dir().to_path_buf();
    let hash = blake3::hash(bare.location().as_bytes()).to_hex();
    assert!(
        sidecar.ends_with(format!("cacheman/sidecar/{hash}")),
        "{sidecar:?}"
    );
    assert!(
        !sidecar.starts_with(dir.path()),
        "not in the store's directory"
    );
    let mode = std::fs::metadata(&sidecar).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o700);
    let cache = CacheName::new("c").unwrap();
    bare.set_note(&cache, &[5; 32], b"note").unwrap();
    let read = bare.note(&cache, &[5; 32]);
    let kept = std::fs::read_dir(sidecar.join("run-notes/c")).map(Iterator::count);
    std::fs::remove_dir_all(&sidecar).unwrap();
    assert_eq!(read.unwrap().unwrap(), b"note");
    assert_eq!(kept.unwrap(), 1, "the note is a file in the sidecar");
    assert_eq!(bare.sweep_locks(), 0);
}

#[test]
fn run_batch_and_the_scratch_directory_never_name_the_local_engine() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for folder in ["run", "scratch", "files"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.push(root.join("cli/commands/run.rs"));
    files.push(root.join("cli/commands/batch.rs"));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for name in ["crate::local", "LocalStore"] {
            assert!(!text.contains(name), "{} names {name}", file.display());
        }
    }
}
