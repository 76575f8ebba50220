//! A file's stat data at nanosecond resolution, and the "racily clean" rule (as
//! in git's index) that says when it may stand in for the file's contents.
//! `run` uses it to skip re-hashing inputs (every field must match), `check`
//! to see bound files change (the fields a write, replacement or chmod moves).

use std::fs;
use std::os::unix::fs::MetadataExt;

use serde::{Deserialize, Serialize};

/// How long a file must have been left alone before its stamp is trusted: more
/// than the coarsest timestamp granularity in common use (2 s on FAT), and more
/// than the kernel's timestamp tick, within which a second write can leave the
/// stat data unchanged.
const SETTLE_NS: i128 = 2_000_000_000;

/// The stat data that changes when a file is written, replaced or touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub size: u64,
    pub mtime_ns: i128,
    pub ctime_ns: i128,
}

impl FileStamp {
    pub fn of(meta: &fs::Metadata) -> FileStamp {
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        FileStamp {
            dev: meta.dev(),
            ino: meta.ino(),
            mode: meta.mode(),
            size: meta.size(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// True when the file was last changed long enough before `taken_ns` (ns
    /// since the Unix epoch) that any later change must show in its stamp.
    pub fn settled(&self, taken_ns: i128) -> bool {
        self.mtime_ns.max(self.ctime_ns) + SETTLE_NS <= taken_ns
    }

    /// [`FileStamp::settled`] by the modification time alone: any later write
    /// must show in the mtime (a write sets it to the current time).
    pub fn written_settled(&self, taken_ns: i128) -> bool {
        self.mtime_ns + SETTLE_NS <= taken_ns
    }

    /// True for a regular file.
    pub fn is_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }

    /// Feeds into `hasher` the fields that a write, a replacement or a chmod
    /// changes: all but the ctime, which also moves on what leaves a file's
    /// contents alone (an access-time update, a hard link, a chown, an
    /// extended attribute) and which inotify does not report for every path.
    pub fn hash_written_into(&self, hasher: &mut blake3::Hasher) {
        hasher
            .update(&self.dev.to_le_bytes())
            .update(&self.ino.to_le_bytes())
            .update(&self.mode.to_le_bytes())
            .update(&self.size.to_le_bytes())
            .update(&self.mtime_ns.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_is_trusted_only_once_settled() {
        let stamp = FileStamp {
            dev: 1,
            ino: 2,
            mode: 0o100644,
            size: 3,
            mtime_ns: 10_000_000_000,
            ctime_ns: 10_000_000_000,
        };
        assert!(!stamp.settled(10_500_000_000), "same-second edit");
        assert!(!stamp.settled(11_999_999_999));
        assert!(stamp.settled(12_000_000_000));
        let touched = FileStamp {
            ctime_ns: 20_000_000_000,
            ..stamp
        };
        assert!(!touched.settled(13_000_000_000), "ctime counts too");
        assert!(
            touched.written_settled(13_000_000_000),
            "unless written only"
        );
        assert!(stamp.is_file());
    }
}
