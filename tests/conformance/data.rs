//! The data family: values of every size, batches, deletes, and expiry by
//! the store's clock.

use std::time::Duration;

use cacheman::Ttl;
use cacheman::{CacheSettings, NewValue, SetOptions};

use super::{Engine, Fixture, START_MS, name};

pub fn values_round_trip_small_and_large<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("data");
    let large = vec![0x5a; 300_000];
    f.set(&cache, b"empty", b"");
    f.set(&cache, &[0xff, 0x00, b'k'], b"not utf-8 key");
    let mut reader: &[u8] = &large;
    f.store
        .set(
            &cache,
            b"large",
            NewValue::Stream(&mut reader),
            &SetOptions::default(),
        )
        .unwrap();
    assert_eq!(f.get(&cache, b"empty"), Some((Vec::new(), false)));
    assert_eq!(
        f.get(&cache, &[0xff, 0x00, b'k']).unwrap().0,
        b"not utf-8 key"
    );
    let hit = f.store.get(&cache, b"large").unwrap().unwrap();
    assert_eq!(hit.value.len(), large.len() as u64);
    assert_eq!(hit.value.into_bytes().unwrap(), large);
    assert_eq!(f.get(&cache, b"absent"), None);
    assert_eq!(f.get(&name("no-such-cache"), b"k"), None);
    let reopened = f.reopen::<E>();
    assert_eq!(super::read(&*reopened, &cache, b"large").unwrap().0, large);
}

pub fn set_many_and_delete_count_what_existed<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("batch");
    let mut items =
        (0..500u32).map(|i| (format!("k{i:03}").into_bytes(), i.to_le_bytes().to_vec()));
    f.store
        .set_many(&cache, &mut items, &SetOptions::default())
        .unwrap();
    assert_eq!(f.store.keys(&cache).unwrap().len(), 500);
    assert_eq!(f.get(&cache, b"k042").unwrap().0, 42u32.to_le_bytes());
    let (deleted, _) = f
        .store
        .delete(&cache, &[b"k000", b"k001", b"nope"])
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(f.get(&cache, b"k000"), None);
    assert_eq!(f.store.keys(&cache).unwrap().len(), 498);
    f.store.clear(&cache).unwrap();
    assert!(f.store.keys(&cache).unwrap().is_empty());
    assert_eq!(f.store.cache_names().unwrap(), vec![cache]);
}

pub fn entries_expire_by_the_store_clock<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("ttl");
    f.set_living(&cache, b"short", b"v", Ttl::After(Duration::from_secs(10)));
    f.set(&cache, b"forever", b"v");
    let hit = f.store.get(&cache, b"short").unwrap().unwrap();
    assert_eq!(hit.created_ms, START_MS);
    assert_eq!(hit.expires_ms, Some(START_MS + 10_000));
    f.clock.advance_ms(9_999);
    assert!(f.get(&cache, b"short").is_some(), "alive until it expires");
    f.clock.advance_ms(1);
    assert_eq!(f.get(&cache, b"short"), None, "expired at expires_ms");
    assert_eq!(f.store.keys(&cache).unwrap(), vec![b"forever".to_vec()]);
    f.clock.advance_ms(10 * 365 * 86_400_000);
    assert!(f.get(&cache, b"forever").is_some());
}

pub fn a_cache_default_ttl_applies<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("short-lived");
    let settings = CacheSettings {
        ttl_ms: Some(1_000),
        ..CacheSettings::default()
    };
    assert!(f.store.create(&cache, &settings, false).unwrap());
    assert!(f.store.create(&cache, &settings, false).is_err(), "exists");
    assert!(!f.store.create(&cache, &settings, true).unwrap());
    assert_eq!(f.store.settings(&cache).unwrap(), Some(settings));
    f.set(&cache, b"default", b"v");
    f.set_living(&cache, b"never", b"v", Ttl::Never);
    f.clock.advance_ms(1_000);
    assert_eq!(f.get(&cache, b"default"), None);
    assert!(f.get(&cache, b"never").is_some(), "--ttl never overrides");
}

/// `set_many` of `keys` (each its own value) into `cache` with `options`.
fn set_many(
    f: &Fixture,
    cache: &cacheman::CacheName,
    keys: &[&str],
    options: &SetOptions,
) -> cacheman::Result<cacheman::WriteReport> {
    let mut items = keys
        .iter()
        .map(|k| (k.as_bytes().to_vec(), format!("v-{k}").into_bytes()));
    f.store.set_many(cache, &mut items, options)
}

pub fn set_many_keeps_the_epoch_token_generation_and_default_ttl<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("many");
    let settings = CacheSettings {
        ttl_ms: Some(1_000),
        ..CacheSettings::default()
    };
    assert!(f.store.create(&cache, &settings, false).unwrap());
    let token = |t: u64| SetOptions {
        if_epoch: Some(t),
        ..SetOptions::default()
    };
    let before = f.store.epoch().unwrap();
    let hard = cacheman::InvalidateOptions::default();
    f.store
        .invalidate(std::slice::from_ref(&cache), &hard)
        .unwrap();
    let err = set_many(&f, &cache, &["a", "b"], &token(before)).unwrap_err();
    assert!(matches!(err, cacheman::Error::Conflict { .. }), "{err}");
    assert_eq!(f.get(&cache, b"a"), None, "the refused batch did not land");
    assert!(f.store.keys(&cache).unwrap().is_empty());
    set_many(&f, &cache, &["a", "b"], &token(f.store.epoch().unwrap())).unwrap();
    assert_eq!(f.get(&cache, b"a"), Some((b"v-a".to_vec(), false)));
    let hit = f.store.get(&cache, b"b").unwrap().unwrap();
    assert_eq!(hit.expires_ms, Some(START_MS + 1_000), "the cache's TTL");
    f.store.clear(&cache).unwrap();
    let soft = cacheman::InvalidateOptions {
        soft: true,
        ..cacheman::InvalidateOptions::default()
    };
    f.store
        .invalidate(std::slice::from_ref(&cache), &soft)
        .unwrap();
    let never = SetOptions {
        ttl: Ttl::Never,
        ..SetOptions::default()
    };
    set_many(&f, &cache, &["c", "c"], &never).unwrap();
    assert_eq!(f.get(&cache, b"a"), None, "cleared");
    assert_eq!(f.get(&cache, b"c"), Some((b"v-c".to_vec(), false)), "fresh");
    f.clock.advance_ms(5_000);
    assert!(f.get(&cache, b"c").is_some(), "--ttl never overrides");
    assert_eq!(f.store.keys(&cache).unwrap(), vec![b"c".to_vec()]);
}
