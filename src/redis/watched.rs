//! `set_many` on one server without a script: the cache's bookkeeping read
//! under WATCH, its entries written by one MULTI/EXEC that any change to that
//! bookkeeping meanwhile (an invalidation, a clear, a drop) aborts, and tried
//! again. The same checks and the same writes as the write script's, at the
//! cost of plain commands (a script pays to marshal every argument into Lua).
//! Each EXEC is followed by the WATCH and the read of the next transaction,
//! kept on the connection, so a batch of many pays one round trip for each.

use redis::{ConnectionLike, RedisResult, Value};

use crate::error::Result;
use crate::name::CacheName;
use crate::store::{CacheSettings, SetOptions};

use super::RedisStore;
use super::entry::{Header, number};
use super::link::Memo;
use super::resp::Resp;
use super::write::{Answer, Body, Expiry, GRACE_MS, Item, MAX_PX, settings_json};

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
    ) -> Result<Option<Answer>> {
        let meta = self.keys.cache(cache.as_str(), "meta");
        let answer = self.link.exclusive(|conn, memo| {
            for _ in 0..TRIES {
                let found = match remembered(memo.take(), &meta) {
                    // A refusal is only ever made on a fresh read.
                    Some(found) if refusal(&found, options.if_epoch).is_none() => found,
                    _ => self.watch(conn, &meta)?,
                };
                if let Some(refused) = refusal(&found, options.if_epoch) {
                    redis::cmd("UNWATCH").exec(conn)?;
                    return Ok(Some(refused));
                }
                let pipe = self.transaction(cache.as_str(), &meta, items, &found, options);
                let answers = conn.req_packed_commands(&pipe.bytes, 0, pipe.count)?;
                if let Some(error) = answers.iter().find_map(server_error) {
                    return Err(error);
                }
                let mut answers = answers.into_iter().rev();
                let (epoch, fields) = (answers.next(), answers.next());
                if let (Some(epoch), Some(fields)) = (epoch, fields) {
                    *memo = Some((meta.clone(), vec![fields, epoch]));
                }
                answers.next(); // the WATCH's
                if answers.next() != Some(Value::Nil) {
                    return Ok(Some((items.len() as i64, 0, found.created, found.durable)));
                }
            }
            Ok(None)
        });
        answer.transpose().map(Option::flatten)
    }

    /// Watches `meta` and the store's epoch and reads them.
    fn watch(&self, conn: &mut redis::Connection, meta: &[u8]) -> RedisResult<Found> {
        let mut read = redis::pipe();
        read.cmd("UNWATCH");
        read.cmd("WATCH").arg(meta).arg(self.keys.store("epoch"));
        read.cmd("HMGET").arg(meta).arg(&READ[..]);
        read.cmd("GET").arg(self.keys.store("epoch"));
        let ((), (), fields, epoch): ((), (), Vec<Option<String>>, Option<String>) =
            read.query(conn)?;
        Ok(Found::read(&fields, epoch.as_deref()))
    }

    /// MULTI, the writes the write script makes, EXEC, then the WATCH and
    /// the read of the next transaction.
    fn transaction(
        &self,
        cache: &str,
        meta: &[u8],
        items: &[Item],
        found: &Found,
        options: &SetOptions,
    ) -> Resp {
        let epoch = options.if_epoch.unwrap_or(found.epoch);
        let entries: Vec<Vec<u8>> = items
            .iter()
            .map(|item| self.keys.entry(cache, &item.key))
            .collect();
        let size: usize = entries.iter().map(|e| 2 * e.len() + 100).sum();
        let values: usize = items.iter().map(|i| i.len.min(1024) as usize).sum();
        let mut pipe = Resp::with_capacity(size + values + 4096);
        pipe.command(1).arg(b"MULTI");
        if found.created {
            let defaults = settings_json(&CacheSettings::default());
            pipe.command(4).arg(b"HSET").arg(meta);
            pipe.arg(b"settings").arg(defaults.as_bytes());
        }
        let generation = number(Some(&found.generation));
        for (item, entry) in items.iter().zip(&entries) {
            let (expires_ms, px) = found.expiry(item);
            let header = Header {
                created_ms: item.created_ms,
                expires_ms,
                epoch,
                generation,
                len: item.len,
                stale: item.stale,
            };
            let encoded;
            let (chunked, body) = match &item.body {
                Body::Inline(bytes) => (false, bytes.as_slice()),
                Body::Chunked(chunks) => {
                    encoded = chunks.encode();
                    (true, encoded.as_slice())
                }
            };
            pipe.command(3 + 2 * usize::from(px.is_some()));
            pipe.arg(b"SET").arg(entry);
            pipe.joined(&[&header.encode(chunked), body]);
            if let Some(px) = px {
                pipe.arg(b"PX").number(px);
            }
        }
        let ids: Vec<&[u8; 32]> = items
            .iter()
            .filter_map(|item| match &item.body {
                Body::Chunked(chunks) => Some(&chunks.ids),
                Body::Inline(_) => None,
            })
            .flatten()
            .collect();
        if !ids.is_empty() {
            pipe.command(2 + ids.len()).arg(b"SADD");
            pipe.arg(&self.keys.cache(cache, "chunks"));
            ids.iter().for_each(|id| {
                pipe.arg(&id[..]);
            });
        }
        if !items.is_empty() {
            pipe.command(2 + 2 * items.len()).arg(b"ZADD");
            pipe.arg(&self.keys.cache(cache, "idx"));
            items.iter().for_each(|item| {
                pipe.arg(b"0").arg(&item.key);
            });
        }
        pipe.command(1).arg(b"EXEC");
        let epoch_key = self.keys.store("epoch");
        pipe.command(3).arg(b"WATCH").arg(meta).arg(&epoch_key);
        pipe.command(2 + READ.len()).arg(b"HMGET").arg(meta);
        READ.iter().for_each(|field| {
            pipe.arg(field.as_bytes());
        });
        pipe.command(2).arg(b"GET").arg(&epoch_key);
        pipe
    }
}

/// What the memo says of `meta`, if it is of `meta` and readable.
fn remembered(memo: Memo, meta: &[u8]) -> Option<Found> {
    let (key, answers) = memo?;
    let [fields, epoch] = <[Value; 2]>::try_from(answers).ok()?;
    let fields: Vec<Option<String>> = redis::from_redis_value(fields).ok()?;
    let epoch: Option<String> = redis::from_redis_value(epoch).ok()?;
    (key == meta).then(|| Found::read(&fields, epoch.as_deref()))
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
                Some(ttl.saturating_add(GRACE_MS).min(MAX_PX)),
            ),
            (Expiry::Default | Expiry::Never, _) => (None, None),
            (Expiry::At(at), _) => (
                Some(at),
                Some(
                    at.saturating_sub(item.created_ms)
                        .saturating_add(GRACE_MS)
                        .min(MAX_PX),
                ),
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
