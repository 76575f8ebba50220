//! Statistics, `sync` (a persistence barrier), `gc` in bounded batches, and
//! export and import on Redis.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use crate::error::Result;
use crate::name::CacheName;
use crate::reports::{Aged, CacheStats, CounterState, GcLimits, GcReport, Origin, Tally};
use crate::store::{Entries, Imported, Importer, Portable, SetOptions, SyncResult, WriteReport};

use super::RedisStore;
use super::chunks::Chunks;
use super::data::{BATCH, Seen};
use super::entry::{self, Freshness, Stored};
use super::scripts;
use super::write::{Expiry, Item, chunk_px};

impl RedisStore {
    /// The entries of an existing cache that are not invalid (fresh or
    /// stale), sorted by key.
    fn live(&self, cache: &CacheName) -> Result<Vec<Seen>> {
        self.existing(cache)?;
        Ok(self
            .scan(cache.as_str())?
            .into_iter()
            .filter(|s| s.freshness != Freshness::Invalid)
            .collect())
    }

    pub(crate) fn cache_stats(&self, cache: &CacheName) -> Result<CacheStats> {
        let live = self.live(cache)?;
        let aged = |s: &Seen| Aged {
            key: s.key.clone(),
            created_ms: s.header.as_ref().map_or(0, |h| h.created_ms),
        };
        let by_age = |s: &&Seen| s.header.as_ref().map_or(0, |h| h.created_ms);
        Ok(CacheStats {
            name: cache.clone(),
            entries: live.len() as u64,
            bytes: live
                .iter()
                .map(|s| s.key.len() as u64 + s.header.as_ref().map_or(0, |h| h.len))
                .sum(),
            pending: 0,
            last_sync_ms: None,
            journal_bytes: 0,
            oldest: live.iter().min_by_key(by_age).map(aged),
            newest: live.iter().max_by_key(by_age).map(aged),
            counters: self.counters(cache.as_str())?,
        })
    }

    fn counters(&self, cache: &str) -> Result<CounterState> {
        let fields: HashMap<String, String> = self
            .link
            .query(redis::cmd("HGETALL").arg(self.keys.cache(cache, "stats")))?;
        if fields.is_empty() {
            return Ok(CounterState::Absent);
        }
        let number = |f: &str| super::entry::number(fields.get(f).map(String::as_str));
        Ok(CounterState::Counting(Tally {
            hits: number("hits"),
            misses: number("misses"),
            since_ms: number("since"),
            origin: Origin::from_code(number("origin")),
        }))
    }

    pub(crate) fn zero_counters(&self, cache: &CacheName) -> Result<()> {
        self.writable()?;
        self.existing(cache)?;
        let stats = self.keys.cache(cache.as_str(), "stats");
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(&stats);
        pipe.cmd("HSET")
            .arg(&stats)
            .arg("hits")
            .arg(0)
            .arg("misses")
            .arg(0)
            .arg("since")
            .arg(self.now())
            .arg("origin")
            .arg(Origin::Reset.code());
        self.link.pipe(&pipe)
    }

    /// `sync` on Redis: the server persists by its own rules. A cache with
    /// size limits has them enforced (the least recently written go); on
    /// Redis 7.2+ with appendonly on, `WAITAOF` is the persistence barrier.
    pub(crate) fn barrier(&self, cache: &CacheName) -> Result<(SyncResult, WriteReport)> {
        let settings = self.existing(cache)?;
        let mut report = WriteReport::default();
        let result = match settings.max_entries.is_some() || settings.max_bytes.is_some() {
            true => {
                let gc = self.collect(cache, GcLimits::default())?;
                SyncResult::Synced {
                    merged_records: 0,
                    entries: gc.entries,
                    dropped: gc.dropped,
                    evicted: gc.evicted,
                }
            }
            false => SyncResult::Clean,
        };
        match self.info.has_waitaof() && self.info.get("aof_enabled") == "1" {
            true => self.wait_aof()?,
            false => report.notices.push(format!(
                "the server persists by its own rules ({})",
                self.info
                    .persistence(super::server::save_points(&self.link).as_deref())
            )),
        }
        Ok((result, report))
    }

    /// Drops what is dead (expired, invalidated, of an older generation) and
    /// evicts the least recently written to fit the limits, in batches.
    pub(crate) fn collect(&self, cache: &CacheName, limits: GcLimits) -> Result<GcReport> {
        self.writable()?;
        let settings = self.existing(cache)?;
        let name = cache.as_str();
        let tighter = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let max_entries = tighter(limits.max_entries, settings.max_entries);
        let max_bytes = tighter(limits.max_bytes, settings.max_bytes);
        self.collect_old_generations(name)?;
        let (dead, mut live): (Vec<Seen>, Vec<Seen>) = self
            .scan(name)?
            .into_iter()
            .partition(|s| s.freshness == Freshness::Invalid);
        let size = |s: &Seen| s.key.len() as u64 + s.header.as_ref().map_or(0, |h| h.len);
        let mut report = GcReport {
            dropped: dead.iter().filter(|s| s.header.is_some()).count() as u64,
            bytes: dead.iter().map(size).sum(),
            ..GcReport::default()
        };
        // Oldest first: the least recently written go first.
        live.sort_by_key(|s| s.header.as_ref().map_or(0, |h| h.created_ms));
        let mut bytes: u64 = live.iter().map(size).sum();
        let mut evict = 0;
        while evict < live.len()
            && (max_entries.is_some_and(|m| (live.len() - evict) as u64 > m)
                || max_bytes.is_some_and(|m| bytes > m))
        {
            bytes -= size(&live[evict]);
            report.bytes += size(&live[evict]);
            evict += 1;
        }
        report.evicted = evict as u64;
        report.entries = (live.len() - evict) as u64;
        let doomed: Vec<&Seen> = dead.iter().chain(&live[..evict]).collect();
        for batch in doomed.chunks(BATCH) {
            self.delete_seen(name, batch)?;
        }
        report.blobs.files = self.sweep_chunks(name)?;
        report.orphans.files = report.blobs.files;
        Ok(report)
    }

    /// Deletes the chunks of `cache` no entry of it names any more (those of
    /// values deleted, replaced, invalidated or expired). The set of its
    /// chunks is read before the entries, so a chunk added since is not
    /// taken for an orphan; a chunk stored again by a writer racing the
    /// sweep may go, which makes that entry a miss, never a wrong value.
    pub(crate) fn sweep_chunks(&self, cache: &str) -> Result<u64> {
        let set = self.keys.cache(cache, "chunks");
        let known: Vec<Vec<u8>> = self.link.query(redis::cmd("SMEMBERS").arg(&set))?;
        if known.is_empty() {
            return Ok(0);
        }
        let keys = self.indexed(cache)?;
        let mut named = HashSet::new();
        for batch in keys.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for key in batch {
                pipe.cmd("GET").arg(self.keys.entry(cache, key));
            }
            let found: Vec<Option<Vec<u8>>> = self.link.pipe(&pipe)?;
            let ids = found
                .into_iter()
                .flatten()
                .filter_map(entry::decode)
                .filter_map(|(_, body)| match body {
                    Stored::Chunks(list) => Chunks::decode(&list),
                    Stored::Inline(_) => None,
                });
            named.extend(ids.flat_map(|chunks| chunks.ids));
        }
        let mut freed = 0;
        for id in known {
            let Ok(id) = <[u8; 32]>::try_from(id.as_slice()) else {
                continue;
            };
            if named.contains(&id) {
                continue;
            }
            self.link
                .query::<()>(redis::cmd("DEL").arg(self.keys.chunk(cache, &id)))?;
            self.link
                .query::<()>(redis::cmd("SREM").arg(&set).arg(&id[..]))?;
            freed += 1;
        }
        Ok(freed)
    }

    /// Deletes entries as they were seen (a concurrent rewrite stays).
    fn delete_seen(&self, cache: &str, batch: &[&Seen]) -> Result<()> {
        let mut call = scripts::DELETE_SEEN.prepare_invoke();
        call.key(self.keys.cache(cache, "idx"))
            .key(self.keys.cache(cache, "lru"))
            .arg(0);
        for seen in batch {
            let (created, epoch) = seen
                .header
                .as_ref()
                .map_or((String::new(), String::new()), |h| {
                    (h.created_ms.to_string(), h.epoch.to_string())
                });
            call.key(self.keys.entry(cache, &seen.key))
                .arg(&seen.key)
                .arg(created)
                .arg(epoch);
        }
        self.link.eval::<i64>(&call)?;
        Ok(())
    }

    /// Deletes the entries of the indexes `clear` set aside, in batches.
    pub(crate) fn collect_old_generations(&self, cache: &str) -> Result<()> {
        let olds_key = self.keys.cache(cache, "olds");
        let olds: Vec<Vec<u8>> = self.link.query(redis::cmd("SMEMBERS").arg(&olds_key))?;
        let (floors, _) = self.floors(cache)?;
        for old in olds {
            loop {
                let keys: Vec<Vec<u8>> = self
                    .link
                    .query(redis::cmd("ZRANGE").arg(&old).arg(0).arg(BATCH - 1))?;
                if keys.is_empty() {
                    break;
                }
                let mut call = scripts::DELETE_SEEN.prepare_invoke();
                call.key(&old).key(&old).arg(floors.generation);
                for key in &keys {
                    call.key(self.keys.entry(cache, key))
                        .arg(key)
                        .arg("")
                        .arg("");
                }
                self.link.eval::<i64>(&call)?;
                // Keys whose entry was written again in a newer generation stay
                // in the new index; out of the old one they go.
                let mut pipe = redis::pipe();
                pipe.cmd("ZREM").arg(&old).arg(&keys);
                self.link.pipe::<()>(&pipe)?;
            }
            self.link
                .query::<()>(redis::cmd("SREM").arg(&olds_key).arg(&old))?;
        }
        Ok(())
    }

    pub(crate) fn entries(&self, cache: &CacheName) -> Result<Entries<'_>> {
        let live = self.live(cache)?;
        let name = cache.as_str();
        let mut out = Vec::with_capacity(live.len());
        for batch in live.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for seen in batch {
                pipe.cmd("GET").arg(self.keys.entry(name, &seen.key));
            }
            let found: Vec<Option<Vec<u8>>> = self.link.pipe(&pipe)?;
            for (seen, bytes) in batch.iter().zip(found) {
                let Some((header, body)) = bytes.and_then(entry::decode) else {
                    continue;
                };
                let Some(value) = self.value(name, &header, body)? else {
                    continue;
                };
                out.push(Ok(Portable {
                    key: seen.key.clone(),
                    value,
                    created_ms: header.created_ms,
                    expires_ms: header.expires_ms,
                    stale: seen.freshness == Freshness::Stale,
                }));
            }
        }
        Ok(Box::new(out.into_iter()))
    }

    pub(crate) fn importer(&self, cache: &CacheName) -> Result<Box<dyn Importer + '_>> {
        self.writable()?;
        Ok(Box::new(RedisImporter {
            store: self,
            cache: cache.clone(),
            entries: BTreeMap::new(),
            records: 0,
        }))
    }
}

/// An import gathered in memory, landed by [`Importer::finish`] in batches.
struct RedisImporter<'a> {
    store: &'a RedisStore,
    cache: CacheName,
    entries: BTreeMap<Vec<u8>, Portable<Vec<u8>>>,
    records: u64,
}

impl Importer for RedisImporter<'_> {
    fn push(
        &mut self,
        entry: Portable<()>,
        value: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        let mut bytes = Vec::new();
        value(&mut bytes)?;
        self.records += 1;
        let entry = entry.try_map(|()| Ok(bytes))?;
        self.entries.insert(entry.key.clone(), entry);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Imported> {
        let store = self.store;
        let now = store.now();
        let keys = self.entries.len() as u64;
        let mut batch = Vec::new();
        let land = |batch: Vec<Item>| -> Result<()> {
            store.put(&self.cache, batch, &SetOptions::default())?;
            Ok(())
        };
        for entry in self.entries.into_values() {
            if entry.expires_ms.is_some_and(|at| at <= now) {
                continue;
            }
            let expires = entry.expires_ms.map_or(Expiry::Never, Expiry::At);
            batch.push(Item {
                len: entry.value.len() as u64,
                body: store.body(self.cache.as_str(), &entry.value, chunk_px(expires, now))?,
                key: entry.key,
                created_ms: entry.created_ms,
                expires,
                stale: entry.stale,
            });
            if batch.len() == BATCH {
                land(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            land(batch)?;
        }
        Ok(Imported {
            records: self.records,
            keys,
            report: WriteReport::default(),
        })
    }
}
