//! The note kept for each command (by cache and argv): the parts of the key of
//! its last stored result (for `--explain`) and the trusted input hashes (for
//! the next run's fingerprint short-cut).
//!
//! Notes are small files under `<store>/run-notes/<cache>/`, not cache entries:
//! they take no entry slot, never count as hits or misses, and reading one does
//! not load the cache. A note only helps later runs, so one that cannot be read
//! is passed over with a warning (and replaced by the next), and `gc` removes
//! the notes whose result is gone.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};
use crate::local::format::FileKind;
use crate::local::temp::TempFile;
use crate::local::{document, fsutil};
use crate::name::CacheName;
use crate::reporter::Reporter;
use crate::run::inputs::Known;
use crate::run::key::{Parts, hex, result_key};

/// The prefix of the temporary files notes are written to.
const TEMP: &str = "tmp";

/// How much older than a listing of a cache's keys a note must look to be
/// judged by it: file times come from a coarse clock.
const CLOCK_SLACK: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub parts: Parts,
    pub known: Vec<Known>,
}

impl Note {
    /// A document of kind [`FileKind::Note`]: preamble, then one CRC-framed body.
    pub fn encode(&self) -> Vec<u8> {
        document::encode(FileKind::Note, self)
    }

    /// The note these bytes (read from `path`) hold, or what is wrong.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Note> {
        document::decode(FileKind::Note, bytes, path)
    }
}

/// The notes of a store.
pub struct Notes {
    dir: PathBuf,
}

impl Notes {
    pub fn new(store: &Path) -> Notes {
        Notes {
            dir: store.join("run-notes"),
        }
    }

    fn path(&self, cache: &CacheName, argv_id: &[u8; 32]) -> PathBuf {
        self.dir.join(cache.as_str()).join(hex(argv_id))
    }

    /// The note of a command, if there is one that can be read.
    pub fn read(
        &self,
        cache: &CacheName,
        argv_id: &[u8; 32],
        reporter: &dyn Reporter,
    ) -> Option<Note> {
        let path = self.path(cache, argv_id);
        let read = fsutil::read_optional(&path)
            .and_then(|bytes| bytes.map(|b| Note::decode(&b, &path)).transpose());
        read.unwrap_or_else(|reason| {
            reporter.warning(&format_args!(
                "passing over the note {} ({reason}); the next stored result replaces it",
                path.display()
            ));
            None
        })
    }

    /// Replaces the note of a command (atomically, not durably: a note lost to
    /// a power cut only costs a re-hash).
    pub fn write(&self, cache: &CacheName, argv_id: &[u8; 32], note: &Note) -> Result<()> {
        let path = self.path(cache, argv_id);
        let dir = path.parent().unwrap_or(&self.dir);
        fsutil::create_private_dir(dir)?;
        let mut tmp = TempFile::create_in(dir)?;
        tmp.file().write_all(&note.encode()).at(tmp.path())?;
        tmp.persist(&path).map(drop)
    }

    /// Removes the notes of `cache` whose result is not among `results` (the
    /// cache's live keys, listed from the time `listed`) and unreadable ones,
    /// and the temporary files of writers that died; all of them when the
    /// cache is gone (`None`). Best-effort; returns how many files went.
    pub fn sweep(&self, cache: &str, results: Option<(&HashSet<Vec<u8>>, SystemTime)>) -> u64 {
        let dir = self.dir.join(cache);
        let Some((results, listed)) = results else {
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
            let live = fsutil::read(&entry.path())
                .ok()
                .and_then(|bytes| Note::decode(&bytes, &entry.path()).ok())
                .is_some_and(|note| results.contains(&result_key(&note.parts.key())));
            if !live && fsutil::remove(&entry.path()).is_ok() {
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
    use crate::reporter::NotStarted;

    #[test]
    fn round_trip_and_damage() {
        let note = Note {
            parts: Parts {
                argv: vec![b"true".to_vec()],
                ..Parts::default()
            },
            known: Vec::new(),
        };
        let path = Path::new("note");
        let bytes = note.encode();
        assert_eq!(Note::decode(&bytes, path).unwrap(), note);
        assert!(
            Note::decode(b"CMANNOTE\0\0\0\0old", path).is_err(),
            "another version"
        );
        assert!(Note::decode(&bytes[..20], path).is_err());
        let mut flipped = bytes.clone();
        flipped[24] ^= 1; // in the body, past the preamble and the frame's length and CRC
        let damage = Note::decode(&flipped, path).unwrap_err().to_string();
        assert!(damage.contains("checksum"), "{damage}");
    }

    /// Keeps what it is told, to check what the library says and that it
    /// says it to the reporter instead of printing.
    #[derive(Default)]
    struct Kept(std::cell::RefCell<Vec<String>>);

    impl Reporter for Kept {
        fn warning(&self, text: &dyn std::fmt::Display) {
            self.0.borrow_mut().push(format!("warning: {text}"));
        }

        fn explain(&self, line: &dyn std::fmt::Display) {
            self.0.borrow_mut().push(format!("explain: {line}"));
        }

        fn not_started(&self, failure: &NotStarted<'_>) {
            self.0
                .borrow_mut()
                .push(format!("not started: {}", failure.error));
        }
    }

    #[test]
    fn a_damaged_note_is_passed_over_with_a_warning_to_the_reporter() {
        let store = tempfile::tempdir().unwrap();
        let notes = Notes::new(store.path());
        let cache = CacheName::new("c").unwrap();
        let id = [7; 32];
        let path = notes.path(&cache, &id);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"not a note").unwrap();
        let kept = Kept::default();
        assert_eq!(notes.read(&cache, &id, &kept), None);
        let said = kept.0.into_inner();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with("warning: passing over the note"),
            "{said:?}"
        );
    }
}
