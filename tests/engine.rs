//! Engine behaviour under concurrency, driven in-process: writers, syncs and
//! readers on separate threads use separate file handles and so separate locks,
//! exactly as separate processes would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};

#[test]
fn readers_see_every_acknowledged_write_while_syncs_run() {
    const WRITERS: u64 = 3;
    const PER_WRITER: u64 = 1500;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let cache = CacheName::new("busy").unwrap();
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..WRITERS).map(|_| AtomicU64::new(0)).collect());
    let done = Arc::new(AtomicBool::new(false));

    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (root, cache, acked) = (root.clone(), cache.clone(), acked.clone());
            thread::spawn(move || {
                let store = LocalStore::new(&root).with_deferred_sync();
                for n in 0..PER_WRITER {
                    let key = format!("w{w}-{n}");
                    let value = format!("value {n} of writer {w}");
                    store
                        .set(
                            &cache,
                            key.as_bytes(),
                            NewValue::Bytes(value.as_bytes()),
                            &SetOptions::default(),
                        )
                        .unwrap();
                    acked[w as usize].store(n + 1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    let syncer = {
        let (root, cache, done) = (root.clone(), cache.clone(), done.clone());
        thread::spawn(move || {
            let store = LocalStore::new(&root);
            let mut syncs = 0;
            while !done.load(Ordering::SeqCst) {
                if store.settings(&cache).unwrap().is_some() {
                    store.sync(&cache, true).unwrap();
                    syncs += 1;
                }
            }
            syncs
        })
    };

    let reader = {
        let (root, cache, acked, done) = (root.clone(), cache.clone(), acked.clone(), done.clone());
        thread::spawn(move || {
            let store = LocalStore::new(&root);
            let mut reads = 0u64;
            let mut i = 0u64;
            while !done.load(Ordering::SeqCst) {
                i += 1;
                let w = i % WRITERS;
                let upto = acked[w as usize].load(Ordering::SeqCst);
                if upto == 0 {
                    continue;
                }
                let n = (i * 7919) % upto;
                let key = format!("w{w}-{n}");
                let hit = store
                    .get(&cache, key.as_bytes())
                    .unwrap()
                    .unwrap_or_else(|| panic!("acknowledged key {key} is missing"));
                assert_eq!(
                    hit.value.into_bytes().unwrap(),
                    format!("value {n} of writer {w}").into_bytes()
                );
                reads += 1;
            }
            reads
        })
    };

    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let syncs = syncer.join().unwrap();
    let reads = reader.join().unwrap();
    assert!(syncs > 0 && reads > 0, "syncs {syncs}, reads {reads}");

    let store = LocalStore::new(&root);
    assert_eq!(
        store.keys(&cache).unwrap().len() as u64,
        WRITERS * PER_WRITER
    );
    let lock = root.join("caches/busy/write.lock");
    assert!(lock.exists(), "the permanent lock file is still there");
}

#[test]
fn a_sync_does_not_lose_writes_made_while_it_merges() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CacheName::new("c").unwrap();
    let store = LocalStore::new(dir.path());
    let items = (0..50_000u32).map(|i| (format!("old{i}").into_bytes(), i.to_le_bytes().to_vec()));
    store
        .set_many(&cache, &mut items.into_iter(), &SetOptions::default())
        .unwrap();

    let root = dir.path().to_path_buf();
    let merging = {
        let cache = cache.clone();
        thread::spawn(move || LocalStore::new(&root).sync(&cache, true).unwrap())
    };
    for i in 0..300u32 {
        store
            .set(
                &cache,
                format!("new{i}").as_bytes(),
                NewValue::Bytes(b"x"),
                &SetOptions::default(),
            )
            .unwrap();
    }
    merging.join().unwrap();
    store.sync(&cache, true).unwrap();
    let keys = store.keys(&cache).unwrap();
    assert_eq!(keys.len(), 50_300);
    assert!(store.get(&cache, b"new299").unwrap().is_some());
    assert!(store.get(&cache, b"old49999").unwrap().is_some());
}
