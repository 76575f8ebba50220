//! Invalidation racing writes, in-process: a value computed before an
//! invalidation must never be stored as valid after it, when it is written with
//! the epoch token taken before it was computed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use cacheman::InvalidateOptions;
use cacheman::{CacheName, Error, LocalStore, NewValue, SetOptions, Store};

#[test]
fn a_value_computed_before_an_invalidation_never_lands_valid_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = CacheName::new("sources").unwrap();
    let derived = CacheName::new("objects").unwrap();
    let store = LocalStore::new(dir.path());
    store.depend(&root, std::slice::from_ref(&derived)).unwrap();
    // The "truth" the derived value is computed from; the invalidator advances it.
    let version = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let refused = Arc::new(AtomicU64::new(0));

    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (path, derived, version, done, refused) = (
                dir.path().to_path_buf(),
                derived.clone(),
                version.clone(),
                done.clone(),
                refused.clone(),
            );
            thread::spawn(move || {
                let store = LocalStore::new(&path);
                let mut rng = fastrand::Rng::with_seed(w);
                while !done.load(Ordering::SeqCst) {
                    let token = store.epoch().unwrap();
                    let computed = version.load(Ordering::SeqCst);
                    for _ in 0..rng.usize(0..2000) {
                        std::hint::spin_loop();
                    }
                    let options = SetOptions {
                        if_epoch: Some(token),
                        ..SetOptions::default()
                    };
                    let value = computed.to_string();
                    match store.set(&derived, b"k", NewValue::Bytes(value.as_bytes()), &options) {
                        Ok(_) => {}
                        Err(Error::Conflict { .. }) => {
                            refused.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();

    let cascade = InvalidateOptions {
        cascade: true,
        ..InvalidateOptions::default()
    };
    for round in 1..=150u64 {
        version.store(round, Ordering::SeqCst);
        store
            .invalidate(std::slice::from_ref(&root), &cascade)
            .unwrap();
        // Anything valid now was computed from this round's truth or later.
        if let Some(hit) = store.get(&derived, b"k").unwrap().filter(|h| !h.stale) {
            let seen: u64 = String::from_utf8(hit.value.into_bytes().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                seen >= round,
                "round {round}: a value computed from version {seen} survived"
            );
        }
        thread::yield_now();
    }
    done.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap();
    }
    assert!(
        refused.load(Ordering::SeqCst) > 0,
        "the race never happened; the test proved nothing"
    );
}

#[test]
fn a_write_with_a_token_from_before_an_invalidation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CacheName::new("c").unwrap();
    let store = LocalStore::new(dir.path());
    store
        .set(
            &cache,
            b"k",
            NewValue::Bytes(b"old"),
            &SetOptions::default(),
        )
        .unwrap();
    let token = store.epoch().unwrap();
    store
        .invalidate(std::slice::from_ref(&cache), &InvalidateOptions::default())
        .unwrap();
    assert!(store.get(&cache, b"k").unwrap().is_none());
    let stale_write = SetOptions {
        if_epoch: Some(token),
        ..SetOptions::default()
    };
    let refused = store.set(&cache, b"k", NewValue::Bytes(b"from before"), &stale_write);
    assert!(
        matches!(refused, Err(Error::Conflict { .. })),
        "{refused:?}"
    );
    assert!(
        store.get(&cache, b"k").unwrap().is_none(),
        "a refused write changed nothing"
    );
    store
        .set(
            &cache,
            b"k",
            NewValue::Bytes(b"new"),
            &SetOptions::default(),
        )
        .unwrap();
    let hit = store.get(&cache, b"k").unwrap().unwrap();
    assert_eq!(hit.value.into_bytes().unwrap(), b"new");
}
