//! The Redis store: the `Store` interface on a Redis server or a Redis
//! Cluster, for caches shared between machines. `docs/architecture.md` and
//! DESIGN's "The shared store" say what it keeps where and why.

mod caches;
mod chunks;
mod coord;
mod data;
mod entry;
mod graph;
mod keys;
mod link;
mod maintenance;
mod scripts;
mod server;

use std::sync::Arc;

use crate::autosync::Autosync;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::name::CacheName;
use crate::reports::{CacheStats, GcLimits, GcReport};
use crate::store::{
    CacheSettings, CacheSummary, Entries, Hit, Importer, InvalidateOptions, Invalidation, Lease,
    NewValue, SetOptions, SettingsChange, Store, SyncResult, Turn, WriteReport,
};
use crate::store_url::RedisTarget;

use keys::Keys;
use link::Link;
use server::{Info, ServerClock};

/// A store kept on a Redis server or cluster, under one namespace.
#[derive(Clone)]
pub struct RedisStore {
    link: Arc<Link>,
    keys: Keys,
    clock: Arc<dyn Clock>,
    counting: bool,
    info: Arc<Info>,
    cluster: bool,
}

impl RedisStore {
    /// Connects to the store `target` names, reading the time from the server.
    pub fn open(target: &RedisTarget) -> Result<RedisStore> {
        let link = Link::connect(target)?;
        let clock = Arc::new(ServerClock::measure(&link)?);
        RedisStore::on(link, target, clock)
    }

    /// Connects to the store `target` names, reading the time from `clock`
    /// (tests drive a manual one).
    pub fn open_with_clock(target: &RedisTarget, clock: Arc<dyn Clock>) -> Result<RedisStore> {
        RedisStore::on(Link::connect(target)?, target, clock)
    }

    fn on(link: Link, target: &RedisTarget, clock: Arc<dyn Clock>) -> Result<RedisStore> {
        let info = Info::read(&link)?;
        info.check_policy(&target.display)?;
        Ok(RedisStore {
            link: Arc::new(link),
            keys: Keys::new(&target.namespace),
            clock,
            counting: true,
            info: Arc::new(info),
            cluster: target.cluster,
        })
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
        Error::Backend {
            store: self.link.display.clone(),
            message: format!("damaged store data: {what}"),
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
        self.write_one(cache, key, value, options)
    }

    fn set_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        self.write_many(cache, items, options)
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

    fn uncounted(&self) -> Arc<dyn Store> {
        Arc::new(RedisStore {
            counting: false,
            ..self.clone()
        })
    }
}
