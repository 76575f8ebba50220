//! Get-or-create: a key's value, or one built by the caller and stored, with
//! `run`'s guarantees: one builder at a time per key (a lock of the store's
//! coordination family), a value built across an invalidation never stored
//! as valid (the epoch read before building is its token), and a stale value
//! served while exactly one caller rebuilds it.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::name::CacheName;
use crate::store::{Lease, NewValue, SetOptions, Store, Ttl, Turn};

/// A caller's check on a found value: false rejects it (it is rebuilt).
pub type Validator<'a> = &'a dyn Fn(&[u8]) -> bool;

/// What to get or create: a key, how long a value stays fresh, and which
/// found values may be used.
#[derive(Clone, Copy)]
pub struct Recipe<'a> {
    /// The cache (created with default settings when a value is stored).
    pub cache: &'a CacheName,
    /// The key.
    pub key: &'a [u8],
    /// How long a built value stays fresh (its entry lives through the
    /// `stale` window too); a found value older than this is rebuilt.
    pub ttl: Ttl,
    /// For this long after `ttl` (or after a soft invalidation), a found
    /// value may still be served while one caller rebuilds it. Needs a `ttl`
    /// duration to start from.
    pub stale: Option<Duration>,
    /// A check on a found value: one it rejects is rebuilt.
    pub validate: Option<Validator<'a>>,
}

/// A usable value found in the store.
#[derive(Debug)]
pub enum Found {
    /// Fresh: serve it.
    Fresh(Vec<u8>),
    /// Past its freshness but in the stale window: serve it, and rebuild.
    Stale(Vec<u8>),
}

/// A value a call came away with, and how.
#[derive(Debug)]
pub enum Got {
    /// Found fresh, maybe after waiting for another caller to build it.
    Found(Vec<u8>),
    /// Built by this call and stored.
    Built(Vec<u8>),
    /// Built by this call and not stored: the cache was invalidated while
    /// it was built (the refusal is the error).
    NotStored(Vec<u8>, Error),
}

impl Got {
    /// The value, however it came.
    pub fn into_value(self) -> Vec<u8> {
        match self {
            Got::Found(value) | Got::Built(value) | Got::NotStored(value, _) => value,
        }
    }
}

impl Recipe<'_> {
    /// The name of the lock builders of this key take.
    pub fn lock_name(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.cache.as_str().as_bytes());
        hasher.update(&[0]);
        hasher.update(self.key);
        format!("get-{}", &hasher.finalize().to_hex()[..32])
    }

    /// The value of the key if it can be used now: fresh, or stale inside
    /// the stale window, and accepted by the validator. A cache whose
    /// settings ask for a bindings check is checked first.
    pub fn lookup(&self, store: &dyn Store) -> Result<Option<Found>> {
        let Some(hit) = crate::watch::checked_get(store, self.cache, self.key)? else {
            return Ok(None);
        };
        let (stale, created_ms) = (hit.stale, hit.created_ms);
        let value = hit.value.into_bytes()?;
        if self.validate.is_some_and(|accepts| !accepts(&value)) {
            return Ok(None);
        }
        let fresh_ms = match self.ttl {
            Ttl::After(ttl) => millis(ttl),
            Ttl::Never | Ttl::CacheDefault => u64::MAX,
        };
        let age = store.clock().now_ms().saturating_sub(created_ms);
        if !stale && age < fresh_ms {
            return Ok(Some(Found::Fresh(value)));
        }
        Ok(match self.stale.map(millis) {
            Some(window) if stale || age < fresh_ms.saturating_add(window) => {
                Some(Found::Stale(value))
            }
            _ => None,
        })
    }

    /// Waits for the key's lock, looks again (another caller may have built
    /// the value meanwhile), and builds it if still missing. A builder that
    /// fails or stores nothing lets every waiter go on at once.
    pub fn build_waiting<E: From<Error>>(
        &self,
        store: &dyn Store,
        build: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Got, E> {
        match store.lock(&self.lock_name())? {
            Turn::Held(lease) => match self.lookup(&*store.uncounted())? {
                Some(Found::Fresh(value)) => Ok(Got::Found(value)),
                _ => self.build_holding(store, Some(lease), build),
            },
            Turn::HolderFailed => self.build_holding(store, None, build),
        }
    }

    /// Rebuilds the value unless another caller is building it (`None`), or
    /// built it since it was found stale.
    pub fn refresh<E: From<Error>>(
        &self,
        store: &dyn Store,
        build: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Option<Got>, E> {
        let Some(lease) = store.try_lock(&self.lock_name())? else {
            return Ok(None);
        };
        match self.lookup(&*store.uncounted())? {
            Some(Found::Fresh(value)) => Ok(Some(Got::Found(value))),
            _ => self.build_holding(store, Some(lease), build).map(Some),
        }
    }

    /// Whether nobody is building the value now (the lock is free).
    pub fn idle(&self, store: &dyn Store) -> Result<bool> {
        Ok(store.try_lock(&self.lock_name())?.is_some())
    }

    /// Builds the value holding `lease` and stores it, conditional on the
    /// epoch read before building.
    fn build_holding<E: From<Error>>(
        &self,
        store: &dyn Store,
        lease: Option<Box<dyn Lease>>,
        build: impl FnOnce() -> Result<Vec<u8>, E>,
    ) -> Result<Got, E> {
        let failed = |lease: Option<Box<dyn Lease>>| lease.map(|lease| lease.release_failed());
        let token = store.epoch()?;
        let value = match build() {
            Ok(value) => value,
            Err(e) => {
                failed(lease);
                return Err(e);
            }
        };
        let options = SetOptions {
            ttl: self.stored_ttl(),
            if_epoch: Some(token),
            ..SetOptions::default()
        };
        match store.set(self.cache, self.key, NewValue::Bytes(&value), &options) {
            Ok(_) => Ok(Got::Built(value)),
            Err(e @ Error::Conflict { .. }) => {
                failed(lease);
                Ok(Got::NotStored(value, e))
            }
            Err(e) => {
                failed(lease);
                Err(e.into())
            }
        }
    }

    /// How long a built value's entry lives: its TTL and the stale window.
    fn stored_ttl(&self) -> Ttl {
        match (self.ttl, self.stale) {
            (Ttl::After(ttl), Some(stale)) => Ttl::After(ttl.saturating_add(stale)),
            (ttl, _) => ttl,
        }
    }
}

/// The value of `recipe`'s key, or the one `build` makes, stored. Callers
/// missing the same key at once build it once (the others wait and take its
/// value); a value built across an invalidation of the cache is returned but
/// not stored; a value the validator rejects is rebuilt. With a stale window,
/// a stale value is returned at once while another caller rebuilds it, and
/// otherwise rebuilt by this one (a library cannot hand its closure to a
/// detached process as `get --or-run` does). `build`'s error is returned
/// as is, and nothing is stored.
///
/// The crate's documentation has a runnable example.
pub fn get_or_create<E: From<Error>>(
    store: &dyn Store,
    recipe: &Recipe<'_>,
    build: impl FnOnce() -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    let got = match recipe.lookup(store)? {
        Some(Found::Fresh(value)) => return Ok(value),
        Some(Found::Stale(value)) => match recipe.refresh(store, build)? {
            Some(got) => got,
            None => return Ok(value),
        },
        None => recipe.build_waiting(store, build)?,
    };
    Ok(got.into_value())
}

/// A duration in whole milliseconds (saturating).
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
