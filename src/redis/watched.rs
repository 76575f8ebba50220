//! `set_many` on one server without a script: the cache's bookkeeping read
//! under WATCH, its entries written by one MULTI/EXEC that any change to that
//! bookkeeping meanwhile (an invalidation, a clear, a drop) aborts, and tried
//! again. The same checks and the same writes as the write script's, at the
//! cost of plain commands (a script pays to marshal every argument into Lua).

use std::collections::HashSet;

use redis::{Pipeline, RedisResult, Value};

use crate::name::CacheName;
use crate::store::{CacheSettings, SetOptions};

use super::RedisStore;
use super::entry::number;
use super::write::{Answer, Body, Expiry, GRACE_MS, Item, settings_json};

/// How many times a transaction aborted by a concurrent change is tried
/// again before the write script (atomic, never aborted) takes over.
const TRIES: usize = 8;

/// The fields of `meta` a write reads, in order.
const READ: [&str; 7] = ["settings", "hard", "soft", "keys", "gen", "ttl", "durable"];

/// What a write found in the cache's `meta` and the store's epoch.
struct Found {
    created: bool,
    hard: u64,
    soft: u64,
    keys: u64,
    generation: String,
    ttl: Option<u64>,
    durable: bool,
    epoch: u64,
}

impl RedisStore {
    /// Writes `items` into `cache` on one server as one transaction, the
    /// write script's answer (`None` on a cluster, or when concurrent
    /// changes aborted it [`TRIES`] times: the caller then uses the script).
    pub(crate) fn put_watched(
        &self,
        cache: &CacheName,
        items: &[Item],
        options: &SetOptions,
    ) -> crate::error::Result<Option<Answer>> {
        for _ in 0..TRIES {
            let answer = self
                .link
                .exclusive(|conn| self.attempt(conn, cache.as_str(), items, options));
            match answer {
                None => return Ok(None),
                Some(answer) => {
                    if let Some(answer) = answer? {
                        return Ok(Some(answer));
                    }
                }
            }
        }
        Ok(None)
    }

    /// One try: WATCH and read, check, then MULTI … EXEC (`None`: aborted).
    fn attempt(
        &self,
        conn: &mut redis::Connection,
        cache: &str,
        items: &[Item],
        options: &SetOptions,
    ) -> RedisResult<Option<Answer>> {
        let meta = self.keys.cache(cache, "meta");
        let mut read = redis::pipe();
        read.cmd("WATCH").arg(&meta).arg(self.keys.store("epoch"));
        read.cmd("HMGET").arg(&meta).arg(&READ[..]);
        read.cmd("GET").arg(self.keys.store("epoch"));
        let ((), fields, epoch): ((), Vec<Option<String>>, Option<String>) = read.query(conn)?;
        let found = Found::read(&fields, epoch.as_deref());
        if let Some(refused) = refusal(&found, options.if_epoch) {
            redis::cmd("UNWATCH").exec(conn)?;
            return Ok(Some(refused));
        }
        let pipe = self.transaction(cache, &meta, items, &found, options);
        let mut answers: Vec<Value> = pipe.query(conn)?;
        if let Some(error) = answers.iter().find_map(server_error) {
            return Err(error);
        }
        Ok(match answers.pop() {
            Some(Value::Nil) => None,
            _ => Some((items.len() as i64, 0, found.created, found.durable)),
        })
    }

    /// MULTI, the writes the write script makes, EXEC: as one pipeline whose
    /// answers are all kept (an error queued is found by the caller).
    fn transaction(
        &self,
        cache: &str,
        meta: &[u8],
        items: &[Item],
        found: &Found,
        options: &SetOptions,
    ) -> Pipeline {
        let epoch = options.if_epoch.unwrap_or(found.epoch);
        let entries: Vec<Vec<u8>> = items
            .iter()
            .map(|item| self.keys.entry(cache, &item.key))
            .collect();
        let mut pipe = redis::pipe();
        pipe.ignore_errors().cmd("MULTI");
        if found.created {
            let defaults = settings_json(&CacheSettings::default());
            pipe.cmd("HSET").arg(meta).arg("settings").arg(defaults);
        }
        if !entries.is_empty() {
            pipe.cmd("DEL").arg(&entries);
        }
        let mut seen = HashSet::with_capacity(items.len());
        let mut idx = redis::cmd("ZADD");
        idx.arg(self.keys.cache(cache, "idx"));
        let mut chunks = redis::cmd("SADD");
        chunks.arg(self.keys.cache(cache, "chunks"));
        let mut chunked = false;
        for (item, entry) in items.iter().zip(&entries) {
            if !seen.insert(entry.as_slice()) {
                pipe.cmd("DEL").arg(entry);
            }
            let (expires, px) = found.expiry(item);
            let hset = pipe.cmd("HSET").arg(entry);
            hset.arg("c").arg(item.created_ms).arg("p").arg(epoch);
            hset.arg("g").arg(&found.generation).arg("n").arg(item.len);
            match &item.body {
                Body::Inline(bytes) => hset.arg("v").arg(bytes),
                Body::Chunked(list) => {
                    chunked = true;
                    list.ids.iter().for_each(|id| {
                        chunks.arg(&id[..]);
                    });
                    hset.arg("k").arg(list.encode())
                }
            };
            if let Some(at) = expires {
                hset.arg("x").arg(at);
            }
            if item.stale {
                hset.arg("s").arg("1");
            }
            if let Some(px) = px {
                pipe.cmd("PEXPIRE").arg(entry).arg(px);
            }
            idx.arg(0).arg(&item.key);
        }
        if chunked {
            pipe.add_command(chunks);
        }
        if !items.is_empty() {
            pipe.add_command(idx);
        }
        pipe.cmd("EXEC");
        pipe
    }
}

impl Found {
    /// From the values of [`READ`] and the store's epoch.
    fn read(fields: &[Option<String>], epoch: Option<&str>) -> Found {
        let field = |i: usize| fields.get(i).and_then(|f| f.as_deref());
        Found {
            created: field(0).is_none(),
            hard: number(field(1)),
            soft: number(field(2)),
            keys: number(field(3)),
            generation: field(4).unwrap_or("0").to_string(),
            ttl: field(5).and_then(|t| t.parse().ok()),
            durable: field(6) == Some("1"),
            epoch: number(epoch),
        }
    }

    /// When `item` expires and how long the server keeps it (ms), the
    /// cache's default TTL applied as the write script applies it.
    fn expiry(&self, item: &Item) -> (Option<u64>, Option<u64>) {
        match (item.expires, self.ttl) {
            (Expiry::Default, Some(ttl)) => (
                Some(item.created_ms.saturating_add(ttl)),
                Some(ttl.saturating_add(GRACE_MS)),
            ),
            (Expiry::Default | Expiry::Never, _) => (None, None),
            (Expiry::At(at), _) => (
                Some(at),
                Some(at.saturating_sub(item.created_ms) + GRACE_MS),
            ),
        }
    }
}

/// The write script's refusal of a write on what was found: a floor above
/// the epoch token (-1), or (no token) above the store's epoch (-2).
fn refusal(found: &Found, token: Option<u64>) -> Option<Answer> {
    let (limit, code, checked) = match token {
        Some(token) => (token, -1, 3),
        None => (found.epoch, -2, 2),
    };
    let floors = [found.hard, found.soft, found.keys];
    let floor = floors[..checked].iter().copied().find(|f| *f > limit)?;
    Some((code, floor, found.created, false))
}

/// The first error a server answered inside a transaction.
fn server_error(value: &Value) -> Option<redis::RedisError> {
    match value {
        Value::ServerError(error) => Some(error.clone().into()),
        Value::Array(values) => values.iter().find_map(server_error),
        _ => None,
    }
}
