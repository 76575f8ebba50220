//! The bindings family: binding files to a cache, and recording what scans
//! found as a compare-and-swap, so that one change invalidates once.

use cacheman::Finding;
use cacheman::Pattern;
use cacheman::internals::watch::fingerprint::Fingerprint;

use super::{Engine, Fixture, name};

/// A fingerprint no scan would take: the suite records findings by hand.
fn fingerprint(seed: u8) -> Fingerprint {
    Fingerprint {
        stats: [seed; 32],
        racy: None,
        taken_ns: u64::from(seed),
        files: 1,
    }
}

fn pattern(f: &Fixture, file: &str) -> Pattern {
    let path = f.dir.path().join(file);
    Pattern::resolve(path.as_os_str(), f.dir.path()).unwrap()
}

pub fn bind_and_unbind_round_trip<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("cfg");
    let (one, two) = (pattern(&f, "one.conf"), pattern(&f, "two.conf"));
    let rebound = f
        .store
        .bind(&cache, &[two.clone(), one.clone(), one.clone()])
        .unwrap();
    assert_eq!(rebound.changed.len(), 2);
    assert!(
        f.store.settings(&cache).unwrap().is_some(),
        "bind creates the cache"
    );
    let binding = f.store.binding(&cache).unwrap().unwrap();
    assert_eq!(
        binding.patterns,
        vec![one.clone(), two.clone()],
        "sorted, no duplicates"
    );
    assert_eq!(f.store.bindings().unwrap().len(), 1);
    assert!(
        f.store
            .bind(&cache, std::slice::from_ref(&one))
            .unwrap()
            .changed
            .is_empty()
    );
    let rebound = f
        .store
        .unbind(&cache, Some(std::slice::from_ref(&one)))
        .unwrap();
    assert_eq!(rebound.changed, vec![one]);
    assert_eq!(
        f.reopen::<E>().binding(&cache).unwrap().unwrap().patterns,
        vec![two]
    );
    f.store.unbind(&cache, None).unwrap();
    assert_eq!(f.store.binding(&cache).unwrap(), None);
}

pub fn two_recorders_of_one_change_invalidate_once<E: Engine>() {
    let f = Fixture::new::<E>();
    let (cache, dependent) = (name("cfg"), name("built"));
    f.store.bind(&cache, &[pattern(&f, "a.conf")]).unwrap();
    f.store
        .depend(&cache, std::slice::from_ref(&dependent))
        .unwrap();
    f.set(&cache, b"k", b"v");
    f.set(&dependent, b"k", b"v");
    let compared = f.store.binding(&cache).unwrap().unwrap();
    // Two watchers saw the same change, each against the binding it read.
    let found = |seed| Finding {
        cache: cache.clone(),
        compared: compared.clone(),
        fingerprint: fingerprint(seed),
        changed: true,
    };
    let epoch = f.store.epoch().unwrap();
    let first = f.store.record_findings(vec![found(1)], false).unwrap();
    assert_eq!(first.invalidated.len(), 1);
    assert_eq!(
        first.invalidated[0].1.caches,
        vec![cache.clone(), dependent.clone()]
    );
    assert!(first.outdated.is_empty());
    assert_eq!(f.store.epoch().unwrap(), epoch + 1);
    assert_eq!(f.get(&dependent, b"k"), None, "the dependents go too");
    assert_eq!(
        f.store.binding(&cache).unwrap().unwrap().fingerprint,
        fingerprint(1)
    );
    f.set(&cache, b"k", b"recomputed");
    let second = f.store.record_findings(vec![found(2)], false).unwrap();
    assert!(second.invalidated.is_empty(), "invalidated once, not twice");
    assert_eq!(second.outdated, vec![cache.clone()]);
    assert_eq!(f.store.epoch().unwrap(), epoch + 1);
    assert!(f.get(&cache, b"k").is_some(), "the recomputed value stays");
    assert_eq!(
        f.store.binding(&cache).unwrap().unwrap().fingerprint,
        fingerprint(1)
    );
    let forced = f.store.record_findings(vec![found(3)], true).unwrap();
    assert_eq!(forced.invalidated.len(), 1, "force records regardless");
    assert_eq!(f.get(&cache, b"k"), None);
}

pub fn a_checked_read_checks_only_a_cache_whose_settings_ask<E: Engine>() {
    let f = Fixture::new::<E>();
    let (asks, plain) = (name("asks"), name("plain"));
    f.set(&asks, b"k", b"v");
    f.set(&plain, b"k", b"v");
    f.store
        .configure(&asks, &|settings| {
            settings.check_bindings = true;
            Ok(())
        })
        .unwrap();
    let checked = std::cell::RefCell::new(Vec::new());
    let check = |cache: &cacheman::CacheName| {
        checked.borrow_mut().push(cache.clone());
        Ok(())
    };
    for cache in [&asks, &plain] {
        let hit = f.store.get_checked(cache, b"k", &check).unwrap();
        assert_eq!(hit.unwrap().value.into_bytes().unwrap(), b"v");
    }
    assert_eq!(*checked.borrow(), vec![asks.clone()], "one check, of asks");
    assert!(f.store.get(&asks, b"k").unwrap().is_some());
    assert_eq!(checked.borrow().len(), 1, "a plain get checks nothing");
}

pub fn a_checked_read_of_a_changed_binding_misses<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("cfg");
    let file = f.dir.path().join("a.conf");
    std::fs::write(&file, "1").unwrap();
    f.store.bind(&cache, &[pattern(&f, "a.conf")]).unwrap();
    f.store
        .configure(&cache, &|settings| {
            settings.check_bindings = true;
            Ok(())
        })
        .unwrap();
    f.set(&cache, b"k", b"v");
    assert!(
        cacheman::checked_get(&*f.store, &cache, b"k")
            .unwrap()
            .is_some()
    );
    std::fs::write(&file, "changed").unwrap();
    let epoch = f.store.epoch().unwrap();
    assert!(
        cacheman::checked_get(&*f.store, &cache, b"k")
            .unwrap()
            .is_none()
    );
    assert_eq!(f.store.epoch().unwrap(), epoch + 1, "invalidated once");
}
