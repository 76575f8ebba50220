//! Damaged files: journals truncated at every offset, snapshots truncated at
//! sampled offsets, and single-bit flips in every header and record. The engine
//! must answer with the longest valid prefix or a clear error, never a panic and
//! never a wrong value.

use std::fs;
use std::path::{Path, PathBuf};

use cacheman::{CacheName, Error, LocalStore, NewValue, SetOptions, Store};

struct Cache {
    dir: tempfile::TempDir,
    name: CacheName,
}

impl Cache {
    fn new() -> Cache {
        Cache {
            dir: tempfile::tempdir().unwrap(),
            name: CacheName::new("c").unwrap(),
        }
    }

    /// A fresh store on the same directory, as the next process would open it.
    fn store(&self) -> LocalStore {
        LocalStore::new(self.dir.path())
    }

    fn files(&self) -> PathBuf {
        self.dir.path().join("caches/c")
    }

    fn set(&self, key: &str, value: &[u8]) -> Vec<String> {
        self.store()
            .set(
                &self.name,
                key.as_bytes(),
                NewValue::Bytes(value),
                &SetOptions::default(),
            )
            .unwrap()
            .notices
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        match self.store().get(&self.name, key.as_bytes())? {
            Some(hit) => hit.value.into_bytes().map(Some),
            None => Ok(None),
        }
    }

    /// The highest-numbered file with this prefix (`journal.` or `snap.`).
    fn newest(&self, prefix: &str) -> PathBuf {
        fs::read_dir(self.files())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(prefix) && !name.ends_with(".tmp")
            })
            .max_by_key(|p| {
                p.extension()
                    .unwrap()
                    .to_string_lossy()
                    .parse::<u64>()
                    .unwrap()
            })
            .unwrap()
    }
}

fn value(i: usize) -> Vec<u8> {
    // Sizes vary; one value is large enough to live in a blob.
    match i {
        3 => vec![b'B'; 6000],
        _ => format!("value-{i}-{}", "x".repeat(i * 3)).into_bytes(),
    }
}

const JOURNAL_HEADER: usize = 44;

#[test]
fn a_journal_cut_at_every_offset_keeps_exactly_the_whole_records_before_the_cut() {
    let cache = Cache::new();
    let journal = cache.files().join("journal.1");
    let mut ends = Vec::new();
    for i in 0..5 {
        cache.set(&format!("k{i}"), &value(i));
        ends.push(fs::metadata(&journal).unwrap().len() as usize);
    }
    let pristine = fs::read(&journal).unwrap();
    for cut in 0..pristine.len() {
        fs::write(&journal, &pristine[..cut]).unwrap();
        for (i, &end) in ends.iter().enumerate() {
            let got = cache.get(&format!("k{i}"));
            match cut {
                c if c < JOURNAL_HEADER => {
                    assert!(got.is_err(), "cut {cut}: a cut header must be an error")
                }
                c if c >= end => assert_eq!(
                    got.unwrap_or_else(|e| panic!("cut {cut}: {e}")),
                    Some(value(i)),
                    "cut {cut}, key {i}"
                ),
                _ => assert_eq!(
                    got.unwrap_or_else(|e| panic!("cut {cut} key {i}: {e}")),
                    None,
                    "cut {cut}, key {i}: past the cut"
                ),
            }
        }
        if cut >= JOURNAL_HEADER {
            let notices = cache.set("after", b"new");
            let torn = !ends.contains(&cut) && cut != JOURNAL_HEADER;
            assert_eq!(!notices.is_empty(), torn, "cut {cut}: {notices:?}");
            if torn {
                assert!(
                    notices[0].contains("cut a torn journal tail"),
                    "{notices:?}"
                );
            }
            assert_eq!(cache.get("after").unwrap(), Some(b"new".to_vec()));
        }
    }
}

#[test]
fn a_snapshot_cut_anywhere_is_refused_with_its_path() {
    let cache = Cache::new();
    for i in 0..40 {
        cache.set(&format!("k{i}"), &value(i % 3));
    }
    cache.store().sync(&cache.name, true).unwrap();
    let snapshot = cache.newest("snap.");
    let pristine = fs::read(&snapshot).unwrap();
    let step = (pristine.len() / 150).max(1);
    for cut in (0..pristine.len()).step_by(step).chain(0..80) {
        fs::write(&snapshot, &pristine[..cut]).unwrap();
        let err = cache.get("k1").expect_err("a cut snapshot must be refused");
        assert!(err.to_string().contains("snap."), "cut {cut}: {err}");
        assert!(cache.store().keys(&cache.name).is_err());
    }
    fs::write(&snapshot, &pristine).unwrap();
    assert_eq!(cache.get("k1").unwrap(), Some(value(1)));
}

/// Every single-bit flip in a journal is either refused, or (in the last record,
/// where it looks just like an unfinished append) cut and reported by the next
/// writer. No flip ever yields a wrong value.
#[test]
fn every_bit_flip_in_a_journal_is_detected() {
    let cache = Cache::new();
    for i in 0..4 {
        cache.set(&format!("k{i}"), &value(i % 3));
    }
    let journal = cache.files().join("journal.1");
    let pristine = fs::read(&journal).unwrap();
    for bit in 0..pristine.len() * 8 {
        let mut damaged = pristine.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        fs::write(&journal, &damaged).unwrap();
        let mut refused = false;
        let mut missing = Vec::new();
        for i in 0..4 {
            match cache.get(&format!("k{i}")) {
                Err(_) => refused = true,
                Ok(Some(v)) => assert_eq!(v, value(i % 3), "bit {bit}, key {i}: wrong value"),
                Ok(None) => missing.push(i),
            }
        }
        if refused {
            continue;
        }
        assert_eq!(
            missing,
            [3],
            "bit {bit}: only the last record may read as torn"
        );
        let write = cache.store().set(
            &cache.name,
            b"probe",
            NewValue::Bytes(b"x"),
            &SetOptions::default(),
        );
        match write {
            Ok(report) => assert!(
                report
                    .notices
                    .iter()
                    .any(|n| n.contains("torn journal tail")),
                "bit {bit}: the writer must report the damaged tail"
            ),
            Err(e) => assert!(e.to_string().contains("journal"), "{e}"),
        }
    }
}

/// Flips each of `bits` in turn (restoring the file between flips) and checks.
fn flip_bits(path: &Path, bits: impl Iterator<Item = usize>, check: impl Fn(usize)) {
    let pristine = fs::read(path).unwrap();
    for bit in bits {
        let mut damaged = pristine.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        fs::write(path, &damaged).unwrap();
        check(bit);
    }
    fs::write(path, &pristine).unwrap();
}

#[test]
fn every_bit_flip_in_the_head_and_the_manifest_is_refused() {
    let cache = Cache::new();
    cache.set("k", b"v");
    for path in [
        cache.files().join("HEAD"),
        cache.dir.path().join("manifest"),
    ] {
        let len = fs::metadata(&path).unwrap().len() as usize;
        flip_bits(&path, 0..len * 8, |bit| {
            let err = cache
                .get("k")
                .expect_err("a damaged document must be refused");
            assert!(
                err.to_string()
                    .contains(&*path.file_name().unwrap().to_string_lossy()),
                "bit {bit}: {err}"
            );
        });
    }
    assert_eq!(cache.get("k").unwrap(), Some(b"v".to_vec()));
}

#[test]
fn every_bit_flip_in_a_blob_is_refused_before_any_byte_is_served() {
    let cache = Cache::new();
    let big = value(3);
    cache.set("big", &big);
    let blob = fs::read_dir(cache.files().join("blobs"))
        .unwrap()
        .flat_map(|d| fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .next()
        .unwrap();
    let check = &|bit: usize| {
        let hit = cache.store().get(&cache.name, b"big");
        let refused = match hit {
            Err(_) => true,
            Ok(hit) => {
                let mut out = Vec::new();
                let written = hit.unwrap().value.write_to(&mut out);
                assert!(
                    out.is_empty() || out == big,
                    "bit {bit}: damaged bytes were served"
                );
                written.is_err()
            }
        };
        assert!(refused, "bit {bit} went unnoticed");
    };
    // Every header bit, and a sample of content bits (each is hashed the same way).
    flip_bits(&blob, 0..60 * 8, check);
    flip_bits(&blob, (60 * 8..6060 * 8).step_by(97), check);
}

#[test]
fn a_damaged_snapshot_is_reported_precisely_and_never_deleted() {
    let cache = Cache::new();
    for i in 0..20 {
        cache.set(&format!("k{i}"), &value(0));
    }
    cache.store().sync(&cache.name, true).unwrap();
    let snapshot = cache.newest("snap.");
    let mut bytes = fs::read(&snapshot).unwrap();
    bytes[100] ^= 0x40;
    fs::write(&snapshot, &bytes).unwrap();
    let failures: Vec<String> = (0..20)
        .filter_map(|i| cache.get(&format!("k{i}")).err())
        .map(|e| e.to_string())
        .collect();
    assert!(!failures.is_empty(), "the damaged record was served");
    assert!(
        failures[0].contains(&*snapshot.to_string_lossy()),
        "{failures:?}"
    );
    assert!(failures[0].contains("offset"), "{failures:?}");
    cache.set("more", b"m");
    assert!(
        cache.store().sync(&cache.name, true).is_err(),
        "a sync must not merge a damaged snapshot"
    );
    assert_eq!(
        fs::read(&snapshot).unwrap(),
        bytes,
        "the damaged file is kept as it is"
    );
}

/// A value may hold bytes that look like a frame (here, a copy of the cache's own
/// HEAD). A writer killed in the middle of appending such a value leaves a torn
/// tail, not damage: the next writer cuts it and the cache goes on working.
#[test]
fn a_frame_inside_a_torn_value_does_not_make_the_tail_look_damaged() {
    let cache = Cache::new();
    cache.set("a", b"1");
    let head = fs::read(cache.files().join("HEAD")).unwrap();
    cache.set("copy", &head);
    let journal = cache.newest("journal.");
    let len = fs::metadata(&journal).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&journal)
        .unwrap()
        .set_len(len - 2)
        .unwrap();
    assert_eq!(cache.get("a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        cache.get("copy").unwrap(),
        None,
        "the torn record is not served"
    );
    let notices = cache.set("after", b"x");
    assert!(
        notices.iter().any(|n| n.contains("torn journal tail")),
        "{notices:?}"
    );
    assert_eq!(cache.get("after").unwrap(), Some(b"x".to_vec()));
}

/// What a crashed sync leaves (a temporary snapshot, a snapshot renamed in but
/// never installed, old journals never deleted) goes at the next sync.
#[test]
fn a_sync_removes_what_crashed_syncs_left_behind() {
    let cache = Cache::new();
    cache.set("k", b"v");
    cache.store().sync(&cache.name, true).unwrap();
    let files = cache.files();
    for leftover in ["snap.1.tmp", "snap.99", "journal.1", "journal.2.tmp"] {
        fs::write(files.join(leftover), b"left by a crash").unwrap();
    }
    cache.set("k2", b"v2");
    cache.store().sync(&cache.name, true).unwrap();
    let mut names: Vec<String> = fs::read_dir(&files)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("snap.") || n.starts_with("journal."))
        .collect();
    names.sort();
    assert_eq!(names, ["journal.3", "snap.3"]);
    assert_eq!(cache.get("k").unwrap(), Some(b"v".to_vec()));
    assert_eq!(cache.get("k2").unwrap(), Some(b"v2".to_vec()));
}
