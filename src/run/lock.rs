//! The dogpile lock: one `flock`ed file per key under `<store>/run-locks/`, so
//! identical runs compute once. The kernel drops a killed holder's lock, so a
//! crash never wedges later calls. The holder unlinks the file before unlocking;
//! a waiter that then wins a lock on an unlinked file opens the path again.

use std::fs::{self, File, TryLockError};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::local::fsutil;

/// A held per-key lock; dropping it removes the file and releases the lock.
pub struct KeyLock {
    file: File,
    path: PathBuf,
}

/// Where the lock of a key lives.
pub fn path_for(store: &Path, key_hex: &str) -> PathBuf {
    store.join("run-locks").join(format!("{key_hex}.lock"))
}

impl KeyLock {
    /// Waits until the lock is ours.
    pub fn acquire(path: &Path) -> Result<KeyLock> {
        loop {
            let file = open(path)?;
            file.lock().at(path)?;
            if let Some(lock) = KeyLock::still_named(file, path)? {
                return Ok(lock);
            }
        }
    }

    /// Takes the lock if nobody holds it, or returns `None`.
    pub fn try_acquire(path: &Path) -> Result<Option<KeyLock>> {
        loop {
            let file = open(path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(e).at(path),
            }
            if let Some(lock) = KeyLock::still_named(file, path)? {
                return Ok(Some(lock));
            }
        }
    }

    /// The lock, if the locked file is still the one at `path` (a holder may
    /// have unlinked it while we waited).
    fn still_named(file: File, path: &Path) -> Result<Option<KeyLock>> {
        let held = file.metadata().at(path)?;
        Ok(match fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => Some(KeyLock {
                file,
                path: path.to_path_buf(),
            }),
            _ => None,
        })
    }
}

fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fsutil::create_private_dir(dir)?;
    }
    fsutil::open_private(path)
}

impl Drop for KeyLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_no_leftovers() {
        let dir = std::env::temp_dir().join(format!("cacheman-lock-{}", std::process::id()));
        let path = path_for(&dir, "k");
        let held = KeyLock::acquire(&path).unwrap();
        assert!(KeyLock::try_acquire(&path).unwrap().is_none());
        drop(held);
        assert!(!path.exists(), "the holder removes the file");
        let again = KeyLock::try_acquire(&path).unwrap();
        assert!(again.is_some());
        drop(again);
        fs::remove_dir_all(&dir).unwrap();
    }
}
