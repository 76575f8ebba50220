//! File-system primitives with the store's safety rules: private modes, atomic
//! replacement (temp, fsync, rename, fsync the directory), and permanent lock files.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// Creates a directory and its parents with mode 0700, and fsyncs the parent of
/// each one it creates, so that a durable write into it survives power loss.
pub fn create_private_dir(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let missing: Vec<&Path> = path.ancestors().take_while(|dir| !dir.exists()).collect();
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .at(path)?;
    for dir in missing {
        fsync_dir(dir.parent().unwrap_or(Path::new("/")))?;
    }
    Ok(())
}

/// Opens (creating if needed, mode 0600) a file for reading and writing.
pub fn open_private(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .at(path)
}

/// Creates a fresh file with mode 0600, truncating any leftover of the same name.
pub fn create_private(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .at(path)
}

/// Reads a whole file, or `None` when it does not exist. Something other than
/// a regular file in its place (a directory, say) is damage.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    // Non-blocking, so that opening a FIFO in the file's place returns at once
    // (to be refused below); it changes nothing for a regular file.
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path);
    let mut file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).at(path),
    };
    let meta = file.metadata().at(path)?;
    if let Some(what) = not_regular(&meta) {
        return Err(not_regular_error(path, what));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes).at(path)?;
    Ok(Some(bytes))
}

/// The entries of a directory, or none when it does not exist.
pub fn dir_entries(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    match fs::read_dir(dir) {
        Ok(read) => read.map(|item| item.at(dir)).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).at(dir),
    }
}

/// Opens a file for reading after checking that it is a regular file, so that
/// a FIFO or a device in its place is refused instead of blocking the reader.
pub fn open_regular(path: &Path) -> Result<File> {
    check_regular(path)?;
    File::open(path).at(path)
}

/// Checks that `path` is a regular file (following symlinks); something else
/// there is damage, reported at offset 0. A missing file is a not-found error.
pub fn check_regular(path: &Path) -> Result<()> {
    match not_regular(&fs::metadata(path).at(path)?) {
        Some(what) => Err(not_regular_error(path, what)),
        None => Ok(()),
    }
}

/// What a file that is not a regular one is, in words, or `None` for a regular file.
pub fn not_regular(meta: &fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    Some(match () {
        _ if kind.is_file() => return None,
        _ if kind.is_dir() => "a directory",
        _ if kind.is_fifo() => "a FIFO",
        _ if kind.is_socket() => "a socket",
        _ if kind.is_block_device() || kind.is_char_device() => "a device",
        _ => "a special file",
    })
}

fn not_regular_error(path: &Path, what: &str) -> crate::error::Error {
    crate::error::Error::corrupt(path, 0, format!("{what}, not a regular file"))
}

/// fsyncs a directory so that renames and creations in it are durable.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// The temporary sibling a file is written to before it is renamed into place.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` atomically and durably. On any failure the old
/// file is untouched and the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(path);
    let written = create_private(&tmp).and_then(|mut file| {
        file.write_all(bytes).at(&tmp)?;
        file.sync_all().at(&tmp)
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path).at(path)) {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fsync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// How a damaged file goes into quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Renamed there.
    Move,
    /// Copied there, the original left in place until something replaces it
    /// atomically (a damaged HEAD or manifest: a crash in between then leaves
    /// the old file, never none).
    Copy,
}

/// Puts a damaged file (or whatever is in its place) into `folder` under a
/// name not yet taken there (`NAME`, `NAME.1`, ...), durably, and returns
/// where it went. Quarantined files are never read or deleted by cacheman.
pub fn quarantine(folder: &Path, path: &Path, placement: Placement) -> Result<PathBuf> {
    create_private_dir(folder)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut target = folder.join(name.as_ref());
    let mut n = 1;
    while target.symlink_metadata().is_ok() {
        target = folder.join(format!("{name}.{n}"));
        n += 1;
    }
    match placement {
        Placement::Move => fs::rename(path, &target),
        Placement::Copy => fs::copy(path, &target).map(drop),
    }
    .at(path)?;
    fsync_dir(folder)?;
    Ok(target)
}

/// An `flock` held until dropped, exclusive unless taken shared. The lock file
/// is permanent: it is created once and never unlinked (only dropping its cache
/// removes it), so every process locks the same inode.
pub struct LockGuard {
    file: File,
}

impl LockGuard {
    /// Blocks until the lock is ours.
    pub fn acquire(path: &Path) -> Result<Self> {
        let file = open_private(path)?;
        file.lock().at(path)?;
        LockGuard::still_named(file, path)
    }

    /// Blocks until the lock is ours to share with other shared holders.
    pub fn acquire_shared(path: &Path) -> Result<Self> {
        let file = open_private(path)?;
        file.lock_shared().at(path)?;
        LockGuard::still_named(file, path)
    }

    /// Takes the lock if it is free, or returns `None`.
    pub fn try_acquire(path: &Path) -> Result<Option<Self>> {
        let file = open_private(path)?;
        match file.try_lock() {
            Ok(()) => LockGuard::still_named(file, path).map(Some),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e).at(path),
        }
    }

    /// Lock files are never unlinked, but a dropped cache's directory goes with
    /// its lock: a lock won on a file no longer at `path` guards nothing.
    fn still_named(file: File, path: &Path) -> Result<Self> {
        use std::os::unix::fs::MetadataExt;
        let held = file.metadata().at(path)?;
        match fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => Ok(LockGuard { file }),
            _ => Err(io::Error::other(
                "the cache was dropped while this command waited for its lock; run it again",
            ))
            .at(path),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// What a sweep of a folder removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Freed {
    pub files: u64,
    pub bytes: u64,
}

impl Freed {
    pub fn add(&mut self, other: Freed) {
        self.files += other.files;
        self.bytes += other.bytes;
    }

    pub fn remove(&mut self, path: &Path, len: u64) {
        if fs::remove_file(path).is_ok() {
            self.files += 1;
            self.bytes += len;
        }
    }
}

/// Deletes the temporary files `dir/PREFIX.PID.N` (named with
/// [`unique_suffix`](crate::clock::unique_suffix)) whose process is gone: what
/// a writer killed mid-write left, such as `blobs/tmp.PID.N` of a large value.
pub fn remove_abandoned(dir: &Path, prefix: &str) -> Freed {
    let mut freed = Freed::default();
    let Ok(listing) = fs::read_dir(dir) else {
        return freed;
    };
    for item in listing.flatten() {
        let name = item.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|n| n.strip_prefix('.'))
            .and_then(|rest| rest.split('.').next())
        else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let len = item.metadata().map_or(0, |m| m.len());
            freed.remove(&item.path(), len);
        }
    }
    freed
}
