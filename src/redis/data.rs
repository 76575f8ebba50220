//! The data family on Redis: `get` (one pipeline), `set` and `set_many`
//! (one script per batch, in the cache's slot), `delete`, `keys`, and the
//! scan of a cache's sorted key index the other families build on.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::name::CacheName;
use crate::store::{CacheSettings, Hit, NewValue, SetOptions, Ttl, Value, WriteReport};

use super::RedisStore;
use super::chunks::{self, ChunkedValue, Chunks, Gathered};
use super::entry::{FLOOR_FIELDS, Floors, Freshness, HEADER, Header};
use super::scripts;

/// How much longer than its entry the server keeps an expiring entry (and,
/// twice that, its chunks), so that a clock a little behind still finds it.
pub(crate) const GRACE_MS: u64 = 3_600_000;

/// Entries per script call or pipeline.
pub(crate) const BATCH: usize = 500;

/// When an entry to write expires.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expiry {
    /// The cache's default TTL, applied by the server.
    Default,
    Never,
    At(u64),
}

/// An entry's value as the write script takes it.
pub(crate) enum Body {
    Inline(Vec<u8>),
    Chunked(Chunks),
}

/// One entry to write.
pub(crate) struct Item {
    pub key: Vec<u8>,
    pub created_ms: u64,
    pub expires: Expiry,
    pub len: u64,
    pub stale: bool,
    pub body: Body,
}

/// One key of a cache's index, with its header (`None`: the entry is gone).
pub(crate) struct Seen {
    pub key: Vec<u8>,
    pub header: Option<Header>,
    pub freshness: Freshness,
}

impl RedisStore {
    /// The floors of a cache, and whether it exists.
    pub(crate) fn floors(&self, cache: &str) -> Result<(Floors, bool)> {
        let mut pipe = redis::pipe();
        pipe.cmd("HMGET")
            .arg(self.keys.cache(cache, "meta"))
            .arg(&FLOOR_FIELDS[..]);
        pipe.cmd("HEXISTS")
            .arg(self.keys.cache(cache, "meta"))
            .arg("settings");
        let (fields, exists): (Vec<Option<String>>, bool) = self.link.pipe(&pipe)?;
        Ok((Floors::from_fields(&fields), exists))
    }

    /// A `get`: one pipeline, which counts a hit at once when counting; a
    /// miss (rarer on a warm cache) costs a second call to correct it.
    pub(crate) fn read(&self, cache: &CacheName, key: &[u8]) -> Result<Option<Hit>> {
        let counting = self.counting && !self.read_only();
        match self.read_counting(cache, key, counting) {
            // A server refusing this user's writes: read without counting.
            Err(_) if counting && self.read_only() => self.read_counting(cache, key, false),
            other => other,
        }
    }

    fn read_counting(&self, cache: &CacheName, key: &[u8], counting: bool) -> Result<Option<Hit>> {
        let name = cache.as_str();
        let meta = self.keys.cache(name, "meta");
        let stats = self.keys.cache(name, "stats");
        let mut pipe = redis::pipe();
        pipe.cmd("HMGET").arg(&meta).arg(&FLOOR_FIELDS[..]);
        pipe.cmd("HEXISTS").arg(&meta).arg("settings");
        pipe.cmd("HGETALL").arg(self.keys.entry(name, key));
        if counting {
            pipe.cmd("HSETNX").arg(&stats).arg("since").arg(self.now());
            pipe.cmd("HINCRBY").arg(&stats).arg("hits").arg(1);
        }
        let answers: Vec<redis::Value> = self.link.pipe(&pipe)?;
        let mut answers = answers.into_iter();
        let mut next = || answers.next().unwrap_or(redis::Value::Nil);
        let (fields, exists, hash, started) = (next(), next(), next(), next());
        let convert = |e: redis::ParsingError| self.damaged(e);
        let fields: Vec<Option<String>> = redis::from_redis_value(fields).map_err(convert)?;
        let exists: bool = redis::from_redis_value(exists).map_err(convert)?;
        let hash: HashMap<String, Vec<u8>> = redis::from_redis_value(hash).map_err(convert)?;
        let hit = self.hit(&Floors::from_fields(&fields), hash)?;
        if counting && (hit.is_none() || !exists) {
            let started: bool = redis::from_redis_value(started).unwrap_or(false);
            self.recount(name, exists, started)?;
        }
        Ok(hit)
    }

    /// Turns the hit counted in advance into a miss (or, for a cache that
    /// does not exist, takes it back).
    fn recount(&self, cache: &str, exists: bool, started: bool) -> Result<()> {
        let stats = self.keys.cache(cache, "stats");
        let mut pipe = redis::pipe();
        match (exists, started) {
            (false, true) => pipe.cmd("DEL").arg(&stats),
            (false, false) => pipe.cmd("HINCRBY").arg(&stats).arg("hits").arg(-1),
            (true, _) => pipe
                .cmd("HINCRBY")
                .arg(&stats)
                .arg("hits")
                .arg(-1)
                .cmd("HINCRBY")
                .arg(&stats)
                .arg("misses")
                .arg(1),
        };
        self.link.pipe(&pipe)
    }

    /// The hit an entry's hash makes under `floors`, if it is one.
    fn hit(&self, floors: &Floors, mut hash: HashMap<String, Vec<u8>>) -> Result<Option<Hit>> {
        let Some(header) = Header::from_hash(&hash) else {
            return Ok(None);
        };
        let stale = match header.judge(floors, self.now()) {
            Freshness::Invalid => return Ok(None),
            freshness => freshness == Freshness::Stale,
        };
        let Some(value) = self.value(&header, &mut hash)? else {
            return Ok(None);
        };
        Ok(Some(Hit {
            created_ms: header.created_ms,
            expires_ms: header.expires_ms,
            stale,
            value,
        }))
    }

    /// An entry's value: in hand, or its chunks (`None` when one is missing).
    pub(crate) fn value(
        &self,
        header: &Header,
        hash: &mut HashMap<String, Vec<u8>>,
    ) -> Result<Option<Value>> {
        if let Some(bytes) = hash.remove("v") {
            return Ok(Some(Value::Bytes(bytes)));
        }
        let chunks = hash
            .get("k")
            .and_then(|k| Chunks::decode(k))
            .ok_or_else(|| self.damaged("an entry with neither a value nor chunks"))?;
        if !chunks::all_present(&self.link, &self.keys, &chunks)? {
            return Ok(None);
        }
        Ok(Some(Value::Stream(Box::new(ChunkedValue {
            link: Arc::clone(&self.link),
            keys: self.keys.clone(),
            chunks,
            len: header.len,
        }))))
    }

    pub(crate) fn read_only(&self) -> bool {
        self.link
            .read_only
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn write_one(
        &self,
        cache: &CacheName,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        self.writable()?;
        self.check_durable(options.durable)?;
        let now = self.now();
        let expires = expiry(options.ttl, now);
        let px = chunk_px(expires, now);
        let (body, len) = match value {
            NewValue::Bytes(bytes) if bytes.len() <= chunks::INLINE_MAX => {
                (Body::Inline(bytes.to_vec()), bytes.len() as u64)
            }
            NewValue::Bytes(bytes) => (
                Body::Chunked(chunks::store(&self.link, &self.keys, bytes, px)?),
                bytes.len() as u64,
            ),
            NewValue::Stream(input) => match chunks::gather(&self.link, &self.keys, input, px)? {
                Gathered::Inline(bytes) => {
                    let len = bytes.len() as u64;
                    (Body::Inline(bytes), len)
                }
                Gathered::Chunked(chunks, len) => (Body::Chunked(chunks), len),
            },
        };
        let item = Item {
            key: key.to_vec(),
            created_ms: now,
            expires,
            len,
            stale: false,
            body,
        };
        self.put(cache, vec![item], options)
    }

    pub(crate) fn write_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        self.writable()?;
        self.check_durable(options.durable)?;
        let now = self.now();
        let expires = expiry(options.ttl, now);
        let mut batch = Vec::new();
        let mut report = WriteReport::default();
        for (key, value) in items {
            let len = value.len() as u64;
            let body = match value.len() <= chunks::INLINE_MAX {
                true => Body::Inline(value),
                false => Body::Chunked(chunks::store(
                    &self.link,
                    &self.keys,
                    &value,
                    chunk_px(expires, now),
                )?),
            };
            batch.push(Item {
                key,
                created_ms: now,
                expires,
                len,
                stale: false,
                body,
            });
            if batch.len() == BATCH {
                report = self.put(cache, std::mem::take(&mut batch), options)?;
            }
        }
        if !batch.is_empty() {
            report = self.put(cache, batch, options)?;
        }
        Ok(report)
    }

    /// Refuses a durable write the server cannot promise.
    pub(crate) fn check_durable(&self, durable: bool) -> Result<()> {
        match durable && !self.info.has_waitaof() {
            true => Err(Error::Backend {
                store: self.link.display.clone(),
                message: format!(
                    "durable writes need WAITAOF (Redis 7.2 or later); this server is {}: \
                     leave --durable off, or use a newer server with appendonly yes",
                    self.info.get("redis_version")
                ),
            }),
            false => Ok(()),
        }
    }

    /// Writes `items` into `cache` in one script call, creating the cache.
    /// On a cluster, a cache already floored by a cascade not yet published
    /// would make the write invalid at once: an abandoned cascade is then
    /// finished and the write tried again; one in progress overtakes it.
    pub(crate) fn put(
        &self,
        cache: &CacheName,
        items: Vec<Item>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        match self.put_once(cache, &items, options)? {
            Some(report) => Ok(report),
            None => {
                self.finish_abandoned()?;
                Ok(self.put_once(cache, &items, options)?.unwrap_or_default())
            }
        }
    }

    fn put_once(
        &self,
        cache: &CacheName,
        items: &[Item],
        options: &SetOptions,
    ) -> Result<Option<WriteReport>> {
        let name = cache.as_str();
        let meta = self.keys.cache(name, "meta");
        let epoch_key = match self.cluster {
            true => meta.clone(),
            false => self.keys.store("epoch"),
        };
        let epoch = match (options.if_epoch, self.cluster) {
            (Some(token), _) => token.to_string(),
            (None, true) => self.published_epoch()?.to_string(),
            (None, false) => String::new(),
        };
        let token = options.if_epoch.map(|t| t.to_string()).unwrap_or_default();
        let defaults = settings_json(&CacheSettings::default());
        let mut call = scripts::PUT.prepare_invoke();
        call.key(&meta)
            .key(self.keys.cache(name, "idx"))
            .key(self.keys.cache(name, "lru"))
            .key(&epoch_key)
            .arg(&token)
            .arg(&defaults)
            .arg(&epoch);
        let now = self.now();
        for item in items {
            let (expires, px) = match item.expires {
                Expiry::Default => ("default".to_string(), String::new()),
                Expiry::Never => (String::new(), String::new()),
                Expiry::At(at) => (
                    at.to_string(),
                    (at.saturating_sub(now) + GRACE_MS).to_string(),
                ),
            };
            let (field, body) = match &item.body {
                Body::Inline(bytes) => ("v", bytes.clone()),
                Body::Chunked(chunks) => ("k", chunks.encode()),
            };
            call.key(self.keys.entry(name, &item.key))
                .arg(&item.key)
                .arg(item.created_ms)
                .arg(expires)
                .arg(item.len)
                .arg(if item.stale { "1" } else { "" })
                .arg(field)
                .arg(body)
                .arg(px);
        }
        let (written, floor, created, durable): (i64, u64, bool, bool) = self.link.eval(&call)?;
        if written == -2 {
            return Ok(None);
        }
        if written < 0 {
            return Err(Error::Conflict {
                cache: name.to_string(),
                invalidated: floor,
                token: options.if_epoch.unwrap_or(0),
            });
        }
        if created {
            self.list_cache(name)?;
        }
        if durable || options.durable {
            self.wait_aof()?;
        }
        Ok(Some(WriteReport::default()))
    }

    pub(crate) fn remove(&self, cache: &CacheName, keys: &[&[u8]]) -> Result<usize> {
        self.writable()?;
        let name = cache.as_str();
        let seen = self.judge_keys(name, keys.iter().map(|k| k.to_vec()).collect())?;
        let existed = seen
            .iter()
            .filter(|s| s.freshness != Freshness::Invalid)
            .count();
        for batch in keys.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for key in batch {
                pipe.cmd("DEL").arg(self.keys.entry(name, key));
                for index in ["idx", "lru"] {
                    pipe.cmd("ZREM").arg(self.keys.cache(name, index)).arg(*key);
                }
            }
            self.link.pipe::<()>(&pipe)?;
        }
        Ok(existed)
    }

    pub(crate) fn fresh_keys(&self, cache: &CacheName) -> Result<Vec<Vec<u8>>> {
        Ok(self
            .scan(cache.as_str())?
            .into_iter()
            .filter(|s| s.freshness == Freshness::Fresh)
            .map(|s| s.key)
            .collect())
    }

    /// Every key of a cache's index, sorted, judged now.
    pub(crate) fn scan(&self, cache: &str) -> Result<Vec<Seen>> {
        let keys: Vec<Vec<u8>> = self.link.query(
            redis::cmd("ZRANGE")
                .arg(self.keys.cache(cache, "idx"))
                .arg(0)
                .arg(-1),
        )?;
        self.judge_keys(cache, keys)
    }

    /// The headers of `keys` in `cache`, judged now, in the order given.
    pub(crate) fn judge_keys(&self, cache: &str, keys: Vec<Vec<u8>>) -> Result<Vec<Seen>> {
        let (floors, _) = self.floors(cache)?;
        let now = self.now();
        let mut seen = Vec::with_capacity(keys.len());
        for batch in keys.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for key in batch {
                pipe.cmd("HMGET")
                    .arg(self.keys.entry(cache, key))
                    .arg(&HEADER[..]);
            }
            let headers: Vec<Vec<Option<Vec<u8>>>> = self.link.pipe(&pipe)?;
            for (key, fields) in batch.iter().zip(headers) {
                let header = Header::from_fields(&fields);
                let freshness = header
                    .as_ref()
                    .map_or(Freshness::Invalid, |h| h.judge(&floors, now));
                seen.push(Seen {
                    key: key.clone(),
                    header,
                    freshness,
                });
            }
        }
        Ok(seen)
    }
}

/// When an entry written at `now` with `ttl` expires.
pub(crate) fn expiry(ttl: Ttl, now: u64) -> Expiry {
    match ttl {
        Ttl::CacheDefault => Expiry::Default,
        Ttl::Never => Expiry::Never,
        Ttl::After(d) => {
            Expiry::At(now.saturating_add(d.as_millis().try_into().unwrap_or(u64::MAX)))
        }
    }
}

/// How long the server keeps the chunks of an entry expiring as `expires`
/// says: longer than the entry (never, when its expiry is not known yet).
pub(crate) fn chunk_px(expires: Expiry, now: u64) -> Option<u64> {
    match expires {
        Expiry::At(at) => Some(at.saturating_sub(now) + 2 * GRACE_MS),
        Expiry::Default | Expiry::Never => None,
    }
}

/// Settings as the `meta` hash keeps them.
pub(crate) fn settings_json(settings: &CacheSettings) -> String {
    serde_json::to_string(settings).unwrap_or_default()
}
