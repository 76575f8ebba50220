//! Every single-bit flip in every file of a small cache (sampled in the default
//! run, all with `--ignored`): `verify` must catch it, and `repair` must make
//! `verify` pass again while every entry the flip did not touch reads back
//! exactly. Runs on the library, so thousands of trials stay fast.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use cacheman::internals::inspect::{repair, verify};
use cacheman::internals::local::cache::CacheDir;
use cacheman::{CacheName, LocalStore, NewValue, SetOptions, Store};
use indicatif::ProgressBar;

const BLOB_LEN: usize = 5000;

/// A store in `root` with cache `c`: a synced snapshot (two small entries and a
/// blob) and a journal of two later writes and a delete. Returns what `c` holds.
fn build(root: &Path) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let store = LocalStore::new(root);
    let c = CacheName::new("c").unwrap();
    let set = |key: &str, value: &[u8]| {
        store
            .set(
                &c,
                key.as_bytes(),
                NewValue::Bytes(value),
                &SetOptions::default(),
            )
            .unwrap();
    };
    set("a", b"alpha");
    set("b", b"beta");
    set("gone", b"soon deleted");
    set("big", &[3u8; BLOB_LEN]);
    store.sync(&c, true).unwrap();
    set("late", b"after the sync");
    set("later", b"after that");
    store.delete(&c, &[b"gone"]).unwrap();
    let mut expected = BTreeMap::new();
    for (key, value) in [
        ("a", b"alpha".to_vec()),
        ("b", b"beta".to_vec()),
        ("big", vec![3u8; BLOB_LEN]),
        ("late", b"after the sync".to_vec()),
        ("later", b"after that".to_vec()),
    ] {
        expected.insert(key.as_bytes().to_vec(), value);
    }
    expected
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for item in fs::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if !path.to_string_lossy().ends_with(".lock") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for item in fs::read_dir(from).unwrap() {
        let path = item.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// Flips bit `bit` of `file` (relative to the cache) in a fresh copy of
/// `pristine`, then checks verify and repair. Returns the keys lost.
fn trial(
    pristine: &Path,
    file: &Path,
    bit: usize,
    expected: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> Vec<Vec<u8>> {
    let scratch = tempfile::tempdir().unwrap();
    copy_tree(pristine, scratch.path());
    let dir = CacheDir::new(scratch.path().join("caches/c"));
    let damaged = dir.path().join(file);
    let mut bytes = fs::read(&damaged).unwrap();
    bytes[bit / 8] ^= 1 << (bit % 8);
    fs::write(&damaged, &bytes).unwrap();
    let hidden = ProgressBar::hidden();
    let what = format!("bit {bit} of {}", file.display());
    let (findings, _) = verify::verify_cache(&dir, &hidden).unwrap();
    assert!(!findings.is_sound(), "verify missed {what}");
    let actions = repair::repair_cache(&dir, 1, &hidden).unwrap();
    assert!(!actions.is_empty(), "repair did nothing about {what}");
    let (findings, _) = verify::verify_cache(&dir, &hidden).unwrap();
    assert!(
        findings.is_sound(),
        "after repairing {what}: {:?}",
        findings.problems
    );
    assert!(
        repair::repair_cache(&dir, 1, &hidden).unwrap().is_empty(),
        "{what}: a second repair"
    );
    let store = LocalStore::new(scratch.path());
    let c = CacheName::new("c").unwrap();
    let mut lost = Vec::new();
    for (key, value) in expected {
        match store.get(&c, key).unwrap() {
            Some(hit) => assert_eq!(&hit.value.into_bytes().unwrap(), value, "{what}"),
            None => lost.push(key.clone()),
        }
    }
    let in_journal = file.to_string_lossy().starts_with("journal");
    let gone = store.get(&c, b"gone").unwrap();
    assert!(gone.is_none() || in_journal, "{what}: a delete undone");
    lost
}

/// Runs a trial for every bit of every file, or (`sampled`) for about a
/// hundred bits spread over each; each may lose at most the one entry whose
/// record (or blob) holds the bit.
fn flips(sampled: bool) -> usize {
    let pristine = tempfile::tempdir().unwrap();
    let expected = build(pristine.path());
    let cache = pristine.path().join("caches/c");
    let mut trials = 0;
    for path in files(&cache) {
        let file = path.strip_prefix(&cache).unwrap().to_path_buf();
        let bits = fs::metadata(&path).unwrap().len() as usize * 8;
        let stride = if sampled { (bits / 100).max(7) } else { 1 };
        for bit in (0..bits).step_by(stride) {
            let lost = trial(pristine.path(), &file, bit, &expected);
            assert!(
                lost.len() <= 1,
                "bit {bit} of {}: lost {lost:?}",
                file.display()
            );
            let kind = file.to_string_lossy();
            if kind == "HEAD" || kind.starts_with("blobs") && bit < 8 * 12 {
                // HEAD and blob headers hold no entry; a blob's own bytes hold one.
                assert!(
                    lost.is_empty() || kind.starts_with("blobs"),
                    "{kind} bit {bit}: lost {lost:?}"
                );
            }
            trials += 1;
        }
    }
    trials
}

#[test]
fn sampled_bit_flips_are_caught_and_repaired() {
    assert!(flips(true) > 300);
}

#[test]
#[ignore = "every bit of every file: run with --ignored"]
fn every_bit_flip_is_caught_and_repaired() {
    flips(false);
}
