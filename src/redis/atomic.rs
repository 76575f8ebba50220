//! `incr` on Redis: the sum is computed here and written by the write script
//! only if the entry is still the one read (a compare-and-set, tried again
//! when another writer got there first), so no increment is ever lost.

use crate::counter;
use crate::error::{Error, Result};
use crate::name::{CacheName, check_key};
use crate::store::{SetOptions, Ttl, WriteReport};

use super::RedisStore;
use super::entry::{self, Freshness, Stored};
use super::write::{Body, Expiry, Guard, Item, expiry};

impl RedisStore {
    /// [`Store::incr`](crate::store::Store::incr) on this store.
    pub(crate) fn increment(
        &self,
        cache: &CacheName,
        key: &[u8],
        by: i64,
        ttl: Ttl,
    ) -> Result<(i64, WriteReport)> {
        check_key(key)?;
        self.writable()?;
        loop {
            let (floors, _) = self.floors(cache.as_str())?;
            let entry: Option<Vec<u8>> = self
                .link
                .query(redis::cmd("GET").arg(self.keys.entry(cache.as_str(), key)))?;
            let now = self.now();
            let live = entry
                .and_then(entry::decode)
                .filter(|(h, _)| h.judge(&floors, now) == Freshness::Fresh);
            let stored = match &live {
                None => None,
                Some((_, Stored::Inline(value))) => Some(value.as_slice()),
                Some((header, Stored::Chunks(_))) => {
                    let why = format!("a value of {} bytes is not a decimal integer", header.len);
                    return Err(counter::refuse(cache, key, why));
                }
            };
            let sum = counter::add(cache, key, stored, by)?;
            let body = sum.to_string().into_bytes();
            let (expires, guard) = match (&live, stored) {
                (Some((header, _)), Some(value)) => (
                    header.expires_ms.map_or(Expiry::Never, Expiry::At),
                    Guard::Same {
                        created_ms: header.created_ms,
                        value: value.to_vec(),
                    },
                ),
                _ => (expiry(ttl, now), Guard::Absent),
            };
            let item = Item {
                key: key.to_vec(),
                created_ms: now,
                expires,
                len: body.len() as u64,
                stale: false,
                body: Body::Inline(body),
            };
            match self.put_guarded(cache, vec![item], &SetOptions::default(), &guard) {
                Err(Error::Exists { .. }) => continue,
                written => return written.map(|report| (sum, report)),
            }
        }
    }
}
