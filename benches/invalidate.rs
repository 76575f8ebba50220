//! Invalidating a root with 1000 dependents: the cascade costs one manifest
//! write, so the time must not depend on how many entries the caches hold.
//!
//! ```text
//! cargo bench --bench invalidate
//! ```
//!
//! - `cascade/1000x10` and `cascade/1000x1000`: a root with 1000 dependents
//!   holding 10 and 1000 entries each (10k and 1M entries in all).
//! - `get_in_store/1001_caches`: a `get` hit in a cache of that store, whose
//!   manifest every read decodes.

use std::hint::black_box;
use std::time::Instant;

use cacheman::InvalidateOptions;
use cacheman::{CacheName, LocalStore, SetOptions, Store};
use criterion::{BenchmarkId, Criterion};
use tempfile::TempDir;

const DEPENDENTS: usize = 1000;

struct Fixture {
    _dir: TempDir,
    store: LocalStore,
    root: CacheName,
    first_dependent: CacheName,
}

fn build(entries_per_cache: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = LocalStore::new(dir.path());
    let root = CacheName::new("root").expect("a name");
    let dependents: Vec<CacheName> = (0..DEPENDENTS)
        .map(|i| CacheName::new(&format!("dep{i:04}")).expect("a name"))
        .collect();
    let started = Instant::now();
    store.depend(&root, &dependents).expect("depend");
    for cache in std::iter::once(&root).chain(&dependents) {
        let mut items =
            (0..entries_per_cache).map(|i| (format!("key-{i}").into_bytes(), vec![b'v'; 16]));
        store
            .set_many(cache, &mut items, &SetOptions::default())
            .expect("fill");
        store.sync(cache, true).expect("sync");
    }
    eprintln!(
        "built 1 root + {DEPENDENTS} dependents x {entries_per_cache} entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Fixture {
        _dir: dir,
        store,
        root,
        first_dependent: dependents[0].clone(),
    }
}

fn benches(c: &mut Criterion) {
    let fixtures: Vec<(usize, Fixture)> = [10, 1000].into_iter().map(|n| (n, build(n))).collect();
    let cascade = InvalidateOptions {
        cascade: true,
        ..InvalidateOptions::default()
    };
    let mut group = c.benchmark_group("cascade");
    group.sample_size(30);
    for (entries, fixture) in &fixtures {
        group.bench_function(
            BenchmarkId::from_parameter(format!("{DEPENDENTS}x{entries}")),
            |b| {
                b.iter(|| {
                    let done = fixture
                        .store
                        .invalidate(std::slice::from_ref(&fixture.root), &cascade);
                    black_box(done.expect("invalidate").caches.len())
                })
            },
        );
    }
    group.finish();

    let (_, big) = &fixtures[1];
    let fresh = SetOptions::default();
    big.store
        .set(
            &big.first_dependent,
            b"fresh",
            cacheman::NewValue::Bytes(b"v"),
            &fresh,
        )
        .expect("set");
    c.bench_function("get_in_store/1001_caches", |b| {
        b.iter(|| {
            black_box(
                big.store
                    .get(&big.first_dependent, b"fresh")
                    .expect("get")
                    .is_some(),
            )
        })
    });
}

criterion::criterion_group!(invalidate, benches);
criterion::criterion_main!(invalidate);
