//! Filling a cache with `key-0`..`key-{N-1}` through the library, shared by the
//! `fill` example and the engine benchmarks.
//!
//! Three methods, from the most to the least ordinary:
//! - [`Method::Set`]: one `Store::set` per entry on a plain `LocalStore::new`,
//!   which merges the whole cache inline every time a journal is due.
//! - [`Method::Deferred`]: one `Store::set` per entry with deferred sync, and one
//!   `Store::sync` each time a journal is due (what the CLI does, minus the
//!   background process).
//! - [`Method::Batch`]: one `Store::set_many`: one lock, one journal write per
//!   chunk, then a single merge instead of one per 4096 entries.

#![allow(dead_code)]

use std::path::Path;
use std::time::Instant;

use cacheman::{CacheName, LocalStore, NewValue, Result, SetOptions, Store};

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

/// Fills `cache` in the store at `store_root` with `n` entries. With `sync`, it
/// then syncs, so that the cache ends with a snapshot and an empty journal;
/// without, what the last write left pending stays in the journal.
pub fn fill(
    store_root: &Path,
    cache: &CacheName,
    n: u64,
    value_size: usize,
    method: Method,
    sync: bool,
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
    if sync {
        let started = Instant::now();
        LocalStore::new(store_root).sync(cache, true)?;
        report.sync_secs = started.elapsed().as_secs_f64();
    }
    Ok(report)
}

fn batch(store_root: &Path, cache: &CacheName, n: u64, value_size: usize) -> Result<()> {
    // Deferred so that the write and the merge are timed apart; with inline sync,
    // `set_many` would run the same merge before returning.
    let store = LocalStore::new(store_root).with_deferred_sync();
    let mut items = (0..n).map(|i| (key(i), value(i, value_size)));
    store.set_many(cache, &mut items, &SetOptions::default())?;
    Ok(())
}
