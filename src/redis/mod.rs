//! The Redis store: the `Store` interface on a Redis server or a Redis
//! Cluster, for caches shared between machines. `docs/architecture.md` and
//! DESIGN's "The shared store" say what it keeps where and why.

mod atomic;
mod bindings;
mod caches;
mod chunks;
mod coord;
mod data;
mod entry;
mod graph;
mod keys;
mod link;
mod maintenance;
mod refusal;
mod resp;
mod scripts;
mod server;
mod tls;
mod verify;
mod watched;
mod write;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::autosync::Autosync;
use crate::bindings::Pattern;
use crate::bindings::{Binding, Finding, Rebound, Recorded};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::name::CacheName;
use crate::reporter::Progress;
use crate::reports::{CacheStats, GcLimits, GcReport};
use crate::scratch::Scratch;
use crate::store::{
    CacheCheck, CacheSettings, CacheSummary, Entries, Hit, Importer, InvalidateOptions,
    Invalidation, Lease, NewValue, SetOptions, SettingsChange, Store, SyncResult, Ttl, Turn,
    WriteReport,
};
use crate::store_url::RedisTarget;

use keys::Keys;
use link::Link;
use server::Info;

/// A store kept on a Redis server or cluster, under one namespace.
#[derive(Clone)]
pub struct RedisStore {
    link: Arc<Link>,
    keys: Keys,
    clock: Arc<dyn Clock>,
    counting: bool,
    info: Arc<Info>,
    cluster: bool,
    reopen: Option<Vec<OsString>>,
    /// How long a lock's lease lasts unless renewed (ms).
    lease_ms: u64,
    /// The machine name this machine's bindings are kept under.
    host: Arc<str>,
    /// The folder of the sidecar, `None` for the user's cache directory.
    sidecar_base: Option<PathBuf>,
    /// The sidecar, once made.
    scratch: Arc<Mutex<Option<Scratch>>>,
}

impl RedisStore {
    /// Connects to the store `target` names, reading the time from the server.
    pub fn open(target: &RedisTarget) -> Result<RedisStore> {
        RedisStore::on(target, None)
    }

    /// Connects to the store `target` names, reading the time from `clock`
    /// (tests drive a manual one).
    pub fn open_with_clock(target: &RedisTarget, clock: Arc<dyn Clock>) -> Result<RedisStore> {
        RedisStore::on(target, Some(clock))
    }

    fn on(target: &RedisTarget, clock: Option<Arc<dyn Clock>>) -> Result<RedisStore> {
        if target.namespace.is_empty() || target.namespace.contains(['{', '}']) {
            return Err(Error::usage(format!(
                "invalid namespace {:?}: it must be non-empty, without '{{' or '}}'",
                target.namespace
            )));
        }
        let link = Link::connect(target)?;
        let (server_clock, info) = match server::handshake(&link, target.cluster) {
            Err(e) if target.cluster => return Err(refusal::cluster_failed(target, e)),
            answer => answer?,
        };
        info.check_mode(&target.display, target.cluster)?;
        info.check_policy(&target.display)?;
        let clock = clock.unwrap_or_else(|| Arc::new(server_clock));
        Ok(RedisStore {
            link: Arc::new(link),
            keys: Keys::new(&target.namespace),
            clock,
            counting: true,
            info: Arc::new(info),
            cluster: target.cluster,
            reopen: None,
            lease_ms: u64::try_from(target.lease.as_millis()).unwrap_or(u64::MAX),
            host: target
                .host
                .clone()
                .unwrap_or_else(bindings::host_name)
                .into(),
            sidecar_base: target.sidecar_base.clone(),
            scratch: Arc::default(),
        })
    }

    /// The same store, telling a detached `cacheman` (a background refresher)
    /// to open it with `args` (the command line's, naming the store).
    pub fn with_reopen_args(self, args: Vec<OsString>) -> RedisStore {
        RedisStore {
            reopen: Some(args),
            ..self
        }
    }

    /// Refuses a write on a read-only store.
    fn writable(&self) -> Result<()> {
        match self
            .link
            .read_only
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            true => Err(link::read_only_error(&self.link.display)),
            false => Ok(()),
        }
    }

    /// A failure of the server to keep to the store's layout.
    fn damaged(&self, what: impl std::fmt::Display) -> Error {
        Error::Damaged {
            store: self.link.display.clone(),
            message: what.to_string(),
        }
    }

    fn now(&self) -> u64 {
        self.clock.now_ms()
    }
}

impl Store for RedisStore {
    fn location(&self) -> String {
        self.link.display.clone()
    }

    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    fn reopen_args(&self) -> Result<Vec<OsString>> {
        self.reopen
            .clone()
            .ok_or_else(|| crate::store::unsupported(&self.link.display, "background work"))
    }

    /// The sidecar, made on first use and kept for the store's life.
    fn scratch(&self) -> Result<Scratch> {
        let mut made = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(scratch) = &*made {
            return Ok(scratch.clone());
        }
        let location = self.location();
        let scratch = match &self.sidecar_base {
            Some(base) => Scratch::sidecar_in(base, &location)?,
            None => Scratch::sidecar(&location)?,
        };
        Ok(made.insert(scratch).clone())
    }

    fn details(&self) -> Result<Vec<(String, String)>> {
        self.server_details()
    }

    fn get(&self, cache: &CacheName, key: &[u8]) -> Result<Option<Hit>> {
        self.read(cache, key)
    }

    fn set(
        &self,
        cache: &CacheName,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        crate::store::check_token(options, || self.current_epoch())?;
        let item = self.item(cache.as_str(), key, value, options)?;
        self.put(cache, vec![item], options)
    }

    fn set_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        crate::store::check_token(options, || self.current_epoch())?;
        self.write_many(cache, items, options)
    }

    fn incr(&self, cache: &CacheName, key: &[u8], by: i64, ttl: Ttl) -> Result<(i64, WriteReport)> {
        self.increment(cache, key, by, ttl)
    }

    fn delete(&self, cache: &CacheName, keys: &[&[u8]]) -> Result<(usize, WriteReport)> {
        Ok((self.remove(cache, keys)?, WriteReport::default()))
    }

    fn keys(&self, cache: &CacheName) -> Result<Vec<Vec<u8>>> {
        self.fresh_keys(cache)
    }

    fn list(&self) -> Result<Vec<CacheSummary>> {
        self.summaries()
    }

    fn cache_names(&self) -> Result<Vec<CacheName>> {
        self.names()
    }

    fn settings(&self, cache: &CacheName) -> Result<Option<CacheSettings>> {
        self.read_settings(cache)
    }

    fn configure(&self, cache: &CacheName, change: SettingsChange<'_>) -> Result<CacheSettings> {
        self.change_settings(cache, change)
    }

    fn default_autosync(&self) -> Result<Autosync> {
        self.read_default_autosync()
    }

    fn set_default_autosync(&self, rules: &Autosync) -> Result<()> {
        self.write_default_autosync(rules)
    }

    fn create(&self, cache: &CacheName, settings: &CacheSettings, exist_ok: bool) -> Result<bool> {
        self.make(cache, settings, exist_ok)
    }

    fn drop_cache(&self, cache: &CacheName, force: bool) -> Result<()> {
        self.unmake(cache, force)
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
        Ok(self.read_graph()?.0)
    }

    fn invalidate(
        &self,
        caches: &[CacheName],
        options: &InvalidateOptions,
    ) -> Result<Invalidation> {
        self.invalidate_caches(caches, options)
    }

    fn clear(&self, cache: &CacheName) -> Result<WriteReport> {
        self.new_generation(cache)
    }

    fn sync(&self, cache: &CacheName, wait: bool) -> Result<(SyncResult, WriteReport)> {
        let _ = wait;
        self.barrier(cache)
    }

    fn bindings(&self) -> Result<BTreeMap<String, Binding>> {
        self.all_bindings()
    }

    fn binding(&self, cache: &CacheName) -> Result<Option<Binding>> {
        self.one_binding(cache)
    }

    fn bind(&self, cache: &CacheName, patterns: &[Pattern]) -> Result<Rebound> {
        self.add_binding(cache, patterns)
    }

    fn unbind(&self, cache: &CacheName, patterns: Option<&[Pattern]>) -> Result<Rebound> {
        self.remove_binding(cache, patterns)
    }

    fn record_findings(&self, findings: Vec<Finding>, force: bool) -> Result<Recorded> {
        self.record(findings, force)
    }

    fn export(&self, cache: &CacheName) -> Result<Entries<'_>> {
        self.entries(cache)
    }

    fn import(&self, cache: &CacheName) -> Result<Box<dyn Importer + '_>> {
        self.importer(cache)
    }

    fn lock(&self, name: &str) -> Result<Turn> {
        self.wait_lock(name)
    }

    fn try_lock(&self, name: &str) -> Result<Option<Box<dyn Lease>>> {
        self.take_lock(name)
    }

    fn gc(&self, cache: &CacheName, limits: GcLimits) -> Result<GcReport> {
        self.collect(cache, limits)
    }

    fn stats(&self, cache: &CacheName) -> Result<CacheStats> {
        self.cache_stats(cache)
    }

    fn reset_counters(&self, cache: &CacheName) -> Result<()> {
        self.zero_counters(cache)
    }

    fn verify_store(&self) -> Result<Vec<String>> {
        self.check_store()
    }

    fn verify_cache(&self, cache: &CacheName, progress: &dyn Progress) -> Result<CacheCheck> {
        self.check_cache(cache, progress)
    }

    fn repair_cache(&self, cache: &CacheName, progress: &dyn Progress) -> Result<Vec<String>> {
        self.mend_cache(cache, progress)
    }

    fn uncounted(&self) -> Arc<dyn Store> {
        Arc::new(RedisStore {
            counting: false,
            ..self.clone()
        })
    }
}
