//! The graph and invalidation family: dependencies and cycle refusal, hard and
//! soft cascades, key selectors, dry runs, and the epoch token.

use cacheman::{CacheName, ExitCode, NewValue, SetOptions};
use cacheman::{InvalidateOptions, KeySelector};

use super::{Engine, Fixture, name};

/// `a -> b -> c`, plus `x` on the side, each holding `k = NAME`.
fn chain<E: Engine>() -> (Fixture, [CacheName; 4]) {
    let f = Fixture::new::<E>();
    let [a, b, c, x] = ["a", "b", "c", "x"].map(name);
    for cache in [&a, &b, &c, &x] {
        f.set(cache, b"k", cache.as_str().as_bytes());
    }
    assert_eq!(f.store.depend(&a, std::slice::from_ref(&b)).unwrap(), 1);
    assert_eq!(f.store.depend(&b, std::slice::from_ref(&c)).unwrap(), 1);
    (f, [a, b, c, x])
}

fn options(soft: bool, cascade: bool) -> InvalidateOptions {
    InvalidateOptions {
        soft,
        cascade,
        ..InvalidateOptions::default()
    }
}

pub fn dependencies_refuse_a_cycle<E: Engine>() {
    let (f, [a, b, c, _]) = chain::<E>();
    assert_eq!(
        f.store.depend(&a, std::slice::from_ref(&b)).unwrap(),
        0,
        "not new"
    );
    let err = f.store.depend(&c, std::slice::from_ref(&a)).unwrap_err();
    assert!(err.to_string().contains("cycle"), "{err}");
    assert!(
        f.store.depend(&a, std::slice::from_ref(&a)).is_err(),
        "self edge"
    );
    let graph = f.store.graph().unwrap();
    let edges: Vec<_> = graph.edges().collect();
    assert_eq!(
        edges,
        vec![("a", "b"), ("b", "c")],
        "the refused edge is not stored"
    );
    let fresh = name("made-by-depend");
    f.store.depend(&c, std::slice::from_ref(&fresh)).unwrap();
    assert!(f.store.settings(&fresh).unwrap().is_some(), "created");
    assert_eq!(f.store.undepend(&b, &[c.clone(), a.clone()]).unwrap(), 1);
    assert_eq!(f.store.graph().unwrap().dependents("b").count(), 0);
}

pub fn hard_cascade_reaches_every_transitive_dependent<E: Engine>() {
    let (f, [a, b, c, x]) = chain::<E>();
    let alone = f
        .store
        .invalidate(std::slice::from_ref(&b), &options(false, false))
        .unwrap();
    assert_eq!(alone.caches, vec![b.clone()]);
    assert_eq!(f.get(&b, b"k"), None);
    assert!(f.get(&c, b"k").is_some(), "no cascade without asking");
    f.set(&b, b"k", b"b");
    let all = f
        .store
        .invalidate(std::slice::from_ref(&a), &options(false, true))
        .unwrap();
    assert_eq!(
        all.caches,
        vec![a.clone(), b.clone(), c.clone()],
        "each after its roots"
    );
    assert_eq!(all.epoch, f.store.epoch().unwrap());
    for cache in [&a, &b, &c] {
        assert_eq!(f.get(cache, b"k"), None, "{cache}");
        assert!(f.store.keys(cache).unwrap().is_empty());
    }
    assert_eq!(f.get(&x, b"k"), Some((b"x".to_vec(), false)));
}

pub fn soft_cascade_serves_stale_values_marked<E: Engine>() {
    let (f, [a, b, c, x]) = chain::<E>();
    let done = f
        .store
        .invalidate(std::slice::from_ref(&a), &options(true, true))
        .unwrap();
    assert_eq!(done.caches.len(), 3);
    for cache in [&a, &b, &c] {
        let value = cache.as_str().as_bytes().to_vec();
        assert_eq!(f.get(cache, b"k"), Some((value, true)), "stale, marked so");
        assert!(f.store.keys(cache).unwrap().is_empty(), "stale is not live");
    }
    assert_eq!(f.get(&x, b"k"), Some((b"x".to_vec(), false)));
    f.store
        .invalidate(std::slice::from_ref(&b), &options(false, false))
        .unwrap();
    assert_eq!(
        f.get(&b, b"k"),
        None,
        "a hard invalidation drops stale values"
    );
    assert!(f.get(&a, b"k").unwrap().1);
}

pub fn a_write_after_invalidation_is_fresh<E: Engine>() {
    let (f, [a, ..]) = chain::<E>();
    f.store
        .invalidate(std::slice::from_ref(&a), &options(true, false))
        .unwrap();
    f.set(&a, b"k", b"new");
    f.set(&a, b"other", b"2");
    assert_eq!(f.get(&a, b"k"), Some((b"new".to_vec(), false)));
    assert_eq!(
        f.store.keys(&a).unwrap(),
        vec![b"k".to_vec(), b"other".to_vec()]
    );
    assert_eq!(f.reopen::<E>().keys(&a).unwrap().len(), 2);
}

pub fn key_selectors_take_a_prefix_or_a_glob<E: Engine>() {
    let (f, [a, b, ..]) = chain::<E>();
    for key in ["user/1", "user/2", "user/2/avatar", "team/1"] {
        f.set(&a, key.as_bytes(), b"v");
    }
    let by_prefix = InvalidateOptions {
        keys: Some(KeySelector::Prefix(b"user/2".to_vec())),
        ..InvalidateOptions::default()
    };
    let done = f
        .store
        .invalidate(std::slice::from_ref(&a), &by_prefix)
        .unwrap();
    assert_eq!(done.keys, 2);
    let left = ["k", "team/1", "user/1"].map(|k| k.as_bytes().to_vec());
    assert_eq!(f.store.keys(&a).unwrap(), left);
    assert!(f.get(&b, b"k").is_some(), "no cascade without asking");
    let glob = globset::Glob::new("*/1").unwrap().compile_matcher();
    let by_glob = InvalidateOptions {
        keys: Some(KeySelector::Glob(glob)),
        cascade: true,
        ..InvalidateOptions::default()
    };
    let done = f
        .store
        .invalidate(std::slice::from_ref(&a), &by_glob)
        .unwrap();
    assert_eq!(done.keys, 2);
    assert_eq!(f.store.keys(&a).unwrap(), vec![b"k".to_vec()]);
    assert_eq!(f.get(&b, b"k"), None, "dependents go whole");
}

pub fn dry_run_changes_nothing<E: Engine>() {
    let (f, [a, b, c, _]) = chain::<E>();
    let epoch = f.store.epoch().unwrap();
    let dry = InvalidateOptions {
        dry_run: true,
        ..options(false, true)
    };
    let said = f.store.invalidate(std::slice::from_ref(&a), &dry).unwrap();
    assert_eq!(said.caches, vec![a.clone(), b, c.clone()]);
    assert_eq!(f.store.epoch().unwrap(), epoch);
    assert!(f.get(&a, b"k").is_some() && f.get(&c, b"k").is_some());
}

pub fn an_epoch_token_older_than_an_invalidation_is_refused<E: Engine>() {
    let (f, [a, b, c, x]) = chain::<E>();
    let write = |cache: &CacheName, token: u64| {
        let options = SetOptions {
            if_epoch: Some(token),
            ..SetOptions::default()
        };
        f.store
            .set(cache, b"computed", NewValue::Bytes(b"v"), &options)
    };
    let before = f.store.epoch().unwrap();
    write(&c, before).expect("no invalidation since the token: accepted");
    let done = f
        .store
        .invalidate(std::slice::from_ref(&a), &options(false, true))
        .unwrap();
    assert!(done.epoch > before, "an invalidation moves the epoch");
    assert!(
        write(&c, before).is_err(),
        "invalidated (by cascade) since the token"
    );
    assert!(write(&b, before).is_err());
    assert_eq!(
        f.get(&c, b"computed"),
        None,
        "the refused write did not land"
    );
    write(&x, before).expect("x was not invalidated");
    let now = f.store.epoch().unwrap();
    write(&c, now).expect("a token taken after the invalidation is accepted");
    assert!(f.get(&c, b"computed").is_some());
}

pub fn an_epoch_token_newer_than_the_store_is_refused<E: Engine>() {
    let f = Fixture::new::<E>();
    let fresh = name("fresh");
    let ahead = f.store.epoch().unwrap() + 5;
    let options = SetOptions {
        if_epoch: Some(ahead),
        ..SetOptions::default()
    };
    let refused = f
        .store
        .set(&fresh, b"k", NewValue::Bytes(b"v"), &options)
        .expect_err("a token no epoch of this store gave is refused");
    assert_eq!(refused.exit_code(), ExitCode::Usage, "{refused}");
    let many = f
        .store
        .set_many(
            &fresh,
            &mut std::iter::once((b"k".to_vec(), b"v".to_vec())),
            &options,
        )
        .expect_err("set_many refuses it too");
    assert_eq!(many.exit_code(), ExitCode::Usage, "{many}");
    assert!(f.store.list().unwrap().is_empty(), "nothing was created");
}
