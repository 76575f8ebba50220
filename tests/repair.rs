//! `cacheman verify` and `cacheman repair`: a flipped bit in every file kind is
//! caught (exit 1, with the file and offset); repair makes verify pass again
//! without losing any intact entry, quarantines what it replaced, and a second
//! run has nothing to do.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::Env;

/// Keys in the snapshot, with their values.
const SNAPSHOT_KEYS: usize = 8;
/// Keys written after the sync, in the journal.
const JOURNAL_KEYS: usize = 4;
const BIG: usize = 20_000;

/// A cache `c`: a synced snapshot holding small entries and a blob, then a
/// journal of later writes. Returns every key with its value.
fn populated(env: &Env) -> BTreeMap<String, Vec<u8>> {
    let mut expected = BTreeMap::new();
    for i in 0..SNAPSHOT_KEYS {
        let (key, value) = (format!("snap-{i}"), format!("value {i}"));
        env.set("c", &key, &value);
        expected.insert(key, value.into_bytes());
    }
    env.cmd(["set", "c", "big"]).stdin(vec![7u8; BIG]).run();
    expected.insert("big".into(), vec![7u8; BIG]);
    env.cmd(["sync", "c"]).any_stderr().run();
    for i in 0..JOURNAL_KEYS {
        let (key, value) = (format!("late-{i}"), format!("late value {i}"));
        env.set("c", &key, &value);
        expected.insert(key, value.into_bytes());
    }
    env.cmd(["verify"]).stdout_contains("c: ok").run();
    expected
}

fn numbered(env: &Env, prefix: &str) -> PathBuf {
    let dir = env.cache_dir("c");
    fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}* in {}", dir.display()))
}

fn blob(env: &Env) -> PathBuf {
    let blobs = env.cache_dir("c").join("blobs");
    let fan = fs::read_dir(blobs).unwrap().next().unwrap().unwrap().path();
    fs::read_dir(fan).unwrap().next().unwrap().unwrap().path()
}

fn flip(path: &Path, offset: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset] ^= 0x20;
    fs::write(path, bytes).unwrap();
}

/// Runs `verify` expecting damage in `file`; returns its report.
fn verify_fails(env: &Env, file: &Path) -> String {
    let out = env
        .cmd(["verify"])
        .status(1)
        .any_stdout()
        .any_stderr()
        .run();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains(&file.display().to_string()),
        "the report names {}:\n{report}",
        file.display()
    );
    assert!(
        report.contains("offset"),
        "the report gives an offset:\n{report}"
    );
    let hint = String::from_utf8(out.stderr).unwrap();
    assert!(hint.contains("cacheman repair c"), "{hint}");
    report
}

/// Repairs `c`, then checks: verify passes, a second repair has nothing to
/// do, and every key but at most `may_lose` still reads its exact value.
fn repair_keeps_intact(
    env: &Env,
    expected: &BTreeMap<String, Vec<u8>>,
    may_lose: usize,
) -> Vec<String> {
    env.cmd(["repair", "c"])
        .stdout_contains("c: rebuilt the cache")
        .run();
    env.cmd(["verify"]).stdout_contains("c: ok").run();
    env.cmd(["repair", "c"])
        .stdout("c: nothing to repair\n")
        .run();
    let mut lost = Vec::new();
    for (key, value) in expected {
        match env.get("c", key) {
            Some(found) => assert_eq!(&found, value, "key {key} changed"),
            None => lost.push(key.clone()),
        }
    }
    assert!(
        lost.len() <= may_lose,
        "lost {lost:?}, at most {may_lose} allowed"
    );
    lost
}

fn quarantined(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(env.cache_dir("c").join("quarantine"))
        .map(|listing| {
            listing
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_sound_store_verifies() {
    let env = Env::new();
    env.cmd(["verify"])
        .stderr(format!(
            "cacheman: warning: no store at {}: nothing to verify\n",
            env.store().display()
        ))
        .run();
    let expected = populated(&env);
    env.cmd(["verify", "c"])
        .stdout(format!(
            "c: ok ({} entries, 1 journal, 1 blob)\n",
            expected.len()
        ))
        .run();
    env.cmd(["repair", "c"])
        .stdout("c: nothing to repair\n")
        .run();
}

#[test]
fn a_flipped_snapshot_record_is_caught_and_repaired() {
    let env = Env::new();
    let expected = populated(&env);
    let snapshot = numbered(&env, "snap.");
    flip(&snapshot, 80 + 20);
    let report = verify_fails(&env, &snapshot);
    assert!(
        report.contains("offset 80: a record checksum does not match"),
        "{report}"
    );
    let lost = repair_keeps_intact(&env, &expected, 1);
    assert_eq!(lost.len(), 1, "exactly the damaged record");
    assert_eq!(
        quarantined(&env),
        [snapshot.file_name().unwrap().to_string_lossy()]
    );
}

#[test]
fn a_flipped_hash_slot_is_caught_and_the_index_rebuilt() {
    let env = Env::new();
    let expected = populated(&env);
    let snapshot = numbered(&env, "snap.");
    let len = fs::metadata(&snapshot).unwrap().len() as usize;
    flip(&snapshot, len - 3);
    let report = verify_fails(&env, &snapshot);
    assert!(report.contains("hash"), "{report}");
    assert!(repair_keeps_intact(&env, &expected, 0).is_empty());
}

#[test]
fn a_flipped_journal_record_is_caught_and_repaired() {
    let env = Env::new();
    let expected = populated(&env);
    let journal = env.active_journal("c");
    flip(&journal, 44 + 20);
    let report = verify_fails(&env, &journal);
    assert!(
        report.contains("the journal is damaged, not torn"),
        "{report}"
    );
    env.cmd(["set", "c", "more", "v"])
        .store_error("the journal is damaged, not torn")
        .stderr_contains("hint: `cacheman verify c` lists the damage; `cacheman repair c` recovers the intact entries")
        .run();
    let lost = repair_keeps_intact(&env, &expected, 1);
    assert_eq!(lost, ["late-0"], "the first journal record");
    env.set("c", "more", "v");
    assert_eq!(env.get("c", "more"), Some(b"v".to_vec()));
}

#[test]
fn a_flipped_head_is_caught_and_rebuilt_from_the_files() {
    let env = Env::new();
    let expected = populated(&env);
    let head = env.cache_dir("c").join("HEAD");
    flip(&head, 20);
    verify_fails(&env, &head);
    assert!(repair_keeps_intact(&env, &expected, 0).is_empty());
    assert_eq!(quarantined(&env), ["HEAD"]);
}

#[test]
fn a_flipped_blob_is_caught_and_its_entry_dropped() {
    let env = Env::new();
    let expected = populated(&env);
    let blob = blob(&env);
    flip(&blob, 100);
    let report = verify_fails(&env, &blob);
    assert!(
        report.contains("blob content does not match its hash"),
        "{report}"
    );
    assert_eq!(repair_keeps_intact(&env, &expected, 1), ["big"]);
    assert_eq!(
        quarantined(&env),
        [blob.file_name().unwrap().to_string_lossy()]
    );
}

#[test]
fn a_missing_blob_is_caught_and_its_entry_dropped() {
    let env = Env::new();
    let expected = populated(&env);
    let blob = blob(&env);
    fs::remove_file(&blob).unwrap();
    let report = verify_fails(&env, &blob);
    assert!(report.contains(", which is missing"), "{report}");
    assert!(report.contains("key \"big\" names blob"), "{report}");
    assert_eq!(repair_keeps_intact(&env, &expected, 1), ["big"]);
}

#[test]
fn a_flipped_manifest_is_caught() {
    let env = Env::new();
    populated(&env);
    let manifest = env.store().join("manifest");
    flip(&manifest, 20);
    let out = env
        .cmd(["verify"])
        .status(1)
        .any_stdout()
        .stderr_contains("hint: `cacheman repair --manifest` rebuilds it")
        .run();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("problem with the manifest"), "{report}");
    assert!(report.contains(&manifest.display().to_string()), "{report}");
}

/// Runs `verify`, expecting it to fail; returns its report.
fn verify_fails_without_offset(env: &Env) -> String {
    let out = env
        .cmd(["verify"])
        .status(1)
        .any_stdout()
        .stderr("hint: `cacheman repair c` recovers the intact entries\n")
        .run();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_missing_cache_directory_is_caught_and_made_anew() {
    let env = Env::new();
    populated(&env);
    env.set("d", "k", "v");
    fs::remove_dir_all(env.cache_dir("c")).unwrap();
    let report = verify_fails_without_offset(&env);
    assert!(
        report.contains(&format!(
            "{}: the cache's directory is missing: its entries are lost",
            env.cache_dir("c").display()
        )),
        "{report}"
    );
    env.cmd(["repair", "c"])
        .stdout(format!(
            "c: {} was missing: its entries are lost; made it anew, empty\n",
            env.cache_dir("c").display()
        ))
        .run();
    env.cmd(["verify"])
        .stdout("c: ok (0 entries, 1 journal, 0 blobs)\nd: ok (1 entry, 1 journal, 0 blobs)\n")
        .run();
    env.cmd(["repair", "c"])
        .stdout("c: nothing to repair\n")
        .run();
}

#[test]
fn a_missing_head_is_caught_even_without_record_files() {
    let env = Env::new();
    env.cmd(["create", "c"]).run();
    let dir = env.cache_dir("c");
    for item in fs::read_dir(&dir).unwrap() {
        let path = item.unwrap().path();
        if !path.to_string_lossy().ends_with(".lock") {
            fs::remove_file(path).unwrap();
        }
    }
    let report = verify_fails_without_offset(&env);
    assert!(
        report.contains("HEAD: missing: every cache has one from its creation"),
        "{report}"
    );
    env.cmd(["repair", "c"])
        .stdout_contains("c: rebuilt the cache")
        .run();
    env.cmd(["verify"]).stdout_contains("c: ok").run();
}

#[test]
fn a_volatile_cache_gone_after_a_reboot_is_not_damage() {
    let env = Env::new().with_runtime_dir();
    env.cmd(["create", "v", "--volatile"]).run();
    env.set("v", "k", "v");
    for item in fs::read_dir(env.runtime()).unwrap() {
        fs::remove_dir_all(item.unwrap().path()).unwrap();
    }
    env.cmd(["verify"])
        .stdout("v: ok (volatile, and empty: its files are gone, as after a reboot)\n")
        .run();
    env.cmd(["repair", "v"])
        .stdout("v: nothing to repair\n")
        .run();
}

#[test]
fn a_stray_file_under_caches_is_a_note() {
    let env = Env::new();
    env.set("c", "k", "v");
    let stray = env.store().join("caches").join("notes.txt");
    fs::write(&stray, "mine").unwrap();
    env.cmd(["verify"])
        .stdout(format!(
            "store: note: {}: not a cache directory; nothing reads it\nc: ok (1 entry, 1 journal, 0 blobs)\n",
            stray.display()
        ))
        .run();
}

/// Replaces `path` with an empty directory.
fn into_directory(path: &Path) {
    fs::remove_file(path).unwrap();
    fs::create_dir(path).unwrap();
}

#[test]
fn a_directory_in_place_of_a_file_is_damage_that_repair_quarantines() {
    // Each kind, where its file is, and how many entries losing it loses.
    type Kind = (&'static str, fn(&Env) -> PathBuf, usize);
    let kinds: [Kind; 4] = [
        ("journal", |env| env.active_journal("c"), JOURNAL_KEYS),
        ("snapshot", |env| numbered(env, "snap."), SNAPSHOT_KEYS + 1),
        ("HEAD", |env| env.cache_dir("c").join("HEAD"), 0),
        ("blob", blob, 1),
    ];
    for (kind, file, may_lose) in kinds {
        let env = Env::new();
        let expected = populated(&env);
        let path = file(&env);
        into_directory(&path);
        let report = verify_fails_without_offset(&env);
        assert!(
            report.contains(&format!(
                "{}: offset 0: a directory, not a regular file",
                path.display()
            )),
            "{kind}: {report}"
        );
        let lost = repair_keeps_intact(&env, &expected, may_lose);
        assert_eq!(lost.len(), may_lose, "{kind}: lost {lost:?}");
        let moved = env
            .cache_dir("c")
            .join("quarantine")
            .join(path.file_name().unwrap());
        assert!(moved.is_dir(), "{kind}: {} quarantined", moved.display());
    }
}

#[test]
fn a_fifo_is_never_opened() {
    let env = Env::new();
    populated(&env);
    let fifo = common::mkfifo;
    let loose = env.path("work/pipe");
    fifo(&loose);
    env.cmd(["inspect"])
        .arg(&loose)
        .usage_error("pipe: not a cacheman file (a FIFO)")
        .run();
    let counters = env.cache_dir("c").join("counters");
    fifo(&counters);
    env.cmd(["verify", "c"])
        .stdout_contains("c: note: ")
        .stdout_contains("counters: offset 0: a FIFO, not a regular file")
        .run();
    let inspected = env
        .cmd(["inspect"])
        .arg(env.cache_dir("c"))
        .status(1)
        .any_stdout()
        .run()
        .stdout;
    let inspected = String::from_utf8(inspected).unwrap();
    assert!(
        inspected.contains(&format!("{}: not a regular file\n", counters.display())),
        "{inspected}"
    );
    fifo(&env.active_journal("c"));
    let report = verify_fails_without_offset(&env);
    assert!(report.contains("a FIFO, not a regular file"), "{report}");
}

/// Counts a read of `c`, then cuts its counters file short; returns the file.
fn damaged_counters(env: &Env) -> PathBuf {
    env.cmd(["get", "c", "snap-1"]).any_stdout().run();
    let counters = env.cache_dir("c").join("counters");
    let bytes = fs::read(&counters).unwrap();
    fs::write(&counters, &bytes[..100]).unwrap();
    counters
}

#[test]
fn a_damaged_counters_file_is_a_note_not_a_problem() {
    let env = Env::new();
    let expected = populated(&env);
    let counters = damaged_counters(&env);
    let note = format!(
        "c: note: {}: offset 100: counters file is 100 bytes, expected 135168; \
         counting is best-effort: the next counted read replaces the file\n",
        counters.display()
    );
    env.cmd(["verify"])
        .stdout_contains("c: ok (")
        .stdout_contains(&note)
        .run();
    // Nothing to repair: counting loses its counts, no entry is lost.
    let before = env.tree();
    env.cmd(["repair", "c"])
        .stdout("c: nothing to repair\n")
        .run();
    before.assert_same(
        &env.tree(),
        "repair of a cache whose only damage is its counters",
    );
    // The next counted read replaces the file, and says so.
    env.cmd(["get", "c", "snap-1"]).any_stdout().run();
    let inspected = env
        .cmd(["inspect"])
        .arg(&counters)
        .any_stdout()
        .run()
        .stdout;
    let inspected = String::from_utf8(inspected).unwrap();
    assert!(
        inspected.contains("counting started by   a read that found the file damaged"),
        "{inspected}"
    );
    env.cmd(["verify", "c"])
        .stdout(format!(
            "c: ok ({} entries, 1 journal, 1 blob)\n",
            expected.len()
        ))
        .run();
}

#[test]
fn repairing_other_damage_leaves_a_damaged_counters_file_alone() {
    let env = Env::new();
    let expected = populated(&env);
    let counters = damaged_counters(&env);
    let snapshot = numbered(&env, "snap.");
    flip(&snapshot, 80 + 20);
    let report = verify_fails(&env, &snapshot);
    assert!(report.contains("c: note: "), "{report}");
    repair_keeps_intact(&env, &expected, 1);
    assert_eq!(
        quarantined(&env),
        [snapshot.file_name().unwrap().to_string_lossy()]
    );
    assert!(
        counters.exists(),
        "left for the next counted read to replace"
    );
}

#[test]
fn a_torn_tail_is_caught_and_cut() {
    let env = Env::new();
    let expected = populated(&env);
    let journal = env.active_journal("c");
    let bytes = fs::read(&journal).unwrap();
    fs::write(&journal, &bytes[..bytes.len() - 4]).unwrap();
    let report = verify_fails(&env, &journal);
    assert!(report.contains("torn tail"), "{report}");
    env.cmd(["repair", "c"])
        .stdout_contains(&format!(
            "c: cut the torn tail of {} at offset ",
            journal.display()
        ))
        .run();
    env.cmd(["verify"]).stdout_contains("c: ok").run();
    let last = format!("late-{}", JOURNAL_KEYS - 1);
    for (key, value) in &expected {
        let found = env.get("c", key);
        match key == &last {
            true => assert_eq!(found, None, "the torn record"),
            false => assert_eq!(found.as_ref(), Some(value), "{key}"),
        }
    }
}

#[test]
fn a_directory_the_manifest_does_not_name_is_caught() {
    let env = Env::new();
    populated(&env);
    let stray = env.store().join("caches").join("stray");
    fs::create_dir(&stray).unwrap();
    let out = env.cmd(["verify"]).status(1).any_stdout().run();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("stray: a cache directory the manifest does not name"),
        "{report}"
    );
    env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
}

#[test]
fn unknown_caches_are_bad_input() {
    let env = Env::new();
    env.cmd(["verify", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    env.cmd(["repair", "nope"])
        .usage_error("no cache named 'nope'")
        .run();
    env.cmd(["repair"]).usage_error("required").run();
}

#[test]
fn repair_beside_running_writers_loses_no_write() {
    let env = Env::new();
    let expected = populated(&env);
    let snapshot = numbered(&env, "snap.");
    let len = fs::metadata(&snapshot).unwrap().len() as usize;
    flip(&snapshot, len - 3);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let mut cmd = env.std_command();
            cmd.arg("batch").stdin(std::process::Stdio::piped());
            let mut child = cmd
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let script: String = (0..50).map(|i| format!("set c w{w}-{i} v{i}\n")).collect();
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || stdin.write_all(script.as_bytes()).unwrap());
            child
        })
        .collect();
    env.cmd(["repair", "c"]).any_stdout().run();
    for writer in writers {
        let out = writer.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
    for (key, value) in &expected {
        assert_eq!(env.get("c", key).as_ref(), Some(value), "{key}");
    }
    for w in 0..4 {
        for i in 0..50 {
            assert_eq!(
                env.get("c", format!("w{w}-{i}")),
                Some(format!("v{i}").into_bytes())
            );
        }
    }
}

#[test]
fn verify_beside_writers_and_syncs_finds_nothing_wrong() {
    let env = Env::new();
    populated(&env);
    let mut cmd = env.std_command();
    let mut writer = cmd
        .arg("batch")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = writer.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        for i in 0..3000 {
            writeln!(stdin, "set c w{i} {}", "x".repeat(1 + i % 300)).unwrap();
            if i % 500 == 0 {
                writeln!(stdin, "sync c").unwrap();
            }
        }
    });
    for _ in 0..5 {
        env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
    }
    feeder.join().unwrap();
    assert!(writer.wait().unwrap().success());
    env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
}

/// The README's tour: `depend` names caches that nothing has written yet,
/// which are sound and empty, not lost.
#[test]
fn caches_named_by_depend_are_sound_and_empty() {
    let env = Env::new();
    env.cmd(["depend", "config", "parsed"]).run();
    fs::write(env.path("work/app.toml"), "x = 1\n").unwrap();
    env.cmd(["bind", "config", "app.toml"]).any_stdout().run();
    env.cmd(["verify"])
        .stdout("config: ok (0 entries, 1 journal, 0 blobs)\nparsed: ok (0 entries, 1 journal, 0 blobs)\n")
        .run();
    assert_eq!(env.get("parsed", "k"), None);
    env.cmd(["repair", "parsed"])
        .stdout("parsed: nothing to repair\n")
        .run();
    // Its directory deleted later is still lost, and said.
    fs::remove_dir_all(env.cache_dir("parsed")).unwrap();
    let out = env
        .cmd(["verify", "parsed"])
        .status(1)
        .any_stdout()
        .stderr("hint: `cacheman repair parsed` recovers the intact entries\n")
        .run();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("the cache's directory is missing"),
        "{report}"
    );
}

/// Damages three caches: `d1`'s one snapshot record and the blob its journal
/// names (two kinds of problem), `d2`'s journal; `fine` stays sound.
fn three_caches(env: &Env) -> [PathBuf; 3] {
    for cache in ["d1", "d2", "fine"] {
        env.set(cache, "small", "value");
        env.cmd(["sync", cache]).any_stderr().run();
        env.cmd(["set", cache, "big"]).stdin(vec![7u8; BIG]).run();
        env.set(cache, "late", "value");
    }
    let snapshot = |cache: &str| env.snapshot(cache);
    let d1_snapshot = snapshot("d1");
    flip(&d1_snapshot, 80 + 20);
    let blobs = env.cache_dir("d1").join("blobs");
    let fan = fs::read_dir(blobs).unwrap().next().unwrap().unwrap().path();
    let d1_blob = fs::read_dir(fan).unwrap().next().unwrap().unwrap().path();
    fs::remove_file(&d1_blob).unwrap();
    let d2_journal = env.active_journal("d2");
    flip(&d2_journal, 44 + 20);
    [d1_snapshot, d1_blob, d2_journal]
}

#[test]
fn verify_reports_every_problem_of_every_cache() {
    let env = Env::new();
    let damaged = three_caches(&env);
    for args in [vec!["verify", "d1", "d2"], vec!["verify"]] {
        let out = env
            .cmd(&args)
            .status(1)
            .any_stdout()
            .stderr(
                "hint: `cacheman repair d1` recovers the intact entries\n\
                 hint: `cacheman repair d2` recovers the intact entries\n",
            )
            .run();
        let report = String::from_utf8(out.stdout).unwrap();
        for path in &damaged {
            assert!(
                report.contains(&path.display().to_string()),
                "{args:?} names {}:\n{report}",
                path.display()
            );
        }
        assert!(report.contains("d1: 1 problem with checksums:"), "{report}");
        assert!(
            report.contains("d1: 1 problem with the blobs entries name:"),
            "{report}"
        );
        assert!(report.contains("d2: 1 problem with checksums:"), "{report}");
    }
    env.cmd(["verify", "fine"])
        .stdout_contains("fine: ok")
        .run();
}

/// An unsynced cache `c` holding three entries, its HEAD deleted.
fn headless(env: &Env) -> PathBuf {
    for key in ["a", "b", "d"] {
        env.set("c", key, format!("value {key}"));
    }
    let journal = env.active_journal("c");
    fs::remove_file(env.cache_dir("c").join("HEAD")).unwrap();
    journal
}

#[test]
fn a_missing_head_is_damage_that_reads_report_and_writes_refuse() {
    let env = Env::new();
    let journal = headless(&env);
    let before = fs::read(&journal).unwrap();
    let hint = "hint: `cacheman verify c` lists the damage; `cacheman repair c` recovers the intact entries";
    let missing =
        "HEAD: damaged at offset 0: missing, but the cache holds snapshot or journal files";
    env.cmd(["set", "c", "new", "x"])
        .store_error(missing)
        .stderr_contains(hint)
        .run();
    env.cmd(["get", "c", "a"])
        .store_error(missing)
        .stderr_contains(hint)
        .run();
    env.cmd(["keys", "c"]).store_error(missing).run();
    assert_eq!(
        fs::read(&journal).unwrap(),
        before,
        "the journal is untouched"
    );
    env.cmd(["repair", "c"])
        .stdout_contains("c: rebuilt the cache as generation 2; entries kept: 3")
        .run();
    for key in ["a", "b", "d"] {
        assert_eq!(env.get("c", key), Some(format!("value {key}").into_bytes()));
    }
    env.set("c", "new", "x");
    env.cmd(["verify"])
        .stdout_contains("c: ok (4 entries")
        .run();
}

#[test]
fn a_deleted_cache_directory_is_reported_by_reads_and_writes() {
    let env = Env::new();
    env.set("c", "k", "v");
    fs::remove_dir_all(env.cache_dir("c")).unwrap();
    let lost = "the cache's directory is missing, but the manifest names the cache";
    env.cmd(["get", "c", "k"]).store_error(lost).run();
    env.cmd(["set", "c", "k", "w"]).store_error(lost).run();
    assert!(!env.cache_dir("c").exists(), "no write made it anew");
    env.cmd(["repair", "c"])
        .stdout_contains("made it anew, empty")
        .run();
    assert_eq!(env.get("c", "k"), None);
}

/// Runs cacheman as the unprivileged `UID` (tests run as root, who reads a
/// file of mode 000 all the same), on a store handed over to it.
const UID: &str = "54321";

fn as_unprivileged(env: &Env, args: &[&str]) -> std::process::Output {
    let plain = env.std_command();
    let mut cmd = std::process::Command::new("setpriv");
    cmd.args([
        &format!("--reuid={UID}"),
        &format!("--regid={UID}"),
        "--clear-groups",
    ])
    .arg(plain.get_program())
    .args(plain.get_args())
    .args(args)
    .current_dir(env.path("work"))
    .env_clear();
    for (name, value) in plain.get_envs() {
        if let Some(value) = value {
            cmd.env(name, value);
        }
    }
    cmd.output().expect("run setpriv")
}

#[test]
fn a_blob_that_cannot_be_read_is_an_error_not_damage() {
    let env = Env::new();
    let expected = populated(&env);
    if !std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
    {
        eprintln!("skipped: no setpriv to run cacheman as another user");
        return;
    }
    let chown = |path: &Path, uid: &str| {
        let status = std::process::Command::new("chown")
            .args(["-R", &format!("{uid}:{uid}")])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    };
    chown(&env.store(), UID);
    chown(&env.path("home"), UID);
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(env.root(), fs::Permissions::from_mode(0o755)).unwrap();
    let blob = blob(&env);
    fs::set_permissions(&blob, fs::Permissions::from_mode(0o000)).unwrap();
    let before = common::Tree::of(&env.store());
    for command in [&["repair", "c"][..], &["verify", "c"]] {
        let out = as_unprivileged(&env, command);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{command:?}: {stderr}");
        assert!(stderr.contains("Permission denied"), "{stderr}");
        assert!(stderr.contains("hint: permission denied"), "{stderr}");
    }
    common::Tree::of(&env.store()).assert_same(&before, "a refused repair");
    fs::set_permissions(&blob, fs::Permissions::from_mode(0o600)).unwrap();
    // Back to the test's own user: a store is trusted only by its owner.
    chown(&env.store(), "0");
    env.cmd(["verify", "c"]).stdout_contains("c: ok").run();
    assert_eq!(env.get("c", "big"), expected.get("big").cloned());
}
