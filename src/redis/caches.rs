//! Caches on Redis: the list (store-wide), each cache's settings in its
//! `meta` hash (with the fields the write script reads: `ttl`, `durable`),
//! create, configure, drop, clear (a new generation, O(1)), and `info`'s facts.

use crate::autosync::Autosync;
use crate::error::{Error, Result};
use crate::name::CacheName;
use crate::store::{
    CacheSettings, CacheSummary, SettingsChange, WriteReport, unknown_cache, unsupported,
};

use super::RedisStore;
use super::entry::Freshness;
use super::scripts;
use super::write::settings_json;

impl RedisStore {
    /// Adds a cache to the store-wide list.
    pub(crate) fn list_cache(&self, cache: &str) -> Result<()> {
        self.link.query::<()>(
            redis::cmd("ZADD")
                .arg(self.keys.store("caches"))
                .arg(0)
                .arg(cache),
        )
    }

    pub(crate) fn names(&self) -> Result<Vec<CacheName>> {
        let names: Vec<String> = self.link.query(
            redis::cmd("ZRANGE")
                .arg(self.keys.store("caches"))
                .arg(0)
                .arg(-1),
        )?;
        names.iter().map(|n| CacheName::new(n)).collect()
    }

    /// A cache's settings and their version, or `None` when it does not exist.
    fn versioned_settings(&self, cache: &str) -> Result<Option<(CacheSettings, String)>> {
        let (json, version): (Option<String>, Option<String>) = self.link.query(
            redis::cmd("HMGET")
                .arg(self.keys.cache(cache, "meta"))
                .arg("settings")
                .arg("settings:v"),
        )?;
        let Some(json) = json else {
            return Ok(None);
        };
        let settings = serde_json::from_str(&json).map_err(|e| self.damaged(e))?;
        Ok(Some((settings, version.unwrap_or_else(|| "0".into()))))
    }

    pub(crate) fn read_settings(&self, cache: &CacheName) -> Result<Option<CacheSettings>> {
        Ok(self.versioned_settings(cache.as_str())?.map(|(s, _)| s))
    }

    /// The settings of a cache that must exist.
    pub(crate) fn existing(&self, cache: &CacheName) -> Result<CacheSettings> {
        self.read_settings(cache)?
            .ok_or_else(|| unknown_cache(cache))
    }

    /// Refuses settings this store cannot honour.
    fn check_settings(&self, settings: &CacheSettings) -> Result<()> {
        if settings.volatile {
            return Err(unsupported(&self.link.display, "--volatile"));
        }
        self.check_durable(settings.durable)
    }

    /// Stores a cache's settings with the fields the write script reads
    /// (`ttl`, `durable`), in one script: creating them (`version` `None`),
    /// or replacing those at `version`. Returns whether they were stored.
    fn store_settings(
        &self,
        cache: &str,
        version: Option<&str>,
        settings: &CacheSettings,
    ) -> Result<bool> {
        let ttl = settings.ttl_ms.map(|t| t.to_string()).unwrap_or_default();
        self.link.run(
            &scripts::SETTINGS,
            &[&self.keys.cache(cache, "meta")],
            &[
                version.unwrap_or("create").as_bytes(),
                settings_json(settings).as_bytes(),
                ttl.as_bytes(),
                if settings.durable { b"1" } else { b"0" },
            ],
        )
    }

    pub(crate) fn make(
        &self,
        cache: &CacheName,
        settings: &CacheSettings,
        exist_ok: bool,
    ) -> Result<bool> {
        self.writable()?;
        self.check_settings(settings)?;
        let name = cache.as_str();
        match (self.store_settings(name, None, settings)?, exist_ok) {
            (false, true) => return Ok(false),
            (false, false) => {
                return Err(Error::CacheExists {
                    name: name.to_string(),
                });
            }
            (true, _) => {}
        }
        self.list_cache(name)?;
        Ok(true)
    }

    pub(crate) fn change_settings(
        &self,
        cache: &CacheName,
        change: SettingsChange<'_>,
    ) -> Result<CacheSettings> {
        self.writable()?;
        let name = cache.as_str();
        loop {
            let (old, version) = self
                .versioned_settings(name)?
                .ok_or_else(|| unknown_cache(cache))?;
            let mut new = old.clone();
            change(&mut new)?;
            if new.volatile != old.volatile {
                return Err(Error::usage(
                    "whether a cache is volatile cannot change after it is created",
                ));
            }
            self.check_settings(&new)?;
            if self.store_settings(name, Some(&version), &new)? {
                return Ok(new);
            }
        }
    }

    pub(crate) fn read_default_autosync(&self) -> Result<Autosync> {
        let json: Option<String> = self.link.query(
            redis::cmd("HGET")
                .arg(self.keys.store("state"))
                .arg("autosync"),
        )?;
        match json {
            None => Ok(Autosync::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| self.damaged(e)),
        }
    }

    pub(crate) fn write_default_autosync(&self, rules: &Autosync) -> Result<()> {
        self.writable()?;
        let json = serde_json::to_string(rules).unwrap_or_default();
        self.link.query(
            redis::cmd("HSET")
                .arg(self.keys.store("state"))
                .arg("autosync")
                .arg(json),
        )
    }

    /// Drops a cache: off the list and the graph, its settings and counters
    /// gone, a new generation started (so a cache made again under the name
    /// starts empty), and its entries deleted in batches.
    pub(crate) fn unmake(&self, cache: &CacheName, force: bool) -> Result<()> {
        self.writable()?;
        self.existing(cache)?;
        self.drop_edges(cache, force)?;
        let name = cache.as_str();
        self.link
            .query::<()>(redis::cmd("ZREM").arg(self.keys.store("caches")).arg(name))?;
        let meta = self.keys.cache(name, "meta");
        let mut pipe = redis::pipe();
        pipe.cmd("HDEL")
            .arg(&meta)
            .arg(&["settings", "ttl", "durable"][..]);
        pipe.cmd("DEL").arg(self.keys.cache(name, "stats"));
        self.link.pipe::<()>(&pipe)?;
        self.set_aside(name)?;
        self.collect_old_generations(name)?;
        self.sweep_chunks(name)?;
        Ok(())
    }

    pub(crate) fn new_generation(&self, cache: &CacheName) -> Result<WriteReport> {
        self.writable()?;
        self.existing(cache)?;
        self.set_aside(cache.as_str())?;
        Ok(WriteReport::default())
    }

    /// Starts a new generation, setting the old entries' index aside for
    /// `gc` (O(1)).
    fn set_aside(&self, cache: &str) -> Result<()> {
        let keys: Vec<Vec<u8>> = ["meta", "idx", "lru", "olds"]
            .iter()
            .map(|what| self.keys.cache(cache, what))
            .collect();
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        self.link.run::<i64>(&scripts::CLEAR, &refs, &[])?;
        Ok(())
    }

    pub(crate) fn summaries(&self) -> Result<Vec<CacheSummary>> {
        let graph = self.read_graph()?.0;
        let default_autosync = self.read_default_autosync()?;
        let mut out = Vec::new();
        for name in self.names()? {
            let Some(settings) = self.read_settings(&name)? else {
                continue;
            };
            let (entries, bytes) = self.size(name.as_str())?;
            let own = |it: &mut dyn Iterator<Item = &str>| it.map(str::to_string).collect();
            let roots = own(&mut graph.roots(name.as_str()));
            let dependents = own(&mut graph.dependents(name.as_str()));
            out.push(CacheSummary {
                autosync: settings
                    .autosync
                    .clone()
                    .unwrap_or_else(|| default_autosync.clone()),
                roots,
                dependents,
                name,
                settings,
                entries,
                bytes,
                pending: 0,
                last_sync_ms: None,
                problem: None,
            });
        }
        Ok(out)
    }

    /// Live entries (stale ones included) and their key and value bytes.
    pub(crate) fn size(&self, cache: &str) -> Result<(u64, u64)> {
        let mut entries = 0;
        let mut bytes = 0;
        for seen in self.scan(cache)? {
            if let (Some(header), false) = (&seen.header, seen.freshness == Freshness::Invalid) {
                entries += 1;
                bytes += seen.key.len() as u64 + header.len;
            }
        }
        Ok((entries, bytes))
    }

    /// Waits until the write is in the append-only file of the server (and
    /// of none of its replicas: the local fsync is the promise).
    pub(crate) fn wait_aof(&self) -> Result<()> {
        let (local, _replicas): (u64, u64) = self
            .link
            .query(redis::cmd("WAITAOF").arg(1).arg(0).arg(5_000))?;
        match local {
            0 => Err(Error::Backend {
                store: self.link.display.clone(),
                message: "the server did not fsync the write to its append-only file \
                          (is appendonly on?)"
                    .into(),
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn server_details(&self) -> Result<Vec<(String, String)>> {
        let info = super::server::Info::read(&self.link)?;
        let mode = match self.cluster {
            true => "cluster",
            false => "single",
        };
        Ok(vec![
            (
                "server".into(),
                format!("Redis {}", info.get("redis_version")),
            ),
            ("mode".into(), mode.into()),
            (
                "persistence".into(),
                info.persistence(super::server::save_points(&self.link).as_deref()),
            ),
            (
                "maxmemory-policy".into(),
                info.get("maxmemory_policy").into(),
            ),
            ("namespace".into(), self.keys.namespace().into()),
        ])
    }
}
