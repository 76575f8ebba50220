//! Engine benchmarks: `get` (hit and miss), `set` and `sync` on caches of 10, 10k
//! and 1M entries, built once per size in a temporary directory.
//!
//! ```text
//! cargo bench --bench engine
//! cargo bench --bench engine -- get_hit          # one group
//! CACHEMAN_BENCH_SIZES=10,10000 cargo bench --bench engine   # skip the 1M build
//! ```
//!
//! - `get_hit`: keys spread over the whole cache, after a sync (empty journal).
//! - `get_miss`: keys that were never written.
//! - `get_hit_pending`: hits with `COMPACT_RECORDS - 1` overwrites pending in the
//!   journal, one short of a due sync: the most a reader replays in steady state.
//! - `set`: overwrites of existing keys on a store with deferred sync (the CLI's
//!   configuration). It times the write path only (manifest, lock, journal
//!   append); when a sync falls due it runs off the clock, as the CLI's
//!   background sync would, so the journal stays as short as in real use.
//! - `set_pending`: the same starting with `COMPACT_RECORDS - 1` overwrites
//!   pending, and never syncing, so that more pile up as it runs.
//! - `sync_due`: one merge of `COMPACT_RECORDS` pending overwrites (the journal
//!   length that makes a sync due) into the snapshot. Divided by that, it is what an inline
//!   sync adds to every `set` of a plain `LocalStore::new`.
//!
//! One `LocalStore` serves every operation of a size, as in a long-lived
//! process: what it keeps of a cache between operations is what is measured.
//! Each size's store is built once and kept under `target/bench-stores/`
//! (synced again when a run starts), so reruns skip the build.

#[path = "support/fill.rs"]
mod fill;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use cacheman::WriteReport;
use cacheman::internals::local::cache::COMPACT_RECORDS;
use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

/// How many distinct keys each hit benchmark cycles through.
const KEY_POOL: usize = 4096;

struct Fixture {
    store: LocalStore,
    cache: CacheName,
    entries: u64,
}

impl Fixture {
    /// The store of `entries` entries kept under `target/bench-stores/`,
    /// built first when missing.
    fn build(entries: u64) -> Fixture {
        let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-stores");
        let dir = kept.join(entries.to_string());
        let built = dir.join("built");
        let cache = CacheName::new("bench").expect("a valid name");
        if !built.exists() {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("the bench store directory");
            let report =
                fill::fill(&dir, &cache, entries, 16, fill::Method::Batch, true).expect("fill");
            eprintln!(
                "built a {entries}-entry cache in {:.2} s (write {:.2} s, sync {:.2} s)",
                report.write_secs + report.sync_secs,
                report.write_secs,
                report.sync_secs
            );
            std::fs::write(&built, b"").expect("the built marker");
        }
        let store = LocalStore::new(&dir).with_deferred_sync();
        let fixture = Fixture {
            store,
            cache,
            entries,
        };
        // An earlier run may have stopped with writes pending.
        fixture.sync();
        fixture
    }

    /// Existing keys spread over the cache, in a scattered order.
    fn hit_keys(&self) -> Vec<Vec<u8>> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..KEY_POOL)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                fill::key(x % self.entries)
            })
            .collect()
    }

    fn sync(&self) {
        self.store.sync(&self.cache, true).expect("sync");
    }

    /// Writes `count` overwrites of `keys` in one `set_many`, leaving them
    /// pending in the journal.
    fn overwrite(&self, keys: &[Vec<u8>], count: u64) -> WriteReport {
        let mut items = keys
            .iter()
            .cycle()
            .take(count as usize)
            .enumerate()
            .map(|(i, key)| (key.clone(), fill::value(i as u64, 16)));
        self.store
            .set_many(&self.cache, &mut items, &SetOptions::default())
            .expect("set_many")
    }
}

fn sizes() -> Vec<u64> {
    match std::env::var("CACHEMAN_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("CACHEMAN_BENCH_SIZES: comma-separated entry counts")
            })
            .collect(),
        Err(_) => vec![10, 10_000, 1_000_000],
    }
}

fn get_hit(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = c.benchmark_group("get_hit");
    group.throughput(Throughput::Elements(1));
    for f in fixtures {
        let keys = f.hit_keys();
        group.bench_with_input(BenchmarkId::from_parameter(f.entries), &keys, |b, keys| {
            let mut i = 0;
            b.iter(|| {
                let key = &keys[i % KEY_POOL];
                i += 1;
                let hit = f
                    .store
                    .get(&f.cache, black_box(key))
                    .expect("get")
                    .expect("a hit");
                black_box(hit.value.into_bytes().expect("value"))
            });
        });
    }
    group.finish();
}

fn get_miss(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = c.benchmark_group("get_miss");
    group.throughput(Throughput::Elements(1));
    for f in fixtures {
        let keys: Vec<Vec<u8>> = (0..KEY_POOL)
            .map(|i| format!("absent-{i}").into_bytes())
            .collect();
        group.bench_with_input(BenchmarkId::from_parameter(f.entries), &keys, |b, keys| {
            let mut i = 0;
            b.iter(|| {
                let key = &keys[i % KEY_POOL];
                i += 1;
                assert!(
                    f.store
                        .get(&f.cache, black_box(key))
                        .expect("get")
                        .is_none()
                );
            });
        });
    }
    group.finish();
}

fn get_hit_pending(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = c.benchmark_group("get_hit_pending");
    group.throughput(Throughput::Elements(1));
    for f in fixtures {
        let keys = f.hit_keys();
        // Not synced even when an autosync rule calls for it (a kept store
        // last synced long ago): the point is a journal this long.
        f.overwrite(&keys, COMPACT_RECORDS - 1);
        group.bench_with_input(BenchmarkId::from_parameter(f.entries), &keys, |b, keys| {
            let mut i = 0;
            b.iter(|| {
                let key = &keys[i % KEY_POOL];
                i += 1;
                let hit = f
                    .store
                    .get(&f.cache, black_box(key))
                    .expect("get")
                    .expect("a hit");
                black_box(hit.value.into_bytes().expect("value"))
            });
        });
        f.sync();
    }
    group.finish();
}

fn set(c: &mut Criterion, fixtures: &[Fixture]) {
    set_with(c, fixtures, "set", None);
}

fn set_pending(c: &mut Criterion, fixtures: &[Fixture]) {
    set_with(c, fixtures, "set_pending", Some(COMPACT_RECORDS - 1));
}

/// Times overwrites of existing keys, one at a time. With `pending`, the
/// journal starts with that many records and is never synced while timed;
/// without, a due sync runs off the clock, as the CLI's background sync would.
fn set_with(c: &mut Criterion, fixtures: &[Fixture], name: &str, pending: Option<u64>) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(1));
    let options = SetOptions::default();
    for f in fixtures {
        let keys = f.hit_keys();
        if let Some(pending) = pending {
            f.overwrite(&keys, pending);
        }
        group.bench_with_input(BenchmarkId::from_parameter(f.entries), &keys, |b, keys| {
            let mut i = 0;
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let key = &keys[i % KEY_POOL];
                    let value = fill::value(i as u64, 16);
                    i += 1;
                    let started = Instant::now();
                    let report = f
                        .store
                        .set(&f.cache, key, NewValue::Bytes(&value), &options)
                        .expect("set");
                    timed += started.elapsed();
                    if report.sync_due && pending.is_none() {
                        f.sync();
                    }
                }
                timed
            });
        });
        f.sync();
    }
    group.finish();
}

fn sync(c: &mut Criterion, fixtures: &[Fixture]) {
    let mut group = c.benchmark_group("sync_due");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1));
    for f in fixtures {
        let keys = f.hit_keys();
        group.bench_with_input(BenchmarkId::from_parameter(f.entries), &keys, |b, keys| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    assert!(f.overwrite(keys, COMPACT_RECORDS).sync_due);
                    let started = Instant::now();
                    f.sync();
                    total += started.elapsed();
                }
                total
            });
        });
    }
    group.finish();
}

fn main() {
    let fixtures: Vec<Fixture> = sizes().into_iter().map(Fixture::build).collect();
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    get_hit(&mut c, &fixtures);
    get_miss(&mut c, &fixtures);
    get_hit_pending(&mut c, &fixtures);
    set(&mut c, &fixtures);
    set_pending(&mut c, &fixtures);
    sync(&mut c, &fixtures);
    c.final_summary();
}
