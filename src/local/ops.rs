//! The `Store` operations of the local store, and the write path they share:
//! values into blobs or records, one journal append under the lock, then the
//! autosync check.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::autosync::Autosync;
use crate::bindings::{Binding, Finding, Pattern, Rebound, Recorded};
use crate::clock::Clock;
use crate::entry::{Entry, StoredValue};
use crate::error::{Error, IoContext, Result, Stream};
use crate::graph::Graph;
use crate::local::bindings;
use crate::local::cache::{CacheDir, Lookup, Writer, Written};
use crate::local::fsutil::LockGuard;
use crate::local::journal::Torn;
use crate::local::kept_writer::KeptWriter;
use crate::local::lock;
use crate::local::manifest::Freshness::{self, Invalid};
use crate::local::merge::{self, MergeRules};
use crate::local::record::Op;
use crate::local::transfer::LocalImport;
use crate::local::{Cache, INLINE_MAX, LocalStore, blob, check_folder, counters, unknown_cache};
use crate::name::{CacheName, check_key};
use crate::reporter::Progress;
use crate::reports::{CacheStats, GcLimits, GcReport};
use crate::scratch::Scratch;
use crate::store::{
    CacheSettings, CacheSummary, Entries, Hit, Importer, InvalidateOptions, Invalidation, Lease,
    NewValue, Portable, ReadCheck, SetOptions, SettingsChange, Store, SyncResult, Ttl, Turn, Value,
    WriteReport,
};

/// The most entries [`Store::set_many`] writes as one journal append; more
/// land as a snapshot.
const SET_MANY_CHUNK: usize = 4096;

impl LocalStore {
    /// Releases a write that has landed and reports on it. What fails after the
    /// write landed (counting pending changes, an inline sync) becomes a notice:
    /// the command must not say the write failed when it is stored.
    pub(super) fn settle(&self, cache: &Cache, writer: Writer<'_>) -> WriteReport {
        writer
            .finish()
            .and_then(|written| self.after_write(cache, written, None))
            .unwrap_or_else(stored_but)
    }

    /// [`LocalStore::settle`] of a write that finished through `kept`.
    fn report(
        &self,
        cache: &Cache,
        written: Written,
        kept: Option<&mut KeptWriter>,
    ) -> WriteReport {
        self.after_write(cache, written, kept)
            .unwrap_or_else(stored_but)
    }

    /// [`Store::get`], with `check` run first on a cache whose settings ask
    /// for a check before every read.
    fn read(
        &self,
        cache: &CacheName,
        key: &[u8],
        check: Option<ReadCheck<'_>>,
    ) -> Result<Option<Hit>> {
        check_key(key)?;
        // A kept view (never of a cache whose settings ask for a check).
        let kept = self.views.with(self, cache, |view| {
            let now = self.clock.now_ms();
            let found = view.lookup(key, |e| view.cache.invalidated.judge(e, now) != Invalid)?;
            let (freshness, hit) = judged(&view.cache, found, now);
            if self.counting {
                view.count(key, freshness != Invalid, now);
            }
            Ok(hit)
        });
        if let Some(hit) = kept {
            return Ok(hit);
        }
        let Some(mut cache) = self.find(cache)? else {
            return Ok(None);
        };
        if let Some(check) = check.filter(|_| cache.settings.check_bindings) {
            // Read again even when this check invalidated nothing: another
            // process may have recorded the same change first.
            check(&cache.name)?;
            cache = self.existing(&cache.name)?;
        }
        let now = self.clock.now_ms();
        let valid = |entry: &Entry| cache.invalidated.judge(entry, now) != Invalid;
        let found = match cache.dir.lookup(key, valid)? {
            Lookup::NoFiles => return Ok(None),
            found => found,
        };
        let (freshness, hit) = judged(&cache, found, now);
        if self.counting {
            counters::record_lookup(&cache.dir, key, freshness != Invalid, now);
        }
        Ok(hit)
    }

    /// [`Store::set_many`] of more than one journal write holds: every item is
    /// staged first, then the lot lands as a new snapshot (see
    /// [`LocalStore::import`]), all or nothing, the journal staying short.
    fn set_many_landed(
        &self,
        cache: &Cache,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
        epoch: u64,
    ) -> Result<WriteReport> {
        let mut spool = self.import_spool()?;
        for (key, value) in items {
            check_key(&key)?;
            let entry = self.new_entry(cache, options, epoch, key, StoredValue::Inline(Vec::new()));
            let entry = Portable {
                key: entry.key,
                value: (),
                created_ms: entry.created_ms,
                expires_ms: entry.expires_ms,
                stale: false,
            };
            spool.push(entry, |out| out.write_all(&value).on(Stream::ImportSpool))?;
        }
        let import = spool.finish()?;
        self.land(cache, &import, epoch, &|| {
            self.recheck_under_lock(cache, options)
        })
    }

    /// Turns a finished write into a report. A sync is due when the journal is
    /// long or an autosync rule fires; it runs inline or is left to the caller.
    /// A write through a kept writer asks it whether a sync runs.
    fn after_write(
        &self,
        cache: &Cache,
        written: Written,
        kept: Option<&mut KeptWriter>,
    ) -> Result<WriteReport> {
        let now = self.clock.now_ms();
        let mut notices: Vec<String> = written
            .cut
            .iter()
            .map(|t| describe_cut(&cache.dir, t))
            .collect();
        let rules = MergeRules::of(cache);
        let due = written.compaction_due
            || cache
                .autosync
                .due(written.state.pending, written.state.last_sync_ms, now)
            || rules.outgrown(&cache.dir, written.head, written.sets)?;
        if !due {
            return Ok(WriteReport {
                sync_due: false,
                notices,
            });
        }
        if self.inline_sync {
            let report = merge::sync(&cache.dir, false, self.clock.as_ref(), rules)?;
            notices.extend(report.cut.iter().map(|t| describe_cut(&cache.dir, t)));
            return Ok(WriteReport {
                sync_due: false,
                notices,
            });
        }
        // Ask for a sync only when none is running; the next write after it asks again.
        let idle = match kept {
            Some(writer) => writer.sync_idle(&cache.dir)?,
            None => LockGuard::try_acquire(&cache.dir.sync_lock_path())?.is_some(),
        };
        Ok(WriteReport {
            sync_due: idle,
            notices,
        })
    }

    /// The stored form of a value: inline, or a blob staged for the write lock
    /// to place (see [`Writer::place`]).
    fn stored_value(
        &self,
        dir: &CacheDir,
        value: NewValue<'_>,
        durable: bool,
    ) -> Result<(StoredValue, Option<blob::Staged>)> {
        let staged = match value {
            NewValue::Bytes(bytes) if bytes.len() <= INLINE_MAX => {
                return Ok((StoredValue::Inline(bytes.to_vec()), None));
            }
            NewValue::Bytes(bytes) => {
                blob::stage(&dir.blobs_path(), bytes, &mut std::io::empty(), durable)?
            }
            NewValue::Stream(reader) => {
                let mut head = Vec::with_capacity(INLINE_MAX + 1);
                reader
                    .take(INLINE_MAX as u64 + 1)
                    .read_to_end(&mut head)
                    .on(Stream::Stdin)?;
                if head.len() <= INLINE_MAX {
                    return Ok((StoredValue::Inline(head), None));
                }
                blob::stage(&dir.blobs_path(), &head, reader, durable)?
            }
        };
        Ok((staged.value(), Some(staged)))
    }

    /// A new entry written now in `epoch`, with its TTL resolved against the
    /// cache's default.
    pub(super) fn new_entry(
        &self,
        cache: &Cache,
        options: &SetOptions,
        epoch: u64,
        key: Vec<u8>,
        value: StoredValue,
    ) -> Entry {
        let now = self.clock.now_ms();
        let ttl_ms = match options.ttl {
            Ttl::CacheDefault => cache.settings.ttl_ms,
            Ttl::Never => None,
            Ttl::After(ttl) => Some(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX)),
        };
        Entry {
            key,
            value,
            created_ms: now,
            expires_ms: ttl_ms.map(|ttl| now.saturating_add(ttl)),
            epoch,
            stale: false,
        }
    }

    /// [`Store::set`] of an inline value with no condition, through the kept
    /// view's writer (see [`crate::local::kept_writer`]); `None` when the
    /// ordinary path must do it (nothing was written then).
    fn set_kept(
        &self,
        name: &CacheName,
        key: &[u8],
        bytes: &[u8],
        options: &SetOptions,
    ) -> Option<Result<WriteReport>> {
        if options.if_epoch.is_some() || options.if_absent || bytes.len() > INLINE_MAX {
            return None;
        }
        self.append_kept(name, options, |cache| {
            let value = StoredValue::Inline(bytes.to_vec());
            vec![Op::Set(self.new_entry(
                cache,
                options,
                cache.epoch,
                key.to_vec(),
                value,
            ))]
        })
    }

    /// Appends the operations `make` builds from the cache's kept row (in its
    /// current epoch: no token) as one write through the kept view's writer,
    /// with `options`' durability; `None` when the ordinary path must write
    /// them (nothing was written then).
    fn append_kept(
        &self,
        name: &CacheName,
        options: &SetOptions,
        make: impl FnOnce(&Cache) -> Vec<Op>,
    ) -> Option<Result<WriteReport>> {
        self.views.write(self, name, |view| {
            let durable = options.durable || view.cache.settings.durable;
            let ops = make(&view.cache);
            let written = view.append(&ops, durable)?;
            let (cache, writer) = view.row_and_writer();
            Some(written.map(|written| self.report(cache, written, writer)))
        })
    }

    /// A cache to write to: its row as the kept view holds it (checked
    /// against the manifest as for a read), else found or created.
    fn writable(&self, name: &CacheName) -> Result<Cache> {
        match self.views.row(self, name) {
            Some(cache) => Ok(cache),
            None => self.existing_or_created(name),
        }
    }

    /// Refuses a token newer than the store's epoch, before anything is created.
    fn check_token(&self, options: &SetOptions) -> Result<()> {
        crate::store::check_token(options, || self.current_epoch())
    }

    /// The epoch a write goes in: the current one, or the token it was given,
    /// refused if the cache was invalidated since.
    fn write_epoch(&self, cache: &Cache, options: &SetOptions) -> Result<u64> {
        let Some(token) = options.if_epoch else {
            return Ok(cache.epoch);
        };
        let since = cache.invalidated.latest();
        if token < since {
            return Err(Error::Conflict {
                cache: cache.name.to_string(),
                invalidated: since,
                token,
            });
        }
        Ok(token)
    }

    /// Checks a conditional write again under the write lock: an invalidation of
    /// some keys takes that lock after recording itself in the manifest, so a
    /// write either sees it here or lands before its deletions.
    fn recheck_under_lock(&self, cache: &Cache, options: &SetOptions) -> Result<()> {
        if options.if_epoch.is_some() {
            self.write_epoch(&self.existing(&cache.name)?, options)?;
        }
        Ok(())
    }

    /// Runs the due syncs of every cache whose autosync rules fire now, and
    /// returns the names synced. Long-running processes call this on a timer.
    pub fn autosync_due(&self) -> Result<Vec<CacheName>> {
        let now = self.clock.now_ms();
        let mut synced = Vec::new();
        // A volatile cache whose folder is unsafe is left alone: using it
        // reports why.
        for cache in self.usable_caches()? {
            let Some(state) = cache.dir.sync_state()? else {
                continue;
            };
            if cache.autosync.due(state.pending, state.last_sync_ms, now) {
                merge::sync(
                    &cache.dir,
                    false,
                    self.clock.as_ref(),
                    MergeRules::of(&cache),
                )?;
                synced.push(cache.name);
            }
        }
        Ok(synced)
    }

    /// When the next autosync rule could fire in any cache, if no more changes arrive.
    pub fn next_autosync_ms(&self) -> Result<Option<u64>> {
        let mut next: Option<u64> = None;
        for cache in self.usable_caches()? {
            if let Some(state) = cache.dir.sync_state()?
                && let Some(at) = cache
                    .autosync
                    .next_due_ms(state.pending, state.last_sync_ms)
            {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        Ok(next)
    }

    /// Every cache whose files can be used (see [`check_folder`]).
    fn usable_caches(&self) -> Result<Vec<Cache>> {
        let mut caches = self.caches()?;
        caches.retain(|cache| check_folder(&cache.settings, &cache.dir, false).is_ok());
        Ok(caches)
    }
}

/// The report of a write that landed though what followed it failed.
fn stored_but(e: Error) -> WriteReport {
    WriteReport {
        sync_due: false,
        notices: vec![format!("the write is stored, but: {e}")],
    }
}

/// What a lookup found, judged at `now`: its freshness (`Invalid` for a
/// miss) and the hit to serve, if any.
fn judged(cache: &Cache, found: Lookup, now: u64) -> (Freshness, Option<Hit>) {
    let Lookup::Found(entry, blob) = found else {
        return (Invalid, None);
    };
    let freshness = cache.invalidated.judge(&entry, now);
    if freshness == Invalid {
        return (freshness, None);
    }
    let value = match (entry.value, blob) {
        (StoredValue::Inline(bytes), _) => Value::Bytes(bytes),
        (StoredValue::Blob { .. }, Some(blob)) => Value::Stream(Box::new(blob)),
        // Opened whenever the entry is valid, which it is here.
        (StoredValue::Blob { .. }, None) => return (freshness, None),
    };
    let hit = Hit {
        created_ms: entry.created_ms,
        expires_ms: entry.expires_ms,
        stale: freshness == Freshness::Stale,
        value,
    };
    (freshness, Some(hit))
}

pub(super) fn describe_cut(dir: &CacheDir, torn: &Torn) -> String {
    format!(
        "cut a torn journal tail in {}: {} bytes at offset {} ({}{}); the writes before it are intact",
        dir.path().display(),
        torn.bytes,
        torn.offset,
        torn.reason,
        torn.records_note()
    )
}

impl Store for LocalStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn get(&self, cache: &CacheName, key: &[u8]) -> Result<Option<Hit>> {
        self.read(cache, key, None)
    }

    fn get_checked(
        &self,
        cache: &CacheName,
        key: &[u8],
        check: ReadCheck<'_>,
    ) -> Result<Option<Hit>> {
        self.read(cache, key, Some(check))
    }

    fn set(
        &self,
        cache: &CacheName,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        check_key(key)?;
        if let NewValue::Bytes(bytes) = value
            && let Some(report) = self.set_kept(cache, key, bytes, options)
        {
            return report;
        }
        self.check_token(options)?;
        let cache = self.writable(cache)?;
        let epoch = self.write_epoch(&cache, options)?;
        let durable = options.durable || cache.settings.durable;
        let (value, staged) = self.stored_value(&cache.dir, value, durable)?;
        let mut entry = self.new_entry(&cache, options, epoch, key.to_vec(), value);
        let mut writer = cache.dir.writer(self.clock.now_ms())?;
        self.recheck_under_lock(&cache, options)?;
        self.claim_absent(&cache, &writer, &mut entry, options)?;
        staged.map(|blob| writer.place(blob)).transpose()?;
        writer.append(&[Op::Set(entry)], durable)?;
        Ok(self.settle(&cache, writer))
    }

    fn set_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        crate::store::one_at_a_time(options)?;
        self.check_token(options)?;
        // One read of the manifest per group: making a kept view here (a
        // replay of every pending record) would cost a large group more than
        // it saves, and a process that only writes never reads it.
        let cache = self.existing_or_created(cache)?;
        let epoch = self.write_epoch(&cache, options)?;
        let durable = options.durable || cache.settings.durable;
        let chunk: Vec<_> = items.take(SET_MANY_CHUNK + 1).collect();
        if chunk.len() > SET_MANY_CHUNK {
            // More than one journal write would hold: land it all as a snapshot.
            return self.set_many_landed(
                &cache,
                &mut chunk.into_iter().chain(items),
                options,
                epoch,
            );
        }
        let mut ops = Vec::with_capacity(chunk.len());
        let mut staged = Vec::new();
        for (key, value) in chunk {
            check_key(&key)?;
            let (value, blob) = match value.len() <= INLINE_MAX {
                true => (StoredValue::Inline(value), None),
                false => self.stored_value(&cache.dir, NewValue::Bytes(&value), durable)?,
            };
            staged.extend(blob);
            ops.push(Op::Set(self.new_entry(&cache, options, epoch, key, value)));
        }
        let mut writer = cache.dir.writer(self.clock.now_ms())?;
        self.recheck_under_lock(&cache, options)?;
        for blob in staged {
            writer.place(blob)?;
        }
        writer.append(&ops, durable)?;
        Ok(self.settle(&cache, writer))
    }

    fn incr(&self, cache: &CacheName, key: &[u8], by: i64, ttl: Ttl) -> Result<(i64, WriteReport)> {
        self.increment(cache, key, by, ttl)
    }

    fn delete(&self, cache: &CacheName, keys: &[&[u8]]) -> Result<(usize, WriteReport)> {
        for key in keys {
            check_key(key)?;
        }
        let Some(cache) = self.find(cache)? else {
            return Ok((0, WriteReport::default()));
        };
        if cache.dir.head()?.is_none() {
            return Ok((0, WriteReport::default()));
        }
        let now = self.clock.now_ms();
        let mut writer = cache.dir.writer(now)?;
        let view = writer.view()?;
        let mut ops = Vec::new();
        for key in keys {
            let live = view
                .lookup(key)?
                .is_some_and(|e| cache.invalidated.judge(&e, now) != Freshness::Invalid);
            if live && !ops.contains(&Op::Del(key.to_vec())) {
                ops.push(Op::Del(key.to_vec()));
            }
        }
        if !ops.is_empty() {
            writer.append(&ops, cache.settings.durable)?;
        }
        let report = self.settle(&cache, writer);
        Ok((ops.len(), report))
    }

    fn keys(&self, cache: &CacheName) -> Result<Vec<Vec<u8>>> {
        let Some(cache) = self.find(cache)? else {
            return Ok(Vec::new());
        };
        let Some(view) = cache.dir.view()? else {
            return Ok(Vec::new());
        };
        let now = self.clock.now_ms();
        let mut keys = Vec::new();
        view.for_each_entry(&view.overlay()?, |entry| {
            if cache.invalidated.judge(&entry, now) == Freshness::Fresh {
                keys.push(entry.key);
            }
            Ok(())
        })?;
        keys.sort();
        Ok(keys)
    }

    fn list(&self) -> Result<Vec<CacheSummary>> {
        let graph = self.read_graph()?;
        let mut out = Vec::new();
        for cache in self.caches()? {
            let roots = graph.roots(cache.name.as_str()).map(String::from).collect();
            let dependents = graph
                .dependents(cache.name.as_str())
                .map(String::from)
                .collect();
            let problem = check_folder(&cache.settings, &cache.dir, false).err();
            let view = match problem {
                None => cache.dir.view()?,
                Some(_) => None,
            };
            let (entries, bytes, pending, last_sync_ms) = match view {
                Some(view) => {
                    let (entries, bytes) = view.totals()?;
                    (entries, bytes, view.pending(), view.head.synced_ms())
                }
                None => (0, 0, 0, None),
            };
            out.push(CacheSummary {
                name: cache.name,
                settings: cache.settings,
                autosync: cache.autosync,
                entries,
                bytes,
                pending,
                last_sync_ms,
                roots,
                dependents,
                problem: problem.map(|e| e.to_string()),
            });
        }
        Ok(out)
    }

    fn settings(&self, cache: &CacheName) -> Result<Option<CacheSettings>> {
        Ok(self.find(cache)?.map(|c| c.settings))
    }

    fn configure(&self, cache: &CacheName, change: SettingsChange<'_>) -> Result<CacheSettings> {
        self.existing(cache)?;
        self.update_manifest(|manifest| {
            let current = manifest
                .caches
                .get_mut(cache.as_str())
                .ok_or_else(|| unknown_cache(cache))?;
            let mut changed = current.clone();
            change(&mut changed)?;
            if changed.volatile != current.volatile {
                return Err(Error::usage_with_hint(
                    format!("cache '{cache}' cannot change between volatile and persistent"),
                    "create a new cache with the other setting and move the entries",
                ));
            }
            *current = changed.clone();
            Ok(changed)
        })
    }

    fn default_autosync(&self) -> Result<Autosync> {
        Ok(self.read_manifest()?.autosync)
    }

    fn set_default_autosync(&self, rules: &Autosync) -> Result<()> {
        self.update_manifest(|manifest| {
            manifest.autosync = rules.clone();
            Ok(())
        })
    }

    fn create(&self, cache: &CacheName, settings: &CacheSettings, exist_ok: bool) -> Result<bool> {
        let created = self.update_manifest(|manifest| {
            if manifest.caches.contains_key(cache.as_str()) {
                return match exist_ok {
                    true => Ok(false),
                    false => Err(Error::CacheExists {
                        name: cache.to_string(),
                    }),
                };
            }
            self.add_cache(manifest, cache, settings.clone())?;
            Ok(true)
        })?;
        Ok(created)
    }

    fn drop_cache(&self, cache: &CacheName, force: bool) -> Result<()> {
        self.drop_with_edges(cache, force)
    }

    fn epoch(&self) -> Result<u64> {
        self.current_epoch()
    }

    fn depend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.add_edges(root, dependents)
    }

    fn undepend(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.remove_edges(root, dependents)
    }

    fn graph(&self) -> Result<Graph> {
        self.read_graph()
    }

    fn invalidate(
        &self,
        caches: &[CacheName],
        options: &InvalidateOptions,
    ) -> Result<Invalidation> {
        self.invalidate_caches(caches, options)
    }

    fn clear(&self, cache: &CacheName) -> Result<WriteReport> {
        let cache = self.existing(cache)?;
        let mut writer = cache.dir.writer(self.clock.now_ms())?;
        writer.append(&[Op::Clear], cache.settings.durable)?;
        Ok(self.settle(&cache, writer))
    }

    fn sync(&self, cache: &CacheName, wait: bool) -> Result<(SyncResult, WriteReport)> {
        let cache = self.existing(cache)?;
        let report = merge::sync(
            &cache.dir,
            wait,
            self.clock.as_ref(),
            MergeRules::of(&cache),
        )?;
        let notices = report
            .cut
            .iter()
            .map(|t| describe_cut(&cache.dir, t))
            .collect();
        Ok((
            report.result,
            WriteReport {
                sync_due: false,
                notices,
            },
        ))
    }
    fn exists(&self) -> bool {
        self.root.exists()
    }

    fn reopen_args(&self) -> Result<Vec<OsString>> {
        Ok(vec!["--dir".into(), self.root.clone().into_os_string()])
    }

    fn directory(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn scratch(&self) -> Result<Scratch> {
        Ok(Scratch::at(&self.root))
    }

    fn sweep_locks(&self) -> u64 {
        lock::sweep(&self.root)
    }

    fn clock(&self) -> &dyn Clock {
        LocalStore::clock(self)
    }

    fn as_local(&self) -> Option<&LocalStore> {
        Some(self)
    }

    fn cache_names(&self) -> Result<Vec<CacheName>> {
        Ok(self.caches()?.into_iter().map(|c| c.name).collect())
    }

    fn bindings(&self) -> Result<BTreeMap<String, Binding>> {
        bindings::all(self)
    }

    fn binding(&self, cache: &CacheName) -> Result<Option<Binding>> {
        bindings::of(self, cache)
    }

    fn bind(&self, cache: &CacheName, patterns: &[Pattern]) -> Result<Rebound> {
        bindings::bind(self, cache, patterns)
    }

    fn unbind(&self, cache: &CacheName, patterns: Option<&[Pattern]>) -> Result<Rebound> {
        bindings::unbind(self, cache, patterns)
    }

    fn record_findings(&self, findings: Vec<Finding>, force: bool) -> Result<Recorded> {
        bindings::record(self, findings, force)
    }

    fn export(&self, cache: &CacheName) -> Result<Entries<'_>> {
        Ok(Box::new(LocalStore::export(self, cache)?.into_entries()))
    }

    fn import(&self, cache: &CacheName) -> Result<Box<dyn Importer + '_>> {
        Ok(Box::new(LocalImport::new(self, cache)?))
    }

    fn lock(&self, name: &str) -> Result<Turn> {
        lock::lock(&self.root, name)
    }

    fn try_lock(&self, name: &str) -> Result<Option<Box<dyn Lease>>> {
        lock::try_lock(&self.root, name)
    }

    fn autosync_due(&self) -> Result<Vec<CacheName>> {
        LocalStore::autosync_due(self)
    }

    fn gc_reporting(
        &self,
        cache: &CacheName,
        limits: GcLimits,
        progress: &dyn Progress,
    ) -> Result<GcReport> {
        LocalStore::gc_reporting(self, cache, limits, progress)
    }

    fn stats(&self, cache: &CacheName) -> Result<CacheStats> {
        LocalStore::stats(self, cache)
    }

    fn reset_counters(&self, cache: &CacheName) -> Result<()> {
        LocalStore::reset_counters(self, cache)
    }

    fn uncounted(&self) -> Arc<dyn Store> {
        Arc::new(self.clone().without_counting())
    }
}
