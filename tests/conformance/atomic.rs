//! The atomic writes: `set` only if absent, and `incr`, each decided against
//! concurrent writers; and `get_or_create` built on them and the locks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use cacheman::{
    Error, ExitCode, InvalidateOptions, NewValue, Recipe, SetOptions, Store, Ttl, get_or_create,
};

use super::{Engine, Fixture, name};

fn if_absent() -> SetOptions {
    SetOptions {
        if_absent: true,
        ..SetOptions::default()
    }
}

fn put_if_absent(store: &dyn Store, key: &[u8], value: &[u8]) -> Result<(), Error> {
    store
        .set(&name("c"), key, NewValue::Bytes(value), &if_absent())
        .map(drop)
}

pub fn set_if_absent_writes_only_over_no_live_entry<E: Engine>() {
    let f = Fixture::new::<E>();
    let c = name("c");
    put_if_absent(&*f.store, b"k", b"first").unwrap();
    let refused = put_if_absent(&*f.store, b"k", b"second").unwrap_err();
    assert!(matches!(refused, Error::Exists { .. }), "{refused:?}");
    assert_eq!(refused.exit_code(), ExitCode::Miss);
    assert_eq!(f.get(&c, b"k").unwrap().0, b"first");
    // An expired entry is no live entry.
    f.set_living(&c, b"e", b"old", Ttl::After(Duration::from_secs(1)));
    f.clock.advance_ms(2_000);
    put_if_absent(&*f.store, b"e", b"new").unwrap();
    assert_eq!(f.get(&c, b"e").unwrap().0, b"new");
    // Nor is an invalidated one, and the new entry is valid at once.
    f.store
        .invalidate(std::slice::from_ref(&c), &InvalidateOptions::default())
        .unwrap();
    put_if_absent(&*f.store, b"k", b"after").unwrap();
    assert_eq!(f.get(&c, b"k").unwrap().0, b"after");
}

pub fn incr_counts_from_zero_and_refuses_what_is_not_an_integer<E: Engine>() {
    let f = Fixture::new::<E>();
    let c = name("c");
    let incr = |key: &[u8], by| f.store.incr(&c, key, by, Ttl::CacheDefault).map(|(n, _)| n);
    assert_eq!(incr(b"n", 1).unwrap(), 1);
    assert_eq!(incr(b"n", 41).unwrap(), 42);
    assert_eq!(incr(b"n", -50).unwrap(), -8);
    assert_eq!(f.get(&c, b"n").unwrap().0, b"-8");
    f.set(&c, b"word", b"abc");
    let refused = incr(b"word", 1).unwrap_err();
    assert_eq!(refused.exit_code(), ExitCode::Usage, "{refused}");
    assert!(
        refused.to_string().contains("not a decimal integer"),
        "{refused}"
    );
    assert_eq!(f.get(&c, b"word").unwrap().0, b"abc", "nothing changed");
    f.set(&c, b"max", i64::MAX.to_string().as_bytes());
    let overflow = incr(b"max", 1).unwrap_err();
    assert!(overflow.to_string().contains("overflows"), "{overflow}");
    assert_eq!(
        f.get(&c, b"max").unwrap().0,
        i64::MAX.to_string().as_bytes()
    );
    f.set(&c, b"large", &vec![b'1'; 64 << 10]);
    assert_eq!(incr(b"large", 1).unwrap_err().exit_code(), ExitCode::Usage);
}

pub fn incr_applies_its_ttl_only_when_it_creates_the_entry<E: Engine>() {
    let f = Fixture::new::<E>();
    let c = name("c");
    let ttl = Ttl::After(Duration::from_secs(60));
    assert_eq!(f.store.incr(&c, b"rate", 1, ttl).unwrap().0, 1);
    f.clock.advance_ms(40_000);
    assert_eq!(f.store.incr(&c, b"rate", 1, ttl).unwrap().0, 2);
    f.clock.advance_ms(30_000);
    assert!(
        f.get(&c, b"rate").is_none(),
        "expired a minute after creation"
    );
    assert_eq!(
        f.store.incr(&c, b"rate", 1, ttl).unwrap().0,
        1,
        "from 0 again"
    );
}

pub fn concurrent_increments_and_claims_lose_nothing<E: Engine>() {
    let f = Fixture::new::<E>();
    let c = name("c");
    let (threads, each) = (8, 50);
    let winners = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let store = f.reopen::<E>();
            let (c, winners) = (c.clone(), winners.clone());
            thread::spawn(move || {
                for _ in 0..each {
                    store.incr(&c, b"n", 1, Ttl::CacheDefault).unwrap();
                }
                match put_if_absent(&*store, b"claim", format!("{t}").as_bytes()) {
                    Ok(()) => winners.fetch_add(1, Ordering::SeqCst),
                    Err(Error::Exists { .. }) => 0,
                    Err(e) => panic!("{e}"),
                };
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let total = (threads * each).to_string();
    assert_eq!(f.get(&c, b"n").unwrap().0, total.as_bytes());
    assert_eq!(winners.load(Ordering::SeqCst), 1, "exactly one claim wins");
}

pub fn get_or_create_builds_once_and_never_stores_across_an_invalidation<E: Engine>() {
    let f = Fixture::new::<E>();
    let c = name("c");
    let recipe = Recipe {
        cache: &c,
        key: b"k",
        ttl: Ttl::After(Duration::from_secs(60)),
        stale: None,
        validate: Some(&|v: &[u8]| v != b"bad"),
    };
    let built = get_or_create(&*f.store, &recipe, || Ok::<_, Error>(b"v1".to_vec())).unwrap();
    assert_eq!(built, b"v1");
    let again = get_or_create(&*f.store, &recipe, || -> Result<Vec<u8>, Error> {
        panic!("built twice")
    });
    assert_eq!(again.unwrap(), b"v1");
    // A value the validator rejects is rebuilt.
    f.set(&c, b"k", b"bad");
    let rebuilt = get_or_create(&*f.store, &recipe, || Ok::<_, Error>(b"v2".to_vec()));
    assert_eq!(rebuilt.unwrap(), b"v2");
    // A value built while the cache is invalidated is returned, not stored.
    f.store.delete(&c, &[b"k"]).unwrap();
    let during = get_or_create(&*f.store, &recipe, || {
        f.store
            .invalidate(std::slice::from_ref(&c), &InvalidateOptions::default())
            .unwrap();
        Ok::<_, Error>(b"from before".to_vec())
    });
    assert_eq!(during.unwrap(), b"from before");
    assert!(f.get(&c, b"k").is_none(), "not stored as valid");
    // A failing builder stores nothing and its error comes back.
    let failed = get_or_create(&*f.store, &recipe, || Err(Error::usage("no")));
    assert!(failed.is_err());
    assert!(f.get(&c, b"k").is_none());
}

pub fn get_or_create_serves_a_stale_value_while_another_rebuilds<E: Engine>() {
    let f = Fixture::new::<E>();
    let c = name("c");
    let recipe = Recipe {
        cache: &c,
        key: b"k",
        ttl: Ttl::After(Duration::from_secs(10)),
        stale: Some(Duration::from_secs(60)),
        validate: None,
    };
    get_or_create(&*f.store, &recipe, || Ok::<_, Error>(b"old".to_vec())).unwrap();
    f.clock.advance_ms(20_000);
    let lease = f.store.try_lock(&recipe.lock_name()).unwrap().unwrap();
    let served = get_or_create(&*f.store, &recipe, || -> Result<Vec<u8>, Error> {
        panic!("another caller is rebuilding")
    });
    assert_eq!(served.unwrap(), b"old");
    drop(lease);
    let fresh = get_or_create(&*f.store, &recipe, || Ok::<_, Error>(b"new".to_vec()));
    assert_eq!(
        fresh.unwrap(),
        b"new",
        "with nobody rebuilding, this caller does"
    );
}

pub fn concurrent_misses_build_once<E: Engine>() {
    let f = Fixture::new::<E>();
    let builds = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (store, builds) = (f.reopen::<E>(), builds.clone());
            thread::spawn(move || {
                let c = name("c");
                let recipe = Recipe {
                    cache: &c,
                    key: b"k",
                    ttl: Ttl::Never,
                    stale: None,
                    validate: None,
                };
                get_or_create(&*store, &recipe, || {
                    builds.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(300));
                    Ok::<_, Error>(b"once".to_vec())
                })
                .unwrap()
            })
        })
        .collect();
    for worker in workers {
        assert_eq!(worker.join().unwrap(), b"once");
    }
    assert_eq!(builds.load(Ordering::SeqCst), 1);
}
