//! FileStamp fingerprints of bound paths: what `check` compares to see whether a
//! cache's files changed while no watcher ran.
//!
//! A scan lists every bound file with its device, inode, size, mode and
//! nanosecond mtime and ctime, and hashes the list. File systems stamp times
//! from a coarse clock, so a file changed twice within one tick can keep its
//! stat data; as in Git's "racily clean" rule, files modified shortly before a
//! fingerprint was taken also have their contents hashed.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::file_stamp::FileStamp;
use crate::watch::pattern::{Kind, Pattern};

/// The stored summary of the bound paths at the last bind, check or invalidation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// BLAKE3 of every bound path's stat data (or its absence).
    pub stats: [u8; 32],
    /// BLAKE3 of the racy files' contents, when there were any.
    pub racy: Option<[u8; 32]>,
    /// When it was taken, in nanoseconds since the Unix epoch.
    pub taken_ns: u64,
    /// How many files matched.
    pub files: u64,
}

/// Every file the patterns match right now, with its stat data.
pub struct Scan {
    files: Vec<(PathBuf, Option<FileStamp>)>,
    stats: [u8; 32],
}

/// Now, in nanoseconds since the Unix epoch: take it before scanning.
pub fn now_ns() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
}

impl Scan {
    /// Scans the patterns' files, leaving out the directory `skip` (the store,
    /// when it lies inside a bound tree: its own writes are no change).
    pub fn of(patterns: &[Pattern], skip: &Path) -> Result<Scan> {
        let mut files = Vec::new();
        let mut hasher = blake3::Hasher::new();
        for pattern in patterns {
            hasher.update(&(pattern.path.len() as u64).to_le_bytes());
            hasher.update(&pattern.path);
            let start = files.len();
            match (pattern.kind, pattern.glob()?) {
                (Kind::File, _) => files.push((pattern.base(), stat(&pattern.base()))),
                (Kind::Dir, _) if !pattern.base().is_dir() => files.push((pattern.base(), None)),
                (Kind::Dir, _) => walk(&pattern.base(), skip, &mut |_| true, &mut files),
                (Kind::Glob, glob) => walk(
                    &pattern.base(),
                    skip,
                    &mut |path| glob.as_ref().is_some_and(|g| g.is_match(path)),
                    &mut files,
                ),
            }
            for (path, stat) in &files[start..] {
                hash_entry(&mut hasher, path, stat.as_ref());
            }
        }
        Ok(Scan {
            files,
            stats: *hasher.finalize().as_bytes(),
        })
    }

    /// The fingerprint to record, taken at `taken_ns` (read before the scan).
    pub fn fingerprint(&self, taken_ns: u64) -> Fingerprint {
        Fingerprint {
            stats: self.stats,
            racy: self.racy_contents(taken_ns),
            taken_ns,
            files: self.files.iter().filter(|(_, s)| s.is_some()).count() as u64,
        }
    }

    /// Whether the files are as they were when `recorded` was taken.
    pub fn matches(&self, recorded: &Fingerprint) -> bool {
        self.stats == recorded.stats && self.racy_contents(recorded.taken_ns) == recorded.racy
    }

    fn racy_contents(&self, taken_ns: u64) -> Option<[u8; 32]> {
        let mut racy = self
            .files
            .iter()
            .filter_map(|(path, stat)| Some((path, (*stat)?)))
            .filter(|(_, stat)| !stat.settled(i128::from(taken_ns)) && stat.is_file())
            .peekable();
        racy.peek()?;
        let mut hasher = blake3::Hasher::new();
        for (path, _) in racy {
            hasher.update(path.as_os_str().as_bytes());
            match fs::read(path) {
                Ok(contents) => hasher.update(&[1]).update(&contents),
                Err(_) => hasher.update(&[0]),
            };
        }
        Some(*hasher.finalize().as_bytes())
    }
}

fn stat(path: &Path) -> Option<FileStamp> {
    fs::metadata(path).ok().map(|meta| FileStamp::of(&meta))
}

/// The files under `dir` that `keep` accepts, in sorted order, not entering
/// `skip`; symbolic links to directories are not followed.
fn walk(
    dir: &Path,
    skip: &Path,
    keep: &mut dyn FnMut(&Path) -> bool,
    out: &mut Vec<(PathBuf, Option<FileStamp>)>,
) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        match fs::symlink_metadata(&path) {
            Ok(_) if path == skip => {}
            Ok(meta) if meta.is_dir() => walk(&path, skip, keep, out),
            _ if keep(&path) => {
                let stat = stat(&path);
                out.push((path, stat));
            }
            _ => {}
        }
    }
}

fn hash_entry(hasher: &mut blake3::Hasher, path: &Path, stat: Option<&FileStamp>) {
    let bytes = path.as_os_str().as_bytes();
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
    match stat {
        None => {
            hasher.update(&[0]);
        }
        Some(stamp) => {
            hasher.update(&[1]);
            stamp.hash_into(hasher);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_pattern(path: &Path) -> Vec<Pattern> {
        vec![Pattern {
            kind: Kind::File,
            path: path.as_os_str().as_bytes().to_vec(),
        }]
    }

    #[test]
    fn a_same_size_rewrite_within_one_clock_tick_is_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.conf");
        fs::write(&file, "one").unwrap();
        let patterns = file_pattern(&file);
        let recorded = Scan::of(&patterns, Path::new("/nonexistent"))
            .unwrap()
            .fingerprint(now_ns());
        assert!(
            Scan::of(&patterns, Path::new("/nonexistent"))
                .unwrap()
                .matches(&recorded)
        );
        fs::write(&file, "two").unwrap();
        assert!(
            !Scan::of(&patterns, Path::new("/nonexistent"))
                .unwrap()
                .matches(&recorded)
        );
    }

    #[test]
    fn deleting_and_creating_are_changes() {
        let dir = tempfile::tempdir().unwrap();
        let patterns = vec![Pattern {
            kind: Kind::Dir,
            path: dir.path().as_os_str().as_bytes().to_vec(),
        }];
        let empty = Scan::of(&patterns, Path::new("/nonexistent"))
            .unwrap()
            .fingerprint(now_ns());
        fs::write(dir.path().join("x"), "").unwrap();
        let one = Scan::of(&patterns, Path::new("/nonexistent")).unwrap();
        assert!(!one.matches(&empty));
        fs::remove_file(dir.path().join("x")).unwrap();
        assert!(
            Scan::of(&patterns, Path::new("/nonexistent"))
                .unwrap()
                .matches(&empty)
        );
    }
}
