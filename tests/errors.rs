//! Exit statuses, bad input (exit 2, one error line, nothing changed on disk),
//! store errors (exit 3 naming the file), damaged files and torn journal tails.

use crate::common;

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStrExt;

use common::{Env, StoreVia, Tree, flip_byte, os};

#[test]
fn exit_status_table() {
    let env = Env::new();
    env.set("c", "k", "v");
    // 0: success or a hit
    env.cmd(["get", "c", "k"]).stdout("v").run();
    env.cmd(["has", "c", "k"]).run();
    env.cmd(["get", "c", "k", "--json"]).any_stdout().run();
    // 1: a miss, a false `has`, `del` of nothing, a multi-get with a miss
    env.cmd(["get", "c", "nope"]).status(1).run();
    env.cmd(["has", "c", "nope"]).status(1).run();
    env.cmd(["del", "c", "nope"]).status(1).run();
    env.cmd(["get", "c", "k", "nope", "--json"])
        .status(1)
        .any_stdout()
        .run();
    // 2: bad input
    env.cmd(["get", "c", "k", "k"])
        .usage_error("keys given")
        .run();
    env.cmd(["get", "../c", "k"])
        .usage_error("invalid cache name")
        .run();
    // 3: a store error
    let file = env.path("plain-file");
    fs::write(&file, "not a store").unwrap();
    env.cmd(["get", "c", "k", "--dir"])
        .arg(&file)
        .store_error(file.to_str().unwrap())
        .run();
}

/// A store with a bit of everything in it, so that "nothing changed" means something.
fn populated() -> Env {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "d", "--ttl", "1h", "--max-entries", "10"])
        .run();
    env.set("c", "a", "1");
    env.set("c", "b", "x".repeat(6000));
    env.cmd(["sync", "-q"]).run();
    env.set("c", "after-sync", "2");
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "volatile");
    fs::write(env.path("work/value-file"), "from a file").unwrap();
    env
}

/// Every argument list here is bad input: exit 2 and nothing changes.
fn bad_inputs() -> Vec<Vec<OsString>> {
    let long_name = "n".repeat(129);
    let long_key = os(&[b'k'; 4097]);
    let mut cases: Vec<Vec<OsString>> = Vec::new();
    let mut add = |args: &[&str]| cases.push(args.iter().map(OsString::from).collect());
    for name in [
        "../x",
        "a/b",
        ".hidden",
        "",
        long_name.as_str(),
        "a b",
        "..",
        "é",
    ] {
        add(&["create", name]);
        add(&["set", name, "k", "v"]);
        add(&["get", name, "k"]);
        add(&["has", name, "k"]);
        add(&["del", name, "k"]);
        add(&["keys", name]);
        add(&["drop", name]);
        add(&["clear", name]);
        add(&["sync", name]);
    }
    for unknown in [["drop", "nope"], ["clear", "nope"], ["sync", "nope"]] {
        add(&unknown);
    }
    for ttl in ["10x", "0s", "", "-5s", "ten minutes", "10"] {
        add(&["set", "c", "k", "v", "--ttl", ttl]);
        add(&["create", "e", "--ttl", ttl]);
    }
    for size in ["lots", "-1", "1QB", ""] {
        add(&["create", "e", "--max-bytes", size]);
    }
    for count in ["0", "-3", "1.5", "many"] {
        add(&["create", "e", "--max-entries", count]);
    }
    add(&["set", "c", "k", "v1", "v2"]);
    add(&["set", "c", "k", "v", "--file", "value-file"]);
    add(&["set", "c", "k", "-", "--file", "value-file"]);
    add(&["set", "c", "k", "--file", "no-such-file"]);
    add(&["create", "c"]);
    add(&["create", "d", "--ttl", "5m"]);
    add(&["get", "c", "a", "b"]);
    add(&["get", "c", "a", "--json", "--default", "x"]);
    add(&["keys", "c", "["]);
    add(&["keys", "c", "--json", "-0"]);
    add(&["info", "--path", "--json"]);
    add(&["completions", "nosuchshell"]);
    // unknown flags and subcommands
    add(&["get", "c", "a", "--bogus"]);
    add(&["--frobnicate", "ls"]);
    add(&["set", "c", "k", "v", "-x"]);
    add(&["frobnicate"]);
    add(&["sync", "--nope"]);
    // missing arguments
    add(&[]);
    add(&["get"]);
    add(&["get", "c"]);
    add(&["set"]);
    add(&["set", "c"]);
    add(&["has", "c"]);
    add(&["del", "c"]);
    add(&["create"]);
    add(&["drop"]);
    add(&["clear"]);
    add(&["completions"]);
    add(&["create", "e", "--ttl"]);
    // keys over the 4096-byte limit
    for command in ["get", "has", "del"] {
        cases.push(vec![command.into(), "c".into(), long_key.clone()]);
    }
    cases.push(vec!["set".into(), "c".into(), long_key.clone(), "v".into()]);
    cases.push(vec![
        "set".into(),
        "new".into(),
        long_key.clone(),
        "v".into(),
    ]);
    cases.push(vec![
        "get".into(),
        "c".into(),
        "a".into(),
        long_key.clone(),
        "--json".into(),
    ]);
    cases.push(vec!["del".into(), "c".into(), "a".into(), long_key]);
    cases
}

#[test]
fn bad_input_exits_2_with_one_error_line_and_changes_nothing() {
    let env = populated();
    let before = env.tree();
    for args in bad_inputs() {
        let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
        // `set` would read stdin: give it some, so a wrongly accepted set shows.
        env.cmd(&args).stdin("stdin value").usage_error("").run();
        before.assert_same(&env.tree(), &format!("{shown:?}"));
    }
    env.cmd(["get", "c", "a"]).stdout("1").run();
    env.cmd(["get", "v", "k"]).stdout("volatile").run();
}

#[test]
fn bad_input_against_a_missing_store_creates_nothing() {
    let env = Env::new();
    fs::write(env.path("work/value-file"), "from a file").unwrap();
    let before = env.tree();
    for args in bad_inputs() {
        let first = args.first().map(|a| a.as_bytes());
        if first == Some(b"drop") {
            continue; // see drop_of_an_unknown_cache_in_a_missing_store_creates_nothing
        }
        if args == ["create", "c"] || args == ["create", "d", "--ttl", "5m"] {
            continue; // refused only because those caches exist in `populated()`
        }
        let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
        env.cmd(&args).stdin("stdin value").usage_error("").run();
        before.assert_same(&env.tree(), &format!("{shown:?}"));
    }
    assert!(!env.store().exists());
}

#[test]
fn drop_of_an_unknown_cache_in_a_missing_store_creates_nothing() {
    let env = Env::new();
    env.cmd(["drop", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    assert!(!env.store().exists(), "a refused drop created the store");
}

#[test]
fn sync_naming_an_unknown_cache_changes_nothing() {
    let env = Env::new();
    env.set("c", "k", "v");
    let before = env.tree();
    let out = env.cmd(["sync", "c", "nope"]).status(2).any_stderr().run();
    before.assert_same(&env.tree(), "sync c nope");
    common::assert_error_form(&String::from_utf8_lossy(&out.stderr));
}

#[test]
fn invalid_names_report_why() {
    let env = Env::new();
    env.cmd(["create", "../x"]).usage_error("\"../x\"").run();
    env.cmd(["create", "a/b"])
        .usage_error("'/' is not allowed")
        .run();
    env.cmd(["create", ".hidden"])
        .usage_error("starts with '.'")
        .run();
    env.cmd(["create", ""]).usage_error("empty").run();
    env.cmd(["create", &"n".repeat(129)])
        .usage_error("129 bytes")
        .run();
    env.cmd(["create", "a b"])
        .usage_error("' ' is not allowed")
        .run();
    // 128 bytes is the limit, inclusive.
    env.cmd(["create", &"n".repeat(128)]).run();
    env.cmd(["create", "Ok.name_1-2"]).run();
    env.cmd(["set", "c", &"k".repeat(4096), "v"]).run();
    env.cmd(["get", "c", &"k".repeat(4096)]).stdout("v").run();
    env.cmd(["get", "c", &"k".repeat(4097)])
        .usage_error("4097 bytes")
        .run();
}

#[test]
fn bad_values_for_options_name_the_option() {
    let env = Env::new();
    env.cmd(["set", "c", "k", "v", "--ttl", "10x"])
        .usage_error("--ttl")
        .run();
    env.cmd(["create", "e", "--max-bytes", "lots"])
        .usage_error("--max-bytes")
        .run();
    env.cmd(["create", "e", "--max-entries", "0"])
        .usage_error("--max-entries")
        .run();
    env.cmd(["get", "c", "k", "--bogus"])
        .usage_error("--bogus")
        .run();
    env.cmd(["set", "c", "k", "v1", "v2"])
        .usage_error("v2")
        .run();
    env.cmd(["get"]).usage_error("<CACHE>").run();
}

#[test]
fn reads_never_create_the_store() {
    let env = Env::new();
    let before = env.tree();
    env.cmd(["get", "c", "k"]).status(1).run();
    env.cmd(["get", "c", "k", "--default", "d"])
        .stdout("d")
        .run();
    env.cmd(["get", "c", "k", "j", "--json"])
        .status(1)
        .any_stdout()
        .run();
    env.cmd(["has", "c", "k"]).status(1).run();
    env.cmd(["keys", "c"]).run();
    env.cmd(["keys", "c", "--json"]).stdout("[]\n").run();
    env.cmd(["ls"]).run();
    env.cmd(["ls", "--json"]).stdout("[]\n").run();
    env.cmd(["info"]).any_stdout().run();
    env.cmd(["info", "--json"]).any_stdout().run();
    env.cmd(["info", "--path"]).any_stdout().run();
    env.cmd(["sync"]).run();
    env.cmd(["completions", "bash"]).any_stdout().run();
    before.assert_same(&env.tree(), "reads of a missing store");
    assert!(!env.store().exists());

    // Nor, in an existing store, a cache's directory.
    env.set("c", "k", "v");
    let before = env.tree();
    env.cmd(["get", "other", "k"]).status(1).run();
    env.cmd(["has", "other", "k"]).status(1).run();
    env.cmd(["keys", "other"]).run();
    env.cmd(["get", "c", "k"]).stdout("v").run();
    env.cmd(["keys", "c"]).stdout("k\n").run();
    env.cmd(["ls"]).any_stdout().run();
    before.assert_same(&env.tree(), "reads of an existing store");
}

#[test]
fn reads_of_a_vanished_volatile_cache_create_nothing() {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "x");
    for folder in fs::read_dir(env.runtime()).unwrap() {
        fs::remove_dir_all(folder.unwrap().path()).unwrap();
    }
    let before = env.tree();
    env.cmd(["get", "v", "k"]).status(1).run();
    env.cmd(["keys", "v"]).run();
    env.cmd(["ls"]).any_stdout().run();
    before.assert_same(&env.tree(), "reads of a vanished volatile cache");
}

#[test]
fn a_store_path_that_is_a_file_is_a_store_error() {
    let env = Env::new();
    fs::write(env.store(), "I am a file").unwrap();
    let store = env.store();
    let name = store.to_str().unwrap();
    let before = env.tree();
    env.cmd(["get", "c", "k"]).store_error(name).run();
    env.cmd(["has", "c", "k"]).store_error(name).run();
    env.cmd(["keys", "c"]).store_error(name).run();
    env.cmd(["ls"]).store_error(name).run();
    env.cmd(["set", "c", "k", "v"]).store_error(name).run();
    env.cmd(["create", "c"]).store_error(name).run();
    before.assert_same(&env.tree(), "commands on a store that is a file");
    assert_eq!(fs::read(env.store()).unwrap(), b"I am a file");
}

#[test]
fn every_byte_of_the_manifest_is_checked() {
    let env = Env::new();
    env.cmd(["create", "d", "--ttl", "1h", "--max-bytes", "1MiB"])
        .run();
    env.set("c", "k", "v");
    let manifest = env.store().join("manifest");
    let original = fs::read(&manifest).unwrap();
    for offset in 0..original.len() {
        flip_byte(&manifest, offset, 0x01);
        let damaged = fs::read(&manifest).unwrap();
        let before = env.tree();
        for args in [
            &["get", "c", "k"][..],
            &["set", "c", "k", "new"],
            &["ls"],
            &["create", "e"],
        ] {
            env.cmd(args)
                .store_error("manifest: damaged at offset")
                .run();
        }
        before.assert_same(
            &env.tree(),
            &format!("commands on a manifest damaged at {offset}"),
        );
        assert_eq!(
            fs::read(&manifest).unwrap(),
            damaged,
            "the damaged manifest was rewritten"
        );
        fs::write(&manifest, &original).unwrap();
    }
    env.cmd(["get", "c", "k"]).stdout("v").run();
}

#[test]
fn every_byte_of_head_is_checked() {
    let env = Env::new();
    env.set("c", "k", "v");
    env.cmd(["sync", "-q"]).run();
    env.set("c", "k2", "v2");
    let head = env.cache_dir("c").join("HEAD");
    let original = fs::read(&head).unwrap();
    for offset in 0..original.len() {
        flip_byte(&head, offset, 0x80);
        let before = env.tree();
        for args in [&["get", "c", "k"][..], &["set", "c", "k", "new"], &["ls"]] {
            env.cmd(args).store_error("HEAD: damaged at offset").run();
        }
        before.assert_same(
            &env.tree(),
            &format!("commands on a HEAD damaged at {offset}"),
        );
        fs::write(&head, &original).unwrap();
    }
    env.cmd(["get", "c", "k2"]).stdout("v2").run();
}

#[test]
fn an_unreadable_head_is_a_store_error() {
    let env = Env::new();
    env.set("c", "k", "v");
    let head = env.cache_dir("c").join("HEAD");
    fs::remove_file(&head).unwrap();
    fs::create_dir(&head).unwrap(); // reading it fails with EISDIR, even as root
    env.cmd(["get", "c", "k"]).store_error("HEAD").run();
    env.cmd(["set", "c", "k", "v2"]).store_error("HEAD").run();
}

#[test]
fn a_truncated_manifest_or_head_is_a_store_error() {
    let env = Env::new();
    env.set("c", "k", "v");
    let head = env.cache_dir("c").join("HEAD");
    let original = fs::read(&head).unwrap();
    for len in [0, 5, 12, original.len() - 1] {
        fs::write(&head, &original[..len]).unwrap();
        env.cmd(["get", "c", "k"]).store_error("HEAD").run();
    }
    fs::write(&head, &original).unwrap();
    let manifest = env.store().join("manifest");
    let original = fs::read(&manifest).unwrap();
    fs::write(&manifest, &original[..original.len() - 3]).unwrap();
    env.cmd(["get", "c", "k"]).store_error("manifest").run();
    // Trailing bytes are damage too.
    let mut longer = original.clone();
    longer.extend_from_slice(b"junk");
    fs::write(&manifest, &longer).unwrap();
    env.cmd(["get", "c", "k"]).store_error("manifest").run();
}

#[test]
fn a_damaged_blob_is_reported_not_served() {
    let env = Env::new();
    let value = "0123456789".repeat(2000);
    env.set("c", "big", &value);
    let blobs: Vec<_> = Tree::of(&env.cache_dir("c").join("blobs"))
        .0
        .into_iter()
        .filter(|(_, node)| matches!(node, common::Node::File { .. }))
        .map(|(path, _)| env.cache_dir("c").join("blobs").join(path))
        .collect();
    assert_eq!(blobs.len(), 1, "{blobs:?}");
    let blob = &blobs[0];
    let len = fs::metadata(blob).unwrap().len() as usize;
    flip_byte(blob, len - 100, 0x04);
    let name = blob.file_name().unwrap().to_str().unwrap();
    env.cmd(["get", "c", "big"]).store_error(name).run();
    env.cmd(["get", "c", "big", "--json"])
        .store_error(name)
        .run();
    // The entry is not silently dropped, and the damaged file is still there.
    env.cmd(["keys", "c"]).stdout("big\n").run();
    assert!(blob.exists());

    // A truncated or missing blob is reported too.
    flip_byte(blob, len - 100, 0x04);
    env.cmd(["get", "c", "big"]).stdout(&value).run();
    let contents = fs::read(blob).unwrap();
    fs::write(blob, &contents[..len - 1]).unwrap();
    env.cmd(["get", "c", "big"]).store_error(name).run();
    fs::remove_file(blob).unwrap();
    env.cmd(["get", "c", "big"]).store_error(name).run();
}

#[test]
fn snapshot_damage_never_serves_a_wrong_value_or_a_silent_miss() {
    let env = Env::new();
    let entries: Vec<(String, String)> = (0..3)
        .map(|i| (format!("k{i}"), format!("value-{i}")))
        .collect();
    for (k, v) in &entries {
        env.set("c", k, v);
    }
    env.cmd(["sync", "-q"]).run();
    let snapshot = fs::read_dir(env.cache_dir("c"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("snap.")
        })
        .expect("a snapshot after sync");
    let original = fs::read(&snapshot).unwrap();
    for offset in 0..original.len() {
        flip_byte(&snapshot, offset, 0x10);
        for (key, value) in entries
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())))
            .chain([("absent", None)])
        {
            let out = env.command().args(["get", "c", key]).output().unwrap();
            let code = out.status.code();
            let stderr = String::from_utf8_lossy(&out.stderr);
            match (code, value) {
                (Some(0), Some(v)) => assert_eq!(
                    out.stdout,
                    v.as_bytes(),
                    "offset {offset}: wrong value for {key}"
                ),
                (Some(1), None) => assert!(stderr.is_empty()),
                (Some(3), _) => {
                    common::assert_error_form(&stderr);
                    assert!(stderr.contains("snap."), "offset {offset}: {stderr}");
                }
                _ => panic!(
                    "offset {offset}, key {key}: exit {code:?}, stdout {:?}, stderr {stderr}",
                    out.stdout
                ),
            }
        }
        fs::write(&snapshot, &original).unwrap();
    }
    for (k, v) in &entries {
        env.cmd(["get", "c", k]).stdout(v).run();
    }
}

#[test]
fn a_truncated_snapshot_is_a_store_error() {
    let env = Env::new();
    env.set("c", "k", "v");
    env.cmd(["sync", "-q"]).run();
    let snapshot = env.cache_dir("c").join("snap.2");
    let original = fs::read(&snapshot).unwrap();
    fs::write(&snapshot, &original[..original.len() - 1]).unwrap();
    env.cmd(["get", "c", "k"]).store_error("snap.2").run();
    env.cmd(["keys", "c"]).store_error("snap.2").run();
}

/// Writes k1..k3 and returns the active journal with its length.
fn three_keys(env: &Env) -> (std::path::PathBuf, u64) {
    for i in 1..=3 {
        env.set("c", format!("k{i}"), format!("v{i}"));
    }
    let journal = env.active_journal("c");
    let len = fs::metadata(&journal).unwrap().len();
    (journal, len)
}

fn assert_all_readable(env: &Env, upto: usize) {
    for i in 1..=upto {
        env.cmd(["get", "c", &format!("k{i}")])
            .stdout(format!("v{i}"))
            .run();
    }
}

#[test]
fn a_torn_journal_tail_is_cut_and_reported_once() {
    let env = Env::new();
    let (journal, len) = three_keys(&env);
    let mut file = fs::OpenOptions::new().append(true).open(&journal).unwrap();
    std::io::Write::write_all(
        &mut file,
        b"\xde\xad\xbe\xef garbage from a killed writer \xff\xff",
    )
    .unwrap();
    drop(file);
    // Readers stop before the garbage.
    assert_all_readable(&env, 3);
    env.cmd(["keys", "c"]).stdout("k1\nk2\nk3\n").run();
    // The next writer cuts it and says so, once.
    env.cmd(["set", "c", "k4", "v4"])
        .stderr_contains("cacheman: warning: cut a torn journal tail")
        .run();
    assert!(
        fs::metadata(&journal).unwrap().len() > len,
        "the new record was not appended"
    );
    env.cmd(["set", "c", "k5", "v5"]).run();
    assert_all_readable(&env, 5);
    env.cmd(["sync", "-q"]).run();
    assert_all_readable(&env, 5);
}

#[test]
fn a_half_written_record_is_cut() {
    // Keep only part of a fourth record, as a killed writer would leave it.
    type Keep = fn(u64, u64) -> u64;
    let choices: [Keep; 5] = [
        |before, _| before + 1,
        |before, _| before + 4,
        |before, _| before + 11,
        |before, full| (before + full) / 2,
        |_, full| full - 1,
    ];
    for keep in choices {
        let env = Env::new();
        let (journal, before) = three_keys(&env);
        env.set("c", "k4", "v4");
        let full = fs::metadata(&journal).unwrap().len();
        let file = fs::OpenOptions::new().write(true).open(&journal).unwrap();
        file.set_len(keep(before, full)).unwrap();
        drop(file);
        assert_all_readable(&env, 3);
        env.cmd(["get", "c", "k4"]).status(1).run();
        env.cmd(["set", "c", "k5", "v5"])
            .stderr_contains("cacheman: warning: cut a torn journal tail")
            .run();
        env.cmd(["get", "c", "k5"]).stdout("v5").run();
        assert_all_readable(&env, 3);
        env.set("c", "k4", "v4 again");
        env.cmd(["get", "c", "k4"]).stdout("v4 again").run();
    }
}

#[test]
fn a_zero_filled_torn_tail_is_cut() {
    let env = Env::new();
    let (journal, _) = three_keys(&env);
    let mut file = fs::OpenOptions::new().append(true).open(&journal).unwrap();
    // What a crash after the file grew but before its data reached the disk leaves.
    std::io::Write::write_all(&mut file, &[0u8; 64]).unwrap();
    drop(file);
    assert_all_readable(&env, 3);
    env.cmd(["set", "c", "k4", "v4"])
        .stderr_contains("cacheman: warning: cut a torn journal tail")
        .run();
    assert_all_readable(&env, 4);
}

#[test]
fn damage_in_the_middle_of_a_journal_is_reported_not_treated_as_a_tail() {
    let env = Env::new();
    let (journal, _) = three_keys(&env);
    let original = fs::read(&journal).unwrap();
    // Damage the first record (its body starts after the 44-byte header and 8 frame bytes).
    flip_byte(&journal, 60, 0x01);
    let name = journal.file_name().unwrap().to_str().unwrap();
    env.cmd(["get", "c", "k3"]).store_error(name).run();
    env.cmd(["keys", "c"]).store_error(name).run();
    // A sync must not drop the later, valid records along with the damage.
    env.cmd(["sync", "c"]).store_error(name).run();
    assert!(journal.exists(), "sync deleted a damaged journal");
    fs::write(&journal, &original).unwrap();
    assert_all_readable(&env, 3);
}

#[test]
fn a_write_to_a_damaged_journal_is_refused_or_readable() {
    let env = Env::new();
    let (journal, _) = three_keys(&env);
    flip_byte(&journal, 60, 0x01);
    let out = env
        .command()
        .args(["set", "c", "k4", "v4"])
        .output()
        .unwrap();
    if out.status.success() {
        env.cmd(["get", "c", "k4"]).stdout("v4").run();
    } else {
        assert_eq!(out.status.code(), Some(3), "{out:?}");
    }
}

#[test]
fn journal_damage_never_serves_a_wrong_value() {
    let env = Env::new();
    let (journal, _) = three_keys(&env);
    let original = fs::read(&journal).unwrap();
    for offset in 0..original.len() {
        flip_byte(&journal, offset, 0x02);
        for i in 1..=3 {
            let out = env
                .command()
                .args(["get", "c", &format!("k{i}")])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            match out.status.code() {
                Some(0) => assert_eq!(out.stdout, format!("v{i}").as_bytes(), "offset {offset}"),
                // Damage to the last record looks exactly like a torn tail.
                Some(1) => assert_eq!(i, 3, "offset {offset}: k{i} silently missing"),
                Some(3) => common::assert_error_form(&stderr),
                other => panic!("offset {offset}: exit {other:?}: {stderr}"),
            }
        }
        fs::write(&journal, &original).unwrap();
    }
}

#[test]
fn flag_store_named_with_dir_is_used_for_errors_too() {
    let env = Env::new().store_via(StoreVia::Flag);
    fs::write(env.store(), "file").unwrap();
    env.cmd(["ls"])
        .store_error(env.store().to_str().unwrap())
        .run();
}

/// A stderr or stdout that cannot be written to (a full disk) is no reason to
/// panic: the status says what happened.
#[test]
fn an_unwritable_stderr_or_stdout_never_panics() {
    let env = Env::new();
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let status = |args: &[&str], stdout_full: bool| {
        let mut cmd = env.std_command();
        cmd.args(args).stderr(full());
        if stdout_full {
            cmd.stdout(full());
        }
        cmd.status().unwrap().code()
    };
    assert_eq!(status(&["get", "bad name", "k"], false), Some(2));
    assert_eq!(status(&["ls", "--bogus"], false), Some(2));
    assert_eq!(status(&["set", "c", "k", "v"], false), Some(0));
    assert_eq!(status(&["--help"], true), Some(3));
    assert_eq!(status(&["get", "c", "k"], true), Some(3));
}

/// The refusals the library reports as data (no cache, a bad name, a cache
/// that exists, a drop with dependents, a cycle, a stale token) keep their
/// one line and the hint the command line words for them.
#[test]
fn structured_refusals_keep_their_messages_and_hints() {
    let env = Env::new();
    env.cmd(["depend", "a", "b"]).run();
    let refused = [
        (
            &["drop", "nope"][..],
            "cacheman: error: no cache named 'nope'\nhint: `cacheman ls` lists the caches; `cacheman create NAME` makes one\n",
        ),
        (
            &["create", ".x"],
            "cacheman: error: invalid cache name \".x\": it starts with '.'\nhint: cache names use letters, digits, '.', '_' and '-', do not start with '.', and are at most 128 bytes\n",
        ),
        (
            &["create", "a"],
            "cacheman: error: cache 'a' already exists\nhint: `cacheman ls` shows its settings; `cacheman config` changes them\n",
        ),
        (
            &["drop", "a"],
            "cacheman: error: 'b' depends on 'a'\nhint: pass --force to drop it anyway and remove those edges\n",
        ),
        (
            &["depend", "b", "a"],
            "cacheman: error: 'b' -> 'a' would close a cycle: b -> a -> b\nhint: the graph must stay acyclic; `cacheman graph` shows it\n",
        ),
    ];
    for (args, stderr) in refused {
        env.cmd(args).status(2).stderr(stderr).run();
    }
    let token = String::from_utf8(env.cmd(["epoch"]).any_stdout().run().stdout).unwrap();
    let token = token.trim();
    env.cmd(["invalidate", "a", "-q"]).run();
    env.cmd(["set", "a", "k", "v", "--if-epoch", token])
        .status(1)
        .stderr_contains("cacheman: error: not stored: cache 'a' was invalidated (epoch ")
        .run();
    env.cmd(["set", "a", "k", "v", "--if-epoch", token])
        .status(1)
        .stderr_contains(&format!(
            "after token {token} was taken\nhint: the value may be out of date; recompute it with a fresh token\n"
        ))
        .run();
}
