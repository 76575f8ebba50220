//! `cacheman repair --manifest`: a damaged manifest makes every command fail
//! with a hint to it; it rebuilds the manifest from the frames still whole and
//! the cache directories, quarantines the damaged file, says what was lost, and
//! never lets an entry invalidated before the damage be served again.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{Env, flip_byte};

/// Caches `c` (an old entry invalidated, then a fresh one), `d` (durable,
/// depending on `c`), and the manifest's path.
fn store(env: &Env) -> PathBuf {
    env.set("c", "old", "before");
    env.cmd(["create", "d", "--durable"]).run();
    env.cmd(["depend", "c", "d"]).run();
    env.cmd(["invalidate", "c", "--no-cascade"])
        .any_stderr()
        .any_stdout()
        .run();
    env.set("c", "fresh", "after");
    env.set("d", "k", "v");
    assert_eq!(env.get("c", "old"), None);
    env.store().join("manifest")
}

/// Where frame `n` (0 to 3) of the manifest at `path` starts.
fn frame(path: &Path, n: usize) -> usize {
    let bytes = fs::read(path).unwrap();
    let mut at = 12;
    for _ in 0..n {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 12 + len;
    }
    at
}

/// Runs `repair --manifest`; returns what it printed.
fn repair_manifest(env: &Env) -> String {
    let out = env
        .cmd(["repair", "--manifest"])
        .stdout_contains("store: rebuilt the manifest: 2 caches")
        .run();
    String::from_utf8(out.stdout).unwrap()
}

fn quarantined(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(env.store().join("quarantine"))
        .unwrap()
        .map(|item| item.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_damaged_manifest_points_every_command_to_the_repair() {
    let env = Env::new();
    let manifest = store(&env);
    flip_byte(&manifest, frame(&manifest, 1) + 9, 1);
    for args in [&["get", "c", "fresh"][..], &["ls"], &["repair", "c"]] {
        env.cmd(args)
            .store_error("manifest: damaged at offset")
            .stderr_contains("hint: `cacheman repair --manifest` rebuilds it")
            .run();
    }
}

/// A missing manifest beside cache directories is damage, not a new store:
/// nothing reads the caches as empty, and no write discards them.
#[test]
fn a_deleted_manifest_is_refused_and_no_write_discards_the_caches() {
    let env = Env::new();
    let manifest = store(&env);
    fs::remove_file(&manifest).unwrap();
    let before = env.tree();
    for args in [
        &["get", "c", "fresh"][..],
        &["ls"],
        &["stats"],
        &["set", "c", "k", "v"],
        &["set", "new", "k", "v"],
    ] {
        env.cmd(args)
            .store_error("manifest: missing, but cache directories remain in caches/")
            .stderr_contains("hint: `cacheman repair --manifest` rebuilds it")
            .run();
    }
    before.assert_same(&env.tree(), "commands on a store without its manifest");
}

/// A FIFO in the manifest's or a HEAD's place is refused at once; nothing
/// blocks opening it.
#[test]
fn a_fifo_in_place_of_a_document_is_refused_not_waited_on() {
    let env = Env::new();
    let manifest = store(&env);
    let head = env.cache_dir("c").join("HEAD");
    common::mkfifo(&head);
    env.cmd(["get", "c", "fresh"])
        .store_error("HEAD: damaged at offset 0: a FIFO, not a regular file")
        .any_stderr()
        .run();
    common::mkfifo(&manifest);
    env.cmd(["ls"])
        .store_error("manifest: damaged at offset 0: a FIFO, not a regular file")
        .any_stderr()
        .run();
}

#[test]
fn lost_floors_invalidate_every_cache() {
    let env = Env::new();
    let manifest = store(&env);
    let damaged = {
        flip_byte(&manifest, frame(&manifest, 1) + 9, 1);
        fs::read(&manifest).unwrap()
    };
    let report = repair_manifest(&env);
    for line in [
        "store: lost every cache's settings and invalidation floors\n",
        "store: named 2 caches after their directories, with default settings: c, d\n",
        "store: invalidated every cache at epoch 2: ",
        "store: kept the store's default autosync rules and epoch; the dependencies between caches; the file bindings\n",
    ] {
        assert!(report.contains(line), "{line:?} in:\n{report}");
    }
    assert_eq!(quarantined(&env), ["manifest"]);
    assert_eq!(
        fs::read(env.store().join("quarantine/manifest")).unwrap(),
        damaged
    );
    // The invalidated entry stays a miss; so does every other one.
    for (cache, key) in [("c", "old"), ("c", "fresh"), ("d", "k")] {
        assert_eq!(env.get(cache, key), None, "{cache} {key}");
    }
    let ls = env.ls_cache("d");
    assert_eq!(
        ls["durable"], false,
        "the settings went back to the defaults"
    );
    assert_eq!(ls["roots"], serde_json::json!(["c"]), "the graph was whole");
    env.cmd(["verify"]).stdout_contains("c: ok").run();
    env.cmd(["repair", "--manifest"])
        .stdout("store: the manifest is sound: nothing to repair\n")
        .run();
    env.set("c", "new", "works");
    assert_eq!(env.get("c", "new"), Some(b"works".to_vec()));
}

#[test]
fn kept_floors_keep_every_entry_as_it_was() {
    let env = Env::new();
    let manifest = store(&env);
    flip_byte(&manifest, frame(&manifest, 2) + 9, 1);
    let report = repair_manifest(&env);
    assert!(
        report.contains("store: lost the dependencies between caches\n"),
        "{report}"
    );
    assert!(!report.contains("invalidated every cache"), "{report}");
    assert_eq!(env.get("c", "old"), None, "still invalidated");
    assert_eq!(env.get("c", "fresh"), Some(b"after".to_vec()));
    assert_eq!(env.ls_cache("d")["durable"], true);
    assert_eq!(env.ls_cache("d")["roots"], serde_json::json!([]));
}

#[test]
fn a_lost_epoch_jumps_past_every_token_handed_out() {
    let env = Env::new();
    let manifest = store(&env);
    let token: u64 = String::from_utf8(env.cmd(["epoch"]).any_stdout().run().stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    flip_byte(&manifest, frame(&manifest, 0) + 9, 1);
    flip_byte(&manifest, frame(&manifest, 1) + 9, 1);
    let report = repair_manifest(&env);
    assert!(
        report.contains(
            "store: lost the store's default autosync rules and epoch; every cache's settings"
        ),
        "{report}"
    );
    let epoch: u64 = String::from_utf8(env.cmd(["epoch"]).any_stdout().run().stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(epoch > token + (1 << 31), "epoch {epoch}, token {token}");
    env.cmd(["set", "c", "late", "v", "--if-epoch", &token.to_string()])
        .status(1)
        .any_stderr()
        .run();
    assert_eq!(env.get("c", "late"), None);
}

#[test]
fn a_missing_manifest_is_rebuilt_from_the_directories() {
    let env = Env::new();
    let manifest = store(&env);
    fs::remove_file(&manifest).unwrap();
    env.cmd(["verify"])
        .status(1)
        .stdout_contains("manifest: missing, but cache directories remain")
        .stderr_contains("cacheman repair --manifest")
        .run();
    let report = repair_manifest(&env);
    assert!(report.contains("invalidated every cache"), "{report}");
    assert!(!env.store().join("quarantine").exists(), "nothing to keep");
    assert_eq!(env.get("c", "fresh"), None);
    env.cmd(["verify"]).stdout_contains("d: ok").run();
}

#[test]
fn a_sound_or_absent_manifest_is_left_alone() {
    let env = Env::new();
    env.cmd(["repair", "--manifest"])
        .stderr_contains("cacheman: warning: no store at ")
        .stderr_contains(": nothing to repair")
        .run();
    assert!(!env.store().exists(), "a missing store was made");
    store(&env);
    let before = env.tree();
    env.cmd(["repair", "--manifest"])
        .stdout("store: the manifest is sound: nothing to repair\n")
        .run();
    before.assert_same(&env.tree(), "repair of a sound manifest");
    env.cmd(["repair", "c", "--manifest"])
        .usage_error("cannot be used with")
        .run();
}
