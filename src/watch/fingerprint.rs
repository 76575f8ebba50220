//! FileStamp fingerprints of bound paths: what `check` compares to see whether
//! a cache's files changed while no watcher ran.
//!
//! A scan lists every covered path (see [`coverage`]) with its device, inode,
//! size, mode and nanosecond mtime and ctime, and hashes the list. File systems
//! stamp times from a coarse clock, so a file changed twice within one tick
//! can keep its stat data; as in Git's "racily clean" rule, files modified
//! shortly before a fingerprint was taken also have their contents hashed.

use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::watch::coverage::{self, Entry, State, WatchDir};
use crate::watch::pattern::{Compiled, Pattern};

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

/// What each pattern covered at one moment.
pub struct Scan {
    parts: Vec<(Pattern, Vec<Entry>)>,
    taken_ns: u64,
}

/// Now, in nanoseconds since the Unix epoch.
pub fn now_ns() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
}

impl Scan {
    /// Scans what the patterns cover, leaving out the store's directory
    /// `skip` (its own writes are no change); `watch` is handed every
    /// directory read, before it is read.
    pub fn of(patterns: &[Compiled], skip: &Path, watch: &mut WatchDir<'_>) -> Scan {
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
        Fingerprint {
            stats: self.stats(),
            racy: self.racy_contents(self.taken_ns),
            taken_ns: self.taken_ns,
            files: self.entries().filter(|e| e.state != State::Missing).count() as u64,
        }
    }

    /// Whether the paths are as they were when `recorded` was taken.
    pub fn matches(&self, recorded: &Fingerprint) -> bool {
        self.stats() == recorded.stats && self.racy_contents(recorded.taken_ns) == recorded.racy
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
                    State::Present(stamp) => stamp.hash_into(hasher.update(&[1])),
                    State::Unlisted(stamp) => stamp.hash_into(hasher.update(&[2])),
                }
            }
        }
        *hasher.finalize().as_bytes()
    }

    /// The contents of the regular files changed too shortly before
    /// `taken_ns` for their stat data to be trusted, streamed into one hash.
    fn racy_contents(&self, taken_ns: u64) -> Option<[u8; 32]> {
        let mut racy = self
            .entries()
            .filter(|e| match e.state {
                State::Present(stamp) => stamp.is_file() && !stamp.settled(i128::from(taken_ns)),
                State::Missing | State::Unlisted(_) => false,
            })
            .peekable();
        racy.peek()?;
        let mut hasher = blake3::Hasher::new();
        for entry in racy {
            hash_bytes(&mut hasher, entry.path.as_os_str().as_bytes());
            let read = File::open(&entry.path).and_then(|mut file| {
                let mut contents = blake3::Hasher::new();
                std::io::copy(&mut file, &mut contents)?;
                Ok(contents.finalize())
            });
            match read {
                Ok(contents) => hasher.update(&[1]).update(contents.as_bytes()),
                Err(_) => hasher.update(&[0]),
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
    use crate::watch::pattern::Kind;
    use std::fs;

    fn scan(kind: Kind, path: &Path) -> Scan {
        let pattern = Pattern {
            kind,
            path: path.as_os_str().as_bytes().to_vec(),
        };
        Scan::of(
            &[pattern.compile().unwrap()],
            Path::new("/nonexistent"),
            &mut |_, _| {},
        )
    }

    #[test]
    fn a_same_size_rewrite_within_one_clock_tick_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.conf");
        fs::write(&file, "one").unwrap();
        let recorded = scan(Kind::File, &file).fingerprint();
        assert!(scan(Kind::File, &file).matches(&recorded));
        fs::write(&file, "two").unwrap();
        assert!(!scan(Kind::File, &file).matches(&recorded));
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
        let compiled = crate::watch::pattern::compile_all(&patterns).unwrap();
        let both = Scan::of(&compiled, Path::new("/x"), &mut |_, _| {});
        let only_a = scan(Kind::File, &a).fingerprint();
        assert!(both.subset(&patterns[..1]).matches(&only_a));
        assert!(!both.matches(&only_a));
    }
}
