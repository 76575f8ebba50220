//! The maintenance family: export and import round trips, gc, and which
//! optional families the engine offers (all of them, unless it declares
//! otherwise in [`Engine::UNSUPPORTED`]).

use std::time::Duration;

use cacheman::GcLimits;
use cacheman::{CacheName, Result, Store};
use cacheman::{InvalidateOptions, Portable, Ttl};

use super::{Engine, Fixture, name};

/// A cache's entries as an export reads them, values in memory.
fn exported(store: &dyn Store, cache: &CacheName) -> Vec<Portable<Vec<u8>>> {
    store
        .export(cache)
        .unwrap()
        .map(|entry| entry.unwrap().try_map(|value| value.into_bytes()).unwrap())
        .collect()
}

/// Imports `entries` into `cache` of `store`.
fn import(store: &dyn Store, cache: &CacheName, entries: &[Portable<Vec<u8>>]) -> u64 {
    let mut importer = store.import(cache).unwrap();
    for entry in entries {
        let bare = entry.clone().try_map(|_| Ok(())).unwrap();
        let mut write = |out: &mut dyn std::io::Write| {
            out.write_all(&entry.value).unwrap();
            Ok(())
        };
        importer.push(bare, &mut write).unwrap();
    }
    importer.finish().unwrap().keys
}

pub fn export_then_import_round_trips<E: Engine>() {
    let f = Fixture::new::<E>();
    let (source, stale) = (name("source"), name("stale"));
    f.set(&source, b"small", b"v");
    f.set(&source, &[0xff, 1], &vec![9; 100_000]);
    f.set_living(
        &source,
        b"timed",
        b"t",
        Ttl::After(Duration::from_secs(3600)),
    );
    f.set(&stale, b"old", b"o");
    let soft = InvalidateOptions {
        soft: true,
        ..InvalidateOptions::default()
    };
    f.store
        .invalidate(std::slice::from_ref(&stale), &soft)
        .unwrap();
    f.clock.advance_ms(1_000);
    f.set(&stale, b"new", b"n");
    let entries = exported(&*f.store, &source);
    assert_eq!(entries.len(), 3);
    assert!(
        entries.windows(2).all(|w| w[0].key < w[1].key),
        "sorted by key"
    );
    assert_eq!(entries[0].expires_ms, None);
    let stale_entries = exported(&*f.store, &stale);
    let marks: Vec<_> = stale_entries
        .iter()
        .map(|e| (e.key.clone(), e.stale))
        .collect();
    assert_eq!(
        marks,
        vec![(b"new".to_vec(), false), (b"old".to_vec(), true)]
    );
    // Into another store, and into another cache of the same one.
    let elsewhere = Fixture::new::<E>();
    for (store, cache) in [(&elsewhere.store, &source), (&f.store, &name("copy"))] {
        assert_eq!(import(&**store, cache, &entries), 3);
        assert_eq!(exported(&**store, cache), entries, "times and values kept");
    }
    assert_eq!(import(&*elsewhere.store, &stale, &stale_entries), 2);
    assert_eq!(elsewhere.get(&stale, b"old"), Some((b"o".to_vec(), true)));
    assert!(
        f.store.export(&name("no-such")).is_err(),
        "export of a missing cache"
    );
}

/// Whether `result` is the "not supported by this store" answer.
fn unsupported<T>(result: Result<T>) -> bool {
    result.is_err_and(|e| e.to_string().contains("not supported by this store"))
}

pub fn families_are_supported_as_declared<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("c");
    f.set(&cache, b"k", b"v");
    let store = &*f.store;
    let answers = [
        ("background work", unsupported(store.reopen_args())),
        ("file bindings", unsupported(store.bindings())),
        ("bind", unsupported(store.bind(&cache, &[]))),
        ("unbind", unsupported(store.unbind(&cache, None))),
        ("export", unsupported(store.export(&cache).map(drop))),
        ("import", unsupported(store.import(&cache).map(drop))),
        ("locks", unsupported(store.try_lock("k").map(drop))),
        ("gc", unsupported(store.gc(&cache, Default::default()))),
        ("stats", unsupported(store.stats(&cache))),
        ("stats --reset", unsupported(store.reset_counters(&cache))),
    ];
    for (family, refused) in answers {
        assert_eq!(refused, E::UNSUPPORTED.contains(&family), "{family}");
    }
    assert!(store.exists());
    assert_eq!(store.cache_names().unwrap(), vec![cache]);
}

pub fn gc_drops_the_dead_and_evicts_to_the_limits<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("collected");
    f.set_living(&cache, b"dies", b"v", Ttl::After(Duration::from_secs(1)));
    for key in [&b"a"[..], b"b", b"c", b"d"] {
        f.clock.advance_ms(10);
        f.set(&cache, key, b"v");
    }
    f.clock.advance_ms(1_000);
    let limits = GcLimits {
        max_entries: Some(2),
        max_bytes: None,
    };
    let report = f.store.gc(&cache, limits).unwrap();
    assert_eq!((report.dropped, report.evicted), (1, 2));
    assert_eq!(report.entries, 2);
    let newest = vec![b"c".to_vec(), b"d".to_vec()];
    assert_eq!(f.store.keys(&cache).unwrap(), newest, "the oldest went");
    assert_eq!(f.reopen::<E>().keys(&cache).unwrap().len(), 2);
}

pub fn the_limits_hold_after_a_set_many<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("limited");
    let settings = cacheman::CacheSettings {
        max_entries: Some(3),
        ..cacheman::CacheSettings::default()
    };
    assert!(f.store.create(&cache, &settings, false).unwrap());
    let write = |keys: &[&str]| {
        let mut items = keys.iter().map(|k| (k.as_bytes().to_vec(), b"v".to_vec()));
        f.store
            .set_many(&cache, &mut items, &cacheman::SetOptions::default())
            .unwrap();
    };
    write(&["a", "b", "c", "d", "e"]);
    f.clock.advance_ms(10);
    write(&["x", "y", "z"]);
    let report = f.store.gc(&cache, GcLimits::default()).unwrap();
    assert_eq!((report.evicted, report.entries), (5, 3));
    let newest = vec![b"x".to_vec(), b"y".to_vec(), b"z".to_vec()];
    assert_eq!(f.store.keys(&cache).unwrap(), newest, "the oldest went");
}
