//! The `Store` interface's defaults, seen from a store that is not the local
//! engine: a wrapper that forwards only the required operations of a
//! `LocalStore`. Every optional family must then answer "not supported by
//! this store" (exit 2) instead of pretending, and the escape hatch to the
//! local engine must be closed. With the bindings family added (and still no
//! directory), it is a store `watch` runs on through the interface alone.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cacheman::Autosync;
use cacheman::Clock;
use cacheman::Graph;
use cacheman::internals::store;
use cacheman::internals::watch::watcher::{Report, Watcher};
use cacheman::{Binding, Finding, Lease, Pattern, Rebound, Recorded};
use cacheman::{
    CacheName, CacheSettings, ExitCode, Hit, LocalStore, NewValue, Result, SetOptions, Store,
};
use cacheman::{
    CacheSummary, InvalidateOptions, Invalidation, SettingsChange, SyncResult, WriteReport,
};

/// A store with only the operations every store must have, wrapping a
/// `LocalStore` (or, in [`WithBindings`], with its bindings family and locks
/// too). It has no directory.
struct Bare<W: Wrapped = LocalStore>(W);

/// What a [`Bare`] store wraps.
trait Wrapped: Send + Sync + 'static {
    /// Whether the bindings family and locks are forwarded too.
    const BINDINGS: bool;
    fn local(&self) -> &LocalStore;
    fn wrap(local: LocalStore) -> Self;
}

impl Wrapped for LocalStore {
    const BINDINGS: bool = false;
    fn local(&self) -> &LocalStore {
        self
    }
    fn wrap(local: LocalStore) -> Self {
        local
    }
}

/// A local store whose bindings family and locks [`Bare`] forwards too.
struct WithBindings(LocalStore);

impl Wrapped for WithBindings {
    const BINDINGS: bool = true;
    fn local(&self) -> &LocalStore {
        &self.0
    }
    fn wrap(local: LocalStore) -> Self {
        WithBindings(local)
    }
}

impl<W: Wrapped> Bare<W> {
    /// The local store's answer if the family is forwarded, else "not supported".
    fn family<T>(&self, what: &str, answer: impl FnOnce(&LocalStore) -> Result<T>) -> Result<T> {
        match W::BINDINGS {
            true => answer(self.0.local()),
            false => Err(cacheman::Error::Unsupported {
                what: what.into(),
                store: self.location(),
            }),
        }
    }
}

impl<W: Wrapped> Store for Bare<W> {
    fn location(&self) -> String {
        format!("bare:{}", self.0.local().location())
    }
    fn clock(&self) -> &dyn Clock {
        Store::clock(self.0.local())
    }
    fn get(&self, cache: &CacheName, key: &[u8]) -> Result<Option<Hit>> {
        self.0.local().get(cache, key)
    }
    fn set(
        &self,
        cache: &CacheName,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        self.0.local().set(cache, key, value, options)
    }
    fn set_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        self.0.local().set_many(cache, items, options)
    }
    fn delete(&self, cache: &CacheName, keys: &[&[u8]]) -> Result<(usize, WriteReport)> {
        self.0.local().delete(cache, keys)
    }
    fn keys(&self, cache: &CacheName) -> Result<Vec<Vec<u8>>> {
        self.0.local().keys(cache)
    }
    fn list(&self) -> Result<Vec<CacheSummary>> {
        self.0.local().list()
    }
    fn settings(&self, cache: &CacheName) -> Result<Option<CacheSettings>> {
        self.0.local().settings(cache)
    }
    fn configure(&self, cache: &CacheName, change: SettingsChange<'_>) -> Result<CacheSettings> {
        self.0.local().configure(cache, change)
    }
    fn default_autosync(&self) -> Result<Autosync> {
        self.0.local().default_autosync()
    }
    fn set_default_autosync(&self, rules: &Autosync) -> Result<()> {
        self.0.local().set_default_autosync(rules)
    }
    fn create(&self, cache: &CacheName, settings: &CacheSettings, exist_ok: bool) -> Result<bool> {
        self.0.local().create(cache, settings, exist_ok)
    }
    fn drop_cache(&self, cache: &CacheName, force: bool) -> Result<()> {
        self.0.local().drop_cache(cache, force)
    }
    fn epoch(&self) -> Result<u64> {
        self.0.local().epoch()
    }
    fn depend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.0.local().depend(root, dependents)
    }
    fn undepend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.0.local().undepend(root, dependents)
    }
    fn graph(&self) -> Result<Graph> {
        self.0.local().graph()
    }
    fn invalidate(
        &self,
        caches: &[CacheName],
        options: &InvalidateOptions,
    ) -> Result<Invalidation> {
        self.0.local().invalidate(caches, options)
    }
    fn clear(&self, cache: &CacheName) -> Result<WriteReport> {
        self.0.local().clear(cache)
    }
    fn sync(&self, cache: &CacheName, wait: bool) -> Result<(SyncResult, WriteReport)> {
        self.0.local().sync(cache, wait)
    }
    fn bindings(&self) -> Result<BTreeMap<String, Binding>> {
        self.family("file bindings", |local| local.bindings())
    }
    fn binding(&self, cache: &CacheName) -> Result<Option<Binding>> {
        self.family("file bindings", |local| local.binding(cache))
    }
    fn bind(&self, cache: &CacheName, patterns: &[Pattern]) -> Result<Rebound> {
        self.family("bind", |local| local.bind(cache, patterns))
    }
    fn unbind(&self, cache: &CacheName, patterns: Option<&[Pattern]>) -> Result<Rebound> {
        self.family("unbind", |local| local.unbind(cache, patterns))
    }
    fn record_findings(&self, findings: Vec<Finding>, force: bool) -> Result<Recorded> {
        self.family("file bindings", |local| {
            local.record_findings(findings, force)
        })
    }
    fn try_lock(&self, name: &str) -> Result<Option<Box<dyn Lease>>> {
        self.family("locks", |local| local.try_lock(name))
    }
    fn uncounted(&self) -> Arc<dyn Store> {
        Arc::new(Bare(W::wrap(self.0.local().clone().without_counting())))
    }
}

/// The watcher's start on a store without a directory: the catch-up check of
/// every binding (a change made before it started is acted on).
fn start_watching(store: Arc<dyn Store>) -> (Watcher, Vec<Report>) {
    let (inbox, _events) = std::sync::mpsc::channel();
    match Watcher::start(store, Duration::from_millis(1), inbox) {
        Ok(started) => started,
        Err(problem) => panic!("the watcher did not start: {}", problem.message),
    }
}

#[test]
fn watch_runs_on_a_store_without_a_directory_through_the_interface() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(Bare(WithBindings(LocalStore::new(
        dir.path().join("store"),
    ))));
    assert!(store.directory().is_none());
    let (cfg, late) = (
        CacheName::new("cfg").unwrap(),
        CacheName::new("late").unwrap(),
    );
    let file = |name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, "1").unwrap();
        Pattern::resolve(path.as_os_str(), dir.path()).unwrap()
    };
    store.bind(&cfg, &[file("a.conf")]).unwrap();
    std::fs::write(dir.path().join("a.conf"), "changed before watching").unwrap();
    let epoch = store.epoch().unwrap();
    let (mut watcher, reports) = start_watching(store.clone());
    let invalidated: Vec<&CacheName> = (reports.iter())
        .filter_map(|r| match r {
            Report::Invalidated { cache, .. } => Some(cache),
            _ => None,
        })
        .collect();
    assert_eq!(invalidated, vec![&cfg], "caught up through the interface");
    assert_eq!(store.epoch().unwrap(), epoch + 1);

    // No directory to watch: the bindings are read again on a timer.
    store.bind(&late, &[file("b.conf")]).unwrap();
    let due = watcher.deadline().expect("a poll is due");
    assert!(due <= Instant::now() + Duration::from_secs(1), "{due:?}");
    let reports = watcher.flush(due, false);
    assert!(
        reports
            .iter()
            .any(|r| matches!(r, Report::Watching { caches: 2, .. })),
        "the new binding is watched"
    );
}

/// The source files (under `src/`) that may name the local engine: the engine
/// itself, the opening function and escape hatch (`store.rs`), the library
/// root, and the commands about local files (docs/architecture.md).
const MAY_NAME_THE_ENGINE: &[&str] = &[
    "src/local/",
    "src/store.rs",
    "src/lib.rs",
    "src/cli/commands/verify.rs",
    "src/cli/commands/repair.rs",
    "src/cli/commands/inspect.rs",
    "src/cli/commands/init.rs",
];

/// Every `.rs` file under `dir`, by path relative to the crate.
fn sources(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => sources(&path, found),
            false if path.extension().is_some_and(|e| e == "rs") => found.push(path),
            false => {}
        }
    }
}

#[test]
fn only_the_door_and_the_escape_hatch_name_the_local_engine() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let bypasses: Vec<String> = files
        .iter()
        .map(|path| {
            path.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !MAY_NAME_THE_ENGINE.iter().any(|ok| name.starts_with(ok)))
        .filter(|name| {
            let text = std::fs::read_to_string(root.join(name)).unwrap();
            ["LocalStore", "crate::local", "as_local", "store::local("]
                .iter()
                .any(|word| text.contains(word))
        })
        .collect();
    assert_eq!(bypasses, Vec::<String>::new(), "name the local engine");
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
