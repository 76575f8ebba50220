//! `cacheman inspect`: every file kind recognised by its magic, a torn journal
//! reported, entry states, bad input refused, and nothing on disk ever changed.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Env, eventually};
use serde_json::Value;

/// A cache `c` with a synced snapshot (holding a blob) and a journal after it.
fn populated() -> Env {
    let env = Env::new();
    for i in 0..5 {
        env.set("c", format!("k{i}"), format!("value {i}"));
    }
    env.cmd(["set", "c", "big"]).stdin(vec![7u8; 20_000]).run();
    env.cmd(["sync", "c"]).any_stderr().run();
    env.set("c", "late", "after the sync");
    env
}

fn only(dir: &Path, prefix: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    assert_eq!(found.len(), 1, "one {prefix}* in {}", dir.display());
    found.pop().unwrap()
}

fn blob_file(env: &Env) -> PathBuf {
    let blobs = env.cache_dir("c").join("blobs");
    only(&only(&blobs, ""), "")
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn inspect_json(env: &Env, path: &Path) -> Vec<Value> {
    let out = env
        .cmd(["inspect", "--json", "--entries"])
        .arg(path)
        .any_stdout()
        .run();
    json_lines(&out.stdout)
}

#[test]
fn recognises_every_file_kind() {
    let env = populated();
    let dir = env.cache_dir("c");
    let files = [
        (env.store().join("manifest"), "manifest"),
        (dir.join("HEAD"), "head"),
        (only(&dir, "snap."), "snapshot"),
        (only(&dir, "journal."), "journal"),
        (blob_file(&env), "blob"),
    ];
    for (path, kind) in &files {
        let lines = inspect_json(&env, path);
        let summary = &lines[0];
        assert_eq!(summary["type"], "file");
        assert_eq!(summary["kind"], *kind, "{}", path.display());
        assert_eq!(summary["version"], 1);
        assert_eq!(summary["checksums"], "ok", "{summary}");
        let human = env.cmd(["inspect"]).arg(path).any_stdout().run().stdout;
        let human = String::from_utf8(human).unwrap();
        assert!(
            human.contains(&format!("{kind}, format version 1")),
            "{human}"
        );
        assert!(human.contains("checksums             ok"), "{human}");
    }
    let snapshot = inspect_json(&env, &files[2].0);
    assert_eq!(snapshot[0]["entries"], 6);
    assert_eq!(snapshot[0]["generation"], 2);
    assert_eq!(snapshot.len(), 1 + 6, "the summary and six entries");
    let journal = inspect_json(&env, &files[3].0);
    assert_eq!(journal[0]["records"], 1);
    assert_eq!(journal[1]["key"], "late");
    assert_eq!(journal[1]["state"], "live");
    let blob = inspect_json(&env, &files[4].0);
    assert_eq!(blob[0]["value_bytes"], 20_000);
}

#[test]
fn a_cache_or_store_directory_lists_its_files_and_current_entries() {
    let env = populated();
    env.cmd(["del", "c", "k0"]).run();
    let lines = inspect_json(&env, &env.store());
    let kinds: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "file")
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["manifest", "head", "snapshot", "journal"]);
    let blobs = lines.iter().find(|l| l["type"] == "blobs").unwrap();
    assert_eq!(blobs["files"], 1);
    let mut keys: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "entry")
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    keys.sort();
    assert_eq!(keys, ["big", "k1", "k2", "k3", "k4", "late"]);
}

#[test]
fn reports_a_torn_journal_tail() {
    let env = Env::new();
    for i in 0..4 {
        env.set("c", format!("k{i}"), "v");
    }
    let journal = env.active_journal("c");
    let bytes = fs::read(&journal).unwrap();
    fs::write(&journal, &bytes[..bytes.len() - 5]).unwrap();
    let lines = inspect_json(&env, &journal);
    let summary = &lines[0];
    assert_eq!(summary["records"], 3, "three whole records before the tear");
    assert_eq!(summary["checksums"], "ok", "a torn tail is not damage");
    let torn = &summary["torn_tail"];
    assert_eq!(
        torn["bytes"],
        bytes.len() as u64 - 5 - torn["offset"].as_u64().unwrap()
    );
    assert_eq!(torn["reason"], "a record is cut short");
    env.cmd(["inspect"])
        .arg(&journal)
        .stdout_contains("torn tail")
        .run();
}

#[test]
fn a_damaged_file_is_described_and_exits_1() {
    let env = populated();
    let snapshot = only(&env.cache_dir("c"), "snap.");
    let mut bytes = fs::read(&snapshot).unwrap();
    bytes[100] ^= 0x04;
    fs::write(&snapshot, &bytes).unwrap();
    let out = env
        .cmd(["inspect", "--json"])
        .arg(&snapshot)
        .status(1)
        .any_stdout()
        .run();
    let summary = &json_lines(&out.stdout)[0];
    assert_eq!(summary["checksums"], "damaged");
    assert_eq!(summary["problems"][0]["offset"], 80);
    assert_eq!(summary["readable_records"], 5, "the others still read");
}

/// The size of every counters file: a 4096-byte header page, then 16384 slots.
const COUNTERS_BYTES: u64 = 4096 + 16384 * 8;

#[test]
fn the_counters_file_is_summarised() {
    let env = populated();
    env.cmd(["get", "c", "k1"]).any_stdout().run();
    env.cmd(["get", "c", "nope"]).status(1).run();
    let counters = env.cache_dir("c").join("counters");
    let summary = &inspect_json(&env, &counters)[0];
    assert_eq!(summary["kind"], "counters");
    assert_eq!(summary["version"], 1);
    assert_eq!(summary["bytes"], COUNTERS_BYTES);
    assert_eq!(
        (&summary["hits"], &summary["misses"]),
        (&1.into(), &1.into())
    );
    assert_eq!(summary["stamped_slots"], 1, "one key was hit");
    assert_eq!(summary["table_slots"], 16384);
    assert_eq!(summary["counting_started_by"], "the first counted read");
    assert!(summary["counting_since"].is_string(), "{summary}");
    assert_eq!(summary["checksums"], "ok");
    let human = env
        .cmd(["inspect"])
        .arg(&counters)
        .any_stdout()
        .run()
        .stdout;
    let human = String::from_utf8(human).unwrap();
    for line in [
        "counters: counters, format version 1, 132.0 KiB\n",
        "  hits                  1\n",
        "  misses                1\n",
        "  counting since        ",
        "  stamped slots         1\n",
        "  checksums             ok\n",
    ] {
        assert!(human.contains(line), "{line:?} in:\n{human}");
    }

    env.cmd(["stats", "--reset"]).run();
    let summary = &inspect_json(&env, &counters)[0];
    assert_eq!(
        (&summary["hits"], &summary["misses"]),
        (&0.into(), &0.into())
    );
    assert_eq!(summary["counting_started_by"], "stats --reset");
    assert_eq!(
        summary["stamped_slots"], 1,
        "a reset keeps the access table"
    );
}

#[test]
fn a_cache_directory_lists_its_counters_but_not_a_readers_temporary_file() {
    let env = populated();
    env.cmd(["get", "c", "k1"]).any_stdout().run();
    let dir = env.cache_dir("c");
    // What a reader killed while making the file leaves: half a counters file.
    let partial = fs::read(dir.join("counters")).unwrap()[..100].to_vec();
    fs::write(dir.join("counters.tmp.999999999.1"), partial).unwrap();
    let lines = inspect_json(&env, &dir);
    let files: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["type"] == "file")
        .map(|l| (l["kind"].as_str().unwrap(), l["path"].as_str().unwrap()))
        .collect();
    let counters = dir.join("counters").display().to_string();
    assert_eq!(files.len(), 4, "{files:?}");
    assert_eq!(files[3], ("counters", counters.as_str()));
    env.cmd(["verify"]).stdout_contains("c: ok").run();
}

#[test]
fn a_damaged_counters_file_is_described_and_exits_1() {
    let env = populated();
    env.cmd(["get", "c", "k1"]).any_stdout().run();
    let counters = env.cache_dir("c").join("counters");
    let sound = fs::read(&counters).unwrap();
    let damaged = |bytes: &[u8], offset: u64, what: &str| {
        fs::write(&counters, bytes).unwrap();
        let out = env
            .cmd(["inspect", "--json"])
            .arg(&counters)
            .status(1)
            .any_stdout()
            .run();
        let summary = &json_lines(&out.stdout)[0];
        assert_eq!(summary["kind"], "counters");
        assert_eq!(summary["checksums"], "damaged");
        let problem = &summary["problems"][0];
        assert_eq!(problem["offset"], offset, "{problem}");
        let told = problem["what"].as_str().unwrap();
        assert!(told.contains(what), "{told}");
        assert!(
            told.contains("the next counted read replaces the file"),
            "{told}"
        );
    };
    damaged(
        &sound[..100],
        100,
        "counters file is 100 bytes, expected 135168",
    );
    let mut slots_changed = sound.clone();
    slots_changed[13] ^= 0x01;
    damaged(&slots_changed, 12, "counters header checksum mismatch");
    let mut version_changed = sound.clone();
    version_changed[8] = 9;
    damaged(
        &version_changed,
        8,
        "counters format version 9 is not supported",
    );
}

#[test]
fn entry_states_follow_the_manifest_or_say_unknown() {
    let env = Env::new();
    env.set("c", "soft", "v");
    env.cmd(["invalidate", "c", "--soft"])
        .any_stdout()
        .any_stderr()
        .run();
    env.set("c", "fresh", "v");
    env.cmd(["set", "c", "brief", "v", "--ttl", "1s"]).run();
    eventually(Duration::from_secs(30), "the TTL to pass", || {
        env.command()
            .args(["has", "c", "brief"])
            .output()
            .unwrap()
            .status
            .code()
            == Some(1)
    });
    let journal = env.active_journal("c");
    let states = |path: &Path| -> Vec<(String, String)> {
        inspect_json(&env, path)
            .iter()
            .filter(|l| l["type"] == "entry")
            .map(|l| {
                let key = l["key"].as_str().unwrap().to_string();
                (key, l["state"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let in_store = states(&journal);
    let expect = |key: &str| in_store.iter().find(|(k, _)| k == key).unwrap().1.clone();
    assert_eq!(expect("soft"), "stale");
    assert_eq!(expect("fresh"), "live");
    assert_eq!(expect("brief"), "expired");
    let copy = env.path("journal-copy");
    fs::copy(&journal, &copy).unwrap();
    let outside = states(&copy);
    let expect = |key: &str| outside.iter().find(|(k, _)| k == key).unwrap().1.clone();
    assert_eq!(expect("soft"), "unknown", "no manifest to tell");
    assert_eq!(expect("brief"), "expired", "expiry needs no context");
    env.cmd(["invalidate", "c"]).any_stdout().any_stderr().run();
    assert!(
        states(&journal)
            .iter()
            .all(|(_, s)| s == "invalidated" || s == "expired")
    );
}

#[test]
fn bad_input_is_refused_in_one_line() {
    let env = Env::new();
    let garbage = env.path("garbage");
    fs::write(&garbage, b"hello, this is not a cache").unwrap();
    let empty = env.path("empty");
    fs::write(&empty, b"").unwrap();
    env.cmd(["inspect"])
        .arg(&garbage)
        .usage_error("not a cacheman file (unknown magic")
        .run();
    env.cmd(["inspect"])
        .arg(&empty)
        .usage_error("an empty file")
        .run();
    env.cmd(["inspect"])
        .arg(env.path("missing"))
        .usage_error("no such file or directory")
        .run();
    env.cmd(["inspect"])
        .arg(env.path("home"))
        .usage_error("not a cacheman store or cache directory")
        .run();
    env.cmd(["inspect"]).usage_error("required").run();
}

#[test]
fn inspect_never_changes_the_disk() {
    let env = populated();
    let journal = env.active_journal("c");
    let mut bytes = fs::read(&journal).unwrap();
    bytes.extend_from_slice(&[1, 2, 3]);
    fs::write(&journal, &bytes).unwrap();
    let dir = env.cache_dir("c");
    env.cmd(["get", "c", "k1"]).any_stdout().run();
    // A damaged counters file, which a counted read would replace.
    let counters = dir.join("counters");
    common::flip_byte(&counters, 13, 1);
    let before = env.tree();
    for args in [
        vec!["inspect"],
        vec!["inspect", "--entries"],
        vec!["inspect", "--json", "--entries"],
    ] {
        // Whatever holds the damaged counters file exits 1.
        for (path, status) in [
            (env.store(), 1),
            (dir.clone(), 1),
            (journal.clone(), 0),
            (blob_file(&env), 0),
            (counters.clone(), 1),
        ] {
            env.cmd(&args).arg(&path).status(status).any_stdout().run();
        }
    }
    before.assert_same(&env.tree(), "inspect");
}

#[test]
fn the_time_range_spans_the_entries_created() {
    let env = Env::new();
    let lines = "{\"key\":\"a\",\"value\":\"1\",\"created_ms\":1000}\n\
                 {\"key\":\"b\",\"value\":\"2\",\"created_ms\":3000}\n\
                 {\"key\":\"c\",\"value\":\"3\",\"created_ms\":2000}\n";
    env.cmd(["import", "c"]).stdin(lines).any_stderr().run();
    let journal = env.active_journal("c");
    let summary = &inspect_json(&env, &journal)[0];
    assert_eq!(
        summary["time_range"],
        serde_json::json!(["1970-01-01T00:00:01Z", "1970-01-01T00:00:03Z"])
    );
    env.cmd(["inspect"])
        .arg(&journal)
        .stdout_contains("  time range            1970-01-01T00:00:01Z to 1970-01-01T00:00:03Z\n")
        .run();
    env.cmd(["sync", "c"]).any_stderr().run();
    let snapshot = &inspect_json(&env, &only(&env.cache_dir("c"), "snap."))[0];
    assert_eq!(snapshot["time_range"], summary["time_range"]);
}

#[test]
fn entry_states_are_known_from_inside_a_cache_directory() {
    let env = Env::new();
    env.set("c", "old", "v");
    env.cmd(["invalidate", "c"]).any_stdout().any_stderr().run();
    env.set("c", "new", "v");
    let out = env
        .cmd(["inspect", "--json", "--entries", "."])
        .in_dir(env.cache_dir("c"))
        .any_stdout()
        .run();
    let states: Vec<(String, String)> = json_lines(&out.stdout)
        .iter()
        .filter(|l| l["type"] == "entry")
        .map(|l| {
            (
                l["key"].as_str().unwrap().into(),
                l["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("new".into(), "live".into()),
            ("old".into(), "invalidated".into())
        ]
    );
}

#[test]
fn a_store_directory_includes_its_volatile_caches() {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "value");
    env.set("p", "k", "value");
    let lines = inspect_json(&env, &env.store());
    let entries: Vec<(&str, &str)> = lines
        .iter()
        .filter(|l| l["type"] == "entry")
        .map(|l| (l["path"].as_str().unwrap(), l["state"].as_str().unwrap()))
        .collect();
    assert_eq!(entries.len(), 2, "{lines:?}");
    assert!(
        entries
            .iter()
            .any(|(path, _)| path.starts_with(&*env.runtime().to_string_lossy()))
    );
    assert!(
        entries.iter().all(|(_, state)| *state == "live"),
        "{entries:?}"
    );
}

#[test]
fn a_run_note_is_recognised_and_its_damage_shown() {
    let env = Env::new();
    fs::write(env.path("work/in.txt"), "input").unwrap();
    env.cmd([
        "run", "--input", "in.txt", "--env", "CC", "--", "echo", "hi",
    ])
    .stdout("hi\n")
    .run();
    let note = only(&env.store().join("run-notes/run"), "");
    let summary = &inspect_json(&env, &note)[0];
    assert_eq!(summary["kind"], "run note");
    assert_eq!(summary["checksums"], "ok", "{summary}");
    assert_eq!(summary["command"], "echo hi");
    assert_eq!(summary["environment"], "CC");
    assert_eq!(summary["inputs"], "1 matching 1 file");
    let key = env.cmd([
        "run",
        "--input",
        "in.txt",
        "--env",
        "CC",
        "--print-key",
        "--",
        "echo",
        "hi",
    ]);
    let key = String::from_utf8(key.any_stdout().run().stdout).unwrap();
    assert_eq!(summary["result_key"], key.trim());

    common::flip_byte(&note, 40, 1);
    let out = env.cmd(["inspect"]).arg(&note).status(1).any_stdout().run();
    let human = String::from_utf8(out.stdout).unwrap();
    assert!(human.contains("run note, format version 1"), "{human}");
    assert!(human.contains("damaged"), "{human}");
}
