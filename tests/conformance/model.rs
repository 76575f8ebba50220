//! The model property test: random sequences of sets (some with a TTL), gets,
//! deletes, key listings, clears, invalidations (whole or by prefix, hard or
//! soft), syncs, clock moves and reopenings, run on the engine and on a
//! `BTreeMap`, which must agree after every step.

use std::collections::BTreeMap;
use std::time::Duration;

use cacheman::Clock;
use cacheman::{CacheName, NewValue, SetOptions, Store};
use cacheman::{InvalidateOptions, KeySelector, Ttl};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{Engine, Fixture, name};

/// Random sequences tried per engine.
pub const CASES: u32 = 48;

#[derive(Debug, Clone)]
enum Op {
    /// A key, a value, and a TTL in ms (none: never expires).
    Set(u8, Vec<u8>, Option<u16>),
    Get(u8),
    Del(u8),
    Keys,
    Clear,
    Invalidate {
        soft: bool,
    },
    InvalidatePrefix {
        prefix: u8,
        soft: bool,
    },
    Sync,
    /// Moves the store's clock on by this many ms.
    Advance(u16),
    Reopen,
}

/// The model: each live key's value and whether it is stale, as a read gives
/// them, and when it expires.
type Model = BTreeMap<Vec<u8>, ((Vec<u8>, bool), Option<u64>)>;

fn key(k: u8) -> Vec<u8> {
    // A few keys share prefixes and one is not UTF-8.
    match k % 4 {
        0 => vec![b'k', k],
        1 => format!("key/{k}").into_bytes(),
        2 => vec![0xff, 0x00, k],
        _ => vec![k; usize::from(k % 7) + 1],
    }
}

/// The prefixes `InvalidatePrefix` takes, one per key shape.
fn prefix(p: u8) -> Vec<u8> {
    match p % 3 {
        0 => b"k".to_vec(),
        1 => b"key/1".to_vec(),
        _ => vec![0xff],
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
        10 => (0u8..24, value(), proptest::option::weighted(0.2, 1u16..2000))
            .prop_map(|(k, v, ttl)| Op::Set(k, v, ttl)),
        3 => (0u8..24).prop_map(Op::Get),
        4 => (0u8..24).prop_map(Op::Del),
        1 => Just(Op::Keys),
        1 => Just(Op::Clear),
        1 => any::<bool>().prop_map(|soft| Op::Invalidate { soft }),
        1 => (0u8..3, any::<bool>())
            .prop_map(|(prefix, soft)| Op::InvalidatePrefix { prefix, soft }),
        1 => Just(Op::Sync),
        1 => (1u16..1500).prop_map(Op::Advance),
        1 => Just(Op::Reopen),
    ]
}

/// The engine reads what the model holds: every key's value and staleness,
/// and the fresh keys in order.
fn check(store: &dyn Store, cache: &CacheName, model: &Model) -> Result<(), TestCaseError> {
    for k in 0u8..24 {
        let got = super::read(store, cache, &key(k));
        prop_assert_eq!(got.as_ref(), model.get(&key(k)).map(|e| &e.0), "key {}", k);
    }
    check_keys(store, cache, model)
}

fn check_keys(store: &dyn Store, cache: &CacheName, model: &Model) -> Result<(), TestCaseError> {
    let fresh: Vec<_> = model
        .iter()
        .filter(|(_, ((_, stale), _))| !stale)
        .map(|(k, _)| k.clone())
        .collect();
    prop_assert_eq!(store.keys(cache).unwrap(), fresh);
    Ok(())
}

/// Applies `op` to both; `exists` says whether the cache was made yet.
fn apply<E: Engine>(
    f: &mut Fixture,
    model: &mut Model,
    exists: &mut bool,
    op: Op,
) -> Result<(), TestCaseError> {
    let cache = name("model");
    let invalidate = |soft: bool, keys: Option<KeySelector>| {
        let options = InvalidateOptions {
            soft,
            keys,
            ..InvalidateOptions::default()
        };
        f.store
            .invalidate(std::slice::from_ref(&cache), &options)
            .unwrap()
    };
    match op {
        Op::Set(k, v, ttl) => {
            let ttl_ms = ttl.map(u64::from);
            let options = SetOptions {
                ttl: ttl_ms.map_or(Ttl::Never, |ms| Ttl::After(Duration::from_millis(ms))),
                ..SetOptions::default()
            };
            f.store
                .set(&cache, &key(k), NewValue::Bytes(&v), &options)
                .unwrap();
            let expires = ttl_ms.map(|ms| f.clock.now_ms() + ms);
            model.insert(key(k), ((v, false), expires));
            *exists = true;
        }
        Op::Get(k) => {
            let got = f.get(&cache, &key(k));
            prop_assert_eq!(got.as_ref(), model.get(&key(k)).map(|e| &e.0));
        }
        Op::Del(k) => {
            let (deleted, _) = f.store.delete(&cache, &[&key(k)]).unwrap();
            prop_assert_eq!(deleted, usize::from(model.remove(&key(k)).is_some()));
        }
        Op::Keys => check_keys(&*f.store, &cache, model)?,
        Op::Clear if *exists => {
            f.store.clear(&cache).unwrap();
            model.clear();
        }
        Op::Invalidate { soft } if *exists => {
            invalidate(soft, None);
            match soft {
                true => model.values_mut().for_each(|((_, stale), _)| *stale = true),
                false => model.clear(),
            }
        }
        Op::InvalidatePrefix { prefix: p, soft } if *exists => {
            let prefix = prefix(p);
            // Counted: the entries it changes (a soft one leaves stale ones be).
            let selected = model
                .iter()
                .filter(|(k, ((_, stale), _))| k.starts_with(&prefix) && !(soft && *stale))
                .count();
            let done = invalidate(soft, Some(KeySelector::Prefix(prefix.clone())));
            prop_assert_eq!(done.keys, selected as u64);
            match soft {
                true => model
                    .iter_mut()
                    .filter(|(k, _)| k.starts_with(&prefix))
                    .for_each(|(_, ((_, stale), _))| *stale = true),
                false => model.retain(|k, _| !k.starts_with(&prefix)),
            }
        }
        Op::Sync if *exists => {
            f.store.sync(&cache, true).unwrap();
        }
        Op::Advance(ms) => {
            f.clock.advance_ms(u64::from(ms));
            let now = f.clock.now_ms();
            model.retain(|_, (_, expires)| expires.is_none_or(|at| at > now));
        }
        Op::Reopen => f.store = f.reopen::<E>(),
        Op::Clear | Op::Invalidate { .. } | Op::InvalidatePrefix { .. } | Op::Sync => {}
    }
    check(&*f.store, &cache, model)
}

pub fn engine_matches_a_btreemap<E: Engine>() {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let ops = proptest::collection::vec(op(), 1..50);
    TestRunner::new(config)
        .run(&ops, |ops| {
            let mut f = Fixture::new::<E>();
            let mut model = Model::new();
            let mut exists = false;
            for op in ops {
                apply::<E>(&mut f, &mut model, &mut exists, op)?;
            }
            check(&*f.reopen::<E>(), &name("model"), &model)
        })
        .unwrap();
}
