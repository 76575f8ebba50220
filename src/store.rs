//! The `Store` trait the commands talk to, and the types that cross it. The local
//! directory store implements it; a shared store can implement it too.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use globset::GlobMatcher;
use serde::{Deserialize, Serialize};

use crate::autosync::Autosync;
use crate::bindings::{Binding, Finding, Pattern, Rebound, Recorded};
use crate::clock::Clock;
use crate::error::{Error, Result, Stream};
use crate::graph::Graph;
use crate::local::LocalStore;
use crate::name::CacheName;
use crate::reporter::Progress;
use crate::reports::{CacheStats, GcLimits, GcReport};
use crate::scratch::Scratch;
use crate::scratch::notes::KeepNotes;
use crate::store_url::{RedisTarget, StoreSpec};

/// A cache's settings, chosen at `create` (or the defaults, when a write creates it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheSettings {
    /// Default time to live of entries written without `--ttl`.
    pub ttl_ms: Option<u64>,
    /// Keep at most this many entries (the least recently used go at sync).
    pub max_entries: Option<u64>,
    /// Keep at most this many bytes of values (the least recently used go at sync).
    pub max_bytes: Option<u64>,
    /// Lives in the runtime directory (tmpfs) and never survives a reboot.
    pub volatile: bool,
    /// Every write is fsynced before the command returns.
    pub durable: bool,
    /// This cache's autosync rules; `None` follows the store's.
    pub autosync: Option<Autosync>,
    /// Every `get` first checks the bound files' fingerprint (`cacheman bind`).
    pub check_bindings: bool,
}

/// One cache as `ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSummary {
    /// The cache.
    pub name: CacheName,
    /// Its settings.
    pub settings: CacheSettings,
    /// The autosync rules in force: the cache's own, or the store's.
    pub autosync: Autosync,
    /// Entries, counting expired ones until a sync drops them.
    pub entries: u64,
    /// Key plus value bytes of those entries.
    pub bytes: u64,
    /// Changes not yet merged into a durable snapshot.
    pub pending: u64,
    /// When the cache was last synced (ms since the Unix epoch).
    pub last_sync_ms: Option<u64>,
    /// The caches this one depends on directly, and those depending on it.
    pub roots: Vec<String>,
    /// The caches that depend on it directly.
    pub dependents: Vec<String>,
    /// Why the cache's files cannot be used (a volatile cache whose folder is
    /// not this user's private one); its counts are then zero.
    pub problem: Option<String>,
}

/// How long a new entry lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ttl {
    /// The cache's default TTL, if it has one.
    #[default]
    CacheDefault,
    /// The entry never expires.
    Never,
    /// The entry expires this long after it is written.
    After(Duration),
}

/// How `set` writes an entry.
#[derive(Debug, Clone, Copy, Default)]
pub struct SetOptions {
    /// When the entry expires.
    pub ttl: Ttl,
    /// fsync before returning, whatever the cache's setting.
    pub durable: bool,
    /// Write in this epoch (a token from [`Store::epoch`]) instead of the current
    /// one, and refuse if the cache was invalidated since: a value computed before
    /// an invalidation never lands as valid after it.
    pub if_epoch: Option<u64>,
    /// Write only if the key has no live entry (a fresh one: an expired,
    /// invalidated or soft-invalidated entry is replaced), decided atomically
    /// against concurrent writers; else [`Error::Exists`] and nothing written.
    /// For [`Store::set`] only: [`Store::set_many`] refuses it.
    pub if_absent: bool,
}

/// A value to store: bytes in hand, or a stream read in bounded memory.
pub enum NewValue<'a> {
    /// A value in memory.
    Bytes(&'a [u8]),
    /// A value read to its end from a stream.
    Stream(&'a mut dyn Read),
}

/// A stored value, ready to be written out.
#[derive(Debug)]
pub enum Value {
    /// A value in memory.
    Bytes(Vec<u8>),
    /// A large value, streamed by the store (the local one reads a blob file).
    Stream(Box<dyn ValueStream>),
}

/// A large value a store streams in bounded memory instead of holding it.
pub trait ValueStream: std::fmt::Debug + Send {
    /// The value's length in bytes.
    fn len(&self) -> u64;

    /// Whether the value is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks the content against its hash: damage is reported, never served.
    fn verify(&self) -> Result<()>;

    /// Copies the content to `out` (not verified: see [`ValueStream::verify`]).
    fn copy_to(&self, out: &mut dyn Write) -> Result<(), CopyError>;

    /// The content as a reader (not verified: see [`ValueStream::verify`]).
    fn reader(&self) -> Box<dyn Read + '_>;
}

/// Why writing a value out failed: reading the store, or writing the destination.
#[derive(Debug)]
pub enum CopyError {
    /// Reading the value from the store failed.
    Store(Error),
    /// Writing to the output failed.
    Output(io::Error),
}

impl Value {
    /// The value's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Value::Bytes(bytes) => bytes.len() as u64,
            Value::Stream(stream) => stream.len(),
        }
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the value's exact bytes. A stream is verified against its hash first,
    /// so damaged content is reported instead of served.
    pub fn write_to(&self, out: &mut dyn Write) -> Result<(), CopyError> {
        match self {
            Value::Bytes(bytes) => out.write_all(bytes).map_err(CopyError::Output),
            Value::Stream(stream) => {
                stream.verify().map_err(CopyError::Store)?;
                stream.copy_to(out)
            }
        }
    }

    /// The whole value in memory.
    pub fn into_bytes(self) -> Result<Vec<u8>> {
        match self {
            Value::Bytes(bytes) => Ok(bytes),
            Value::Stream(stream) => {
                let mut out = Vec::with_capacity(stream.len() as usize);
                Value::Stream(stream)
                    .write_to(&mut out)
                    .map_err(|e| match e {
                        CopyError::Store(e) => e,
                        CopyError::Output(source) => Error::Stream {
                            on: Stream::Memory,
                            source,
                        },
                    })?;
                Ok(out)
            }
        }
    }
}

/// An entry as it travels: key, value and times (ms since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portable<V> {
    /// The entry's key.
    pub key: Vec<u8>,
    /// The entry's value.
    pub value: V,
    /// When the entry was written, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// When it expires, if it does, in milliseconds since the Unix epoch.
    pub expires_ms: Option<u64>,
    /// Soft-invalidated: served only to readers that accept stale values.
    pub stale: bool,
}

impl<V> Portable<V> {
    /// The same entry with its value changed by `f`.
    pub fn try_map<W>(self, f: impl FnOnce(V) -> Result<W>) -> Result<Portable<W>> {
        Ok(Portable {
            key: self.key,
            value: f(self.value)?,
            created_ms: self.created_ms,
            expires_ms: self.expires_ms,
            stale: self.stale,
        })
    }
}

/// A cache's live entries as an export reads them, sorted by key, one at a
/// time; the length is known up front.
pub type Entries<'a> = Box<dyn ExactSizeIterator<Item = Result<Portable<Value>>> + 'a>;

/// An import being staged: entries pushed one at a time (a later one with
/// the same key wins), landed all or nothing by [`Importer::finish`].
pub trait Importer {
    /// Adds an entry whose value `value` writes into the writer it is handed.
    fn push(
        &mut self,
        entry: Portable<()>,
        value: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
    ) -> Result<()>;

    /// Lands every entry pushed with its own times, creating the cache if
    /// needed (no entries create nothing), all or nothing.
    fn finish(self: Box<Self>) -> Result<Imported>;
}

/// What an import landed.
#[derive(Debug, Default)]
pub struct Imported {
    /// Entries pushed, and how many distinct keys they had.
    pub records: u64,
    /// Distinct keys among them.
    pub keys: u64,
    /// What the write reported.
    pub report: WriteReport,
}

/// The lock `cacheman watch` holds while it runs (see [`Store::try_lock`]):
/// one watcher per store.
pub const WATCHER_LOCK: &str = "watch";

/// A held lock on a name (see [`Store::lock`]); dropping it releases it.
pub trait Lease {
    /// Releases the lock telling those waiting for it that the holder failed
    /// (it stored nothing), so that they all go on at once instead of one
    /// after another.
    fn release_failed(self: Box<Self>);

    /// Whether the lock still holds: false once what it was held on is gone
    /// (a local lock file deleted or replaced with its store), so another
    /// holder could take it.
    fn held(&self) -> bool {
        true
    }
}

/// What waiting for a lock came to.
pub enum Turn {
    /// The lock is ours.
    Held(Box<dyn Lease>),
    /// Its holder failed (see [`Lease::release_failed`]): go on without it.
    HolderFailed,
}

/// A found, unexpired entry.
#[derive(Debug)]
pub struct Hit {
    /// When the entry was written, in milliseconds since the Unix epoch.
    pub created_ms: u64,
    /// When it expires, if it does, in milliseconds since the Unix epoch.
    pub expires_ms: Option<u64>,
    /// Soft-invalidated: served only to callers that accept stale values.
    pub stale: bool,
    /// The value.
    pub value: Value,
}

/// A check run before a read of a cache whose settings ask for one (see
/// [`Store::get_checked`]).
pub type ReadCheck<'a> = &'a dyn Fn(&CacheName) -> Result<()>;

/// Changes a cache's settings in place.
pub type SettingsChange<'a> = &'a dyn Fn(&mut CacheSettings) -> Result<()>;

/// Which keys of a cache an operation takes: a value any store can match
/// (a server as well as this process).
#[derive(Debug, Clone)]
pub enum KeySelector {
    /// The keys starting with these bytes.
    Prefix(Vec<u8>),
    /// The keys matching a glob as `keys` takes it (`*` also matches `/`):
    /// its pattern is `matcher.glob().glob()`.
    Glob(GlobMatcher),
}

impl KeySelector {
    /// Whether `key` is one of the selected keys.
    pub fn matches(&self, key: &[u8]) -> bool {
        match self {
            KeySelector::Prefix(prefix) => key.starts_with(prefix),
            KeySelector::Glob(glob) => glob.is_match(Path::new(OsStr::from_bytes(key))),
        }
    }
}

/// How to invalidate.
#[derive(Debug, Clone, Default)]
pub struct InvalidateOptions {
    /// Mark entries stale instead of dropping them.
    pub soft: bool,
    /// Also invalidate every transitive dependent.
    pub cascade: bool,
    /// Only say what would be invalidated.
    pub dry_run: bool,
    /// Only these keys, in the named caches (their dependents, when
    /// cascading, are invalidated whole).
    pub keys: Option<KeySelector>,
}

/// What an invalidation did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalidation {
    /// The caches invalidated, in cascade order: each after its roots.
    pub caches: Vec<CacheName>,
    /// Keys invalidated by a key filter.
    pub keys: u64,
    /// The store's epoch afterwards.
    pub epoch: u64,
}

/// What a write left behind that the caller may act on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteReport {
    /// The cache's journal is long enough that a sync should run soon.
    pub sync_due: bool,
    /// Things worth telling the user, such as a torn journal tail that was cut.
    pub notices: Vec<String>,
}

/// What `sync` did to one cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResult {
    /// Another process was already syncing it.
    Busy,
    /// Nothing was pending.
    Clean,
    /// The journal was merged into a new snapshot.
    Synced {
        /// Journal records merged.
        merged_records: u64,
        /// Entries in the new snapshot.
        entries: u64,
        /// Expired and invalidated entries left out.
        dropped: u64,
        /// Entries dropped to fit `max_entries` / `max_bytes`.
        evicted: u64,
    },
}

/// What a store's own check of one cache found (see [`Store::verify_cache`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheCheck {
    /// Entries read.
    pub entries: u64,
    /// Every problem, one line each, naming the key it is about.
    pub problems: Vec<String>,
}

/// Opens the store a command line names: the one place that chooses an engine.
/// Due syncs are left to the caller; with `counting` false, reads leave the
/// hit and miss counters alone. `reopen_args` are the global arguments with
/// which a detached `cacheman` (a background refresher) opens the same shared
/// store; a local store names itself.
pub fn open(
    spec: &StoreSpec,
    reopen_args: Option<Vec<OsString>>,
    counting: bool,
) -> Result<Arc<dyn Store>> {
    let root = match spec {
        StoreSpec::Local(root) => root,
        StoreSpec::Redis(target) => return open_redis(target, reopen_args, counting),
    };
    let store = LocalStore::open(root)?.with_deferred_sync();
    Ok(match counting {
        true => Arc::new(store),
        false => Arc::new(store.without_counting()),
    })
}

/// The Redis engine, its reads counted or not (never on a read-only store,
/// which writes nothing, counters included).
#[cfg(feature = "redis")]
fn open_redis(
    target: &RedisTarget,
    reopen_args: Option<Vec<OsString>>,
    counting: bool,
) -> Result<Arc<dyn Store>> {
    let mut store = crate::redis::RedisStore::open(target)?;
    if let Some(args) = reopen_args {
        store = store.with_reopen_args(args);
    }
    Ok(match counting && !target.read_only {
        true => Arc::new(store),
        false => store.uncounted(),
    })
}

/// The Redis engine, which this build lacks.
#[cfg(not(feature = "redis"))]
fn open_redis(
    target: &RedisTarget,
    reopen_args: Option<Vec<OsString>>,
    counting: bool,
) -> Result<Arc<dyn Store>> {
    let _ = (target, reopen_args, counting);
    Err(Error::usage_with_hint(
        "this cacheman was built without Redis support",
        "build it with the default features (cargo feature \"redis\"), or name a local store with --dir or file:///path",
    ))
}

/// The local engine behind `store`, for the commands that are by nature about
/// its files (`what` names the command); "not supported by this store" (exit
/// 2) for any other store.
pub fn local<'s>(store: &'s dyn Store, what: &str) -> Result<&'s LocalStore> {
    store
        .as_local()
        .ok_or_else(|| unsupported(&store.location(), what))
}

/// Every cache's file bindings, or none in a store that cannot bind files:
/// for the listings (`ls`, `graph`) that show bindings beside other things.
pub fn bindings_if_any(store: &dyn Store) -> Result<BTreeMap<String, Binding>> {
    match store.bindings() {
        Err(Error::Unsupported { .. }) => Ok(BTreeMap::new()),
        other => other,
    }
}

/// The error of an operation the store at `location` cannot do (exit 2:
/// nothing was changed).
pub fn unsupported(location: &str, what: &str) -> Error {
    Error::Unsupported {
        what: what.to_string(),
        store: location.to_string(),
    }
}

/// Refuses [`SetOptions::if_absent`] in a [`Store::set_many`] (exit 2).
pub fn one_at_a_time(options: &SetOptions) -> Result<()> {
    match options.if_absent {
        true => Err(Error::usage(
            "a write only if absent stores one key at a time",
        )),
        false => Ok(()),
    }
}

/// Refuses an epoch token newer than the store's epoch (`epoch` reads it,
/// only when there is a token): no epoch of this store gave it (exit 2).
pub fn check_token(options: &SetOptions, epoch: impl FnOnce() -> Result<u64>) -> Result<()> {
    let Some(token) = options.if_epoch else {
        return Ok(());
    };
    let epoch = epoch()?;
    match token > epoch {
        true => Err(Error::usage(format!(
            "--if-epoch {token} is newer than the store's epoch {epoch}; tokens come from `cacheman epoch` or `get --with-token`"
        ))),
        false => Ok(()),
    }
}

/// The error for a cache the store does not have.
pub fn unknown_cache(name: &CacheName) -> Error {
    Error::UnknownCache {
        name: name.to_string(),
    }
}

/// The operations every store offers, in families: identity (with the
/// scratch directory), data, the graph and invalidation, file bindings,
/// coordination (locks), `run`'s notes, statistics and maintenance. An
/// operation a store cannot do has a default that says so
/// ([`Error::Unsupported`]) instead of pretending. `docs/architecture.md`
/// lists them.
pub trait Store: Send + Sync {
    /// Where the store is, for `info` and diagnostics.
    fn location(&self) -> String;

    /// Facts about the store for `info` (a server's version, mode,
    /// persistence, eviction policy), as name and value.
    fn details(&self) -> Result<Vec<(String, String)>> {
        Ok(Vec::new())
    }

    /// Whether the store exists yet (a local one is made by its first write).
    fn exists(&self) -> bool {
        true
    }

    /// The local directory the store keeps its files in, if it has one: a
    /// scan of bound files leaves it out (its own writes are no change), and
    /// `watch` reads the bindings again when an entry directly in it changes
    /// (without one, it reads them again every second).
    fn directory(&self) -> Option<&Path> {
        None
    }

    /// The global arguments with which a detached `cacheman` (a background
    /// sync, a stale result's refresher) opens this same store.
    fn reopen_args(&self) -> Result<Vec<OsString>> {
        Err(unsupported(&self.location(), "background work"))
    }

    /// The clock the store reads the time from.
    fn clock(&self) -> &dyn Clock;

    /// The private directory on this machine where `run` spools, and keeps
    /// its notes unless the store keeps them itself. By default a sidecar
    /// under the user's cache directory named by [`Store::location`] (see
    /// [`Scratch`]); the local store's is its own directory.
    fn scratch(&self) -> Result<Scratch> {
        Scratch::sidecar(&self.location())
    }

    /// The escape hatch to the local engine, for the commands that are by
    /// nature about its files (`verify`, `repair`): `None` for any other
    /// store. See [`local`].
    fn as_local(&self) -> Option<&LocalStore> {
        None
    }

    /// The value of a key, or `None` on a miss. Expired and invalidated entries
    /// are misses; soft-invalidated ones come back marked [`Hit::stale`].
    /// Nothing is checked first: see [`Store::get_checked`].
    fn get(&self, cache: &CacheName, key: &[u8]) -> Result<Option<Hit>>;

    /// [`Store::get`], after `check` ran on a cache whose settings ask for a
    /// check before every read ([`CacheSettings::check_bindings`]). The check
    /// is the caller's (the bindings check sits above the stores: see
    /// `check_cache`); the default reads the settings first, a store that
    /// reads them anyway does it in the same pass.
    fn get_checked(
        &self,
        cache: &CacheName,
        key: &[u8],
        check: ReadCheck<'_>,
    ) -> Result<Option<Hit>> {
        if self.settings(cache)?.is_some_and(|s| s.check_bindings) {
            check(cache)?;
        }
        self.get(cache, key)
    }

    /// Stores a value, creating the cache with default settings if needed.
    fn set(
        &self,
        cache: &CacheName,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<WriteReport>;

    /// Stores many values, all or nothing: the fast way to load a cache. (The
    /// local store writes a few thousand as one journal append, and stages
    /// more and lands them as a new snapshot, so no reader replays a long
    /// journal.)
    fn set_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport>;

    /// Adds `by` to the decimal integer value of a key and returns the new
    /// value, atomically: concurrent increments never lose one. A missing,
    /// expired or invalidated entry counts as 0 and is created with `ttl`; an
    /// existing one keeps its expiry. A value that is not a decimal integer,
    /// or a sum that overflows an `i64`, is refused ([`Error::Usage`]) and
    /// nothing changes. Returns the new value and what the write reported.
    fn incr(&self, cache: &CacheName, key: &[u8], by: i64, ttl: Ttl) -> Result<(i64, WriteReport)> {
        let _ = (cache, key, by, ttl);
        Err(unsupported(&self.location(), "incr"))
    }

    /// Deletes keys and returns how many existed.
    fn delete(&self, cache: &CacheName, keys: &[&[u8]]) -> Result<(usize, WriteReport)>;

    /// Every live key, sorted.
    fn keys(&self, cache: &CacheName) -> Result<Vec<Vec<u8>>>;

    /// Every cache with its size and settings, sorted by name.
    fn list(&self) -> Result<Vec<CacheSummary>>;

    /// The name of every cache, sorted.
    fn cache_names(&self) -> Result<Vec<CacheName>> {
        Ok(self.list()?.into_iter().map(|c| c.name).collect())
    }

    /// The settings of a cache, or `None` when it does not exist.
    fn settings(&self, cache: &CacheName) -> Result<Option<CacheSettings>>;

    /// Changes the settings of an existing cache, atomically: `change` runs on
    /// the current settings under the store lock, so concurrent changes all land.
    /// Whether it is volatile cannot change, since that would move its files.
    fn configure(&self, cache: &CacheName, change: SettingsChange<'_>) -> Result<CacheSettings>;

    /// The autosync rules of caches that have none of their own.
    fn default_autosync(&self) -> Result<Autosync>;

    /// Sets the autosync rules of caches that have none of their own.
    fn set_default_autosync(&self, rules: &Autosync) -> Result<()>;

    /// Creates a cache and returns true; a cache that exists is refused, or with
    /// `exist_ok` left as it is (false).
    fn create(&self, cache: &CacheName, settings: &CacheSettings, exist_ok: bool) -> Result<bool>;

    /// Deletes a cache and all its files. A cache others depend on needs `force`,
    /// which also removes those edges.
    fn drop_cache(&self, cache: &CacheName, force: bool) -> Result<()>;

    /// The store's current epoch: a token for [`SetOptions::if_epoch`].
    fn epoch(&self) -> Result<u64>;

    /// Adds edges `root -> dependent`, creating missing caches; refuses an edge
    /// that would close a cycle. Returns how many edges are new.
    fn depend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize>;

    /// Removes edges; returns how many existed.
    fn undepend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize>;

    /// The dependency graph.
    fn graph(&self) -> Result<Graph>;

    /// Invalidates caches (and, cascading, all their dependents) in O(1) writes.
    fn invalidate(&self, caches: &[CacheName], options: &InvalidateOptions)
    -> Result<Invalidation>;

    /// Removes every entry of a cache, in O(1).
    fn clear(&self, cache: &CacheName) -> Result<WriteReport>;

    /// Merges pending changes into the cache's durable form and fsyncs it.
    /// With `wait` false, a cache another process is syncing is skipped.
    fn sync(&self, cache: &CacheName, wait: bool) -> Result<(SyncResult, WriteReport)>;

    /// Every cache's file bindings, by cache name.
    fn bindings(&self) -> Result<BTreeMap<String, Binding>> {
        Err(unsupported(&self.location(), "file bindings"))
    }

    /// One cache's file bindings.
    fn binding(&self, cache: &CacheName) -> Result<Option<Binding>> {
        Ok(self.bindings()?.remove(cache.as_str()))
    }

    /// Binds `cache` to more paths, creating the cache if needed.
    fn bind(&self, cache: &CacheName, patterns: &[Pattern]) -> Result<Rebound> {
        let _ = (cache, patterns);
        Err(unsupported(&self.location(), "bind"))
    }

    /// Removes the bindings whose paths `patterns` name (all of them with `None`).
    fn unbind(&self, cache: &CacheName, patterns: Option<&[Pattern]>) -> Result<Rebound> {
        let _ = (cache, patterns);
        Err(unsupported(&self.location(), "unbind"))
    }

    /// Records what scans of bound files found, atomically: a compare-and-swap
    /// of each cache's fingerprint (against [`Finding::compared`]) and the
    /// invalidation of the changed caches with their dependents.
    fn record_findings(&self, findings: Vec<Finding>, force: bool) -> Result<Recorded> {
        let _ = (findings, force);
        Err(unsupported(&self.location(), "file bindings"))
    }

    /// The live entries of a cache (which must exist), stale ones marked.
    fn export(&self, cache: &CacheName) -> Result<Entries<'_>> {
        let _ = cache;
        Err(unsupported(&self.location(), "export"))
    }

    /// Starts an import into a cache (see [`Importer`]).
    fn import(&self, cache: &CacheName) -> Result<Box<dyn Importer + '_>> {
        let _ = cache;
        Err(unsupported(&self.location(), "import"))
    }

    /// Waits for the lock named `name` until it is held, or its holder
    /// failed. `run` takes one per key, so that identical runs compute once;
    /// a holder that dies releases it.
    fn lock(&self, name: &str) -> Result<Turn> {
        let _ = name;
        Err(unsupported(&self.location(), "locks"))
    }

    /// Takes the lock named `name` if nobody holds it.
    fn try_lock(&self, name: &str) -> Result<Option<Box<dyn Lease>>> {
        let _ = name;
        Err(unsupported(&self.location(), "locks"))
    }

    /// Removes the locks nobody holds (left by killed holders); returns how
    /// many went. A store whose locks leave nothing behind has none.
    fn sweep_locks(&self) -> u64 {
        0
    }

    /// The body of `run`'s note `id` of `cache`, or `None`. Notes are kept in
    /// the store's [`Store::scratch`] directory unless it keeps them itself.
    fn note(&self, cache: &CacheName, id: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        self.scratch()?.notes().read(cache, id)
    }

    /// Replaces `run`'s note `id` of `cache`.
    fn set_note(&self, cache: &CacheName, id: &[u8; 32], body: &[u8]) -> Result<()> {
        self.scratch()?.notes().write(cache, id, body)
    }

    /// Deletes `run`'s note `id` of `cache`; returns whether there was one.
    fn delete_note(&self, cache: &CacheName, id: &[u8; 32]) -> Result<bool> {
        self.scratch()?.notes().delete(cache, id)
    }

    /// Removes the notes of the cache named `cache` that `keep` rejects,
    /// unreadable ones and what writers that died left; every one of them
    /// without `keep` (the cache is gone). Best-effort; returns how many went.
    fn sweep_notes(&self, cache: &str, keep: Option<KeepNotes<'_>>) -> u64 {
        self.scratch()
            .map_or(0, |scratch| scratch.notes().sweep(cache, keep))
    }

    /// The names of the caches that have notes.
    fn note_caches(&self) -> Vec<String> {
        self.scratch()
            .map_or_else(|_| Vec::new(), |scratch| scratch.notes().caches())
    }

    /// Syncs every cache whose autosync rules fire now; returns those synced.
    /// A store with no autosync has none due.
    fn autosync_due(&self) -> Result<Vec<CacheName>> {
        Ok(Vec::new())
    }

    /// Collects one cache's garbage under `limits` (and its own).
    fn gc(&self, cache: &CacheName, limits: GcLimits) -> Result<GcReport> {
        self.gc_reporting(cache, limits, &())
    }

    /// [`Store::gc`], telling `progress` how much work it begins.
    fn gc_reporting(
        &self,
        cache: &CacheName,
        limits: GcLimits,
        progress: &dyn Progress,
    ) -> Result<GcReport> {
        let _ = (cache, limits, progress);
        Err(unsupported(&self.location(), "gc"))
    }

    /// The statistics of one cache (which must exist).
    fn stats(&self, cache: &CacheName) -> Result<CacheStats> {
        let _ = cache;
        Err(unsupported(&self.location(), "stats"))
    }

    /// Zeroes one cache's hit and miss counters.
    fn reset_counters(&self, cache: &CacheName) -> Result<()> {
        let _ = cache;
        Err(unsupported(&self.location(), "stats --reset"))
    }

    /// The problems of what the store keeps beside its caches (the graph, a
    /// cascade left unfinished), read-only: the verification family of a
    /// store that is not local files (those have `verify`'s own code path).
    fn verify_store(&self) -> Result<Vec<String>> {
        Err(unsupported(&self.location(), "verify"))
    }

    /// Checks one cache (which must exist), read-only, telling `progress`
    /// of each entry read.
    fn verify_cache(&self, cache: &CacheName, progress: &dyn Progress) -> Result<CacheCheck> {
        let _ = (cache, progress);
        Err(unsupported(&self.location(), "verify"))
    }

    /// Mends one cache (which must exist) from what is intact, and says what
    /// it did, one line each (none: it was sound).
    fn repair_cache(&self, cache: &CacheName, progress: &dyn Progress) -> Result<Vec<String>> {
        let _ = (cache, progress);
        Err(unsupported(&self.location(), "repair"))
    }

    /// The same store, its reads leaving the hit and miss counters alone.
    fn uncounted(&self) -> Arc<dyn Store>;
}
