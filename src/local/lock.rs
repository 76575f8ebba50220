//! The local store's locks ([`Store::lock`](crate::store::Store::lock)), such
//! as `run`'s dogpile lock: one `flock`ed file per name under
//! `<store>/run-locks/`, so identical runs compute once. The kernel drops a killed holder's lock, so a
//! crash never wedges later calls. The holder unlinks the file before unlocking;
//! a waiter that then wins a lock on an unlinked file opens the path again,
//! unless the holder marked it failed: then every waiter runs at once.
//!
//! The one-watcher rule's lock ([`WATCHER_LOCK`]) is the store's own
//! `<store>/watch.lock` instead, permanent (never unlinked) as `store.lock` is.

use std::fs::{self, File, TryLockError};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::local::fsutil::{self, LockGuard};
use crate::store::{Lease, Turn, WATCHER_LOCK};

/// A held per-key lock; dropping it removes the file and releases the lock.
pub struct KeyLock {
    file: File,
    path: PathBuf,
}

/// The byte a holder whose run stored nothing leaves in the lock file.
const FAILED: u8 = b'F';

/// Where the lock named `name` lives.
pub fn path_for(store: &Path, name: &str) -> PathBuf {
    store.join("run-locks").join(format!("{name}.lock"))
}

/// The store's own, permanent lock file for `name`, if it has one.
fn permanent(store: &Path, name: &str) -> Option<PathBuf> {
    (name == WATCHER_LOCK).then(|| store.join("watch.lock"))
}

/// Waits for the lock named `name` in the store at `store` (see
/// [`Store::lock`](crate::store::Store::lock)).
pub fn lock(store: &Path, name: &str) -> Result<Turn> {
    match permanent(store, name) {
        Some(path) => {
            fsutil::create_private_dir(store)?;
            let guard = LockGuard::acquire(&path)?;
            Ok(Turn::Held(Box::new(Permanent::new(guard, path)?)))
        }
        None => KeyLock::acquire(&path_for(store, name)),
    }
}

/// Takes the lock named `name` in the store at `store` if nobody holds it.
pub fn try_lock(store: &Path, name: &str) -> Result<Option<Box<dyn Lease>>> {
    let Some(path) = permanent(store, name) else {
        let lock = KeyLock::try_acquire(&path_for(store, name))?;
        return Ok(lock.map(|lock| Box::new(lock) as Box<dyn Lease>));
    };
    fsutil::create_private_dir(store)?;
    match LockGuard::try_acquire(&path)? {
        Some(guard) => Ok(Some(Box::new(Permanent::new(guard, path)?))),
        None => Ok(None),
    }
}

/// A held lock on a permanent lock file: it holds while the file at its
/// path is still the one locked.
struct Permanent {
    _guard: LockGuard,
    path: PathBuf,
    id: (u64, u64),
}

impl Permanent {
    fn new(guard: LockGuard, path: PathBuf) -> Result<Permanent> {
        let id = file_id(&path).at(&path)?;
        Ok(Permanent {
            _guard: guard,
            path,
            id,
        })
    }
}

impl Lease for Permanent {
    /// Nobody waits on a permanent lock for its holder's result.
    fn release_failed(self: Box<Self>) {}

    fn held(&self) -> bool {
        file_id(&self.path).is_ok_and(|id| id == self.id)
    }
}

fn file_id(path: &Path) -> std::io::Result<(u64, u64)> {
    fs::metadata(path).map(|meta| (meta.dev(), meta.ino()))
}

impl KeyLock {
    /// Waits until the lock is ours, or its holder failed.
    pub fn acquire(path: &Path) -> Result<Turn> {
        loop {
            let file = open(path)?;
            file.lock().at(path)?;
            if still_named(&file, path)? {
                return Ok(Turn::Held(Box::new(KeyLock::new(file, path))));
            }
            let mut mark = [0];
            if file.read_at(&mut mark, 0).at(path)? == 1 && mark[0] == FAILED {
                return Ok(Turn::HolderFailed);
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
            if still_named(&file, path)? {
                return Ok(Some(KeyLock::new(file, path)));
            }
        }
    }

    /// The lock, taken; a failure mark left by a holder killed before it
    /// could remove the file is cleared, so that it misleads nobody.
    fn new(file: File, path: &Path) -> KeyLock {
        let _ = file.set_len(0);
        KeyLock {
            file,
            path: path.to_path_buf(),
        }
    }
}

impl Lease for KeyLock {
    fn release_failed(self: Box<Self>) {
        let _ = self.file.write_all_at(&[FAILED], 0);
    }

    fn held(&self) -> bool {
        still_named(&self.file, &self.path).unwrap_or(false)
    }
}

/// Removes the lock files in `<store>/run-locks/` that nobody holds (left by
/// killed holders), each while holding it; returns how many went.
pub fn sweep(store: &Path) -> u64 {
    let Ok(listing) = fs::read_dir(store.join("run-locks")) else {
        return 0;
    };
    let mut removed = 0;
    for entry in listing.flatten() {
        let path = entry.path();
        let lock_file = path.extension().is_some_and(|ext| ext == "lock");
        if lock_file && let Ok(Some(lock)) = KeyLock::try_acquire(&path) {
            drop(lock);
            removed += 1;
        }
    }
    removed
}

/// True if the locked file is still the one at `path` (a holder may have
/// unlinked it while we waited).
fn still_named(file: &File, path: &Path) -> Result<bool> {
    let held = file.metadata().at(path)?;
    Ok(fs::metadata(path).is_ok_and(|now| now.ino() == held.ino() && now.dev() == held.dev()))
}

fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        fsutil::create_private_dir(dir)?;
    }
    fsutil::open_private(path)
}

impl Drop for KeyLock {
    fn drop(&mut self) {
        let _ = fsutil::remove(&self.path);
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
        let Turn::Held(held) = KeyLock::acquire(&path).unwrap() else {
            panic!("nobody else holds it");
        };
        assert!(KeyLock::try_acquire(&path).unwrap().is_none());
        drop(held);
        assert!(!path.exists(), "the holder removes the file");
        let again = KeyLock::try_acquire(&path).unwrap();
        assert!(again.is_some());
        drop(again);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lease_holds_while_its_file_is_the_one_locked() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        drop(try_lock(&store, WATCHER_LOCK).unwrap().unwrap());
        assert!(store.join("watch.lock").exists(), "never unlinked");
        let watcher = try_lock(&store, WATCHER_LOCK).unwrap().unwrap();
        let key = try_lock(&store, "k").unwrap().unwrap();
        assert!(watcher.held() && key.held());
        assert!(try_lock(&store, WATCHER_LOCK).unwrap().is_none());
        fs::remove_dir_all(&store).unwrap();
        assert!(!watcher.held(), "the store went, and its watch.lock");
        assert!(!key.held());
        fs::create_dir_all(&store).unwrap();
        fs::write(store.join("watch.lock"), "").unwrap();
        assert!(!watcher.held(), "another file at its path");
    }

    #[test]
    fn a_sweep_removes_only_the_lock_files_nobody_holds() {
        let dir = std::env::temp_dir().join(format!("cacheman-sweep-{}", std::process::id()));
        let (held, left) = (path_for(&dir, "held"), path_for(&dir, "left"));
        let Turn::Held(lock) = KeyLock::acquire(&held).unwrap() else {
            panic!("nobody else holds it");
        };
        // What a holder killed after marking its failure leaves.
        fs::write(&left, [FAILED]).unwrap();
        assert_eq!(sweep(&dir), 1);
        assert!(held.exists() && !left.exists());
        drop(lock);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_new_holder_clears_a_failure_mark_left_behind() {
        let dir = std::env::temp_dir().join(format!("cacheman-mark-{}", std::process::id()));
        let path = path_for(&dir, "k");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, [FAILED]).unwrap();
        let Turn::Held(lock) = KeyLock::acquire(&path).unwrap() else {
            panic!("the file is still named: the lock is ours");
        };
        assert_eq!(fs::read(&path).unwrap(), b"", "the mark is gone");
        drop(lock);
        fs::remove_dir_all(&dir).unwrap();
    }
}
