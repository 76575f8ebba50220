//! The note kept for each command (by cache and argv): the parts of the key of
//! its last stored result (for `--explain`) and the trusted input hashes (for
//! the next run's fingerprint short-cut).
//!
//! Notes go through the store's notes family ([`Store::note`]), which keeps
//! them on this machine (`<scratch>/run-notes/<cache>/`). A note only helps
//! later runs, so one that cannot be read is passed over with a warning (and
//! replaced by the next), and `gc` removes the notes whose result is gone.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::files::codec;
use crate::files::document;
use crate::files::format::FileKind;
use crate::name::CacheName;
use crate::reporter::Reporter;
use crate::run::inputs::Known;
use crate::run::key::{Parts, result_key};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub parts: Parts,
    pub known: Vec<Known>,
}

impl Note {
    /// The note a whole note file (read from `path`) holds, or what is wrong.
    pub fn decode(bytes: &[u8], path: &Path) -> Result<Note> {
        document::decode(FileKind::Note, bytes, path)
    }
}

/// The note of a command in `cache`, if there is one that can be read.
pub fn read(
    store: &dyn Store,
    cache: &CacheName,
    argv_id: &[u8; 32],
    reporter: &dyn Reporter,
) -> Option<Note> {
    let why = match store.note(cache, argv_id) {
        Ok(None) => return None,
        Ok(Some(body)) => match codec::decode(&body) {
            Ok(note) => return Some(note),
            Err(reason) => reason,
        },
        Err(e) => e.to_string(),
    };
    reporter.warning(&format_args!(
        "passing over the note of this command in cache '{cache}' ({why}); the next stored result replaces it"
    ));
    None
}

/// Replaces the note of a command in `cache`.
pub fn write(store: &dyn Store, cache: &CacheName, argv_id: &[u8; 32], note: &Note) -> Result<()> {
    store.set_note(cache, argv_id, &codec::encode(note))
}

/// Which notes a sweep keeps: those of a result among `results` (a cache's
/// live keys).
pub fn keep_live(results: &HashSet<Vec<u8>>) -> impl Fn(&[u8]) -> bool + '_ {
    |body| {
        codec::decode::<Note>(body)
            .is_ok_and(|note| results.contains(&result_key(&note.parts.key())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reporter::NotStarted;

    /// A local store in `dir`, opened as the commands open one.
    fn local_store(dir: &tempfile::TempDir) -> std::sync::Arc<dyn Store> {
        let spec = crate::store_url::StoreSpec::Local(dir.path().into());
        crate::store::open(&spec, None, true).unwrap()
    }

    #[test]
    fn a_note_round_trips_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(&dir);
        let cache = CacheName::new("c").unwrap();
        let note = Note {
            parts: Parts {
                argv: vec![b"true".to_vec()],
                ..Parts::default()
            },
            known: Vec::new(),
        };
        write(&*store, &cache, &[1; 32], &note).unwrap();
        let kept = Kept::default();
        assert_eq!(read(&*store, &cache, &[1; 32], &kept), Some(note));
        assert_eq!(read(&*store, &cache, &[2; 32], &kept), None);
        assert!(kept.0.into_inner().is_empty());
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
        let dir = tempfile::tempdir().unwrap();
        let store = local_store(&dir);
        let cache = CacheName::new("c").unwrap();
        let id = [7; 32];
        store.set_note(&cache, &id, b"not a note").unwrap();
        let kept = Kept::default();
        assert_eq!(read(&*store, &cache, &id, &kept), None);
        let said = kept.0.into_inner();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].starts_with("warning: passing over the note"),
            "{said:?}"
        );
    }
}
