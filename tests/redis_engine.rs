//! The Redis engine against real servers, beyond the conformance suite:
//! chunk placement on a cluster, missing and damaged chunks, the cluster
//! cascade and its recovery, flushed scripts, a server killed or paused, a
//! read-only store, and the refusals (eviction policy, durability, volatile).

#![cfg(feature = "redis")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cacheman::store_url::RedisTarget;
use cacheman::{
    CacheName, CacheSettings, InvalidateOptions, NewValue, RedisStore, SetOptions, Store,
};

use crate::common::Noise;
use crate::common::redis::{RedisCluster, RedisServer, shared_cluster, shared_server};

fn name(name: &str) -> CacheName {
    CacheName::new(name).unwrap()
}

/// A namespace no other test uses.
fn fresh_ns(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

fn open(target: &RedisTarget) -> RedisStore {
    RedisStore::open(target).unwrap()
}

/// The shared server, a namespace of the test's own, and the store there.
fn on_server(test: &str) -> (&'static RedisServer, String, RedisStore) {
    let (server, ns) = (shared_server(), fresh_ns(test));
    let store = open(&server.target(&ns));
    (server, ns, store)
}

/// The shared cluster, a namespace of the test's own, and the store there.
fn on_cluster(test: &str) -> (&'static RedisCluster, String, RedisStore) {
    let (cluster, ns) = (shared_cluster(), fresh_ns(test));
    let store = open(&cluster.target(&ns));
    (cluster, ns, store)
}

fn set(store: &dyn Store, cache: &str, key: &[u8], value: &[u8]) {
    store
        .set(
            &name(cache),
            key,
            NewValue::Bytes(value),
            &SetOptions::default(),
        )
        .unwrap();
}

fn get(store: &dyn Store, cache: &str, key: &[u8]) -> Option<Vec<u8>> {
    let hit = store.get(&name(cache), key).unwrap()?;
    Some(hit.value.into_bytes().unwrap())
}

/// The chunk keys of namespace `ns` on a server reached by `cli`.
fn chunk_keys(cli: impl Fn(&[&str]) -> String, ns: &str) -> Vec<String> {
    let pattern = format!("cm2:{ns}:c:*");
    cli(&["--scan", "--pattern", &pattern])
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn chunks_spread_over_the_cluster_nodes() {
    let (cluster, ns, store) = on_cluster("spread");
    let value = Noise::new(7).bytes(12 * 1024 * 1024 + 5);
    set(&store, "big", b"k", &value);
    assert_eq!(get(&store, "big", b"k").unwrap(), value);
    let holding: Vec<usize> = cluster
        .ports()
        .iter()
        .map(|port| chunk_keys(|args| cluster.cli(*port, args), &ns).len())
        .collect();
    assert_eq!(holding.iter().sum::<usize>(), 13, "{holding:?}");
    assert!(
        holding.iter().filter(|&&n| n > 0).count() >= 2,
        "chunks on more than one node: {holding:?}"
    );
}

#[test]
fn a_missing_chunk_is_a_miss_and_a_damaged_one_is_never_served() {
    let (server, ns, store) = on_server("chunks");
    let value = Noise::new(3).bytes(3 * 1024 * 1024);
    set(&store, "c", b"gone", &value);
    let chunks = chunk_keys(|args| server.cli(args), &ns);
    assert_eq!(chunks.len(), 3);
    server.cli(&["DEL", &chunks[1]]);
    assert!(store.get(&name("c"), b"gone").unwrap().is_none(), "a miss");
    set(
        &store,
        "c",
        b"damaged",
        &Noise::new(4).bytes(2 * 1024 * 1024),
    );
    let mut now = chunk_keys(|args| server.cli(args), &ns);
    now.retain(|k| !chunks.contains(k));
    server.cli(&["SETRANGE", &now[0], "10", "X"]);
    let hit = store.get(&name("c"), b"damaged").unwrap().expect("found");
    let err = hit.value.into_bytes().unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
    assert_eq!(err.exit_code(), cacheman::ExitCode::Store);
}

#[test]
fn a_cascade_on_the_cluster_reaches_dependents_in_other_slots() {
    let (cluster, ns, store) = on_cluster("cascade");
    let names: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
    for pair in names.windows(2) {
        store.depend(&name(&pair[0]), &[name(&pair[1])]).unwrap();
    }
    for cache in &names {
        set(&store, cache, b"k", b"v");
    }
    let before = store.epoch().unwrap();
    let cascade = InvalidateOptions {
        cascade: true,
        ..InvalidateOptions::default()
    };
    let done = store.invalidate(&[name("c3")], &cascade).unwrap();
    assert_eq!(done.caches.len(), 9);
    assert_eq!(done.epoch, before + 1);
    let other = open(&cluster.target(&ns));
    for (i, cache) in names.iter().enumerate() {
        assert_eq!(get(&other, cache, b"k").is_some(), i < 3, "{cache}");
    }
    assert_eq!(other.epoch().unwrap(), done.epoch);
}

/// Leaves what a client that died mid-cascade leaves: epoch + 1 taken and
/// a cascade setting `floors` logged, its lease run out. Returns the log's key.
fn abandon(store: &RedisStore, ns: &str, floors: &str) -> (u64, String) {
    let cluster = shared_cluster();
    let epoch = store.epoch().unwrap();
    let log = format!("cm2:{{{ns}}}:cascades");
    let record = format!(r#"{{"until_ms":0,"floors":{floors}}}"#);
    let next = (epoch + 1).to_string();
    let port = cluster.ports()[0];
    let answer = cluster.cli(port, &["-c", "HSET", &log, &next, &record]);
    assert_eq!(answer.trim(), "1");
    cluster.cli(port, &["-c", "SET", &format!("cm2:{{{ns}}}:next"), &next]);
    (epoch, log)
}

#[test]
fn a_cascade_abandoned_mid_way_is_finished_by_the_next_client() {
    let (cluster, ns, store) = on_cluster("abandoned");
    set(&store, "root", b"k", b"v");
    set(&store, "leaf", b"k", b"v");
    // The client died before setting any floor or publishing.
    let (epoch, log) = abandon(&store, &ns, r#"[["root","hard"],["leaf","hard"]]"#);
    assert_eq!(get(&store, "leaf", b"k").unwrap(), b"v", "not yet");
    assert_eq!(store.epoch().unwrap(), epoch + 1, "finished and published");
    assert_eq!(get(&store, "leaf", b"k"), None);
    assert_eq!(get(&store, "root", b"k"), None);
    let port = cluster.ports()[0];
    assert_eq!(cluster.cli(port, &["-c", "HLEN", &log]).trim(), "0");
}

#[test]
fn flushed_scripts_are_loaded_again() {
    let server = shared_server();
    let store = open(&server.target(&fresh_ns("flush")));
    set(&store, "c", b"a", b"1");
    server.cli(&["SCRIPT", "FLUSH"]);
    set(&store, "c", b"b", b"2");
    assert_eq!(get(&store, "c", b"a").unwrap(), b"1");
    let cluster = shared_cluster();
    let clustered = open(&cluster.target(&fresh_ns("flush")));
    set(&clustered, "c", b"a", b"1");
    for port in cluster.ports() {
        cluster.cli(port, &["SCRIPT", "FLUSH"]);
    }
    set(&clustered, "c", b"b", b"2");
    assert_eq!(get(&clustered, "c", b"b").unwrap(), b"2");
}

/// A target whose commands give up after `ms`.
fn impatient(target: RedisTarget, ms: u64) -> RedisTarget {
    RedisTarget {
        command_timeout: Duration::from_millis(ms),
        connect_timeout: Duration::from_millis(ms),
        ..target
    }
}

#[test]
fn a_killed_server_is_a_clean_store_error_not_a_hang() {
    let mut server = RedisServer::start();
    let store = open(&impatient(server.target("killed"), 2_000));
    set(&store, "c", b"k", b"v");
    server.kill();
    let start = Instant::now();
    let err = store.get(&name("c"), b"k").unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(err.exit_code(), cacheman::ExitCode::Store);
    assert!(err.to_string().contains(&server.url()), "{err}");
    let again = RedisStore::open(&server.target("killed"))
        .err()
        .expect("refused");
    assert_eq!(again.exit_code(), cacheman::ExitCode::Store);
}

#[test]
fn a_paused_server_times_out() {
    let server = RedisServer::start();
    let store = open(&impatient(server.target("paused"), 300));
    set(&store, "c", b"k", b"v");
    server.cli(&["CLIENT", "PAUSE", "3000", "ALL"]);
    let start = Instant::now();
    let err = store.get(&name("c"), b"k").unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(err.to_string().contains("did not answer in time"), "{err}");
}

#[test]
fn a_password_is_never_in_an_error() {
    let mut server = RedisServer::start_with(&["--requirepass", "s3cret-pw"]);
    let url = format!("redis+unix://{}?pass=s3cret-pw", server.socket().display());
    let target = RedisTarget {
        nodes: vec![url],
        display: format!("redis+unix://{}?pass=****", server.socket().display()),
        ..impatient(server.target("pw"), 2_000)
    };
    let store = open(&target);
    set(&store, "c", b"k", b"v");
    server.kill();
    let err = store.get(&name("c"), b"k").unwrap_err().to_string();
    assert!(!err.contains("s3cret"), "{err}");
    assert!(err.contains("****"), "{err}");
}

/// Asserts that `store` refuses a `set` as read-only.
fn assert_refused_as_read_only(store: &RedisStore) {
    let value = NewValue::Bytes(b"poison");
    let err = store
        .set(&name("c"), b"k", value, &SetOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
}

#[test]
fn a_read_only_store_serves_and_refuses_writes() {
    let server = shared_server();
    let ns = fresh_ns("readonly");
    let writer = open(&server.target(&ns));
    set(&writer, "c", b"k", b"v");
    let target = RedisTarget {
        read_only: true,
        ..server.target(&ns)
    };
    let reader = open(&target);
    assert_eq!(get(&reader, "c", b"k").unwrap(), b"v");
    assert_refused_as_read_only(&reader);
    assert!(reader.clear(&name("c")).is_err());
    assert!(
        reader
            .invalidate(&[name("c")], &InvalidateOptions::default())
            .is_err()
    );
    assert_eq!(get(&writer, "c", b"k").unwrap(), b"v", "nothing written");
}

#[test]
fn a_server_refusing_writes_makes_the_store_read_only() {
    let server = RedisServer::start();
    let store = open(&server.target("acl"));
    set(&store, "c", b"k", b"v");
    server.cli(&[
        "ACL",
        "SETUSER",
        "reader",
        "on",
        ">rpw",
        "~*",
        "+@read",
        "+@connection",
        "+info",
        "+time",
        "+evalsha",
        "+eval",
    ]);
    let url = format!(
        "redis+unix://{}?user=reader&pass=rpw",
        server.socket().display()
    );
    let target = RedisTarget {
        nodes: vec![url],
        ..server.target("acl")
    };
    let reader = open(&target);
    assert_eq!(get(&reader, "c", b"k").unwrap(), b"v", "reads work");
    assert_refused_as_read_only(&reader);
    assert_eq!(get(&store, "c", b"k").unwrap(), b"v");
    // A batch is the first write of another reader: refused the same way.
    let batch = open(&target);
    let mut items = vec![(b"k".to_vec(), b"poison".to_vec())].into_iter();
    let err = batch
        .set_many(&name("c"), &mut items, &SetOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_refused_as_read_only(&batch);
    assert_eq!(get(&store, "c", b"k").unwrap(), b"v");
}

#[test]
fn an_allkeys_eviction_policy_is_refused_at_open() {
    let server = RedisServer::start_with(&["--maxmemory-policy", "allkeys-lru"]);
    let err = RedisStore::open(&server.target("policy"))
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(
        text.contains("allkeys-lru") && text.contains("volatile-lru"),
        "{text}"
    );
}

#[test]
fn durable_and_volatile_are_refused_where_the_server_cannot_promise_them() {
    let server = shared_server();
    let store = open(&server.target(&fresh_ns("refusals")));
    let volatile = CacheSettings {
        volatile: true,
        ..CacheSettings::default()
    };
    let err = store.create(&name("v"), &volatile, false).unwrap_err();
    assert!(err.to_string().contains("not supported"), "{err}");
    let version = server.cli(&["INFO", "server"]);
    if version.contains("redis_version:7.0") || version.contains("redis_version:6.") {
        let options = SetOptions {
            durable: true,
            ..SetOptions::default()
        };
        let err = store
            .set(&name("d"), b"k", NewValue::Bytes(b"v"), &options)
            .unwrap_err();
        assert!(err.to_string().contains("WAITAOF"), "{err}");
        assert_eq!(err.exit_code(), cacheman::ExitCode::Store);
        assert!(
            store.settings(&name("d")).unwrap().is_none(),
            "nothing written"
        );
    }
}

#[test]
fn details_name_the_server_and_its_mode() {
    let store: Arc<dyn Store> = Arc::new(open(&shared_server().target(&fresh_ns("details"))));
    let details = store.details().unwrap();
    let field = |f: &str| details.iter().find(|(k, _)| k == f).map(|(_, v)| v.clone());
    assert!(field("server").unwrap().starts_with("Redis "));
    assert_eq!(field("mode").unwrap(), "single");
    assert!(field("persistence").unwrap().contains("appendonly no"));
    assert_eq!(field("maxmemory-policy").unwrap(), "noeviction");
    let cluster = open(&shared_cluster().target(&fresh_ns("details")));
    let details = cluster.details().unwrap();
    assert!(details.contains(&("mode".to_string(), "cluster".to_string())));
}

#[test]
fn a_write_into_a_cache_floored_by_an_abandoned_cascade_finishes_it_first() {
    let (cluster, ns, store) = on_cluster("floored");
    set(&store, "leaf", b"old", b"v");
    // The client died after setting the leaf's floor.
    let (epoch, _) = abandon(&store, &ns, r#"[["leaf","hard"]]"#);
    let meta = format!("cm2:{{{ns}/leaf}}:meta");
    let next = (epoch + 1).to_string();
    cluster.cli(cluster.ports()[0], &["-c", "HSET", &meta, "hard", &next]);
    assert_eq!(get(&store, "leaf", b"old"), None, "floored");
    set(&store, "leaf", b"new", b"v");
    assert_eq!(get(&store, "leaf", b"new").unwrap(), b"v", "not lost");
    assert_eq!(store.epoch().unwrap(), epoch + 1);
}

#[test]
fn a_full_server_refuses_writes_cleanly_and_still_serves() {
    let server =
        RedisServer::start_with(&["--maxmemory", "3mb", "--maxmemory-policy", "noeviction"]);
    let store = open(&server.target("full"));
    set(&store, "c", b"first", b"v");
    let value = vec![1u8; 200_000];
    let err = (0..100)
        .find_map(|i| {
            let key = format!("k{i}");
            let options = SetOptions::default();
            let cache = name("c");
            store
                .set(&cache, key.as_bytes(), NewValue::Bytes(&value), &options)
                .err()
        })
        .expect("the server fills up");
    assert_eq!(err.exit_code(), cacheman::ExitCode::Store);
    assert!(err.to_string().contains("OOM"), "{err}");
    assert_eq!(get(&store, "c", b"first").unwrap(), b"v");
    let mut items = (0..3).map(|i| (format!("b{i}").into_bytes(), value.clone()));
    let err = store
        .set_many(&name("c"), &mut items, &SetOptions::default())
        .unwrap_err();
    assert_eq!(err.exit_code(), cacheman::ExitCode::Store);
    assert!(err.to_string().contains("OOM"), "{err}");
    let keys = store.keys(&name("c")).unwrap();
    assert!(
        !keys.contains(&b"b0".to_vec()),
        "nothing of the batch landed"
    );
}

#[test]
fn a_dead_holder_delays_a_waiter_by_at_most_its_lease() {
    let (server, ns, store) = on_server("lease");
    // A holder killed with its lease 400 ms from running out: nobody renews it.
    let key = format!("cm2:{{{ns}:lock:job}}:held");
    server.cli(&["SET", &key, "dead-holder", "PX", "400"]);
    assert!(store.try_lock("job").unwrap().is_none(), "held");
    let start = Instant::now();
    assert!(matches!(
        store.lock("job").unwrap(),
        cacheman::Turn::Held(_)
    ));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_held_lease_is_renewed_past_its_length_and_released_by_its_token() {
    let (server, ns, store) = on_server("renewed");
    let lease = store.try_lock("job").unwrap().unwrap();
    let key = format!("cm2:{{{ns}:lock:job}}:held");
    let token = server.cli(&["GET", &key]);
    server.cli(&["SET", &key, "someone-else"]);
    drop(lease);
    assert_eq!(
        server.cli(&["GET", &key]).trim(),
        "someone-else",
        "not ours"
    );
    server.cli(&["SET", &key, token.trim()]);
    assert!(store.try_lock("job").unwrap().is_none());
}

#[test]
fn a_namespace_that_would_break_the_hash_tags_is_refused() {
    let err = RedisStore::open(&shared_server().target("a}b"))
        .err()
        .expect("refused");
    assert_eq!(err.exit_code(), cacheman::ExitCode::Usage);
    assert!(err.to_string().contains("namespace"), "{err}");
}

#[test]
fn gc_deletes_what_a_clear_set_aside_and_keeps_what_was_written_since() {
    let (cluster, ns, store) = on_cluster("cleared");
    set(&store, "c", b"again", b"old");
    set(&store, "c", b"gone", b"old");
    store.clear(&name("c")).unwrap();
    set(&store, "c", b"again", b"new");
    let report = store.gc(&name("c"), cacheman::GcLimits::default()).unwrap();
    assert_eq!(report.entries, 1);
    assert_eq!(get(&store, "c", b"again").unwrap(), b"new");
    let pattern = format!("cm2:{{{ns}/c}}:*");
    let mut left: Vec<String> = cluster
        .ports()
        .iter()
        .flat_map(|p| {
            cluster
                .cli(*p, &["--scan", "--pattern", &pattern])
                .lines()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .map(|k| k.rsplit(':').next().unwrap().to_string())
        .collect();
    left.sort();
    assert_eq!(left, ["again", "idx", "meta", "stats"]);
}

#[test]
fn background_work_reopens_the_store_as_the_command_line_says() {
    let store = open(&shared_server().target(&fresh_ns("reopen")));
    assert!(store.reopen_args().is_err(), "unsupported unless told");
    let args = vec!["--store".into(), "redis://host/0".into()];
    let told = store.with_reopen_args(args.clone());
    assert_eq!(told.reopen_args().unwrap(), args);
}

#[test]
fn a_dropped_cache_leaves_only_its_generation_behind() {
    let (server, ns, store) = on_server("dropped");
    set(&store, "c", b"before-clear", b"v");
    store.clear(&name("c")).unwrap();
    set(&store, "c", b"after-clear", b"v");
    store.drop_cache(&name("c"), false).unwrap();
    let pattern = format!("cm2:{{{ns}/c}}:*");
    let left = server.cli(&["--scan", "--pattern", &pattern]);
    assert_eq!(left.trim(), format!("cm2:{{{ns}/c}}:meta"));
    set(&store, "c", b"new", b"v");
    assert_eq!(store.keys(&name("c")).unwrap(), vec![b"new".to_vec()]);
}

#[test]
fn a_configured_default_ttl_applies_to_the_next_writes() {
    let clock = Arc::new(cacheman::ManualClock::new(1_000_000));
    let target = shared_server().target(&fresh_ns("configured"));
    let store = RedisStore::open_with_clock(&target, clock.clone()).unwrap();
    let cache = name("c");
    store
        .create(&cache, &CacheSettings::default(), false)
        .unwrap();
    let changed = store
        .configure(&cache, &|s| {
            s.ttl_ms = Some(500);
            Ok(())
        })
        .unwrap();
    assert_eq!(changed.ttl_ms, Some(500));
    set(&store, "c", b"k", b"v");
    clock.advance_ms(500);
    assert_eq!(get(&store, "c", b"k"), None, "expired by the new default");
    let never = |s: &mut CacheSettings| {
        s.ttl_ms = None;
        Ok(())
    };
    store.configure(&cache, &never).unwrap();
    set(&store, "c", b"k", b"v");
    clock.advance_ms(1_000_000);
    assert_eq!(get(&store, "c", b"k").unwrap(), b"v");
}

#[test]
fn a_check_on_one_machine_invalidates_the_shared_cache_for_everyone() {
    let (server, ns, store) = on_server("checked");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "a = 1").unwrap();
    let pattern = cacheman::Pattern::resolve(file.as_os_str(), dir.path()).unwrap();
    let (cache, dependent) = (name("cfg"), name("built"));
    store.bind(&cache, &[pattern]).unwrap();
    store
        .depend(&cache, std::slice::from_ref(&dependent))
        .unwrap();
    set(&store, "cfg", b"k", b"v");
    set(&store, "built", b"k", b"v");
    assert!(
        cacheman::check_cache(&store, &cache).unwrap().is_none(),
        "unchanged"
    );
    std::fs::write(&file, "a = 22").unwrap();
    let done = cacheman::check_cache(&store, &cache)
        .unwrap()
        .expect("changed");
    assert_eq!(done.caches, vec![cache.clone(), dependent]);
    let elsewhere = open(&server.target(&ns));
    assert_eq!(get(&elsewhere, "built", b"k"), None, "for everyone");
    assert!(
        cacheman::check_cache(&store, &cache).unwrap().is_none(),
        "recorded"
    );
}

#[test]
fn gc_deletes_the_chunks_no_entry_names_and_keeps_shared_ones() {
    let (server, ns, store) = on_server("orphans");
    let shared = Noise::new(11).bytes(2 * 1024 * 1024);
    let replaced = Noise::new(12).bytes(3 * 1024 * 1024);
    set(&store, "c", b"one", &shared);
    set(&store, "c", b"two", &shared);
    set(&store, "c", b"three", &replaced);
    set(&store, "c", b"three", b"small now");
    store.delete(&name("c"), &[b"one"]).unwrap();
    assert_eq!(chunk_keys(|args| server.cli(args), &ns).len(), 5);
    let report = store.gc(&name("c"), cacheman::GcLimits::default()).unwrap();
    assert_eq!(report.orphans.files, 3, "the replaced value's chunks");
    assert_eq!(chunk_keys(|args| server.cli(args), &ns).len(), 2);
    assert_eq!(get(&store, "c", b"two").unwrap(), shared, "still named");
    store.drop_cache(&name("c"), false).unwrap();
    assert!(chunk_keys(|args| server.cli(args), &ns).is_empty());
}

#[test]
fn a_key_written_twice_in_one_set_many_keeps_only_its_last_value() {
    let (_, _, store) = on_server("twice");
    let big = vec![b'b'; 256 * 1024 + 1];
    let items = vec![
        (b"inline-last".to_vec(), big.clone()),
        (b"chunked-last".to_vec(), b"small".to_vec()),
        (b"inline-last".to_vec(), b"small".to_vec()),
        (b"chunked-last".to_vec(), big.clone()),
    ];
    store
        .set_many(&name("c"), &mut items.into_iter(), &SetOptions::default())
        .unwrap();
    assert_eq!(get(&store, "c", b"inline-last").unwrap(), b"small");
    let chunked = get(&store, "c", b"chunked-last").unwrap();
    assert!(chunked == big, "the big value written last is served");
    let mut keys = store.keys(&name("c")).unwrap();
    keys.sort();
    assert_eq!(
        keys,
        vec![b"chunked-last".to_vec(), b"inline-last".to_vec()]
    );
}

#[test]
fn persistence_says_plainly_when_the_server_keeps_nothing() {
    let persistence = |target: &RedisTarget| {
        let details = open(target).details().unwrap();
        let field = details.into_iter().find(|(k, _)| k == "persistence");
        field.unwrap().1
    };
    let none = persistence(&shared_server().target(&fresh_ns("persist")));
    assert!(
        none.starts_with("none: ") && none.contains("a restart of the server loses the store"),
        "{none}"
    );
    let saving = RedisServer::start_with(&["--save", "3600 1"]);
    let kept = persistence(&saving.target(&fresh_ns("persist")));
    assert!(kept.contains("RDB save points \"3600 1\""), "{kept}");
    assert!(!kept.contains("loses"), "{kept}");
}

/// Raises its flag when dropped, a failed assertion's unwinding included,
/// so that the threads racing a test stop and the test fails, never hangs.
struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `count` entries `ROUND-i` for `set_many`, each valued by its key.
fn round_items(round: usize, count: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..count)
        .map(|i| format!("{round}-{i}").into_bytes())
        .map(|key| (key.clone(), key))
        .collect()
}

#[test]
fn set_many_loses_nothing_to_invalidations_elsewhere_or_readers_on_its_connection() {
    // Another machine's invalidations move the store's epoch (aborting the
    // batch's transactions, which are tried again) while a thread of the
    // batch's own process reads on the same connection.
    let (server, ns, store) = on_server("race-elsewhere");
    let other = open(&server.target(&ns));
    set(&store, "fixed", b"k", b"v");
    set(&other, "other", b"k", b"v");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let stopped = || stop.load(std::sync::atomic::Ordering::Relaxed);
    let (rounds, count) = (12, 300);
    let invalidations = std::thread::scope(|s| {
        let invalidating = s.spawn(|| {
            let mut n = 0;
            while !stopped() {
                let caches = [name("other")];
                other
                    .invalidate(&caches, &InvalidateOptions::default())
                    .unwrap();
                n += 1;
            }
            n
        });
        let reader = store.clone();
        let reading = s.spawn(move || {
            while !stopped() {
                assert_eq!(get(&reader, "fixed", b"k").unwrap(), b"v");
            }
        });
        let stopping = StopOnDrop(&stop);
        for round in 0..rounds {
            let mut items = round_items(round, count).into_iter();
            store
                .set_many(&name("c"), &mut items, &SetOptions::default())
                .unwrap();
            for i in [0, count / 2, count - 1] {
                let key = format!("{round}-{i}");
                let value = get(&store, "c", key.as_bytes());
                assert_eq!(value.as_deref(), Some(key.as_bytes()), "{key}");
            }
        }
        drop(stopping);
        reading.join().unwrap();
        invalidating.join().unwrap()
    });
    assert!(invalidations > 0);
    assert_eq!(store.keys(&name("c")).unwrap().len(), rounds * count);
}

#[test]
fn set_many_racing_invalidations_of_its_cache_lands_whole_at_its_token_or_not_at_all() {
    let (server, ns, store) = on_server("race-token");
    let other = open(&server.target(&ns));
    set(&store, "c", b"seed", b"v");
    // The epoch in an entry's header (bytes 19..27, big-endian), "" if absent.
    let epoch_of = |key: &str| {
        let entry = format!("cm2:{{{ns}/c}}:e:{key}");
        let lua = "local h = redis.call('GET', KEYS[1]) if not h then return '' end \
                   local n = 0 for j = 20, 27 do n = n * 256 + string.byte(h, j) end \
                   return tostring(n)";
        server.cli(&["EVAL", lua, "1", &entry]).trim().to_string()
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (mut landed, mut refused) = (0, 0);
    std::thread::scope(|s| {
        let invalidating = s.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let caches = [name("c")];
                other
                    .invalidate(&caches, &InvalidateOptions::default())
                    .unwrap();
                std::thread::sleep(Duration::from_millis(3));
            }
        });
        let stopping = StopOnDrop(&stop);
        for round in 0..40 {
            let token = store.epoch().unwrap();
            let options = SetOptions {
                if_epoch: Some(token),
                ..SetOptions::default()
            };
            let mut items = round_items(round, 200).into_iter();
            let written = store.set_many(&name("c"), &mut items, &options);
            for key in [format!("{round}-0"), format!("{round}-199")] {
                match &written {
                    Ok(_) => assert_eq!(epoch_of(&key), token.to_string(), "{key}"),
                    Err(cacheman::Error::Conflict { .. }) => {
                        assert_eq!(epoch_of(&key), "", "{key}: nothing written")
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            match written {
                Ok(_) => landed += 1,
                Err(_) => refused += 1,
            }
        }
        drop(stopping);
        invalidating.join().unwrap();
    });
    assert!(landed > 0, "{landed} landed, {refused} refused");
}
