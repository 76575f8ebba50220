//! FileStamp fingerprints of bound paths: what `check` and the watcher compare
//! to see whether a cache's files changed.
//!
//! A scan lists every covered path (see [`coverage`]) with its device, inode,
//! size, mode and nanosecond mtime, and hashes the list. The ctime is left
//! out: it also moves when a file's contents stay as they were (an access-time
//! update, a hard link, a chown), which inotify does not report for every path,
//! so `watch` could not agree. File systems stamp times from a coarse clock, so
//! a file written twice within one tick can keep its stat data; as in Git's
//! "racily clean" rule, files written shortly before a fingerprint was taken
//! also have their contents hashed, until a fingerprint taken once they have
//! settled replaces it.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::bindings::coverage::{self, Entry, State, WatchDir};
use crate::bindings::pattern::{Compiled, Pattern};

/// The stored summary of the bound paths at the last bind, check or invalidation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// BLAKE3 of every covered path's stat data (or its absence).
    pub stats: [u8; 32],
    /// BLAKE3 of the racy files' contents, when there were any.
    pub racy: Option<[u8; 32]>,
    /// When it was taken, in nanoseconds since the Unix epoch.
    pub taken_ns: u64,
    /// How many paths were there.
    pub files: u64,
}

/// What a scan says of a recorded fingerprint.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing changed, and the recorded fingerprint serves as well as a new one.
    Unchanged,
    /// Nothing changed, but files that were racy then have settled: recording
    /// this fingerprint spares later comparisons reading their contents.
    Settled(Fingerprint),
    /// The files changed: this is the fingerprint to record.
    Changed(Fingerprint),
}

/// What each pattern covered at one moment.
pub struct Scan {
    parts: Vec<(Pattern, Vec<Entry>)>,
    taken_ns: u64,
}

/// The content hashes read for one comparison, by entry index (`None` for a
/// file that could not be read), so no file is read twice.
type Contents = HashMap<usize, Option<blake3::Hash>>;

/// Now, in nanoseconds since the Unix epoch.
pub fn now_ns() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
}

impl Scan {
    /// Scans what the patterns cover, leaving out the store's directory
    /// `skip`, if it has one (its own writes are no change); `watch` is
    /// handed every directory read, before it is read.
    pub fn of(patterns: &[Compiled], skip: Option<&Path>, watch: &mut WatchDir<'_>) -> Scan {
        let taken_ns = now_ns();
        let parts = patterns
            .iter()
            .map(|p| (p.pattern.clone(), coverage::entries(p, skip, watch)))
            .collect();
        Scan { parts, taken_ns }
    }

    /// The part of the scan that covers `patterns` (each of which it has).
    pub fn subset(&self, patterns: &[Pattern]) -> Scan {
        Scan {
            parts: self
                .parts
                .iter()
                .filter(|(p, _)| patterns.contains(p))
                .cloned()
                .collect(),
            taken_ns: self.taken_ns,
        }
    }

    /// The fingerprint to record: take it right after the scan, since the
    /// racy files' contents are read now.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint_with(self.stats(), &mut Contents::new())
    }

    /// Whether the paths are as they were when `recorded` was taken.
    pub fn matches(&self, recorded: &Fingerprint) -> bool {
        self.same_as(recorded, self.stats(), &mut Contents::new())
    }

    /// Compares with `recorded`, reading each racy file at most once.
    pub fn compare(&self, recorded: &Fingerprint) -> Verdict {
        let stats = self.stats();
        let mut contents = Contents::new();
        if !self.same_as(recorded, stats, &mut contents) {
            return Verdict::Changed(self.fingerprint_with(stats, &mut contents));
        }
        if recorded.racy.is_none() {
            return Verdict::Unchanged;
        }
        // Files that stay unchanged only ever leave the racy set, and the
        // same set hashes the same.
        let now = self.fingerprint_with(stats, &mut contents);
        match now.racy == recorded.racy {
            true => Verdict::Unchanged,
            false => Verdict::Settled(now),
        }
    }

    fn same_as(&self, recorded: &Fingerprint, stats: [u8; 32], contents: &mut Contents) -> bool {
        stats == recorded.stats && self.racy_contents(recorded.taken_ns, contents) == recorded.racy
    }

    fn fingerprint_with(&self, stats: [u8; 32], contents: &mut Contents) -> Fingerprint {
        Fingerprint {
            stats,
            racy: self.racy_contents(self.taken_ns, contents),
            taken_ns: self.taken_ns,
            files: self.entries().filter(|e| e.state != State::Missing).count() as u64,
        }
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.parts.iter().flat_map(|(_, entries)| entries)
    }

    fn stats(&self) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        for (pattern, entries) in &self.parts {
            hash_bytes(&mut hasher, &pattern.path);
            for entry in entries {
                hash_bytes(&mut hasher, entry.path.as_os_str().as_bytes());
                match entry.state {
                    State::Missing => {
                        hasher.update(&[0]);
                    }
                    State::Present(stamp) => stamp.hash_written_into(hasher.update(&[1])),
                    State::Unlisted(stamp) => stamp.hash_written_into(hasher.update(&[2])),
                }
            }
        }
        *hasher.finalize().as_bytes()
    }

    /// The contents of the regular files written too shortly before
    /// `taken_ns` for their stat data to be trusted, hashed into one.
    fn racy_contents(&self, taken_ns: u64, contents: &mut Contents) -> Option<[u8; 32]> {
        let mut racy = self
            .entries()
            .enumerate()
            .filter(|(_, e)| match e.state {
                State::Present(stamp) => {
                    stamp.is_file() && !stamp.written_settled(i128::from(taken_ns))
                }
                State::Missing | State::Unlisted(_) => false,
            })
            .peekable();
        racy.peek()?;
        let mut hasher = blake3::Hasher::new();
        for (at, entry) in racy {
            hash_bytes(&mut hasher, entry.path.as_os_str().as_bytes());
            let read = contents.entry(at).or_insert_with(|| {
                let mut contents = blake3::Hasher::new();
                let file = File::open(&entry.path).ok()?;
                contents.update_reader(file).ok()?;
                Some(contents.finalize())
            });
            match read {
                Some(contents) => hasher.update(&[1]).update(contents.as_bytes()),
                None => hasher.update(&[0]),
            };
        }
        Some(*hasher.finalize().as_bytes())
    }
}

fn hash_bytes(hasher: &mut blake3::Hasher, bytes: &[u8]) {
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::pattern::Kind;
    use std::fs;

    fn scan(kind: Kind, path: &Path) -> Scan {
        let pattern = Pattern {
            kind,
            path: path.as_os_str().as_bytes().to_vec(),
        };
        Scan::of(
            &[pattern.compile().unwrap()],
            Some(Path::new("/nonexistent")),
            &mut |_, _| {},
        )
    }

    /// A temporary directory holding a.conf, just written, and a.conf's path.
    fn written_file() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.conf");
        fs::write(&file, "one").unwrap();
        (dir, file)
    }

    #[test]
    fn a_same_size_rewrite_within_one_clock_tick_is_a_change() {
        let (_dir, file) = written_file();
        let recorded = scan(Kind::File, &file).fingerprint();
        assert!(scan(Kind::File, &file).matches(&recorded));
        fs::write(&file, "two").unwrap();
        assert!(!scan(Kind::File, &file).matches(&recorded));
    }

    /// Waits (polling, with a deadline) until `file`'s last write is older
    /// than the settle time.
    fn wait_until_settled(file: &Path) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let stamp = crate::file_stamp::FileStamp::of(&fs::metadata(file).unwrap());
            if stamp.written_settled(i128::from(now_ns())) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the clock stands still"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    #[test]
    fn a_fingerprint_with_racy_files_is_replaced_once_they_settle() {
        let (_dir, file) = written_file();
        // Written 1.9 s ago, as far as its mtime says: racy for 0.1 s more.
        let written = SystemTime::now() - std::time::Duration::from_millis(1900);
        File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(written)
            .unwrap();
        let racy = scan(Kind::File, &file).fingerprint();
        assert!(racy.racy.is_some());
        wait_until_settled(&file);
        let Verdict::Settled(settled) = scan(Kind::File, &file).compare(&racy) else {
            panic!("a settled file's fingerprint is worth recording");
        };
        assert_eq!(settled.racy, None, "later comparisons read no contents");
        assert_eq!(settled.stats, racy.stats);
        assert_eq!(
            scan(Kind::File, &file).compare(&settled),
            Verdict::Unchanged
        );
        fs::write(&file, "two").unwrap();
        assert!(matches!(
            scan(Kind::File, &file).compare(&settled),
            Verdict::Changed(_)
        ));
    }

    #[test]
    fn what_leaves_contents_alone_and_moves_only_the_ctime_is_no_change() {
        let (_dir, file) = written_file();
        let recorded = scan(Kind::File, &file).fingerprint();
        fs::hard_link(&file, file.with_file_name("link")).unwrap();
        let accessed = SystemTime::now();
        File::open(&file)
            .unwrap()
            .set_times(fs::FileTimes::new().set_accessed(accessed))
            .unwrap();
        assert_eq!(
            scan(Kind::File, &file).compare(&recorded),
            Verdict::Unchanged
        );
    }

    #[test]
    fn deleting_creating_and_making_an_empty_directory_are_changes() {
        let dir = tempfile::tempdir().unwrap();
        let empty = scan(Kind::Dir, dir.path()).fingerprint();
        fs::write(dir.path().join("x"), "").unwrap();
        assert!(!scan(Kind::Dir, dir.path()).matches(&empty));
        fs::remove_file(dir.path().join("x")).unwrap();
        let again = scan(Kind::Dir, dir.path()).fingerprint();
        fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(!scan(Kind::Dir, dir.path()).matches(&again));
    }

    #[test]
    fn a_subset_fingerprints_like_a_scan_of_its_patterns_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::write(&a, "1").unwrap();
        let patterns: Vec<Pattern> = [&a, &b]
            .map(|p| Pattern {
                kind: Kind::File,
                path: p.as_os_str().as_bytes().to_vec(),
            })
            .to_vec();
        let compiled = crate::bindings::pattern::compile_all(&patterns).unwrap();
        let both = Scan::of(&compiled, Some(Path::new("/x")), &mut |_, _| {});
        let only_a = scan(Kind::File, &a).fingerprint();
        assert!(both.subset(&patterns[..1]).matches(&only_a));
        assert!(!both.matches(&only_a));
    }
}
