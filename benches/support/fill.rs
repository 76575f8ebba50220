//! Filling a cache with `key-0`..`key-{N-1}` through the library, shared by the
//! `fill` example and the engine benchmarks.
//!
//! Three methods, from the most to the least ordinary:
//! - [`Method::Set`]: one `Store::set` per entry on a plain `LocalStore::new`,
//!   which merges the whole cache inline every time a journal is due.
//! - [`Method::Deferred`]: one `Store::set` per entry with deferred sync, and one
//!   `Store::sync` each time a journal is due (what the CLI does, minus the
//!   background process).
//! - [`Method::Batch`]: the engine's own journal writer (public, in
//!   `cacheman::local`), appending many `Set` records per write under one lock,
//!   then a single `Store::sync`. Same files, same merge, no per-entry open.

#![allow(dead_code)]

use std::time::Instant;

use cacheman::entry::{Entry, StoredValue, now_ms};
use cacheman::local::INLINE_MAX;
use cacheman::local::blob;
use cacheman::local::record::Op;
use cacheman::{CacheName, CacheSettings, LocalStore, NewValue, Result, SetOptions, Store};

/// Records per journal append in [`Method::Batch`].
const BATCH: usize = 16 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Set,
    Deferred,
    Batch,
}

impl Method {
    pub fn parse(name: &str) -> Option<Method> {
        match name {
            "set" => Some(Method::Set),
            "deferred" => Some(Method::Deferred),
            "batch" => Some(Method::Batch),
            _ => None,
        }
    }
}

/// What a fill did and how long its parts took.
#[derive(Debug, Default)]
pub struct FillReport {
    pub write_secs: f64,
    pub sync_secs: f64,
    /// Syncs that happened while writing (inline or explicit), not counting the last.
    pub syncs_while_writing: u64,
}

/// The key of entry `i`.
pub fn key(i: u64) -> Vec<u8> {
    format!("key-{i}").into_bytes()
}

/// The value of entry `i`: `value-{i}-` repeated to exactly `size` bytes.
pub fn value(i: u64, size: usize) -> Vec<u8> {
    let unit = format!("value-{i}-");
    unit.bytes().cycle().take(size).collect()
}

/// Fills `cache` in the store at `store.root()` with `n` entries and syncs it,
/// so that it ends with a snapshot and an empty journal.
pub fn fill(
    store_root: &std::path::Path,
    cache: &CacheName,
    n: u64,
    value_size: usize,
    method: Method,
) -> Result<FillReport> {
    let mut report = FillReport::default();
    let started = Instant::now();
    match method {
        Method::Set => {
            let store = LocalStore::new(store_root);
            for i in 0..n {
                store.set(
                    cache,
                    &key(i),
                    NewValue::Bytes(&value(i, value_size)),
                    &SetOptions::default(),
                )?;
                if (i + 1) % 4096 == 0 {
                    report.syncs_while_writing += 1;
                }
            }
        }
        Method::Deferred => {
            let store = LocalStore::new(store_root).with_deferred_sync();
            for i in 0..n {
                let done = store.set(
                    cache,
                    &key(i),
                    NewValue::Bytes(&value(i, value_size)),
                    &SetOptions::default(),
                )?;
                if done.sync_due {
                    store.sync(cache, true)?;
                    report.syncs_while_writing += 1;
                }
            }
        }
        Method::Batch => batch(store_root, cache, n, value_size)?,
    }
    report.write_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    LocalStore::new(store_root).sync(cache, true)?;
    report.sync_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

fn batch(store_root: &std::path::Path, cache: &CacheName, n: u64, value_size: usize) -> Result<()> {
    let store = LocalStore::new(store_root);
    let settings = match store.settings(cache)? {
        Some(settings) => settings,
        None => {
            let settings = CacheSettings::default();
            store.create(cache, &settings)?;
            settings
        }
    };
    let dir = store.cache_dir(cache, &settings)?;
    let now = now_ms();
    let expires_ms = settings.ttl_ms.map(|ttl| now.saturating_add(ttl));
    let mut writer = dir.writer()?;
    let mut ops = Vec::with_capacity(BATCH);
    for i in 0..n {
        let bytes = value(i, value_size);
        let value = if bytes.len() <= INLINE_MAX {
            StoredValue::Inline(bytes)
        } else {
            let (hash, len) = blob::write(&dir.blobs_path(), &bytes, &mut std::io::empty(), false)?;
            StoredValue::Blob { hash, len }
        };
        ops.push(Op::Set(Entry {
            key: key(i),
            value,
            created_ms: now,
            expires_ms,
            epoch: 0,
        }));
        if ops.len() == BATCH {
            writer.append(&ops, false)?;
            ops.clear();
        }
    }
    if !ops.is_empty() {
        writer.append(&ops, false)?;
    }
    Ok(())
}
