//! The graph and invalidation on Redis: the graph with a version in the
//! store-wide slot (changed by compare-and-set), epochs and floors. On one
//! server a cascade is one script; on a cluster it is logged with a lease,
//! floors are set dependents first, and the epoch is published last, so no
//! dependent is ever valid while its root is not. A logged cascade whose
//! lease ran out is finished by the next client before it publishes.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::name::CacheName;
use crate::store::{InvalidateOptions, Invalidation, KeySelector};

use super::RedisStore;
use super::data::BATCH;
use super::entry::Freshness;
use super::scripts;

/// How long a cluster cascade may take before another client finishes it.
const CASCADE_LEASE_MS: u64 = 10_000;

/// A cluster cascade as the log keeps it: the floors to set, and until when
/// its client has the lease.
#[derive(Debug, Serialize, Deserialize)]
struct Logged {
    until_ms: u64,
    floors: Vec<(String, String)>,
}

impl RedisStore {
    /// The graph and its version.
    pub(crate) fn read_graph(&self) -> Result<(Graph, String)> {
        let (json, version): (Option<String>, Option<String>) = self.link.query(
            redis::cmd("HMGET")
                .arg(self.keys.store("state"))
                .arg("graph")
                .arg("graph:v"),
        )?;
        let graph = match json {
            None => Graph::default(),
            Some(json) => serde_json::from_str(&json).map_err(|e| self.damaged(e))?,
        };
        Ok((graph, version.unwrap_or_else(|| "0".into())))
    }

    /// Changes the graph by compare-and-set, retrying on a concurrent change.
    fn change_graph<T>(&self, mut change: impl FnMut(&mut Graph) -> Result<T>) -> Result<T> {
        self.writable()?;
        loop {
            let (mut graph, version) = self.read_graph()?;
            let out = change(&mut graph)?;
            let json = serde_json::to_string(&graph).unwrap_or_default();
            let set: bool = self.link.run(
                &scripts::CAS,
                &[&self.keys.store("state")],
                &[b"graph", version.as_bytes(), json.as_bytes()],
            )?;
            if set {
                return Ok(out);
            }
        }
    }

    pub(crate) fn add_edges(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.writable()?;
        let default = crate::store::CacheSettings::default();
        for cache in std::iter::once(root).chain(dependents) {
            self.make(cache, &default, true)?;
        }
        self.change_graph(|graph| graph.add_all(root, dependents))
    }

    pub(crate) fn remove_edges(&self, root: &CacheName, dependents: &[CacheName]) -> Result<usize> {
        self.change_graph(|graph| Ok(graph.remove_all(root, dependents)))
    }

    /// Takes a cache being dropped out of the graph; one others depend on
    /// needs `force`.
    pub(crate) fn drop_edges(&self, cache: &CacheName, force: bool) -> Result<()> {
        self.change_graph(|graph| {
            let dependents: Vec<String> =
                graph.dependents(cache.as_str()).map(String::from).collect();
            if !dependents.is_empty() && !force {
                return Err(Error::HasDependents {
                    cache: cache.to_string(),
                    dependents,
                });
            }
            graph.remove_cache(cache.as_str());
            Ok(())
        })
    }

    /// The epoch, once any abandoned cascade is finished.
    pub(crate) fn current_epoch(&self) -> Result<u64> {
        if self.cluster {
            self.finish_abandoned()?;
        }
        self.published_epoch()
    }

    /// The epoch as published.
    pub(crate) fn published_epoch(&self) -> Result<u64> {
        let epoch: Option<u64> = self
            .link
            .query(redis::cmd("GET").arg(self.keys.store("epoch")))?;
        Ok(epoch.unwrap_or(0))
    }

    pub(crate) fn invalidate_caches(
        &self,
        caches: &[CacheName],
        options: &InvalidateOptions,
    ) -> Result<Invalidation> {
        for cache in caches {
            self.existing(cache)?;
        }
        if !options.dry_run {
            self.writable()?;
        }
        loop {
            let (graph, version) = self.read_graph()?;
            let plan: Vec<String> = match options.cascade {
                true => graph.cascade(caches.iter().map(CacheName::as_str)),
                false => dedup(caches),
            };
            let names = plan
                .iter()
                .map(|n| CacheName::new(n))
                .collect::<Result<Vec<_>>>()?;
            if options.dry_run {
                let mut keys = 0;
                if let Some(filter) = &options.keys {
                    for cache in caches {
                        let fresh = self.fresh_keys(cache)?;
                        keys += fresh.iter().filter(|k| filter.matches(k)).count() as u64;
                    }
                }
                return Ok(Invalidation {
                    caches: names,
                    keys,
                    epoch: self.current_epoch()?,
                });
            }
            let floors: Vec<(String, String)> = plan
                .iter()
                .map(|name| {
                    let keys_only =
                        options.keys.is_some() && caches.iter().any(|c| c.as_str() == name);
                    let field = match (keys_only, options.soft) {
                        (true, _) => "keys",
                        (false, true) => "soft",
                        (false, false) => "hard",
                    };
                    (name.clone(), field.to_string())
                })
                .collect();
            let Some(epoch) = self.advance(&floors, &version)? else {
                continue;
            };
            let mut keys = 0;
            if let Some(filter) = &options.keys {
                for cache in caches {
                    keys += self.invalidate_keys(cache.as_str(), filter, options.soft)?;
                }
            }
            return Ok(Invalidation {
                caches: names,
                keys,
                epoch,
            });
        }
    }

    /// Sets `floors` at a new epoch and publishes it; `None` when the graph
    /// moved from `version` first (the caller plans again).
    fn advance(&self, floors: &[(String, String)], version: &str) -> Result<Option<u64>> {
        let metas: Vec<Vec<u8>> = floors
            .iter()
            .map(|(cache, _)| self.keys.cache(cache, "meta"))
            .collect();
        let store: Vec<Vec<u8>> = ["state", "epoch", "next", "cascades"]
            .iter()
            .map(|k| self.keys.store(k))
            .collect();
        if !self.cluster {
            let mut call = scripts::CASCADE.prepare_invoke();
            call.key(&store[0])
                .key(&store[1])
                .key(&store[2])
                .arg(version);
            for (meta, (_, field)) in metas.iter().zip(floors) {
                call.key(meta).arg(field);
            }
            let epoch: i64 = self.link.eval(&call)?;
            return Ok(u64::try_from(epoch).ok());
        }
        self.finish_abandoned()?;
        let logged = Logged {
            until_ms: self.now() + CASCADE_LEASE_MS,
            floors: floors.to_vec(),
        };
        let record = serde_json::to_string(&logged).unwrap_or_default();
        let refs: Vec<&[u8]> = store.iter().map(Vec::as_slice).collect();
        let epoch: i64 = self.link.run(
            &scripts::BEGIN,
            &refs,
            &[version.as_bytes(), record.as_bytes()],
        )?;
        let Ok(epoch) = u64::try_from(epoch) else {
            return Ok(None);
        };
        self.set_floors(floors, epoch)?;
        let published: i64 = self.link.run(
            &scripts::PUBLISH,
            &[&store[0], &store[1], &store[3]],
            &[version.as_bytes(), epoch.to_string().as_bytes()],
        )?;
        if published < 0 {
            // The graph moved while the floors were set: those set stay
            // (an extra invalidation is safe); plan again for the new graph.
            return Ok(None);
        }
        Ok(Some(epoch))
    }

    /// Raises each floor to `epoch`, dependents first (one call per cache:
    /// on a cluster each is in its own slot).
    fn set_floors(&self, floors: &[(String, String)], epoch: u64) -> Result<()> {
        for (cache, field) in floors.iter().rev() {
            self.link.run::<i64>(
                &scripts::FLOORS,
                &[&self.keys.cache(cache, "meta")],
                &[epoch.to_string().as_bytes(), field.as_bytes()],
            )?;
        }
        Ok(())
    }

    /// Finishes the logged cascades whose client's lease ran out.
    pub(crate) fn finish_abandoned(&self) -> Result<()> {
        let log: Vec<(u64, String)> = self
            .link
            .query(redis::cmd("HGETALL").arg(self.keys.store("cascades")))?;
        for (epoch, record) in log {
            let logged: Logged = serde_json::from_str(&record).map_err(|e| self.damaged(e))?;
            if logged.until_ms > self.now() || self.read_only() {
                continue;
            }
            self.set_floors(&logged.floors, epoch)?;
            let store: Vec<Vec<u8>> = ["state", "epoch", "cascades"]
                .iter()
                .map(|k| self.keys.store(k))
                .collect();
            let refs: Vec<&[u8]> = store.iter().map(Vec::as_slice).collect();
            self.link.run::<i64>(
                &scripts::PUBLISH,
                &refs,
                &[b"", epoch.to_string().as_bytes()],
            )?;
        }
        Ok(())
    }

    /// Deletes (or, soft, marks stale) the entries of `cache` the filter selects.
    fn invalidate_keys(&self, cache: &str, filter: &KeySelector, soft: bool) -> Result<u64> {
        let seen = self.selected(cache, filter)?;
        let mut count = 0;
        for batch in seen.chunks(BATCH) {
            let mut pipe = redis::pipe();
            let mut stale = Vec::new();
            for (key, freshness) in batch {
                match (freshness, soft) {
                    (Freshness::Invalid, _) | (Freshness::Stale, true) => continue,
                    (Freshness::Fresh, true) => stale.push(self.keys.entry(cache, key)),
                    (_, false) => {
                        pipe.cmd("DEL").arg(self.keys.entry(cache, key));
                        for index in ["idx", "lru"] {
                            pipe.cmd("ZREM").arg(self.keys.cache(cache, index)).arg(key);
                        }
                    }
                }
                count += 1;
            }
            self.link.pipe::<()>(&pipe)?;
            if !stale.is_empty() {
                let keys: Vec<&[u8]> = stale.iter().map(Vec::as_slice).collect();
                self.link.run::<i64>(&scripts::MARK_STALE, &keys, &[])?;
            }
        }
        Ok(count)
    }

    /// The keys of `cache` a selector takes, from its sorted index: a prefix
    /// is a range of it, a glob a filter over it.
    fn selected(&self, cache: &str, filter: &KeySelector) -> Result<Vec<(Vec<u8>, Freshness)>> {
        let keys: Vec<Vec<u8>> = match filter {
            KeySelector::Prefix(prefix) => {
                let mut start = b"[".to_vec();
                start.extend_from_slice(prefix);
                let range: Vec<Vec<u8>> = self.link.query(
                    redis::cmd("ZRANGEBYLEX")
                        .arg(self.keys.cache(cache, "idx"))
                        .arg(start)
                        .arg("+"),
                )?;
                range
                    .into_iter()
                    .take_while(|k| k.starts_with(prefix))
                    .collect()
            }
            KeySelector::Glob(_) => self.indexed(cache)?,
        };
        let keys: Vec<Vec<u8>> = keys.into_iter().filter(|k| filter.matches(k)).collect();
        Ok(self
            .judge_keys(cache, keys)?
            .into_iter()
            .map(|s| (s.key, s.freshness))
            .collect())
    }
}

/// The named caches, each once, in order.
fn dedup(caches: &[CacheName]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cache in caches {
        if !out.iter().any(|c| c == cache.as_str()) {
            out.push(cache.to_string());
        }
    }
    out
}
