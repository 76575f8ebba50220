//! File-system primitives with the store's safety rules: private modes, no
//! symbolic link ever followed inside the store, never blocking on a FIFO,
//! atomic replacement (a fresh temporary file, fsync, rename, fsync the
//! directory), and permanent lock files.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, ResolveFlags};

use crate::error::{Error, IoContext, Result};
use crate::files::temp::TempFile;
use crate::files::trusted;

/// Opens `path` with `flags` (plus close-on-exec, no-follow and non-blocking,
/// so that a FIFO in a file's place never blocks the opener) without following
/// a symbolic link in any component. A path beneath a checked store root
/// resolves from the root's descriptor (see [`trusted::beneath`]), never
/// leaving it; any other (a store yet to be made, an `inspect` target) from the
/// working directory. Store paths are canonical, so a link anywhere in one
/// was planted: it is refused as damage naming it.
pub fn open_at(path: &Path, flags: OFlags, mode: u32) -> Result<OwnedFd> {
    let flags = flags | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
    // openat2 refuses a mode without O_CREAT.
    let mode = match flags.contains(OFlags::CREATE) {
        true => Mode::from_raw_mode(mode),
        false => Mode::empty(),
    };
    let beneath = trusted::beneath(path);
    let (dir, rest, resolve) = match &beneath {
        Some((root, rest)) => (
            root.as_fd(),
            rest.as_path(),
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
        ),
        None => (rustix::fs::CWD, path, ResolveFlags::NO_SYMLINKS),
    };
    let opened = match rustix::fs::openat2(dir, rest, flags, mode, resolve) {
        // Kernels before 5.6 lack openat2: only the last component is checked.
        Err(rustix::io::Errno::NOSYS) => rustix::fs::openat(dir, rest, flags, mode),
        opened => opened,
    };
    opened.map_err(|errno| refused(path, errno.into()))
}

/// The error for a failed open: a symbolic link met on the way (refused
/// with `ELOOP`, or `ENOTDIR` where a directory must be), or a directory where
/// a file must be, is damage; anything else an I/O error.
fn refused(path: &Path, error: io::Error) -> Error {
    let code = error.raw_os_error();
    let link = match code {
        Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => true,
        Some(code) if code == rustix::io::Errno::NOTDIR.raw_os_error() => {
            symlink_on(path).is_some()
        }
        _ => false,
    };
    match code {
        _ if link => symlink_error(path),
        Some(code) if code == rustix::io::Errno::ISDIR.raw_os_error() => {
            not_regular_error(path, "a directory")
        }
        _ => Error::Io {
            path: path.to_path_buf(),
            source: error,
        },
    }
}

/// Damage naming the outermost symbolic link on `path` (or `path` itself
/// when none is found any more).
pub fn symlink_error(path: &Path) -> Error {
    let link = symlink_on(path).unwrap_or_else(|| path.to_path_buf());
    Error::corrupt(
        &link,
        0,
        "a symbolic link, which cacheman never follows inside a store",
    )
}

/// The outermost symbolic link among `path` and its ancestors, if any.
pub fn symlink_on(path: &Path) -> Option<PathBuf> {
    let mut ancestors: Vec<&Path> = path.ancestors().collect();
    ancestors.reverse();
    ancestors
        .into_iter()
        .find(|dir| dir.symlink_metadata().is_ok_and(|m| m.is_symlink()))
        .map(Path::to_path_buf)
}

/// Opens a store file for reading: never through a link, and only a regular
/// file (a FIFO or device in its place is damage, refused without blocking).
/// Returns its metadata too, which every reader needs.
pub fn open_read(path: &Path) -> Result<(File, fs::Metadata)> {
    regular(open_at(path, OFlags::RDONLY, 0)?, path)
}

/// [`open_read`] for reading and writing, creating the file (mode 0600) when
/// `create` says so.
pub fn open_rw(path: &Path, create: bool) -> Result<(File, fs::Metadata)> {
    let flags = match create {
        true => OFlags::RDWR | OFlags::CREATE,
        false => OFlags::RDWR,
    };
    regular(open_at(path, flags, 0o600)?, path)
}

/// Opens (creating if needed, mode 0600) a store file for reading and writing.
pub fn open_private(path: &Path) -> Result<File> {
    open_rw(path, true).map(|(file, _)| file)
}

fn regular(fd: OwnedFd, path: &Path) -> Result<(File, fs::Metadata)> {
    let file = File::from(fd);
    let meta = file.metadata().at(path)?;
    if let Some(what) = not_regular(&meta) {
        return Err(not_regular_error(path, what));
    }
    if let Some(owner) = foreign_owner(&meta)
        && trusted::beneath(path).is_some()
    {
        return Err(Error::corrupt(
            path,
            0,
            format!("owned by uid {owner}, not by this user: someone else's file is never used"),
        ));
    }
    Ok((file, meta))
}

/// The owner of a file someone other than this user (the effective uid)
/// owns: in a store, such a file was planted (say while the store was open to
/// others, before its owner made it private), and is never read or written.
pub fn foreign_owner(meta: &fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    Some(meta.uid()).filter(|owner| *owner != trusted::euid())
}

/// Opens a directory of the store (never through a link).
pub fn open_dir(path: &Path) -> Result<OwnedFd> {
    open_at(path, OFlags::RDONLY | OFlags::DIRECTORY, 0)
}

/// Creates a directory and its parents with mode 0700, and fsyncs the parent of
/// each one it creates, so that a durable write into it survives power loss.
/// The directory, and each it creates, must then pass [`trusted::check_dir`]:
/// one made in advance by someone else is refused.
pub fn create_private_dir(path: &Path) -> Result<()> {
    match open_dir(path) {
        Ok(dir) => return trusted::check_dir(&dir, path),
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e),
    }
    let missing: Vec<&Path> = path
        .ancestors()
        .take_while(|dir| dir.symlink_metadata().is_err())
        .collect();
    for dir in missing.into_iter().rev() {
        let (parent, name) = split(dir);
        let parent = open_dir(parent)?;
        match rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(errno) => return Err(refused(dir, errno.into())),
        }
        trusted::check_dir(&open_dir(dir)?, dir)?;
        rustix::fs::fsync(parent).map_err(|errno| refused(dir, errno.into()))?;
    }
    Ok(())
}

/// Reads a whole file, or `None` when it does not exist. Something other than
/// a regular file in its place (a directory, say) is damage.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    let (mut file, meta) = match open_read(path) {
        Ok(opened) => opened,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // Through `take`: a file's own `read_to_end` would stat it again for the
    // size that `meta` already holds, and read once more to find its end (three
    // system calls a `get` need not pay). Store files are replaced whole or
    // only appended to, so what lies past that size is a later append.
    (&mut file)
        .take(meta.len())
        .read_to_end(&mut bytes)
        .at(path)?;
    Ok(Some(bytes))
}

/// Reads a whole store file that must exist (see [`open_read`]).
pub fn read(path: &Path) -> Result<Vec<u8>> {
    match read_optional(path)? {
        Some(bytes) => Ok(bytes),
        None => Err(io::Error::from(io::ErrorKind::NotFound)).at(path),
    }
}

/// The entries of a directory, or none when it does not exist. A link in its
/// place (or on the way to it) is damage.
pub fn dir_entries(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    match open_dir(dir) {
        Ok(_) => {}
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    match fs::read_dir(dir) {
        Ok(read) => read.map(|item| item.at(dir)).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).at(dir),
    }
}

/// Opens a file for reading after checking that it is a regular file, so that
/// a FIFO or a device in its place is refused instead of blocking the reader.
pub fn open_regular(path: &Path) -> Result<File> {
    open_read(path).map(|(file, _)| file)
}

/// Checks that `path` is a regular file, not a link; something else there is
/// damage, reported at offset 0. A missing file is a not-found error.
pub fn check_regular(path: &Path) -> Result<()> {
    let meta = path.symlink_metadata().at(path)?;
    if meta.is_symlink() {
        return Err(symlink_error(path));
    }
    match not_regular(&meta) {
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
        _ if kind.is_symlink() => "a symbolic link",
        _ if kind.is_fifo() => "a FIFO",
        _ if kind.is_socket() => "a socket",
        _ if kind.is_block_device() || kind.is_char_device() => "a device",
        _ => "a special file",
    })
}

fn not_regular_error(path: &Path, what: &str) -> Error {
    Error::corrupt(path, 0, format!("{what}, not a regular file"))
}

/// fsyncs a directory so that renames and creations in it are durable.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    rustix::fs::fsync(open_dir(dir)?).map_err(|errno| refused(dir, errno.into()))
}

/// Deletes a store file through its directory, never through a link on the
/// way to it (a link in the file's own place is what goes).
pub fn remove(path: &Path) -> Result<()> {
    let (dir, name) = split(path);
    let fd = open_dir(dir)?;
    rustix::fs::unlinkat(&fd, name, AtFlags::empty()).map_err(|errno| refused(path, errno.into()))
}

/// Renames a store file or directory (a link itself, never what it points
/// to) relative to the descriptors of both directories.
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    let (from_dir, from_name) = split(from);
    let (to_dir, to_name) = split(to);
    let (from_fd, to_fd) = (open_dir(from_dir)?, open_dir(to_dir)?);
    rustix::fs::renameat(&from_fd, from_name, &to_fd, to_name)
        .map_err(|errno| refused(from, errno.into()))
}

/// A path's directory and last component.
pub fn split(path: &Path) -> (&Path, &std::ffi::OsStr) {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    (
        dir.unwrap_or(Path::new(".")),
        path.file_name().unwrap_or_default(),
    )
}

/// Replaces `path` with `bytes` atomically and durably, through a fresh
/// temporary file (see [`TempFile`]). On any failure the old file is
/// untouched and the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let (dir, _) = split(path);
    let mut tmp = TempFile::create_in(dir)?;
    tmp.file().write_all(bytes).at(tmp.path())?;
    tmp.file().sync_all().at(tmp.path())?;
    tmp.persist(path)?.sync()
}

/// How a damaged file goes into quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Renamed there.
    Move,
    /// Copied there, the original left in place until something replaces it
    /// atomically (a damaged HEAD or manifest: a crash in between then leaves
    /// the old file, never none). A link or non-regular file is moved instead.
    Copy,
}

/// Puts a damaged file (or whatever is in its place: a link goes itself, never
/// what it points to) into `folder` under a name not yet taken there (`NAME`,
/// `NAME.1`, ...), durably, and returns where it went. Quarantined files are
/// never read or deleted by cacheman.
pub fn quarantine(folder: &Path, path: &Path, placement: Placement) -> Result<PathBuf> {
    create_private_dir(folder)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut target = folder.join(name.as_ref());
    let mut n = 1;
    while target.symlink_metadata().is_ok() {
        target = folder.join(format!("{name}.{n}"));
        n += 1;
    }
    let regular = check_regular(path).is_ok();
    match placement {
        Placement::Copy if regular => copy_into(path, &target),
        _ => rename(path, &target),
    }?;
    fsync_dir(folder)?;
    Ok(target)
}

fn copy_into(from: &Path, to: &Path) -> Result<()> {
    let bytes = read(from)?;
    let (dir, _) = split(to);
    let mut tmp = TempFile::create_in(dir)?;
    tmp.file().write_all(&bytes).at(tmp.path())?;
    tmp.persist(to).map(drop)
}

/// An `flock` held until dropped, exclusive unless taken shared. The lock file
/// is permanent: it is created once and never unlinked (only dropping its cache
/// removes it), so every process locks the same inode. Anything but a regular
/// file in its place (a directory, a link) is damage that `repair` replaces.
pub struct LockGuard {
    file: File,
    /// The file's length when it was opened.
    len: u64,
}

impl LockGuard {
    /// Blocks until the lock is ours.
    pub fn acquire(path: &Path) -> Result<Self> {
        let (file, meta) = open_rw(path, true)?;
        file.lock().at(path)?;
        LockGuard::still_named(file, &meta, path)
    }

    /// Blocks until the lock is ours to share with other shared holders.
    pub fn acquire_shared(path: &Path) -> Result<Self> {
        let (file, meta) = open_rw(path, true)?;
        file.lock_shared().at(path)?;
        LockGuard::still_named(file, &meta, path)
    }

    /// Takes the lock if it is free, or returns `None`.
    pub fn try_acquire(path: &Path) -> Result<Option<Self>> {
        let (file, meta) = open_rw(path, true)?;
        match file.try_lock() {
            Ok(()) => LockGuard::still_named(file, &meta, path).map(Some),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e).at(path),
        }
    }

    /// Lock files are never unlinked, but a dropped cache's directory goes with
    /// its lock: a lock won on a file no longer at `path` guards nothing.
    fn still_named(file: File, held: &fs::Metadata, path: &Path) -> Result<Self> {
        use std::os::unix::fs::MetadataExt;
        match fs::symlink_metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => Ok(LockGuard {
                file,
                len: held.len(),
            }),
            _ => Err(io::Error::other(
                "the cache was dropped while this command waited for its lock; run it again",
            ))
            .at(path),
        }
    }
}

impl LockGuard {
    /// The locked file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The locked file's length when it was opened.
    pub fn opened_len(&self) -> u64 {
        self.len
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

pub use crate::reports::Freed;

impl Freed {
    /// Deletes the file at `path`, counting it (of `len` bytes) when it went.
    pub fn remove(&mut self, path: &Path, len: u64) {
        if remove(path).is_ok() {
            self.files += 1;
            self.bytes += len;
        }
    }
}

/// Deletes the temporary files `dir/PREFIX.PID.N` (named by [`TempFile`], or
/// by older versions with [`unique_suffix`](crate::clock::unique_suffix))
/// whose process is gone: what a writer killed mid-write left, such as a
/// large value's `blobs/tmp.PID.N`. A link in the folder's place is left alone.
pub fn remove_abandoned(dir: &Path, prefix: &str) -> Freed {
    let mut freed = Freed::default();
    let Ok(listing) = dir_entries(dir) else {
        return freed;
    };
    for item in listing {
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
