//! Property test: the local engine against a model `BTreeMap`, through random
//! sequences of sets, deletes, clears, syncs and reopenings.

use std::collections::BTreeMap;

use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, Vec<u8>),
    Del(u8),
    Clear,
    Sync,
    Reopen,
}

fn key(k: u8) -> Vec<u8> {
    // A few keys share prefixes and one is not UTF-8.
    match k % 4 {
        0 => vec![b'k', k],
        1 => format!("key/{k}").into_bytes(),
        2 => vec![0xff, 0x00, k],
        _ => vec![k; usize::from(k % 7) + 1],
    }
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..24),
        1 => (4090usize..4110).prop_map(|n| vec![0xab; n]),
        1 => Just(vec![7u8; 40_000]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (0u8..24, value()).prop_map(|(k, v)| Op::Set(k, v)),
        4 => (0u8..24).prop_map(Op::Del),
        1 => Just(Op::Clear),
        2 => Just(Op::Sync),
        1 => Just(Op::Reopen),
    ]
}

fn check(store: &LocalStore, cache: &CacheName, model: &BTreeMap<Vec<u8>, Vec<u8>>) {
    for k in 0u8..24 {
        let got = store
            .get(cache, &key(k))
            .unwrap()
            .map(|hit| hit.value.into_bytes().unwrap());
        assert_eq!(got.as_ref(), model.get(&key(k)), "key {k}");
    }
    let keys = store.keys(cache).unwrap();
    assert_eq!(keys, model.keys().cloned().collect::<Vec<_>>());
    let listed = store.list().unwrap();
    if let Some(summary) = listed.iter().find(|c| &c.name == cache) {
        assert_eq!(summary.entries, model.len() as u64);
        let bytes: u64 = model.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        assert_eq!(summary.bytes, bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_a_btreemap(ops in proptest::collection::vec(op(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheName::new("model").unwrap();
        let mut store = LocalStore::new(dir.path());
        let mut model = BTreeMap::new();
        let mut exists = false;
        for op in ops {
            match op {
                Op::Set(k, v) => {
                    store.set(&cache, &key(k), NewValue::Bytes(&v), &SetOptions::default()).unwrap();
                    model.insert(key(k), v);
                    exists = true;
                }
                Op::Del(k) => {
                    let (deleted, _) = store.delete(&cache, &[&key(k)]).unwrap();
                    prop_assert_eq!(deleted, usize::from(model.remove(&key(k)).is_some()));
                }
                Op::Clear if exists => {
                    store.clear(&cache).unwrap();
                    model.clear();
                }
                Op::Sync if exists => {
                    store.sync(&cache, true).unwrap();
                }
                Op::Reopen => store = LocalStore::new(dir.path()),
                Op::Clear | Op::Sync => {}
            }
            check(&store, &cache, &model);
        }
        if exists {
            store.sync(&cache, true).unwrap();
            check(&LocalStore::new(dir.path()), &cache, &model);
        }
    }
}

#[test]
fn compaction_keeps_every_write_across_many_journals() {
    let dir = tempfile::tempdir().unwrap();
    let cache = CacheName::new("many").unwrap();
    let store = LocalStore::new(dir.path());
    let mut model = BTreeMap::new();
    // Enough single sets to cross the compaction threshold several times.
    for i in 0..10_000u32 {
        let k = format!("k{}", i % 3000).into_bytes();
        let v = i.to_le_bytes().to_vec();
        store
            .set(&cache, &k, NewValue::Bytes(&v), &SetOptions::default())
            .unwrap();
        model.insert(k, v);
    }
    let keys = store.keys(&cache).unwrap();
    assert_eq!(keys, model.keys().cloned().collect::<Vec<_>>());
    for (k, v) in &model {
        let hit = store.get(&cache, k).unwrap().unwrap();
        assert_eq!(&hit.value.into_bytes().unwrap(), v);
    }
    let files: Vec<_> = std::fs::read_dir(dir.path().join("caches/many"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("journal.") || name.starts_with("snap."))
        .collect();
    assert!(
        files.len() <= 3,
        "old generations were not cleaned up: {files:?}"
    );
}
