//! The read side of the data family on Redis: `get` (one pipeline),
//! `delete`, `keys`, and the scan of a cache's sorted key index the other
//! families build on. Writes are in `write.rs`.

use std::sync::Arc;

use crate::error::Result;
use crate::name::CacheName;
use crate::store::{Hit, Value};

use super::RedisStore;
use super::chunks::{self, ChunkedValue, Chunks};
use super::entry::{self, FLOOR_FIELDS, Floors, Freshness, HEADER_LEN, Header, Stored};

/// Entries per script call or pipeline.
pub(crate) const BATCH: usize = 500;

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
        pipe.cmd("GET").arg(self.keys.entry(name, key));
        if counting {
            pipe.cmd("HSETNX").arg(&stats).arg("since").arg(self.now());
            pipe.cmd("HINCRBY").arg(&stats).arg("hits").arg(1);
        }
        let answers: Vec<redis::Value> = self.link.pipe(&pipe)?;
        let mut answers = answers.into_iter();
        let mut next = || answers.next().unwrap_or(redis::Value::Nil);
        let (fields, exists, entry, started) = (next(), next(), next(), next());
        let convert = |e: redis::ParsingError| self.damaged(e);
        let fields: Vec<Option<String>> = redis::from_redis_value(fields).map_err(convert)?;
        let exists: bool = redis::from_redis_value(exists).map_err(convert)?;
        let entry: Option<Vec<u8>> = redis::from_redis_value(entry).map_err(convert)?;
        let hit = self.hit(name, &Floors::from_fields(&fields), entry)?;
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

    /// The hit an entry makes under `floors`, if it is one (an entry that
    /// does not decode is a miss).
    fn hit(&self, cache: &str, floors: &Floors, entry: Option<Vec<u8>>) -> Result<Option<Hit>> {
        let Some((header, body)) = entry.and_then(entry::decode) else {
            return Ok(None);
        };
        let stale = match header.judge(floors, self.now()) {
            Freshness::Invalid => return Ok(None),
            freshness => freshness == Freshness::Stale,
        };
        let Some(value) = self.value(cache, &header, body)? else {
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
        cache: &str,
        header: &Header,
        body: Stored,
    ) -> Result<Option<Value>> {
        let list = match body {
            Stored::Inline(bytes) => return Ok(Some(Value::Bytes(bytes))),
            Stored::Chunks(list) => list,
        };
        let chunks = Chunks::decode(&list)
            .ok_or_else(|| self.damaged("an entry whose list of chunks does not decode"))?;
        if !chunks::all_present(&self.link, &self.keys, cache, &chunks)? {
            return Ok(None);
        }
        Ok(Some(Value::Stream(Box::new(ChunkedValue {
            link: Arc::clone(&self.link),
            keys: self.keys.clone(),
            cache: cache.to_string(),
            chunks,
            len: header.len,
        }))))
    }

    pub(crate) fn read_only(&self) -> bool {
        self.link
            .read_only
            .load(std::sync::atomic::Ordering::Relaxed)
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
        let keys = self.indexed(cache)?;
        self.judge_keys(cache, keys)
    }

    /// Every key of a cache's index, sorted.
    pub(crate) fn indexed(&self, cache: &str) -> Result<Vec<Vec<u8>>> {
        self.link.query(
            redis::cmd("ZRANGE")
                .arg(self.keys.cache(cache, "idx"))
                .arg(0)
                .arg(-1),
        )
    }

    /// The headers of `keys` in `cache`, judged now, in the order given.
    pub(crate) fn judge_keys(&self, cache: &str, keys: Vec<Vec<u8>>) -> Result<Vec<Seen>> {
        let (floors, _) = self.floors(cache)?;
        let now = self.now();
        let mut seen = Vec::with_capacity(keys.len());
        for batch in keys.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for key in batch {
                pipe.cmd("GETRANGE")
                    .arg(self.keys.entry(cache, key))
                    .arg(0)
                    .arg(HEADER_LEN - 1);
            }
            let headers: Vec<Vec<u8>> = self.link.pipe(&pipe)?;
            for (key, bytes) in batch.iter().zip(headers) {
                let header = Header::decode(&bytes).map(|(header, _)| header);
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
