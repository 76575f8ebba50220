//! The conformance suite: every behaviour the `Store` interface promises,
//! written once against `Arc<dyn Store>` and run on every engine.
//!
//! Each behaviour is a function `fn name<E: Engine>()` in one of the submodules
//! (`data`, `model`, `invalidation`, `bindings`, `coordination`, `notes`,
//! `statistics`, `maintenance`, `atomic`); the [`suite!`] macro turns each into one `#[test]` per
//! engine, named `conformance::ENGINE::name`. To run the suite on another
//! engine, implement [`Engine`] for it and add one line to the invocation at
//! the bottom of this file:
//!
//! ```text
//! suite! {
//!     local => super::Local,
//!     redis => super::Redis,   // the next engine: one line
//! }
//! ```
//!
//! A family an engine does not offer is declared in [`Engine::UNSUPPORTED`]:
//! `families_are_supported_as_declared` then checks that it says "not supported"
//! and that every other family works. Run it with `cargo test --test main conformance::`.

use std::path::Path;
use std::sync::Arc;

use cacheman::ManualClock;
use cacheman::Ttl;
use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};

mod atomic;
mod bindings;
mod coordination;
mod data;
mod invalidation;
mod maintenance;
mod model;
mod notes;
mod statistics;

/// A kind of store the suite runs on.
pub trait Engine {
    /// The optional families (named as in the "not supported" errors, e.g.
    /// `"locks"`) this engine answers "not supported" for.
    const UNSUPPORTED: &'static [&'static str] = &[];

    /// Opens the store kept under `dir` (a fresh directory per test, the same
    /// one again on a reopening), reading the time from `clock`.
    fn open(dir: &Path, clock: Arc<ManualClock>) -> Arc<dyn Store>;
}

/// The local directory store.
pub struct Local;

impl Engine for Local {
    fn open(dir: &Path, clock: Arc<ManualClock>) -> Arc<dyn Store> {
        Arc::new(LocalStore::new(dir.join("store")).with_clock(clock))
    }
}

/// The optional families the Redis store does not offer: background work,
/// unless the command line tells it how a detached process opens it
/// (`RedisStore::with_reopen_args`).
#[cfg(feature = "redis")]
const REDIS_UNSUPPORTED: &[&str] = &["background work"];

/// A single Redis server (shared by the run, a namespace per directory).
#[cfg(feature = "redis")]
pub struct RedisSingle;

#[cfg(feature = "redis")]
impl Engine for RedisSingle {
    const UNSUPPORTED: &'static [&'static str] = REDIS_UNSUPPORTED;

    fn open(dir: &Path, clock: Arc<ManualClock>) -> Arc<dyn Store> {
        let target = crate::common::redis::shared_server().target(&redis_namespace(dir));
        open_redis(target, dir, clock)
    }
}

/// A 3-node Redis Cluster (shared by the run, a namespace per directory).
#[cfg(feature = "redis")]
pub struct RedisCluster;

#[cfg(feature = "redis")]
impl Engine for RedisCluster {
    const UNSUPPORTED: &'static [&'static str] = REDIS_UNSUPPORTED;

    fn open(dir: &Path, clock: Arc<ManualClock>) -> Arc<dyn Store> {
        let target = crate::common::redis::shared_cluster().target(&redis_namespace(dir));
        open_redis(target, dir, clock)
    }
}

/// A Redis store whose sidecar is in the test's directory, never under the
/// real home.
#[cfg(feature = "redis")]
fn open_redis(
    target: cacheman::RedisTarget,
    dir: &Path,
    clock: Arc<ManualClock>,
) -> Arc<dyn Store> {
    let target = cacheman::RedisTarget {
        sidecar_base: Some(dir.join("sidecar")),
        ..target
    };
    Arc::new(cacheman::RedisStore::open_with_clock(&target, clock).unwrap())
}

#[cfg(feature = "redis")]
fn redis_namespace(dir: &Path) -> String {
    crate::common::redis::namespace(dir)
}

/// One test's store, with its directory and the clock it reads.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: Arc<ManualClock>,
    pub store: Arc<dyn Store>,
}

/// The time every fixture's clock starts at (ms since the Unix epoch).
pub const START_MS: u64 = 1_700_000_000_000;

impl Fixture {
    pub fn new<E: Engine>() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(START_MS));
        let store = E::open(dir.path(), clock.clone());
        Fixture { dir, clock, store }
    }

    /// The same store opened again, as another process would.
    pub fn reopen<E: Engine>(&self) -> Arc<dyn Store> {
        E::open(self.dir.path(), self.clock.clone())
    }

    pub fn set(&self, cache: &CacheName, key: &[u8], value: &[u8]) {
        self.store
            .set(cache, key, NewValue::Bytes(value), &SetOptions::default())
            .unwrap();
    }

    /// Stores `value` living as `ttl` says.
    pub fn set_living(&self, cache: &CacheName, key: &[u8], value: &[u8], ttl: Ttl) {
        let options = SetOptions {
            ttl,
            ..SetOptions::default()
        };
        self.store
            .set(cache, key, NewValue::Bytes(value), &options)
            .unwrap();
    }

    /// The value of `key` and whether it is stale, or `None` on a miss.
    pub fn get(&self, cache: &CacheName, key: &[u8]) -> Option<(Vec<u8>, bool)> {
        read(&*self.store, cache, key)
    }
}

/// The value of `key` in `store` and whether it is stale, or `None` on a miss.
pub fn read(store: &dyn Store, cache: &CacheName, key: &[u8]) -> Option<(Vec<u8>, bool)> {
    let hit = store.get(cache, key).unwrap()?;
    Some((hit.value.into_bytes().unwrap(), hit.stale))
}

/// A cache name the tests know is valid.
pub fn name(name: &str) -> CacheName {
    CacheName::new(name).unwrap()
}

/// Instantiates every behaviour as a `#[test]` per engine: `name => Type`.
macro_rules! suite {
    ($($engine:ident => $ty:ty),+ $(,)?) => {$(
        mod $engine {
            suite!(@tests $ty;
                data::values_round_trip_small_and_large,
                data::set_many_and_delete_count_what_existed,
                data::entries_expire_by_the_store_clock,
                data::a_cache_default_ttl_applies,
                data::set_many_keeps_the_epoch_token_generation_and_default_ttl,
                model::engine_matches_a_btreemap,
                invalidation::dependencies_refuse_a_cycle,
                invalidation::hard_cascade_reaches_every_transitive_dependent,
                invalidation::soft_cascade_serves_stale_values_marked,
                invalidation::a_write_after_invalidation_is_fresh,
                invalidation::key_selectors_take_a_prefix_or_a_glob,
                invalidation::dry_run_changes_nothing,
                invalidation::an_epoch_token_older_than_an_invalidation_is_refused,
                invalidation::an_epoch_token_newer_than_the_store_is_refused,
                bindings::bind_and_unbind_round_trip,
                bindings::two_recorders_of_one_change_invalidate_once,
                bindings::a_checked_read_checks_only_a_cache_whose_settings_ask,
                bindings::a_checked_read_of_a_changed_binding_misses,
                coordination::the_watcher_lock_admits_one_watcher,
                coordination::a_held_lock_refuses_a_second_taker,
                coordination::a_waiter_gets_the_lock_when_it_is_released,
                coordination::a_failed_holder_lets_the_waiter_go_on_without_it,
                notes::notes_round_trip_overwrite_and_delete,
                notes::notes_of_an_unknown_cache_need_no_cache,
                notes::a_sweep_keeps_the_notes_it_is_told_and_spares_new_ones,
                statistics::hits_and_misses_are_counted_and_reset,
                statistics::uncounted_reads_leave_the_counters_alone,
                maintenance::export_then_import_round_trips,
                maintenance::gc_drops_the_dead_and_evicts_to_the_limits,
                maintenance::the_limits_hold_after_a_set_many,
                maintenance::families_are_supported_as_declared,
                atomic::set_if_absent_writes_only_over_no_live_entry,
                atomic::incr_counts_from_zero_and_refuses_what_is_not_an_integer,
                atomic::incr_applies_its_ttl_only_when_it_creates_the_entry,
                atomic::concurrent_increments_and_claims_lose_nothing,
                atomic::get_or_create_builds_once_and_never_stores_across_an_invalidation,
                atomic::get_or_create_serves_a_stale_value_while_another_rebuilds,
                atomic::concurrent_misses_build_once,
            );
        }
    )+};
    (@tests $ty:ty; $($module:ident :: $name:ident),+ $(,)?) => {$(
        #[test]
        fn $name() {
            super::$module::$name::<$ty>()
        }
    )+};
}

suite! {
    local => super::Local,
}

#[cfg(feature = "redis")]
suite! {
    redis => super::RedisSingle,
    cluster => super::RedisCluster,
}
