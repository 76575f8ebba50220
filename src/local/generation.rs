//! Generation words: an 8-byte counter at the start of a lock file that every
//! holder of that lock bumps around what it changes, so a long-lived reader
//! sees with one atomic load that nothing changed since it last looked.
//!
//! The word is a seqlock with one writer at a time (the lock's holder): odd
//! while a change is under way, even once it is done. A holder killed midway
//! leaves it odd, and readers take the slow path (`fstat` of the files) until
//! the next holder makes it even again. `store.lock`'s word covers the
//! manifest; each cache's `write.lock` word covers its HEAD and journals.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::error::{IoContext, Result};
use crate::local::fsutil::{self, LockGuard};

/// The word's length: lock files shorter than this have none yet.
pub const LEN: u64 = 8;

/// A lock file's generation word, mapped shared.
pub struct Word {
    map: Map,
}

enum Map {
    Read(Mmap),
    Write(MmapMut),
}

impl Word {
    /// The word of a lock file held by the caller, which may extend it (with
    /// zeros: an even word) when it has none yet.
    pub fn of_held(file: &File, len: u64, path: &Path) -> Result<Word> {
        if len < LEN {
            file.set_len(LEN).at(path)?;
        }
        // SAFETY: the word is only ever changed through atomic operations on
        // this aligned u64, and lock files are never truncated.
        let map = unsafe { MmapOptions::new().len(LEN as usize).map_mut(file) }.at(path)?;
        Ok(Word {
            map: Map::Write(map),
        })
    }

    /// The word of the lock file at `path`, for reading, or `None` when there
    /// is no such file, it has no word yet, or its owner could not take the
    /// lock (a file that `repair` would set aside: never trusted to be bumped).
    pub fn open(path: &Path) -> Option<Word> {
        let (file, meta) = fsutil::open_rw(path, false).ok()?;
        if meta.len() < LEN {
            return None;
        }
        // SAFETY: as in `of_held`; this map is only read.
        let map = unsafe { MmapOptions::new().len(LEN as usize).map(&file) }.ok()?;
        Some(Word {
            map: Map::Read(map),
        })
    }

    /// [`Word::open`], first giving a lock file that has no word yet (one an
    /// older version made) its word, by taking the lock once as a holder does.
    pub fn open_made(path: &Path) -> Option<Word> {
        Word::open(path).or_else(|| {
            drop(Changing::acquire(path).ok()?);
            Word::open(path)
        })
    }

    fn cell(&self) -> &AtomicU64 {
        let ptr = match &self.map {
            Map::Read(map) => map.as_ptr(),
            Map::Write(map) => map.as_ptr(),
        };
        // SAFETY: a page-aligned map of at least 8 bytes, shared only through
        // atomics.
        unsafe { &*(ptr as *const AtomicU64) }
    }

    /// The word now.
    pub fn load(&self) -> u64 {
        self.cell().load(Ordering::SeqCst)
    }

    /// Marks a change as under way (the word odd, and past any value a reader
    /// may have kept), and returns the mark. Only the lock's holder calls this.
    pub fn begin(&self) -> u64 {
        let now = self.load();
        let odd = match now % 2 {
            0 => now.wrapping_add(1),
            // Left odd by a holder killed midway: stays odd, but moves on.
            _ => now.wrapping_add(2),
        };
        self.cell().store(odd, Ordering::SeqCst);
        odd
    }

    /// Marks the change begun as `odd` as done; returns the word's new value.
    pub fn end(&self, odd: u64) -> u64 {
        let even = odd.wrapping_add(1);
        self.cell().store(even, Ordering::SeqCst);
        even
    }
}

/// Whether a word's value says no change is under way.
pub fn settled(value: u64) -> bool {
    value.is_multiple_of(2)
}

/// A lock held for changing what it guards: the word is odd from the moment
/// the lock is won until this is dropped, which makes it even, then unlocks.
pub struct Changing {
    // Dropped in this order: the word ends before the lock is released.
    word: Option<Word>,
    odd: u64,
    _guard: LockGuard,
}

impl Changing {
    /// Waits for the lock at `path` and marks a change as under way.
    pub fn acquire(path: &Path) -> Result<Changing> {
        let guard = LockGuard::acquire(path)?;
        let word = Word::of_held(guard.file(), guard.opened_len(), path)?;
        let odd = word.begin();
        Ok(Changing {
            word: Some(word),
            odd,
            _guard: guard,
        })
    }
}

impl Drop for Changing {
    fn drop(&mut self) {
        if let Some(word) = self.word.take() {
            word.end(self.odd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_odd_while_held_and_a_killed_holder_leaves_it_odd() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("write.lock");
        std::fs::write(&path, b"").unwrap();
        assert!(
            Word::open(&path).is_none(),
            "no word before the first holder"
        );
        let held = Changing::acquire(&path).unwrap();
        let reader = Word::open(&path).unwrap();
        assert_eq!(reader.load(), 1);
        drop(held);
        assert_eq!(reader.load(), 2);
        // A holder killed midway never ends its change.
        let file = File::options().read(true).write(true).open(&path).unwrap();
        Word::of_held(&file, LEN, &path).unwrap().begin();
        assert_eq!(reader.load(), 3);
        let next = Changing::acquire(&path).unwrap();
        assert_eq!(reader.load(), 5, "still odd, and past every earlier value");
        drop(next);
        assert!(settled(reader.load()) && reader.load() == 6);
    }
}
