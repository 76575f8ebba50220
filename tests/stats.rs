//! `cacheman stats`: hit and miss counts that stay exact under concurrent
//! readers, `--reset`, and reads that never fail on a damaged counters file.

use crate::common;

use std::fs;
use std::thread;

use common::{Env, json};
use serde_json::Value;

fn stats(env: &Env, cache: &str) -> Value {
    json(
        &env.cmd(["stats", cache, "--json"])
            .any_stdout()
            .any_stderr()
            .run()
            .stdout,
    )
}

#[test]
fn counts_hits_and_misses_and_describes_the_cache() {
    let env = Env::new();
    let entries = "{\"key\":\"a\",\"value\":\"1\",\"created_ms\":1000}\n\
                   {\"key\":\"b\",\"value\":\"22\",\"created_ms\":2000}\n";
    env.cmd(["import", "c"]).stdin(entries).any_stderr().run();
    env.cmd(["get", "c", "a"]).stdout("1").run();
    env.cmd(["get", "c", "b"]).stdout("22").run();
    env.cmd(["get", "c", "nope"]).status(1).run();
    env.cmd(["has", "c", "a"]).run();
    let s = stats(&env, "c");
    assert_eq!(
        (s["hits"].as_u64(), s["misses"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(s["hit_ratio"], 0.75);
    assert_eq!(
        (s["entries"].as_u64(), s["bytes"].as_u64()),
        (Some(2), Some(5))
    );
    assert_eq!(s["pending"], 2);
    assert_eq!(s["counters"], "counting");
    assert_eq!(
        s["oldest"],
        serde_json::json!({"key": "a", "created": "1970-01-01T00:00:01Z"})
    );
    assert_eq!(
        s["newest"],
        serde_json::json!({"key": "b", "created": "1970-01-01T00:00:02Z"})
    );
    assert!(s["journal_bytes"].as_u64().unwrap() > 0);
    assert!(s["ms_since_sync"].is_null(), "never synced");
    let table = env.cmd(["stats"]).any_stdout().run().stdout;
    assert_eq!(
        common::table(&String::from_utf8(table).unwrap())[0]["SYNCED"],
        "never"
    );
    env.cmd(["sync", "c"]).any_stderr().run();
    assert!(stats(&env, "c")["ms_since_sync"].is_u64());

    let table = env.cmd(["stats"]).any_stdout().run().stdout;
    let rows = common::table(&String::from_utf8(table).unwrap());
    assert_eq!(rows.len(), 1, "one cache, no total row");
    assert_eq!(rows[0]["HITS"], "3");
    assert_eq!(rows[0]["HIT%"], "75.0%");
}

#[test]
fn every_cache_gets_a_row_and_a_total() {
    let env = Env::new();
    env.set("a", "k", "1");
    env.set("b", "k", "1");
    env.cmd(["get", "a", "k"]).stdout("1").run();
    env.cmd(["get", "b", "x"]).status(1).run();
    let out = env.cmd(["stats"]).any_stdout().run().stdout;
    let rows = common::table(&String::from_utf8(out).unwrap());
    let names: Vec<_> = rows.iter().map(|r| r["NAME"].as_str()).collect();
    assert_eq!(names, ["a", "b", "TOTAL"]);
    assert_eq!(
        (rows[2]["HITS"].as_str(), rows[2]["MISSES"].as_str()),
        ("1", "1")
    );
    let lines = env.cmd(["stats", "--json"]).any_stdout().run().stdout;
    assert_eq!(
        lines
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count(),
        2
    );
}

#[test]
fn reset_zeroes_the_counts_of_one_cache_or_all() {
    let env = Env::new();
    env.set("a", "k", "1");
    env.set("b", "k", "1");
    for cache in ["a", "b"] {
        env.cmd(["get", cache, "k"]).stdout("1").run();
    }
    env.cmd(["stats", "a", "--reset"]).run();
    let a = stats(&env, "a");
    assert_eq!(
        (a["hits"].as_u64(), a["misses"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(a["counters"], "reset");
    assert_eq!(stats(&env, "b")["hits"], 1);
    env.cmd(["stats", "--reset"]).run();
    assert_eq!(stats(&env, "b")["hits"], 0);
    env.cmd(["get", "a", "k"]).stdout("1").run();
    assert_eq!(stats(&env, "a")["hits"], 1);
}

#[test]
fn counts_stay_exact_under_eight_concurrent_readers() {
    const READERS: usize = 8;
    const GETS: usize = 1000;
    let env = Env::new();
    env.set("c", "k", "v");
    assert!(
        !env.cache_dir("c").join("counters").exists(),
        "counters are made lazily"
    );
    let script = "get c k\nget c missing\n".repeat(GETS);
    thread::scope(|scope| {
        let env = &env;
        let script = &script;
        for _ in 0..READERS {
            scope.spawn(move || {
                env.cmd(["batch"]).stdin(script.as_str()).any_stdout().run();
            });
        }
    });
    let s = stats(&env, "c");
    assert_eq!(s["hits"], (READERS * GETS) as u64);
    assert_eq!(s["misses"], (READERS * GETS) as u64);
}

#[test]
fn a_damaged_counters_file_never_fails_a_read() {
    let env = Env::new();
    env.set("c", "k", "v");
    env.cmd(["get", "c", "k"]).stdout("v").run();
    let counters = env.cache_dir("c").join("counters");
    fs::write(&counters, b"not a counters file").unwrap();
    let s = stats(&env, "c");
    assert_eq!(s["counters"], "damaged");
    assert!(s["hits"].is_null());
    env.cmd(["stats", "c"])
        .any_stdout()
        .stderr_contains("counters unreadable")
        .run();

    env.cmd(["get", "c", "k"]).stdout("v").run();
    let s = stats(&env, "c");
    assert_eq!(
        (s["counters"].as_str(), s["hits"].as_u64()),
        (Some("recovered"), Some(1))
    );
    env.cmd(["stats", "c"])
        .any_stdout()
        .stderr_contains("counters were damaged and restarted")
        .run();
}

#[test]
fn counting_can_be_turned_off() {
    let env = Env::new();
    env.set("c", "k", "v");
    env.command()
        .env("CACHEMAN_NO_STATS", "1")
        .args(["get", "c", "k"])
        .assert()
        .success()
        .stdout("v");
    assert!(!env.cache_dir("c").join("counters").exists());
    assert_eq!(stats(&env, "c")["counters"], "absent");
}

#[test]
fn bad_input() {
    let env = Env::new();
    env.cmd(["stats", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    env.cmd(["stats", "--reset", "--json"])
        .usage_error("--json")
        .run();
}

/// Caches `c` and `d`, each synced, and `c`'s snapshot damaged in a record.
fn one_damaged_cache(env: &Env) -> std::path::PathBuf {
    for cache in ["c", "d"] {
        env.set(cache, "k", "v");
        env.cmd(["sync", cache]).any_stderr().run();
    }
    let snapshot = env.snapshot("c");
    common::flip_byte(&snapshot, 90, 1);
    snapshot
}

#[test]
fn a_damaged_cache_is_reported_and_the_others_shown() {
    let env = Env::new();
    let snapshot = one_damaged_cache(&env);
    let out = env
        .cmd(["stats"])
        .status(3)
        .any_stdout()
        .stderr_contains(&format!("cacheman: error: {}", snapshot.display()))
        .run();
    let rows = common::table(&String::from_utf8(out.stdout).unwrap());
    let names: Vec<&str> = rows.iter().map(|row| row["NAME"].as_str()).collect();
    assert_eq!(names, ["d"]);
    env.cmd(["stats", "d"]).any_stdout().run();
}

#[test]
fn a_missing_store_is_said() {
    let env = Env::new();
    env.cmd(["stats"])
        .stderr(format!(
            "cacheman: warning: no store at {}: nothing to report\n",
            env.store().display()
        ))
        .run();
    assert!(!env.store().exists(), "stats of a missing store created it");
}
