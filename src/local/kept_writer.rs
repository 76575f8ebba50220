//! A writer that lasts: a long-lived handle keeps a cache's write lock file and
//! active journal open between writes, and takes the lock only for each
//! append. The lock's generation word says whether anyone else changed HEAD
//! or the journal since this writer last let go: if not, what it knows of
//! them (the journal's length, next sequence number, totals) is still exact,
//! and a write costs a lock, one `write` and an unlock. Asking whether a sync
//! runs (when one is due) tries the cache's `sync.lock`, kept open too.

use std::fs::{self, File, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use crate::error::{IoContext, Result};
use crate::local::cache::{CacheDir, Written};
use crate::local::fsutil;
use crate::local::generation::Word;
use crate::local::head::Head;
use crate::local::journal::{Appender, Torn};
use crate::local::record::Op;

/// A cache's write lock and active journal, kept open (never locked between
/// writes).
pub struct KeptWriter {
    lock: File,
    path: PathBuf,
    /// The lock's generation word, mapped once the lock was first held.
    word: Option<Word>,
    files: Option<Files>,
    /// The word as this writer left it: while it reads so, `files` is exact.
    left: u64,
    /// The cache's sync lock, once asked (lock files are never unlinked but
    /// with their cache, whose drop the next append sees).
    sync: Option<File>,
}

/// HEAD and the active journal, as read under the lock.
struct Files {
    head: Head,
    appender: Appender,
    first_seq: u64,
    /// A torn tail cut when the journal was opened, not yet reported.
    cut: Option<Torn>,
}

impl KeptWriter {
    /// Opens the write lock file of a cache whose files exist.
    pub fn open(dir: &CacheDir) -> Result<KeptWriter> {
        let path = dir.write_lock_path();
        let (lock, _) = fsutil::open_rw(&path, false)?;
        Ok(KeptWriter {
            lock,
            path,
            word: None,
            files: None,
            left: 0,
            sync: None,
        })
    }

    /// Whether no sync of the cache runs now: its lock is tried and let go
    /// at once, as [`crate::local::merge::sync`] holds it while it runs.
    pub fn sync_idle(&mut self, dir: &CacheDir) -> Result<bool> {
        let path = dir.sync_lock_path();
        if self.sync.is_none() {
            self.sync = Some(fsutil::open_rw(&path, true)?.0);
        }
        let Some(sync) = &self.sync else {
            return Ok(false);
        };
        match sync.try_lock() {
            Ok(()) => {
                let _ = sync.unlock();
                Ok(true)
            }
            Err(TryLockError::WouldBlock) => Ok(false),
            Err(TryLockError::Error(e)) => Err(e).at(&path),
        }
    }

    /// Appends `ops` as one write under the lock, held for this only. `None`
    /// when nothing was written and the ordinary path must do the write (and
    /// report what is wrong): `row_current`, asked under the lock, says the
    /// manifest changed, the lock file is no longer the cache's, or HEAD or
    /// the journal cannot be read.
    pub fn append(
        &mut self,
        dir: &CacheDir,
        ops: &[Op],
        durable: bool,
        row_current: impl FnOnce() -> bool,
    ) -> Option<Result<Written>> {
        self.lock.lock().ok()?;
        let written = match row_current() {
            true => self.append_locked(dir, ops, durable),
            false => None,
        };
        let _ = self.lock.unlock();
        written
    }

    fn append_locked(
        &mut self,
        dir: &CacheDir,
        ops: &[Op],
        durable: bool,
    ) -> Option<Result<Written>> {
        if self.word.is_none() {
            let held = self.lock.metadata().ok()?;
            let named = fs::symlink_metadata(&self.path).ok()?;
            if (named.dev(), named.ino()) != (held.dev(), held.ino()) {
                return None;
            }
            self.word = Some(Word::of_held(&self.lock, held.len(), &self.path).ok()?);
        }
        let word = self.word.as_ref()?;
        if self.files.is_none() || word.load() != self.left {
            self.files = None;
            self.files = Some(Files::open(dir).ok()?);
        }
        let files = self.files.as_mut()?;
        let odd = word.begin();
        let appended = files.appender.append_unnoted(ops, durable);
        self.left = word.end(odd);
        if let Err(e) = appended {
            // What the journal holds now is for the next write to read again.
            self.files = None;
            return Some(Err(e));
        }
        let written = Written::now(
            files.head,
            &files.appender,
            files.first_seq,
            files.cut.take(),
        );
        Some(Ok(written))
    }
}

impl Files {
    fn open(dir: &CacheDir) -> Result<Files> {
        let head = dir
            .read_head()?
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
            .at(&dir.head_path())?;
        let (appender, cut) = Appender::open(&dir.journal_path(head.last_journal))?;
        let first_seq = dir.first_unsynced_seq(head, &appender)?;
        Ok(Files {
            head,
            appender,
            first_seq,
            cut,
        })
    }
}
