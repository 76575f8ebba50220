//! Every command's ordinary use, run through the real binary: get/set/del/has,
//! keys, ls, create/drop/clear, sync, expiry, store resolution, init, info,
//! completions and volatile caches.

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::{Env, StoreVia, eventually, json};
use serde_json::Value;

#[test]
fn set_then_get_prints_the_value_exactly() {
    let env = Env::new();
    env.cmd(["set", "c", "k", "hello"]).run();
    env.cmd(["get", "c", "k"]).stdout("hello").run();
    env.cmd(["set", "c", "k", "world\n"]).run();
    env.cmd(["get", "c", "k"]).stdout("world\n").run();
}

#[test]
fn get_of_a_missing_key_or_cache_exits_1_silently() {
    let env = Env::new();
    env.cmd(["get", "nothing", "k"]).status(1).run();
    env.set("c", "k", "v");
    env.cmd(["get", "c", "other"]).status(1).run();
}

#[test]
fn get_default_is_printed_on_a_miss_only() {
    let env = Env::new();
    env.cmd(["get", "c", "k", "--default", "fallback"])
        .stdout("fallback")
        .run();
    env.cmd(["get", "c", "k", "--default", ""]).stdout("").run();
    env.set("c", "k", "real");
    env.cmd(["get", "c", "k", "--default", "fallback"])
        .stdout("real")
        .run();
}

#[test]
fn get_json_reports_each_key_and_exits_1_on_any_miss() {
    let env = Env::new();
    env.set("c", "k1", "one");
    env.set("c", "k2", "two");
    let out = env
        .cmd(["get", "c", "k1", "k2", "--json"])
        .any_stdout()
        .run()
        .stdout;
    let items = json(&out);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["key"], "k1");
    assert_eq!(items[0]["hit"], true);
    assert_eq!(items[0]["value"], "one");
    assert_eq!(items[0]["expires"], Value::Null);
    assert!(items[0]["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(items[1]["key"], "k2");
    assert_eq!(items[1]["value"], "two");

    let out = env
        .cmd(["get", "c", "k1", "nope", "k2", "--json"])
        .status(1)
        .any_stdout()
        .run()
        .stdout;
    let items = json(&out);
    let hits: Vec<_> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["key"].as_str().unwrap().to_owned(),
                i["hit"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hits,
        [
            ("k1".into(), true),
            ("nope".into(), false),
            ("k2".into(), true)
        ]
    );
    assert_eq!(items[1]["value"], Value::Null);

    // A single key with --json is an array of one.
    let out = env
        .cmd(["get", "c", "k2", "--json"])
        .any_stdout()
        .run()
        .stdout;
    assert_eq!(json(&out).as_array().unwrap().len(), 1);
}

#[test]
fn get_of_several_keys_without_json_is_a_usage_error() {
    let env = Env::new();
    env.set("c", "k1", "one");
    env.set("c", "k2", "two");
    env.cmd(["get", "c", "k1", "k2"])
        .usage_error("2 keys given")
        .run();
}

#[test]
fn set_reads_stdin_when_the_value_is_omitted_or_a_dash() {
    let env = Env::new();
    env.cmd(["set", "c", "omitted"]).stdin("from stdin\n").run();
    env.cmd(["set", "c", "dash", "-"]).stdin("dash stdin").run();
    env.cmd(["set", "c", "empty"]).stdin("").run();
    env.cmd(["get", "c", "omitted"])
        .stdout("from stdin\n")
        .run();
    env.cmd(["get", "c", "dash"]).stdout("dash stdin").run();
    env.cmd(["get", "c", "empty"]).stdout("").run();
    env.cmd(["has", "c", "empty"]).run();
}

#[test]
fn set_reads_a_file() {
    let env = Env::new();
    let file = env.path("value.bin");
    fs::write(&file, b"file contents\x00\xff").unwrap();
    env.cmd(["set", "c", "k", "--file"]).arg(&file).run();
    env.cmd(["get", "c", "k"])
        .stdout(b"file contents\x00\xff")
        .run();
}

#[test]
fn set_from_a_missing_file_is_bad_input_and_stores_nothing() {
    let env = Env::new();
    env.set("c", "k", "old");
    env.cmd(["set", "c", "k", "--file"])
        .arg(env.path("no-such-file"))
        .usage_error("no-such-file")
        .run();
    env.cmd(["get", "c", "k"]).stdout("old").run();
}

#[test]
fn set_overwrites_and_empty_values_are_values() {
    let env = Env::new();
    env.set("c", "k", "first");
    env.set("c", "k", "second");
    env.cmd(["get", "c", "k"]).stdout("second").run();
    env.set("c", "k", "");
    env.cmd(["get", "c", "k"]).stdout("").run();
    env.cmd(["has", "c", "k"]).run();
}

#[test]
fn has_answers_by_exit_status_only() {
    let env = Env::new();
    env.cmd(["has", "c", "k"]).status(1).run();
    env.set("c", "k", "v");
    env.cmd(["has", "c", "k"]).run();
    env.cmd(["has", "c", "other"]).status(1).run();
}

#[test]
fn del_exits_0_if_any_key_existed_and_1_if_none() {
    let env = Env::new();
    env.set("c", "a", "1");
    env.set("c", "b", "2");
    env.set("c", "c", "3");
    env.cmd(["del", "c", "a"]).run();
    env.cmd(["has", "c", "a"]).status(1).run();
    env.cmd(["del", "c", "a"]).status(1).run();
    env.cmd(["del", "c", "missing", "b"]).run();
    env.cmd(["del", "c", "missing", "b"]).status(1).run();
    env.cmd(["del", "nocache", "x"]).status(1).run();
    assert_eq!(env.keys("c"), [b"c".to_vec()]);
}

#[test]
fn del_survives_a_sync() {
    let env = Env::new();
    env.set("c", "a", "1");
    env.set("c", "b", "2");
    env.cmd(["sync", "-q"]).run();
    env.cmd(["del", "c", "a"]).run();
    env.cmd(["get", "c", "a"]).status(1).run();
    env.cmd(["sync", "-q", "c"]).run();
    env.cmd(["get", "c", "a"]).status(1).run();
    env.cmd(["get", "c", "b"]).stdout("2").run();
    env.set("c", "b", "22");
    env.cmd(["get", "c", "b"]).stdout("22").run();
    env.cmd(["sync", "-q", "c"]).run();
    env.cmd(["get", "c", "b"]).stdout("22").run();
}

#[test]
fn keys_lists_sorted_and_filters_by_glob() {
    let env = Env::new();
    for key in ["beta", "alpha", "admin-1", "admin-2", "dir/file", "gamma"] {
        env.set("c", key, "x");
    }
    env.cmd(["keys", "c"])
        .stdout("admin-1\nadmin-2\nalpha\nbeta\ndir/file\ngamma\n")
        .run();
    env.cmd(["keys", "c", "admin-*"])
        .stdout("admin-1\nadmin-2\n")
        .run();
    env.cmd(["keys", "c", "*a"])
        .stdout("alpha\nbeta\ngamma\n")
        .run();
    env.cmd(["keys", "c", "d*e"]).stdout("dir/file\n").run();
    env.cmd(["keys", "c", "{alpha,beta}"])
        .stdout("alpha\nbeta\n")
        .run();
    env.cmd(["keys", "c", "admin-?"])
        .stdout("admin-1\nadmin-2\n")
        .run();
    env.cmd(["keys", "c", "zzz*"]).stdout("").run();
    env.cmd(["keys", "c", "admin-*", "--json"])
        .stdout("[\"admin-1\",\"admin-2\"]\n")
        .run();
    env.cmd(["keys", "nocache"]).stdout("").run();
    env.cmd(["keys", "nocache", "--json"]).stdout("[]\n").run();
}

#[test]
fn keys_null_separated() {
    let env = Env::new();
    env.set("c", "with\nnewline", "1");
    env.set("c", "plain", "2");
    env.cmd(["keys", "c", "-0"])
        .stdout(b"plain\0with\nnewline\0")
        .run();
    env.cmd(["keys", "c", "--null"])
        .stdout(b"plain\0with\nnewline\0")
        .run();
}

#[test]
fn ls_table_and_json_show_entries_bytes_and_settings() {
    let env = Env::new().with_runtime_dir();
    env.cmd(["ls"]).stdout("").run();
    env.cmd(["ls", "--json"]).stdout("[]\n").run();

    env.set("plain", "k", "12345");
    env.set("plain", "kk", "6789");
    env.cmd([
        "create",
        "tuned",
        "--ttl",
        "10m",
        "--max-entries",
        "100",
        "--max-bytes",
        "64KiB",
    ])
    .run();
    env.cmd(["create", "vol", "--volatile", "--durable"]).run();

    let caches = env.ls();
    let names: Vec<_> = caches.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["plain", "tuned", "vol"]);

    let plain = &caches[0];
    assert_eq!(plain["entries"], 2);
    assert_eq!(plain["bytes"], 1 + 5 + 2 + 4);
    assert_eq!(plain["pending"], 2);
    assert_eq!(plain["volatile"], false);
    assert_eq!(plain["durable"], false);
    assert_eq!(plain["ttl_ms"], Value::Null);
    assert_eq!(plain["max_entries"], Value::Null);
    assert_eq!(plain["max_bytes"], Value::Null);

    let tuned = &caches[1];
    assert_eq!(tuned["entries"], 0);
    assert_eq!(tuned["bytes"], 0);
    assert_eq!(tuned["ttl_ms"], 600_000);
    assert_eq!(tuned["max_entries"], 100);
    assert_eq!(tuned["max_bytes"], 65536);
    assert_eq!(tuned["volatile"], false);

    let vol = &caches[2];
    assert_eq!(vol["volatile"], true);
    assert_eq!(vol["durable"], true);

    let table = String::from_utf8(env.cmd(["ls"]).any_stdout().run().stdout).unwrap();
    let rows = table_rows(&table);
    assert_eq!(rows.len(), 3, "{table}");
    let plain = &rows[0];
    assert_eq!(plain["NAME"], "plain");
    assert_eq!(plain["ENTRIES"], "2");
    assert_eq!(plain["SIZE"], "12 B");
    assert_eq!(plain["PENDING"], "2");
    assert_eq!(plain["TTL"], "-");
    assert_eq!(plain["LIMITS"], "-");
    assert_eq!(plain["FLAGS"], "-");
    let tuned = &rows[1];
    assert_eq!(tuned["NAME"], "tuned");
    assert_eq!(tuned["TTL"], "10m");
    assert!(tuned["LIMITS"].contains("100 entries"), "{table}");
    assert!(tuned["LIMITS"].contains("64"), "{table}");
    let vol = &rows[2];
    assert_eq!(vol["NAME"], "vol");
    assert_eq!(vol["FLAGS"], "volatile,durable");
}

/// Parses `ls`'s table and checks its columns.
fn table_rows(table: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let rows = common::table(table);
    let header = table.lines().next().expect("a header row");
    for column in [
        "NAME", "ENTRIES", "SIZE", "PENDING", "TTL", "LIMITS", "FLAGS",
    ] {
        assert!(header.contains(column), "no {column} column: {table}");
    }
    rows
}

#[test]
fn create_refuses_a_duplicate_unless_exist_ok() {
    let env = Env::new();
    env.cmd(["create", "c", "--ttl", "1h"]).run();
    env.cmd(["create", "c"]).usage_error("already exists").run();
    env.cmd(["create", "c", "-p"]).run();
    env.cmd(["create", "c", "--exist-ok", "--ttl", "5m"]).run();
    // -p keeps the existing settings.
    assert_eq!(env.ls_cache("c")["ttl_ms"], 3_600_000);
    // A cache created implicitly by a write counts as existing too.
    env.set("implicit", "k", "v");
    env.cmd(["create", "implicit"])
        .usage_error("already exists")
        .run();
}

#[test]
fn create_accepts_every_option() {
    let env = Env::new().with_runtime_dir();
    env.cmd([
        "create",
        "all",
        "--ttl",
        "2h",
        "--max-entries",
        "7",
        "--max-bytes",
        "1MB",
        "--volatile",
        "--durable",
    ])
    .run();
    let all = env.ls_cache("all");
    assert_eq!(all["ttl_ms"], 7_200_000);
    assert_eq!(all["max_entries"], 7);
    assert_eq!(all["max_bytes"], 1_000_000);
    assert_eq!(all["volatile"], true);
    assert_eq!(all["durable"], true);
    assert_eq!(all["entries"], 0);
    env.cmd(["create", "never", "--ttl", "never"]).run();
    assert_eq!(env.ls_cache("never")["ttl_ms"], Value::Null);
    env.set("all", "k", "v");
    env.cmd(["get", "all", "k"]).stdout("v").run();
}

#[test]
fn max_entries_and_max_bytes_are_enforced() {
    let env = Env::new();
    env.cmd(["create", "few", "--max-entries", "3"]).run();
    env.cmd(["create", "small", "--max-bytes", "100"]).run();
    for i in 0..6 {
        env.set("few", format!("k{i}"), "v");
        env.set("small", format!("k{i}"), "x".repeat(40));
    }
    env.cmd(["sync", "-q"]).run();
    let few = env.keys("few");
    assert!(few.len() <= 3, "max-entries 3 kept {} keys", few.len());
    // "least recently written go first"
    assert!(few.contains(&b"k5".to_vec()), "the newest key was evicted");
    let small = env.ls_cache("small");
    assert!(
        small["bytes"].as_u64().unwrap() <= 100,
        "max-bytes 100 kept {small}"
    );
}

#[test]
fn drop_removes_the_cache_and_its_files() {
    let env = Env::new();
    env.set("c", "k", "v");
    env.set("c", "big", "x".repeat(10_000));
    env.set("other", "k", "keep");
    assert!(env.cache_dir("c").exists());
    env.cmd(["drop", "c"]).run();
    assert!(!env.cache_dir("c").exists(), "drop left the cache's files");
    env.cmd(["get", "c", "k"]).status(1).run();
    env.cmd(["get", "c", "big"]).status(1).run();
    let names: Vec<_> = env.ls().iter().map(|c| c["name"].clone()).collect();
    assert_eq!(names, ["other"]);
    env.cmd(["get", "other", "k"]).stdout("keep").run();
    // A cache of the same name starts empty, with default settings.
    env.set("c", "new", "1");
    assert_eq!(env.keys("c"), [b"new".to_vec()]);
    env.cmd(["drop", "c"]).run();
    env.cmd(["drop", "c"])
        .usage_error("no cache named 'c'")
        .run();
}

#[test]
fn clear_empties_a_cache_but_keeps_its_settings() {
    let env = Env::new();
    env.cmd(["create", "c", "--ttl", "1h", "--max-entries", "50"])
        .run();
    env.set("c", "a", "1");
    env.set("c", "b", "2");
    env.cmd(["sync", "-q"]).run();
    env.set("c", "c", "3");
    env.cmd(["clear", "c"]).run();
    assert!(env.keys("c").is_empty());
    env.cmd(["get", "c", "a"]).status(1).run();
    env.cmd(["get", "c", "c"]).status(1).run();
    let c = env.ls_cache("c");
    assert_eq!(c["entries"], 0);
    assert_eq!(c["ttl_ms"], 3_600_000);
    assert_eq!(c["max_entries"], 50);
    env.set("c", "d", "4");
    env.cmd(["sync", "-q"]).run();
    assert_eq!(env.keys("c"), [b"d".to_vec()]);
    // Clearing a cache that never held anything is fine too.
    env.cmd(["create", "fresh"]).run();
    env.cmd(["clear", "fresh"]).run();
    assert!(env.keys("fresh").is_empty());
    // The default TTL still applies after a clear.
    let out = env
        .cmd(["get", "c", "d", "--json"])
        .any_stdout()
        .run()
        .stdout;
    assert_ne!(json(&out)[0]["expires"], Value::Null);
}

#[test]
fn sync_keeps_values_and_empties_pending() {
    let env = Env::new();
    for i in 0..20 {
        env.set("c", format!("k{i}"), format!("v{i}"));
    }
    env.set("c", "blob", "b".repeat(9000));
    env.set("d", "k", "dv");
    assert_eq!(env.ls_cache("c")["pending"], 21);
    env.cmd(["sync", "c"])
        .stderr_contains("c: merged 21 changes, 21 entries")
        .run();
    let c = env.ls_cache("c");
    assert_eq!(c["pending"], 0);
    assert_eq!(c["entries"], 21);
    assert_eq!(env.ls_cache("d")["pending"], 1);
    env.cmd(["sync", "c"]).stderr("c: nothing to sync\n").run();
    env.cmd(["sync", "--quiet"]).run();
    assert_eq!(env.ls_cache("d")["pending"], 0);
    for i in 0..20 {
        env.cmd(["get", "c", &format!("k{i}")])
            .stdout(format!("v{i}"))
            .run();
    }
    env.cmd(["get", "c", "blob"]).stdout("b".repeat(9000)).run();
    env.cmd(["get", "d", "k"]).stdout("dv").run();
}

#[test]
fn sync_of_an_empty_store_does_nothing() {
    let env = Env::new();
    env.cmd(["sync"]).run();
    assert!(!env.store().exists());
}

#[test]
fn ttl_entries_expire_and_leave_keys() {
    let env = Env::new();
    env.set("c", "stays", "forever");
    let start = Instant::now();
    env.cmd(["set", "c", "brief", "gone soon", "--ttl", "1s"])
        .run();
    let early = env.get("c", "brief");
    if start.elapsed() < Duration::from_millis(900) {
        assert_eq!(early.as_deref(), Some(&b"gone soon"[..]));
    }
    let listed = env.keys("c").contains(&b"brief".to_vec());
    assert!(listed || start.elapsed() >= Duration::from_secs(1));
    eventually(Duration::from_secs(15), "the 1s entry to expire", || {
        env.get("c", "brief").is_none()
    });
    assert!(
        start.elapsed() >= Duration::from_millis(990),
        "expired after only {:?}",
        start.elapsed()
    );
    env.cmd(["has", "c", "brief"]).status(1).run();
    assert_eq!(env.keys("c"), [b"stays".to_vec()]);
    env.cmd(["get", "c", "brief", "--default", "d"])
        .stdout("d")
        .run();
    env.cmd(["del", "c", "brief"]).status(1).run();
    env.cmd(["sync", "c"])
        .stderr_contains("dropped 1 expired")
        .run();
    assert_eq!(env.ls_cache("c")["entries"], 1);
    env.cmd(["get", "c", "stays"]).stdout("forever").run();
}

#[test]
fn cache_default_ttl_applies_and_never_overrides_it() {
    let env = Env::new();
    env.cmd(["create", "c", "--ttl", "1s"]).run();
    let start = Instant::now();
    env.set("c", "default", "d");
    env.cmd(["set", "c", "never", "n", "--ttl", "never"]).run();
    env.cmd(["set", "c", "long", "l", "--ttl", "1h"]).run();

    let out = env
        .command()
        .args(["get", "c", "default", "never", "long", "--json"])
        .output()
        .unwrap();
    let all_hit = out.status.code() == Some(0);
    assert!(
        all_hit || start.elapsed() >= Duration::from_secs(1),
        "{out:?}"
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let items = json(&out.stdout);
    assert_eq!(
        items[1]["expires"],
        Value::Null,
        "--ttl never got an expiry"
    );
    assert_ne!(items[2]["expires"], Value::Null);

    eventually(Duration::from_secs(15), "the default TTL to expire", || {
        env.get("c", "default").is_none()
    });
    assert!(start.elapsed() >= Duration::from_millis(990));
    env.cmd(["get", "c", "never"]).stdout("n").run();
    env.cmd(["get", "c", "long"]).stdout("l").run();
    assert_eq!(env.keys("c"), [b"long".to_vec(), b"never".to_vec()]);
}

#[test]
fn store_from_the_flag_beats_the_environment() {
    let env = Env::new();
    let flag_store = env.path("flagged");
    let out = env
        .cmd(["info", "--json", "--dir"])
        .arg(&flag_store)
        .any_stdout()
        .run()
        .stdout;
    let info = json(&out);
    assert_eq!(info["store"], flag_store.to_str().unwrap());
    assert_eq!(info["source"], "--dir");
    assert_eq!(info["exists"], false);

    env.cmd(["set", "c", "k", "v", "--dir"])
        .arg(&flag_store)
        .run();
    assert!(flag_store.join("manifest").exists());
    assert!(!env.store().exists(), "CACHEMAN_DIR was used despite --dir");
    env.cmd(["get", "c", "k", "--dir"])
        .arg(&flag_store)
        .stdout("v")
        .run();
    env.cmd(["get", "c", "k"]).status(1).run();
}

#[test]
fn store_from_the_environment() {
    let env = Env::new();
    // CACHEMAN_DIR beats a project store in the working directory.
    fs::create_dir(env.path("work/.cacheman")).unwrap();
    let out = env.cmd(["info", "--json"]).any_stdout().run().stdout;
    let info = json(&out);
    assert_eq!(info["store"], env.store().to_str().unwrap());
    assert_eq!(info["source"], "CACHEMAN_DIR");
    assert_eq!(info["exists"], false);
    assert_eq!(info["caches"], 0);
    env.set("a", "k", "v");
    env.set("b", "k", "v");
    let info = json(&env.cmd(["info", "--json"]).any_stdout().run().stdout);
    assert_eq!(info["exists"], true);
    assert_eq!(info["caches"], 2);
    assert!(info["version"].is_string());
    env.cmd(["info", "--path"])
        .stdout(format!("{}\n", env.store().display()))
        .run();
    let text = env.cmd(["info"]).any_stdout().run().stdout;
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains(env.store().to_str().unwrap()), "{text}");
    assert!(text.contains("CACHEMAN_DIR"), "{text}");
}

#[test]
fn an_empty_cacheman_dir_is_ignored() {
    let env = Env::new()
        .store_via(StoreVia::Nothing)
        .var("CACHEMAN_DIR", "");
    let info = json(&env.cmd(["info", "--json"]).any_stdout().run().stdout);
    assert_eq!(info["source"], "platform cache directory");
}

#[test]
fn store_named_by_flag_via_env_builder() {
    let env = Env::new().store_via(StoreVia::Flag);
    env.set("c", "k", "v");
    assert!(env.store().join("manifest").exists());
    env.cmd(["info", "--path"])
        .stdout(format!("{}\n", env.store().display()))
        .run();
}

#[test]
fn relative_dir_is_resolved_against_the_working_directory() {
    let env = Env::new().store_via(StoreVia::Nothing);
    env.cmd(["--dir", "rel-store", "set", "c", "k", "v"]).run();
    assert!(env.path("work/rel-store/manifest").exists());
    env.cmd(["--dir", "rel-store", "info", "--path"])
        .stdout(format!("{}\n", env.path("work/rel-store").display()))
        .run();
}

#[test]
fn verbose_names_the_store_on_stderr() {
    let env = Env::new();
    env.cmd(["-v", "get", "c", "k"])
        .status(1)
        .stderr(format!(
            "cacheman: store: {} (from CACHEMAN_DIR)\n",
            env.store().display()
        ))
        .run();
}

#[test]
fn init_creates_a_project_store_found_from_subdirectories() {
    let env = Env::new().store_via(StoreVia::Nothing).cwd("proj");
    env.cmd(["init"]).stderr_contains("created store").run();
    let project = env.path("proj/.cacheman");
    let mode = fs::metadata(&project).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    env.cmd(["init"]).stderr_contains("already exists").run();

    let sub = env.path("proj/src/deeper");
    fs::create_dir_all(&sub).unwrap();
    let out = env.cmd(["info", "--json"]).in_dir(&sub).any_stdout().run();
    let info = json(&out.stdout);
    assert_eq!(info["store"], project.to_str().unwrap());
    assert_eq!(info["source"], "nearest .cacheman/");

    env.cmd(["set", "c", "k", "from below"]).in_dir(&sub).run();
    env.cmd(["get", "c", "k"])
        .in_dir(&sub)
        .stdout("from below")
        .run();
    assert!(project.join("caches/c").is_dir());
    // From the project's top, the same store answers.
    env.cmd(["get", "c", "k"]).stdout("from below").run();
    // No platform store was made.
    assert!(!env.path("home/.cache").exists());
}

#[test]
fn init_with_a_directory_argument() {
    let env = Env::new().store_via(StoreVia::Nothing);
    let target = env.path("elsewhere");
    fs::create_dir(&target).unwrap();
    env.cmd(["init"])
        .arg(&target)
        .stderr_contains("created store")
        .run();
    assert!(target.join(".cacheman").is_dir());
    assert!(!env.path("work/.cacheman").exists());
}

#[test]
fn store_from_the_platform_cache_directory() {
    // XDG_CACHE_HOME wins over HOME.
    let env = Env::new().store_via(StoreVia::Nothing);
    let xdg = env.path("xdg-cache");
    let env = env.var("XDG_CACHE_HOME", &xdg);
    let info = json(&env.cmd(["info", "--json"]).any_stdout().run().stdout);
    assert_eq!(info["source"], "platform cache directory");
    assert_eq!(info["store"], xdg.join("cacheman").to_str().unwrap());
    env.set("c", "k", "v");
    assert!(xdg.join("cacheman/manifest").exists());

    // Without XDG_CACHE_HOME it is ~/.cache/cacheman.
    let env = Env::new().store_via(StoreVia::Nothing);
    env.cmd(["info", "--path"])
        .stdout(format!("{}\n", env.path("home/.cache/cacheman").display()))
        .run();
    env.set("c", "k", "v");
    assert!(env.path("home/.cache/cacheman/manifest").exists());
    env.cmd(["get", "c", "k"]).stdout("v").run();
}

#[test]
fn completions_are_printed() {
    let env = Env::new();
    let bash = env.cmd(["completions", "bash"]).any_stdout().run().stdout;
    let bash = String::from_utf8(bash).unwrap();
    assert!(bash.contains("cacheman"), "{bash}");
    assert!(bash.contains("complete"), "{bash}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = env.cmd(["completions", shell]).any_stdout().run().stdout;
        assert!(!out.is_empty(), "{shell}");
    }
    assert!(!env.store().exists());
}

#[test]
fn help_and_version_exit_0() {
    let env = Env::new();
    env.cmd(["--help"]).stdout_contains("Exit status").run();
    env.cmd(["get", "--help"]).stdout_contains("Usage").run();
    env.cmd(["--version"]).stdout_contains("cacheman").run();
}

#[test]
fn store_directories_are_0700_and_files_0600() {
    let env = Env::new().with_runtime_dir();
    env.set("c", "small", "v");
    env.set("c", "big", "x".repeat(50_000));
    env.cmd(["sync", "-q"]).run();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "big", "y".repeat(50_000));
    let mut checked = 0;
    for base in [env.store(), env.runtime()] {
        for (path, node) in common::Tree::of(&base).0 {
            if base == env.runtime() && path.as_os_str().is_empty() {
                continue; // the runtime dir itself is the test's
            }
            let mode = match node {
                common::Node::Dir { mode } => {
                    assert_eq!(mode & 0o777, 0o700, "dir {}", path.display());
                    mode
                }
                common::Node::File { mode, .. } => {
                    assert_eq!(mode & 0o777, 0o600, "file {}", path.display());
                    mode
                }
                common::Node::Symlink { .. } => panic!("symlink {}", path.display()),
            };
            assert_eq!(mode & 0o077, 0);
            checked += 1;
        }
    }
    assert!(checked > 10, "only {checked} paths checked");
}

#[test]
fn volatile_caches_live_in_the_runtime_dir_and_vanish_with_it() {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "value");
    env.set("v", "big", "z".repeat(20_000));
    env.set("p", "k", "persistent");

    assert!(!env.cache_dir("v").exists(), "volatile data under caches/");
    let folders: Vec<_> = fs::read_dir(env.runtime())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let folder = &folders[0];
    assert!(
        folder
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("cacheman-"),
        "{folder:?}"
    );
    assert!(folder.join("v").is_dir());
    assert!(fs::read_dir(folder.join("v")).unwrap().count() > 0);
    env.cmd(["get", "v", "k"]).stdout("value").run();
    env.cmd(["get", "v", "big"])
        .stdout("z".repeat(20_000))
        .run();
    env.cmd(["sync", "-q", "v"]).run();
    env.cmd(["get", "v", "k"]).stdout("value").run();
    assert!(!env.cache_dir("v").exists());

    // A reboot: the runtime folder is gone.
    fs::remove_dir_all(folder).unwrap();
    env.cmd(["get", "v", "k"]).status(1).run();
    env.cmd(["get", "v", "big"]).status(1).run();
    env.cmd(["has", "v", "k"]).status(1).run();
    env.cmd(["keys", "v"]).stdout("").run();
    let v = env.ls_cache("v");
    assert_eq!(v["entries"], 0);
    assert_eq!(v["volatile"], true);
    env.cmd(["get", "p", "k"]).stdout("persistent").run();
    env.cmd(["sync", "-q"]).run();
    // It keeps working afterwards.
    env.set("v", "k", "again");
    env.cmd(["get", "v", "k"]).stdout("again").run();
    env.cmd(["drop", "v"]).run();
    assert!(!folder.join("v").exists(), "drop left volatile files");
}

#[test]
fn two_stores_do_not_share_volatile_folders() {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "first store");
    let other = env.path("other-store");
    env.cmd(["create", "v", "--volatile", "--dir"])
        .arg(&other)
        .run();
    env.cmd(["get", "v", "k", "--dir"])
        .arg(&other)
        .status(1)
        .run();
    env.cmd(["set", "v", "k", "second store", "--dir"])
        .arg(&other)
        .run();
    env.cmd(["get", "v", "k"]).stdout("first store").run();
    assert_eq!(fs::read_dir(env.runtime()).unwrap().count(), 2);
}
