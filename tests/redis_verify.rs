//! `verify` and `repair` on a Redis store, against a real server: a clean
//! store verifies; a chunk deleted or overwritten and a key lost from the
//! index are reported naming cache and key, and `repair` mends them.
#![cfg(feature = "redis")]

use std::cell::Cell;

use cacheman::{CacheName, NewValue, Progress, RedisStore, RedisTarget, SetOptions, Store};

use crate::common::redis::{RedisServer, namespace, shared_cluster, shared_server};
use crate::common::{Env, Noise, StoreVia};

/// A world on the shared server under a namespace of its own, and that namespace.
fn env_on_server() -> (Env, String) {
    let env = Env::new().store_via(StoreVia::Nothing);
    let ns = namespace(env.root());
    let store = format!("{}?ns={ns}", shared_server().url());
    (env.var("CACHEMAN_STORE", store), ns)
}

/// A cache `c` with a small entry `small` and a chunked one `big`.
fn filled() -> (Env, String) {
    let (env, ns) = env_on_server();
    env.set("c", "small", "tiny");
    let big = env.path("big.bin");
    std::fs::write(&big, Noise::new(7).bytes(3 << 20)).unwrap();
    env.cmd(["set", "c", "big", "--file"]).arg(&big).run();
    (env, ns)
}

/// The server's chunk keys of cache `c` in namespace `ns`.
fn chunk_keys(server: &RedisServer, ns: &str) -> Vec<String> {
    let pattern = format!("cm2:{ns}:c:c:*");
    let mut keys: Vec<String> = server
        .cli(&["KEYS", &pattern])
        .lines()
        .map(String::from)
        .collect();
    keys.sort();
    assert_eq!(keys.len(), 3, "a 3 MiB value is three chunks: {keys:?}");
    keys
}

/// Runs `verify`; its stdout.
fn verify(env: &Env, status: i32) -> String {
    let out = env
        .cmd(["verify"])
        .status(status)
        .any_stdout()
        .any_stderr()
        .run();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_clean_redis_store_verifies() {
    let (env, _) = filled();
    env.cmd(["verify"]).stdout("c: ok (2 entries)\n").run();
    env.cmd(["verify", "c"]).stdout("c: ok (2 entries)\n").run();
    env.cmd(["repair", "c"])
        .stdout("c: nothing to repair\n")
        .run();
    env.cmd(["verify", "nope"]).usage_error("nope").run();
}

#[test]
fn a_deleted_chunk_is_reported_and_repair_drops_its_entry() {
    let (env, ns) = filled();
    let server = shared_server();
    server.cli(&["DEL", &chunk_keys(server, &ns)[1]]);
    let report = verify(&env, 1);
    assert!(report.starts_with("c: 1 problem:\n"), "{report}");
    assert!(
        report.contains("key \"big\": chunk ") && report.contains("is missing"),
        "{report}"
    );
    let repaired = env.cmd(["repair", "c"]).any_stdout().run().stdout;
    let repaired = String::from_utf8(repaired).unwrap();
    assert!(
        repaired.starts_with("c: dropped key \"big\": chunk "),
        "{repaired}"
    );
    env.cmd(["verify"]).stdout("c: ok (1 entry)\n").run();
    assert_eq!(env.get("c", "big"), None);
    assert_eq!(env.get("c", "small").as_deref(), Some(&b"tiny"[..]));
}

#[test]
fn a_chunk_overwritten_with_other_bytes_is_reported() {
    let (env, ns) = filled();
    let server = shared_server();
    server.cli(&["SET", &chunk_keys(server, &ns)[0], "other bytes"]);
    let report = verify(&env, 1);
    assert!(
        report.contains("key \"big\": chunk ") && report.contains("is damaged"),
        "{report}"
    );
    env.cmd(["repair", "c"]).any_stdout().run();
    env.cmd(["verify"]).stdout("c: ok (1 entry)\n").run();
}

#[test]
fn a_key_lost_from_the_index_is_reported_and_put_back() {
    let (env, ns) = filled();
    let idx = format!("cm2:{{{ns}/c}}:idx");
    shared_server().cli(&["ZREM", &idx, "small"]);
    assert_eq!(env.keys("c"), vec![b"big".to_vec()]);
    let report = verify(&env, 1);
    assert!(
        report.contains("key \"small\": it has an entry, but the key index lacks it"),
        "{report}"
    );
    env.cmd(["repair", "c"])
        .stdout("c: put key \"small\" back in the key index\n")
        .run();
    env.cmd(["verify"]).stdout("c: ok (2 entries)\n").run();
    assert_eq!(env.keys("c"), vec![b"big".to_vec(), b"small".to_vec()]);
}

#[test]
fn a_damaged_header_is_reported_and_repaired() {
    let (env, ns) = filled();
    let entry = format!("cm2:{{{ns}/c}}:e:small");
    // The version byte: the header no longer decodes.
    shared_server().cli(&["SETRANGE", &entry, "0", "X"]);
    let report = verify(&env, 1);
    assert!(
        report.contains("key \"small\": its header does not decode (43 bytes, version byte 88)"),
        "{report}"
    );
    assert_eq!(env.get("c", "small"), None, "a miss, never a wrong value");
    let repaired = env.cmd(["repair", "c"]).any_stdout().run().stdout;
    let repaired = String::from_utf8(repaired).unwrap();
    assert!(
        repaired.starts_with("c: dropped key \"small\": its header does not decode"),
        "{repaired}"
    );
    env.cmd(["verify"]).stdout("c: ok (1 entry)\n").run();
}

#[test]
fn a_truncated_entry_is_reported() {
    let (env, ns) = filled();
    let entry = format!("cm2:{{{ns}/c}}:e:small");
    shared_server().cli(&["SET", &entry, "short"]);
    let report = verify(&env, 1);
    assert!(
        report.contains("key \"small\": its header does not decode (5 bytes, a header is 43)"),
        "{report}"
    );
}

#[test]
fn a_cluster_store_verifies_and_its_index_is_rebuilt() {
    let env = Env::new().store_via(StoreVia::Nothing);
    let ns = namespace(env.root());
    let port = shared_cluster().ports()[0];
    let env = env.var(
        "CACHEMAN_STORE",
        format!("redis://127.0.0.1:{port}?cluster=1&ns={ns}"),
    );
    env.set("c", "a", "1");
    env.set("c", "b", "2");
    env.cmd(["verify"]).stdout("c: ok (2 entries)\n").run();
    let idx = format!("cm2:{{{ns}/c}}:idx");
    shared_cluster().cli(port, &["-c", "ZREM", &idx, "a"]);
    assert!(verify(&env, 1).contains("key \"a\": it has an entry"));
    env.cmd(["repair", "c"])
        .stdout("c: put key \"a\" back in the key index\n")
        .run();
    env.cmd(["verify"]).stdout("c: ok (2 entries)\n").run();
}

#[test]
fn a_cascade_left_unfinished_is_reported_and_repair_finishes_it() {
    let (env, ns) = env_on_server();
    env.set("c", "k", "v");
    let log = format!("cm2:{{{ns}}}:cascades");
    let record = r#"{"until_ms":0,"floors":[["c","hard"]]}"#;
    shared_server().cli(&["HSET", &log, "5", record]);
    let report = verify(&env, 1);
    assert!(
        report
            .starts_with("store: 1 problem:\n  the cascade logged at epoch 5 was left unfinished"),
        "{report}"
    );
    env.cmd(["repair", "c"])
        .stdout("c: finished the cascade abandoned at epoch 5\n")
        .run();
    env.cmd(["verify"]).stdout("c: ok (1 entry)\n").run();
    assert_eq!(env.get("c", "k"), None, "the cascade's floor was set");
}

#[test]
fn an_entry_key_of_another_type_is_damage_never_a_driver_message() {
    let (env, ns) = filled();
    let entry = format!("cm2:{{{ns}/c}}:e:small");
    shared_server().cli(&["DEL", &entry]);
    shared_server().cli(&["HSET", &entry, "c", "1"]);
    let damage = "damaged store data";
    for args in [&["get", "c", "small"][..], &["incr", "c", "small"]] {
        let out = env.cmd(args).store_error(damage).run();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!stderr.contains("Pipeline"), "{stderr}");
        assert!(stderr.contains("hint: `cacheman verify`"), "{stderr}");
    }
    let report = verify(&env, 1);
    assert!(
        report.contains("key \"small\": it is not an entry (its key holds another type of value)"),
        "{report}"
    );
    let repaired = env.cmd(["repair", "c"]).any_stdout().run().stdout;
    let repaired = String::from_utf8(repaired).unwrap();
    assert!(
        repaired.starts_with("c: dropped key \"small\": it is not an entry"),
        "{repaired}"
    );
    env.cmd(["verify"]).stdout("c: ok (1 entry)\n").run();
    assert_eq!(env.get("c", "small"), None);
    env.set("c", "small", "again");
    assert_eq!(env.get("c", "small").as_deref(), Some(&b"again"[..]));
}

/// Writes a fresh value over a damaged entry the first time a survey step
/// ends: a writer racing `repair` between what it read and what it drops.
struct Racer<'a> {
    store: &'a dyn Store,
    raced: Cell<bool>,
}

impl Progress for Racer<'_> {
    fn position(&self) -> u64 {
        0
    }

    fn set_position(&self, _: u64) {}

    fn inc(&self, _: u64) {
        if !self.raced.replace(true) {
            let options = SetOptions::default();
            let value = NewValue::Bytes(b"fresh");
            self.store
                .set(&CacheName::new("c").unwrap(), b"small", value, &options)
                .unwrap();
        }
    }
}

#[test]
fn a_repair_racing_a_writer_never_drops_the_fresh_entry() {
    let dir = tempfile::tempdir().unwrap();
    let ns = namespace(dir.path());
    let target = RedisTarget {
        sidecar_base: Some(dir.path().join("sidecar")),
        ..shared_server().target(&ns)
    };
    let store = RedisStore::open(&target).unwrap();
    let cache = CacheName::new("c").unwrap();
    let options = SetOptions::default();
    store
        .set(&cache, b"small", NewValue::Bytes(b"tiny"), &options)
        .unwrap();
    let entry = format!("cm2:{{{ns}/c}}:e:small");
    shared_server().cli(&["SETRANGE", &entry, "0", "X"]);
    let racer = Racer {
        store: &store,
        raced: Cell::new(false),
    };
    store.repair_cache(&cache, &racer).unwrap();
    assert!(racer.raced.get(), "the survey reported progress");
    let hit = store
        .get(&cache, b"small")
        .unwrap()
        .expect("the fresh entry stays");
    assert_eq!(hit.value.into_bytes().unwrap(), b"fresh");
}
