//! The local store's atomic read-modify-writes, each decided under the
//! cache's write lock: a write only if the key has no live entry, and `incr`.

use crate::counter;
use crate::entry::{Entry, StoredValue};
use crate::error::{Error, Result};
use crate::local::cache::Writer;
use crate::local::manifest::Freshness;
use crate::local::record::Op;
use crate::local::{Cache, LocalStore};
use crate::name::{CacheName, check_key};
use crate::store::{SetOptions, Ttl, WriteReport};

impl LocalStore {
    /// With [`SetOptions::if_absent`], under `writer`'s lock: refuses `entry`
    /// when its key has a live entry, and otherwise moves it to the current
    /// epoch (unless it is conditional on a token), so that an invalidation
    /// read here never buries it at once.
    pub(super) fn claim_absent(
        &self,
        cache: &Cache,
        writer: &Writer<'_>,
        entry: &mut Entry,
        options: &SetOptions,
    ) -> Result<()> {
        if !options.if_absent {
            return Ok(());
        }
        let (current, live) = self.live_under_lock(cache, writer, &entry.key)?;
        if live.is_some() {
            return Err(Error::Exists {
                cache: cache.name.to_string(),
                key: String::from_utf8_lossy(&entry.key).into_owned(),
            });
        }
        if options.if_epoch.is_none() {
            entry.epoch = current.epoch;
        }
        Ok(())
    }

    /// The cache as the manifest says now, and the live entry of `key` (a
    /// fresh one) under `writer`'s lock.
    fn live_under_lock(
        &self,
        cache: &Cache,
        writer: &Writer<'_>,
        key: &[u8],
    ) -> Result<(Cache, Option<Entry>)> {
        let current = self.existing(&cache.name)?;
        let now = self.clock.now_ms();
        let live = writer
            .view()?
            .lookup(key)?
            .filter(|e| current.invalidated.judge(e, now) == Freshness::Fresh);
        Ok((current, live))
    }

    /// [`Store::incr`](crate::store::Store::incr) on this store.
    pub(super) fn increment(
        &self,
        cache: &CacheName,
        key: &[u8],
        by: i64,
        ttl: Ttl,
    ) -> Result<(i64, WriteReport)> {
        check_key(key)?;
        let cache = self.existing_or_created(cache)?;
        let mut writer = cache.dir.writer(self.clock.now_ms())?;
        let (current, live) = self.live_under_lock(&cache, &writer, key)?;
        let stored = match live.as_ref().map(|e| &e.value) {
            None => None,
            Some(StoredValue::Inline(bytes)) => Some(bytes.as_slice()),
            Some(StoredValue::Blob { len, .. }) => {
                return Err(counter::refuse(
                    &cache.name,
                    key,
                    format!("a value of {len} bytes is not a decimal integer"),
                ));
            }
        };
        let sum = counter::add(&cache.name, key, stored, by)?;
        let value = StoredValue::Inline(sum.to_string().into_bytes());
        let options = SetOptions {
            ttl,
            ..SetOptions::default()
        };
        let mut entry = self.new_entry(&current, &options, current.epoch, key.to_vec(), value);
        if let Some(old) = live {
            entry.expires_ms = old.expires_ms;
        }
        writer.append(&[Op::Set(entry)], cache.settings.durable)?;
        Ok((sum, self.settle(&cache, writer)))
    }
}
