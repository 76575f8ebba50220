//! `run`'s notes kept as files in a scratch directory: one per command (by
//! cache and argv id) at `run-notes/<cache>/<hex id>`, a document of kind
//! [`FileKind::Note`] around the body `run` encodes. They are not cache
//! entries: they take no entry slot, never count as hits or misses, and
//! reading one does not load the cache. The store interface's notes family
//! ([`Store::note`](crate::store::Store::note)) reads and writes them here.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::{IoContext, Result};
use crate::files::format::FileKind;
use crate::files::temp::TempFile;
use crate::files::{document, fsutil};
use crate::name::CacheName;

/// The prefix of the temporary files notes are written to.
const TEMP: &str = "tmp";

/// How much older than a listing of a cache's keys a note must look to be
/// judged by it: file times come from a coarse clock.
const CLOCK_SLACK: Duration = Duration::from_secs(1);

/// Which notes of a cache a sweep keeps: those whose body `keep` accepts,
/// judged against the cache's keys listed at `listed`.
pub struct KeepNotes<'a> {
    /// Whether a note's body still serves a live result.
    pub keep: &'a dyn Fn(&[u8]) -> bool,
    /// When the cache's keys were listed: notes written since are spared.
    pub listed: SystemTime,
}

/// The notes under a scratch directory.
pub struct NoteFiles {
    dir: PathBuf,
}

impl NoteFiles {
    /// The notes of the scratch directory `scratch`.
    pub fn new(scratch: &Path) -> NoteFiles {
        NoteFiles {
            dir: scratch.join("run-notes"),
        }
    }

    fn path(&self, cache: &CacheName, id: &[u8; 32]) -> PathBuf {
        let name = blake3::Hash::from_bytes(*id).to_hex();
        self.dir.join(cache.as_str()).join(name.as_str())
    }

    /// The body of a note, or `None` when there is none.
    pub fn read(&self, cache: &CacheName, id: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        let path = self.path(cache, id);
        let Some(bytes) = fsutil::read_optional(&path)? else {
            return Ok(None);
        };
        document::unwrap(FileKind::Note, &bytes, &path).map(|body| Some(body.to_vec()))
    }

    /// Replaces a note (atomically, not durably: a note lost to a power cut
    /// only costs a re-hash).
    pub fn write(&self, cache: &CacheName, id: &[u8; 32], body: &[u8]) -> Result<()> {
        let path = self.path(cache, id);
        let dir = path.parent().unwrap_or(&self.dir);
        fsutil::create_private_dir(dir)?;
        let mut tmp = TempFile::create_in(dir)?;
        let bytes = document::wrap(FileKind::Note, body);
        tmp.file().write_all(&bytes).at(tmp.path())?;
        tmp.persist(&path).map(drop)
    }

    /// Deletes a note; returns whether there was one.
    pub fn delete(&self, cache: &CacheName, id: &[u8; 32]) -> Result<bool> {
        match fsutil::remove(&self.path(cache, id)) {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes the notes of `cache` that `keep` rejects and unreadable ones,
    /// and the temporary files of writers that died; all of them without
    /// `keep` (the cache is gone). Best-effort; returns how many files went.
    pub fn sweep(&self, cache: &str, keep: Option<KeepNotes<'_>>) -> u64 {
        let dir = self.dir.join(cache);
        let Some(KeepNotes { keep, listed }) = keep else {
            // Never through a link (std's remove_dir_all follows none below it).
            if fsutil::open_dir(&dir).is_err() {
                return 0;
            }
            let count = fsutil::dir_entries(&dir).map_or(0, |listing| listing.len() as u64);
            return match fs::remove_dir_all(&dir) {
                Ok(()) => count,
                Err(_) => 0,
            };
        };
        let listed = listed - CLOCK_SLACK;
        let mut removed = fsutil::remove_abandoned(&dir, TEMP).files;
        let Ok(listing) = fsutil::dir_entries(&dir) else {
            return removed;
        };
        for entry in listing {
            let name = entry.file_name();
            // A note written since the keys were listed may be of a new result.
            let recent = entry
                .metadata()
                .and_then(|meta| meta.modified())
                .map_or(true, |modified| modified >= listed);
            if name.as_encoded_bytes().starts_with(TEMP.as_bytes()) || recent {
                continue;
            }
            let path = entry.path();
            let live = fsutil::read(&path)
                .ok()
                .and_then(|bytes| {
                    document::unwrap(FileKind::Note, &bytes, &path)
                        .ok()
                        .map(keep)
                })
                .unwrap_or(false);
            if !live && fsutil::remove(&path).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// The caches that have notes.
    pub fn caches(&self) -> Vec<String> {
        fs::read_dir(&self.dir).map_or_else(
            |_| Vec::new(),
            |listing| {
                listing
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_round_trips_and_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let notes = NoteFiles::new(dir.path());
        let cache = CacheName::new("c").unwrap();
        let id = [7; 32];
        notes.write(&cache, &id, b"body").unwrap();
        assert_eq!(notes.read(&cache, &id).unwrap().unwrap(), b"body");
        let path = notes.path(&cache, &id);
        let bytes = fs::read(&path).unwrap();
        let mut flipped = bytes.clone();
        flipped[21] ^= 1; // in the body, past the preamble and the frame's length and CRC
        fs::write(&path, &flipped).unwrap();
        let damage = notes.read(&cache, &id).unwrap_err().to_string();
        assert!(damage.contains("checksum"), "{damage}");
        fs::write(&path, b"CMANNOTE\0\0\0\0old").unwrap();
        assert!(notes.read(&cache, &id).is_err(), "another version");
        fs::write(&path, &bytes[..20]).unwrap();
        assert!(notes.read(&cache, &id).is_err(), "torn");
    }
}
