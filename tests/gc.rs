//! `cacheman gc`: expired entries go, limits evict the least recently used
//! entries first, and orphaned blobs and dead writers' temporary files are
//! deleted while blobs a live entry (or a write in progress) needs are kept.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::Env;

/// Entries written long ago, oldest first: a (1970 + 1 s), b, c, d.
fn aged_cache(env: &Env, cache: &str) {
    let lines: String = ["a", "b", "c", "d"]
        .iter()
        .enumerate()
        .map(|(i, key)| {
            format!(
                "{{\"key\":\"{key}\",\"value\":\"{key}{key}\",\"created_ms\":{}}}\n",
                (i + 1) * 1000
            )
        })
        .collect();
    env.cmd(["import", cache]).stdin(lines).any_stderr().run();
}

fn keys(env: &Env, cache: &str) -> Vec<String> {
    env.keys(cache)
        .into_iter()
        .map(|k| String::from_utf8(k).unwrap())
        .collect()
}

fn gc(env: &Env, args: &[&str]) -> String {
    let out = env.cmd(["gc"]).args_of(args).any_stdout().run().stdout;
    String::from_utf8(out).unwrap()
}

trait Args {
    fn args_of(self, args: &[&str]) -> Self;
}

impl Args for common::Test<'_> {
    fn args_of(mut self, args: &[&str]) -> Self {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }
}

#[test]
fn limits_evict_the_least_recently_used_first() {
    let env = Env::new();
    aged_cache(&env, "c");
    // `a` is the oldest written, but the most recently read.
    env.cmd(["get", "c", "a"]).stdout("aa").run();
    let report = gc(&env, &["c", "--max-entries", "2"]);
    assert!(
        report.starts_with(
            "c: dropped 0 expired or invalidated and evicted 2 over the limits (6 B freed); 2 entries left;"
        ),
        "{report}"
    );
    assert_eq!(keys(&env, "c"), ["a", "d"]);

    aged_cache(&env, "bytes");
    env.cmd(["get", "bytes", "b"]).stdout("bb").run();
    env.cmd(["get", "bytes", "a"]).stdout("aa").run();
    // Each entry is 3 bytes: 6 bytes keep the two read last.
    gc(&env, &["bytes", "--max-bytes", "6"]);
    assert_eq!(keys(&env, "bytes"), ["a", "b"]);
}

#[test]
fn a_sync_enforces_the_cache_limits_in_the_same_order() {
    let env = Env::new();
    env.cmd(["create", "c", "--max-entries", "3"]).run();
    aged_cache(&env, "c");
    env.cmd(["get", "c", "a"]).stdout("aa").run();
    env.cmd(["sync", "c"]).any_stderr().run();
    assert_eq!(keys(&env, "c"), ["a", "c", "d"]);
    // gc applies the cache's own limit too, and the tighter of two.
    gc(&env, &["c", "--max-entries", "10"]);
    assert_eq!(keys(&env, "c"), ["a", "c", "d"]);
}

#[test]
fn expired_entries_are_dropped() {
    let env = Env::new();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let lines = format!(
        "{{\"key\":\"soon\",\"value\":\"v\",\"expires_ms\":{}}}\n{{\"key\":\"kept\",\"value\":\"v\"}}\n",
        now_ms + 3000
    );
    env.cmd(["import", "c"]).stdin(lines).any_stderr().run();
    env.cmd(["sync", "c"]).any_stderr().run();
    let synced = env.ls_cache("c");
    assert_eq!(
        (synced["entries"].as_u64(), synced["pending"].as_u64()),
        (Some(2), Some(0))
    );
    common::eventually(Duration::from_secs(30), "the entry to expire", || {
        env.get("c", "soon").is_none()
    });
    // Nothing is pending: only gc's forced rewrite drops what expired in the snapshot.
    let report = gc(&env, &[]);
    assert!(
        report.starts_with(
            "c: dropped 1 expired or invalidated and evicted 0 over the limits (5 B freed); 1 entry left;"
        ),
        "{report}"
    );
    assert_eq!(keys(&env, "c"), ["kept"]);
    assert_eq!(env.ls_cache("c")["entries"], 1);
    let report = gc(&env, &["c"]);
    assert!(report.starts_with("c: dropped 0 expired"), "{report}");
}

fn blob_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in fs::read_dir(dir.join("blobs")).unwrap() {
        let folder = folder.unwrap().path();
        if folder.is_dir() {
            files.extend(fs::read_dir(folder).unwrap().map(|f| f.unwrap().path()));
        }
    }
    files.sort();
    files
}

#[test]
fn orphaned_blobs_and_dead_writers_temporary_files_are_removed() {
    let env = Env::new();
    let first = vec![b'1'; 10_000];
    let second = vec![b'2'; 10_000];
    fs::write(env.path("work/first"), &first).unwrap();
    fs::write(env.path("work/second"), &second).unwrap();
    env.cmd(["set", "c", "k", "--file", "first"]).run();
    env.cmd(["set", "c", "k", "--file", "second"]).run();
    let dir = env.cache_dir("c");
    let blobs = blob_files(&dir);
    assert_eq!(blobs.len(), 2);
    // A blob file no record names, as a writer killed between placing its blob
    // and appending its record leaves one.
    let stray_hash = "ab".repeat(32);
    let stray = dir.join("blobs/ab").join(&stray_hash);
    fs::create_dir_all(stray.parent().unwrap()).unwrap();
    fs::copy(&blobs[0], &stray).unwrap();
    let temp = dir.join("blobs/tmp.999999999.0");
    fs::write(&temp, b"a dead writer's half blob").unwrap();
    let counters_temp = dir.join("counters.tmp.999999999.1");
    fs::write(&counters_temp, b"half a file").unwrap();
    // A snapshot's or HEAD's temporary file, and the manifest's, beside it.
    let cache_temp = dir.join("tmp.999999999.5f3a9c0d1e2b4a67");
    fs::write(&cache_temp, b"half").unwrap();
    let manifest_temp = env.store().join("tmp.999999999.0e1f2a3b4c5d6e7f");
    fs::write(&manifest_temp, b"half").unwrap();

    // The overwritten value's blob goes with the sync gc runs, the stray one
    // with its sweep; no grace period is needed, since writers place blobs
    // under the write lock the sweep takes.
    let report = gc(&env, &["c"]);
    assert!(
        report.ends_with(
            "removed 2 blob files (19.6 KiB, 1 orphaned) and 4 temporary files (44 B)\n"
        ),
        "{report}"
    );
    assert!(!temp.exists() && !counters_temp.exists() && !stray.exists());
    assert!(!cache_temp.exists() && !manifest_temp.exists());
    assert_eq!(blob_files(&dir).len(), 1);
    assert_eq!(env.get("c", "k").unwrap(), second);
    let report = gc(&env, &["c"]);
    assert!(
        report.ends_with("removed 0 blob files (0 B, 0 orphaned) and 0 temporary files (0 B)\n"),
        "{report}"
    );
}

/// Every file under `dir` with its content, by path.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for item in fs::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        match path.is_dir() {
            true => found.extend(contents(&path)),
            false => found.push((path.clone(), fs::read(&path).unwrap())),
        }
    }
    found.sort();
    found
}

#[test]
fn quarantine_is_left_alone() {
    let env = Env::new();
    fs::write(env.path("work/big"), vec![b'q'; 10_000]).unwrap();
    env.cmd(["set", "c", "k", "--file", "big"]).run();
    let dir = env.cache_dir("c");
    let [blob] = &blob_files(&dir)[..] else {
        panic!("one blob expected");
    };
    common::flip_byte(blob, 100, 1);
    env.cmd(["repair", "c"])
        .stdout_contains("moved")
        .any_stdout()
        .run();
    // What repair moved aside, and what looks like garbage to gc: an unnamed
    // blob, and temporary files of writers long dead.
    let quarantine = dir.join("quarantine");
    let hex = blob.file_name().unwrap();
    fs::create_dir(quarantine.join("ab")).unwrap();
    fs::write(quarantine.join("ab").join(hex), b"an orphan look-alike").unwrap();
    fs::write(quarantine.join("tmp.999999999.0"), b"dead writer").unwrap();
    fs::write(quarantine.join("counters.tmp.999999999.1"), b"dead reader").unwrap();
    let before = contents(&quarantine);
    assert_eq!(before.len(), 4, "{before:?}");

    let report = gc(&env, &["c"]);
    assert!(
        report.ends_with("removed 0 blob files (0 B, 0 orphaned) and 0 temporary files (0 B)\n"),
        "{report}"
    );
    assert_eq!(contents(&quarantine), before);
}

#[test]
fn bad_input_changes_nothing() {
    let env = Env::new();
    env.set("c", "k", "v");
    let before = env.tree();
    env.cmd(["gc", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    env.cmd(["gc", "c", "--max-entries", "many"])
        .usage_error("--max-entries")
        .run();
    env.cmd(["gc", "c", "--max-bytes", "lots"])
        .usage_error("--max-bytes")
        .run();
    for (option, zero) in [
        ("--max-bytes", "0"),
        ("--max-bytes", "0KiB"),
        ("--max-entries", "0"),
    ] {
        for command in [&["gc", "c"][..], &["create", "other"], &["config", "c"]] {
            env.cmd(command)
                .arg(option)
                .arg(zero)
                .usage_error(&format!(
                    "{option}: the {} must be more than zero\nhint: `cacheman clear CACHE` empties a cache\n",
                    if option == "--max-bytes" { "size" } else { "count" }
                ))
                .run();
        }
    }
    for huge in ["20000EiB", "99999999999999999999999"] {
        env.cmd(["gc", "c", "--max-bytes", huge])
            .usage_error("is too large: a size is below 16 EiB")
            .run();
    }
    before.assert_same(&env.tree(), "refused gc");
}

#[test]
fn a_damaged_cache_is_reported_and_the_others_collected() {
    let env = Env::new();
    for cache in ["c", "d"] {
        env.set(cache, "k", "v");
        env.cmd(["sync", cache]).any_stderr().run();
    }
    let snapshot = env.snapshot("c");
    common::flip_byte(&snapshot, 90, 1);
    let out = env
        .cmd(["gc"])
        .status(3)
        .any_stdout()
        .stderr_contains(&format!("cacheman: error: {}", snapshot.display()))
        .run();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.starts_with("d: dropped 0"), "{report}");
    assert!(!report.contains("c: "), "{report}");
}
