//! Blob space is reclaimed as soon as no entry names a blob: at the sync that
//! merges the overwrite, delete, clear, invalidation or eviction, and at `gc`.
//! Readers and exports running meanwhile never find a blob gone.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use cacheman::GcLimits;
use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};
use cacheman::{CacheSettings, InvalidateOptions, SyncResult};

/// A value big enough to be a blob, different for every `n`.
fn big(tag: &str, n: u64) -> Vec<u8> {
    let mut value = format!("{tag}:{n}:").into_bytes();
    value.resize(10_000, b'.');
    value
}

fn blob_files(store_root: &Path, cache: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(fans) = fs::read_dir(store_root.join("caches").join(cache).join("blobs")) else {
        return files;
    };
    for fan in fans {
        let fan = fan.unwrap().path();
        if fan.is_dir() {
            files.extend(fs::read_dir(&fan).unwrap().map(|f| f.unwrap().path()));
        }
    }
    files
}

fn set(store: &LocalStore, cache: &CacheName, key: &str, value: &[u8]) {
    store
        .set(
            cache,
            key.as_bytes(),
            NewValue::Bytes(value),
            &SetOptions::default(),
        )
        .unwrap();
}

fn get(store: &LocalStore, cache: &CacheName, key: &str) -> Option<Vec<u8>> {
    store
        .get(cache, key.as_bytes())
        .unwrap()
        .map(|hit| hit.value.into_bytes().unwrap())
}

#[test]
fn a_sync_deletes_the_blobs_no_entry_names_any_more() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path()).with_deferred_sync();
    let cache = CacheName::new("c").unwrap();
    for n in 0..20 {
        set(&store, &cache, "overwritten", &big("o", n));
    }
    set(&store, &cache, "deleted", &big("d", 0));
    set(&store, &cache, "shared-1", &big("s", 0));
    set(&store, &cache, "shared-2", &big("s", 0));
    set(&store, &cache, "kept", &big("k", 0));
    assert_eq!(
        blob_files(dir.path(), "c").len(),
        23,
        "the shared value is one blob"
    );
    store.delete(&cache, &[b"deleted", b"shared-1"]).unwrap();
    store.sync(&cache, true).unwrap();

    // The last overwrite, the shared value still named by shared-2, and kept.
    assert_eq!(blob_files(dir.path(), "c").len(), 3);
    assert_eq!(get(&store, &cache, "overwritten"), Some(big("o", 19)));
    assert_eq!(get(&store, &cache, "shared-2"), Some(big("s", 0)));
    assert_eq!(get(&store, &cache, "kept"), Some(big("k", 0)));

    // A blob in the snapshot goes when a journal replaces it.
    set(&store, &cache, "kept", &big("k", 1));
    store.sync(&cache, true).unwrap();
    assert_eq!(blob_files(dir.path(), "c").len(), 3);

    store.clear(&cache).unwrap();
    store.sync(&cache, true).unwrap();
    assert_eq!(blob_files(dir.path(), "c"), Vec::<PathBuf>::new());
}

#[test]
fn invalidated_and_evicted_entries_give_back_their_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path()).with_deferred_sync();
    let (root, limited) = (
        CacheName::new("root").unwrap(),
        CacheName::new("limited").unwrap(),
    );
    let settings = CacheSettings {
        max_entries: Some(3),
        ..CacheSettings::default()
    };
    store.create(&limited, &settings, false).unwrap();
    for n in 0..10 {
        set(&store, &limited, &format!("k{n}"), &big("l", n));
        set(&store, &root, &format!("k{n}"), &big("r", n));
    }
    store.sync(&limited, true).unwrap();
    assert_eq!(blob_files(dir.path(), "limited").len(), 3);

    store.sync(&root, true).unwrap();
    assert_eq!(blob_files(dir.path(), "root").len(), 10);
    store
        .invalidate(std::slice::from_ref(&root), &InvalidateOptions::default())
        .unwrap();
    store.sync(&root, true).unwrap();
    assert_eq!(blob_files(dir.path(), "root"), Vec::<PathBuf>::new());

    for n in 0..10 {
        set(&store, &root, &format!("k{n}"), &big("r2", n));
    }
    let limits = GcLimits {
        max_entries: Some(4),
        max_bytes: None,
    };
    let report = store.gc(&root, limits).unwrap();
    assert_eq!(
        (report.evicted, report.blobs.files, report.orphans.files),
        (6, 6, 0)
    );
    assert_eq!(blob_files(dir.path(), "root").len(), 4);
}

/// One writer overwrites a few blob-sized keys over and over while another
/// thread syncs without pause; readers and exports must never fail, and must
/// always see a value some write stored.
#[test]
fn readers_and_exports_never_find_a_blob_gone() {
    const KEYS: u64 = 4;
    const WRITES: u64 = 1500;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let cache = CacheName::new("busy").unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    {
        let store = LocalStore::new(&root).with_deferred_sync();
        for k in 0..KEYS {
            set(&store, &cache, &format!("k{k}"), &big(&format!("k{k}"), 0));
        }
    }
    let writer = {
        let (root, cache, written) = (root.clone(), cache.clone(), written.clone());
        thread::spawn(move || {
            let store = LocalStore::new(&root).with_deferred_sync();
            for n in 1..=WRITES {
                let k = n % KEYS;
                set(&store, &cache, &format!("k{k}"), &big(&format!("k{k}"), n));
                written.store(n, Ordering::SeqCst);
            }
        })
    };
    let syncer = {
        let (root, cache, done) = (root.clone(), cache.clone(), done.clone());
        thread::spawn(move || {
            let store = LocalStore::new(&root);
            let mut syncs = 0;
            while !done.load(Ordering::SeqCst) {
                store.sync(&cache, true).unwrap();
                syncs += 1;
            }
            syncs
        })
    };
    let well_formed = |key: &[u8], value: &[u8]| {
        let text = String::from_utf8_lossy(&value[..20]).into_owned();
        let tag = format!("{}:", String::from_utf8_lossy(key));
        assert!(text.starts_with(&tag), "{text:?} under {key:?}");
        assert_eq!(value.len(), 10_000);
    };
    let reader = {
        let (root, cache, done) = (root.clone(), cache.clone(), done.clone());
        thread::spawn(move || {
            let store = LocalStore::new(&root);
            let mut reads = 0u64;
            while !done.load(Ordering::SeqCst) {
                let key = format!("k{}", reads % KEYS);
                let value = get(&store, &cache, &key).expect("every key always has a value");
                well_formed(key.as_bytes(), &value);
                reads += 1;
            }
            reads
        })
    };
    let exporter = {
        let (root, cache, done) = (root.clone(), cache.clone(), done.clone());
        thread::spawn(move || {
            let store = LocalStore::new(&root);
            let mut exports = 0u64;
            while !done.load(Ordering::SeqCst) {
                let export = store.export(&cache).unwrap();
                let mut seen = 0;
                export
                    .for_each(|entry| {
                        well_formed(&entry.key, &entry.value.into_bytes()?);
                        seen += 1;
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(seen, KEYS);
                exports += 1;
            }
            exports
        })
    };
    writer.join().unwrap();
    done.store(true, Ordering::SeqCst);
    let syncs = syncer.join().unwrap();
    let reads = reader.join().unwrap();
    let exports = exporter.join().unwrap();
    assert_eq!(written.load(Ordering::SeqCst), WRITES);
    assert!(
        syncs > 10 && reads > 0 && exports > 0,
        "{syncs} syncs, {reads} reads, {exports} exports"
    );

    let store = LocalStore::new(&root);
    store.gc(&cache, GcLimits::default()).unwrap();
    assert_eq!(blob_files(&root, "busy").len() as u64, KEYS);
}

#[test]
fn an_export_keeps_the_blobs_it_has_yet_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path()).with_deferred_sync();
    let cache = CacheName::new("c").unwrap();
    for n in 0..5 {
        set(&store, &cache, &format!("k{n}"), &big("old", n));
    }
    let export = store.export(&cache).unwrap();
    for n in 0..5 {
        set(&store, &cache, &format!("k{n}"), &big("new", n));
    }
    store.sync(&cache, true).unwrap();
    let mut old = Vec::new();
    export
        .for_each(|entry| {
            old.push(entry.value.into_bytes()?);
            Ok(())
        })
        .unwrap();
    assert_eq!(old, (0..5).map(|n| big("old", n)).collect::<Vec<_>>());
    drop(export);

    // What the sync had to leave, the next sync sweeps up.
    assert_eq!(blob_files(dir.path(), "c").len(), 10);
    set(&store, &cache, "small", b"v");
    store.sync(&cache, true).unwrap();
    assert_eq!(blob_files(dir.path(), "c").len(), 5);
    assert!(!dir.path().join("caches/c/reclaim.due").exists());
}

/// gc waits for a running export before it deletes anything, but holds no
/// other lock meanwhile: syncs go on.
#[test]
fn gc_waits_for_an_export_without_holding_up_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let store = LocalStore::new(&root).with_deferred_sync();
    let cache = CacheName::new("c").unwrap();
    set(&store, &cache, "k", &big("old", 0));
    let export = store.export(&cache).unwrap();
    let gc = {
        let (root, cache) = (root.clone(), cache.clone());
        thread::spawn(move || LocalStore::new(&root).gc(&cache, GcLimits::default()))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !blocked_on_a_lock() {
        assert!(Instant::now() < deadline, "gc never waited for the export");
        thread::sleep(Duration::from_millis(5));
    }
    set(&store, &cache, "k", &big("new", 0));
    // Busy while gc runs its own sync; for good if it held the sync lock
    // while it waits.
    while !matches!(
        store.sync(&cache, false).unwrap().0,
        SyncResult::Synced { .. }
    ) {
        assert!(
            Instant::now() < deadline,
            "a sync could not run while gc waited"
        );
        thread::sleep(Duration::from_millis(5));
    }
    assert!(!gc.is_finished());
    export
        .for_each(|entry| entry.value.into_bytes().map(drop))
        .unwrap();
    drop(export);
    gc.join().unwrap().unwrap();
    assert_eq!(blob_files(&root, "c").len(), 1);
}

/// Whether some process waits for an flock (a `->` line in /proc/locks).
fn blocked_on_a_lock() -> bool {
    fs::read_to_string("/proc/locks").is_ok_and(|locks| locks.contains("->"))
}

/// Big values add little to a journal, so a journal's own bound would let
/// them pile up far past a cache's limits before a sync; a write that takes
/// the cache more than an eighth past a limit asks for one.
#[test]
fn writes_past_the_limits_bring_the_sync_that_evicts() {
    const MAX_BYTES: u64 = 4 << 20;
    const MAX_ENTRIES: u64 = 512;
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path());
    let (bytes, entries) = (
        CacheName::new("bytes").unwrap(),
        CacheName::new("entries").unwrap(),
    );
    let limit = |max_entries, max_bytes| CacheSettings {
        max_entries,
        max_bytes,
        ..CacheSettings::default()
    };
    store
        .create(&bytes, &limit(None, Some(MAX_BYTES)), false)
        .unwrap();
    store
        .create(&entries, &limit(Some(MAX_ENTRIES), None), false)
        .unwrap();
    let totals = |cache: &CacheName| {
        let summary = store.list().unwrap();
        let summary = summary.iter().find(|s| &s.name == cache).unwrap();
        (summary.entries, summary.bytes)
    };
    let mut value = vec![b'.'; 100_000];
    for n in 0..100u64 {
        value[..8].copy_from_slice(&n.to_le_bytes());
        set(&store, &bytes, &format!("k{n}"), &value);
        let (_, stored) = totals(&bytes);
        assert!(
            stored <= MAX_BYTES + MAX_BYTES / 8,
            "after {n}: {stored} bytes"
        );
        assert!(blob_files(dir.path(), "bytes").len() <= 47);
    }
    for n in 0..1000 {
        set(&store, &entries, &format!("k{n}"), b"small");
        let (count, _) = totals(&entries);
        assert!(
            count <= MAX_ENTRIES + MAX_ENTRIES / 8,
            "after {n}: {count} entries"
        );
    }
    assert_eq!(
        get(&store, &bytes, "k99").map(|v| v[..8].to_vec()),
        Some(99u64.to_le_bytes().to_vec())
    );
}

/// Overwrites of a large value leave dead blobs until a sync; the journal
/// counts the bytes its records name, so a cache without limits does not
/// hold more than about 64 MiB of them either.
#[test]
fn overwritten_large_values_do_not_pile_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::new(dir.path());
    let cache = CacheName::new("big").unwrap();
    let mut value = vec![b'.'; 1 << 20];
    let mut most = 0;
    for n in 0..80u64 {
        value[..8].copy_from_slice(&n.to_le_bytes());
        set(&store, &cache, "k", &value);
        most = most.max(blob_files(dir.path(), "big").len());
    }
    assert!(most <= 65, "{most} blobs of 1 MiB for one entry");
    assert_eq!(
        get(&store, &cache, "k").map(|v| v[..8].to_vec()),
        Some(79u64.to_le_bytes().to_vec())
    );
}
