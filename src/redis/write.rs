//! The write path on Redis: `set` and `set_many` (values above the inline
//! limit stored as chunks first), landed by one script per batch in the
//! cache's slot, which also creates the cache and checks an epoch token
//! (`set_many` on one server: a transaction instead, see `watched.rs`).

use redis::ScriptInvocation;

use crate::error::{Error, Result};
use crate::name::CacheName;
use crate::store::{CacheSettings, NewValue, SetOptions, Ttl, WriteReport};

use super::RedisStore;
use super::chunks::{self, Chunks, Gathered};
use super::data::BATCH;
use super::scripts;

/// How much longer than its entry the server keeps an expiring entry (and,
/// twice that, its chunks), so that a clock a little behind still finds it.
pub(crate) const GRACE_MS: u64 = 3_600_000;

/// The longest expiry the server is given (2^46 ms, about 2,230 years):
/// Redis refuses a `PX` whose deadline overflows, and the entry's header
/// keeps the real expiry (the write script uses the same number).
pub(crate) const MAX_PX: u64 = 1 << 46;

/// The most write script calls of one `set_many` sent in one pipeline.
const PIPELINED: usize = 16;

/// Entries per transaction of `set_many` on one server.
const TRANSACTION: usize = 4096;

/// The most bytes of keys and inline values in one batch of `set_many`
/// (far below what the server takes in one request).
const BATCH_BYTES: usize = 8 << 20;

/// The write script's answer: written (or -1, -2), floor, created, durable.
pub(crate) type Answer = (i64, u64, bool, bool);

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

/// What the first entry a write script writes must find first.
pub(crate) enum Guard {
    /// Nothing: the write goes ahead.
    None,
    /// No live entry of the key (`set` only if absent).
    Absent,
    /// A live entry created then, with this inline value (`incr`'s
    /// compare-and-set).
    Same { created_ms: u64, value: Vec<u8> },
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

impl RedisStore {
    /// Checks that a write may go ahead (the store writable, its durability
    /// promised); returns the time and the expiry of what it writes.
    fn start_write(&self, options: &SetOptions) -> Result<(u64, Expiry)> {
        self.writable()?;
        self.check_durable(options.durable)?;
        let now = self.now();
        Ok((now, expiry(options.ttl, now)))
    }

    /// The entry `set` writes into `cache`: its value inline, or its chunks
    /// stored now.
    pub(crate) fn item(
        &self,
        cache: &str,
        key: &[u8],
        value: NewValue<'_>,
        options: &SetOptions,
    ) -> Result<Item> {
        let (now, expires) = self.start_write(options)?;
        let px = chunk_px(expires, now);
        let (body, len) = match value {
            NewValue::Bytes(bytes) => (self.body(cache, bytes, px)?, bytes.len() as u64),
            NewValue::Stream(input) => {
                match chunks::gather(&self.link, &self.keys, cache, input, px)? {
                    Gathered::Inline(bytes) => {
                        let len = bytes.len() as u64;
                        (Body::Inline(bytes), len)
                    }
                    Gathered::Chunked(chunks, len) => (Body::Chunked(chunks), len),
                }
            }
        };
        Ok(Item {
            key: key.to_vec(),
            created_ms: now,
            expires,
            len,
            stale: false,
            body,
        })
    }

    /// A value as the write script takes it: inline, or chunks stored now
    /// with expiry `px`.
    pub(crate) fn body(&self, cache: &str, value: &[u8], px: Option<u64>) -> Result<Body> {
        Ok(match value.len() <= chunks::INLINE_MAX {
            true => Body::Inline(value.to_vec()),
            false => Body::Chunked(chunks::store(&self.link, &self.keys, cache, value, px)?),
        })
    }

    /// Writes `items` into `cache`: on one server, batches of
    /// [`TRANSACTION`] entries, each one transaction; on a cluster, batches
    /// of [`BATCH`], up to [`PIPELINED`] of them sent together (each one
    /// script call). A batch ends early at [`BATCH_BYTES`].
    pub(crate) fn write_many(
        &self,
        cache: &CacheName,
        items: &mut dyn Iterator<Item = (Vec<u8>, Vec<u8>)>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        crate::store::one_at_a_time(options)?;
        let (now, expires) = self.start_write(options)?;
        let (size, pipelined) = match self.cluster {
            true => (BATCH, PIPELINED),
            false => (TRANSACTION, 1),
        };
        let mut batches = vec![Vec::new()];
        let mut bytes = 0;
        for (key, value) in items {
            bytes += key.len() + value.len().min(chunks::INLINE_MAX);
            let batch = batches.last_mut().expect("never empty");
            batch.push(Item {
                key,
                created_ms: now,
                expires,
                len: value.len() as u64,
                stale: false,
                body: self.body(cache.as_str(), &value, chunk_px(expires, now))?,
            });
            if batch.len() == size || bytes >= BATCH_BYTES {
                bytes = 0;
                if batches.len() == pipelined {
                    self.put_all(cache, std::mem::take(&mut batches), options)?;
                }
                batches.push(Vec::new());
            }
        }
        batches.retain(|batch| !batch.is_empty());
        self.put_all(cache, batches, options)
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
        let guard = match options.if_absent {
            true => Guard::Absent,
            false => Guard::None,
        };
        self.put_guarded(cache, items, options, &guard)
    }

    /// [`RedisStore::put`], the first entry written only if `guard` holds
    /// ([`Error::Exists`] otherwise).
    pub(crate) fn put_guarded(
        &self,
        cache: &CacheName,
        items: Vec<Item>,
        options: &SetOptions,
        guard: &Guard,
    ) -> Result<WriteReport> {
        match self.put_once(cache, &items, options, guard)? {
            Some(report) => Ok(report),
            None => {
                self.finish_abandoned()?;
                Ok(self
                    .put_once(cache, &items, options, guard)?
                    .unwrap_or_default())
            }
        }
    }

    /// Writes each of `batches` into `cache`: on one server one transaction
    /// each; on a cluster one script call each, the first alone (it loads
    /// the script and creates the cache), the others in one pipeline, each
    /// answer then taken as [`RedisStore::put`] would.
    fn put_all(
        &self,
        cache: &CacheName,
        mut batches: Vec<Vec<Item>>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        if !self.cluster {
            return self.put_each(cache, batches, options);
        }
        if batches.is_empty() {
            return Ok(WriteReport::default());
        }
        let rest = batches.split_off(1);
        let mut report = self.put(cache, batches.remove(0), options)?;
        let calls = rest
            .iter()
            .map(|items| self.call(cache, items, options, &Guard::None))
            .collect::<Result<Vec<_>>>()?;
        let mut pipe = redis::pipe();
        calls.iter().for_each(|call| {
            pipe.invoke_script(call);
        });
        let answers: Vec<Answer> = self.link.pipe(&pipe)?;
        for (items, answer) in rest.into_iter().zip(answers) {
            report = match self.settle(cache, &items, answer, options)? {
                Some(report) => report,
                None => self.put(cache, items, options)?,
            };
        }
        Ok(report)
    }

    /// Writes each of `batches` into `cache` as one transaction, taken as
    /// [`RedisStore::put`] would take the script's answer; the script
    /// itself when the transaction keeps being aborted.
    fn put_each(
        &self,
        cache: &CacheName,
        batches: Vec<Vec<Item>>,
        options: &SetOptions,
    ) -> Result<WriteReport> {
        let mut report = WriteReport::default();
        for items in batches {
            let settled = match self.put_watched(cache, &items, options)? {
                Some(answer) => self.settle(cache, &items, answer, options)?,
                None => None,
            };
            report = match settled {
                Some(report) => report,
                None => self.put(cache, items, options)?,
            };
        }
        Ok(report)
    }

    fn put_once(
        &self,
        cache: &CacheName,
        items: &[Item],
        options: &SetOptions,
        guard: &Guard,
    ) -> Result<Option<WriteReport>> {
        let answer = self.link.eval(&self.call(cache, items, options, guard)?)?;
        self.settle(cache, items, answer, options)
    }

    /// The script call writing `items` into `cache`, the first only if
    /// `guard` holds.
    fn call(
        &self,
        cache: &CacheName,
        items: &[Item],
        options: &SetOptions,
        guard: &Guard,
    ) -> Result<ScriptInvocation<'static>> {
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
            .key(&epoch_key)
            .key(self.keys.cache(name, "chunks"))
            .arg(&token)
            .arg(&defaults)
            .arg(&epoch);
        let now = self.now();
        match guard {
            Guard::None => call.arg("").arg("").arg(""),
            Guard::Absent => call.arg(now).arg("").arg(""),
            Guard::Same { created_ms, value } => call.arg(now).arg(created_ms).arg(value),
        };
        for item in items {
            let (expires, px) = match item.expires {
                Expiry::Default => ("default".to_string(), String::new()),
                Expiry::Never => (String::new(), String::new()),
                Expiry::At(at) => (
                    at.to_string(),
                    at.saturating_sub(now)
                        .saturating_add(GRACE_MS)
                        .min(MAX_PX)
                        .to_string(),
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
        Ok(call)
    }

    /// Takes the write script's answer: `None` when a cascade not yet
    /// published floors the cache (the write is to be tried again).
    fn settle(
        &self,
        cache: &CacheName,
        items: &[Item],
        (written, floor, created, durable): Answer,
        options: &SetOptions,
    ) -> Result<Option<WriteReport>> {
        let name = cache.as_str();
        if written == -2 {
            return Ok(None);
        }
        if written == -3 {
            return Err(Error::Exists {
                cache: name.to_string(),
                key: String::from_utf8_lossy(&items[0].key).into_owned(),
            });
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
        Expiry::At(at) => Some(
            at.saturating_sub(now)
                .saturating_add(2 * GRACE_MS)
                .min(MAX_PX),
        ),
        Expiry::Default | Expiry::Never => None,
    }
}

/// Settings as the `meta` hash keeps them.
pub(crate) fn settings_json(settings: &CacheSettings) -> String {
    serde_json::to_string(settings).unwrap_or_default()
}
