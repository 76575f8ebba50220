//! Where volatile caches live: a private folder in the runtime directory (a tmpfs
//! such as `$XDG_RUNTIME_DIR` or `/dev/shm`), so they never survive a reboot.
//! The store records the folder in its manifest when its first volatile cache
//! is made, so every caller finds it whatever its environment.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use crate::error::{Error, Result};

/// The folder a store's volatile caches go to when it records none yet: in
/// the caller's runtime directory, named after the store's canonical path, so
/// two stores never share it, and every spelling of one store's path
/// (relative, trailing slash, through a symlink) picks the same name.
pub fn default_root(store_root: &Path) -> PathBuf {
    let base = directories::BaseDirs::new()
        .and_then(|dirs| dirs.runtime_dir().map(Path::to_path_buf))
        .filter(|dir| dir.is_dir())
        .or_else(|| Some(PathBuf::from("/dev/shm")).filter(|dir| dir.is_dir()))
        .unwrap_or_else(std::env::temp_dir);
    let canonical = store_root
        .canonicalize()
        .unwrap_or_else(|_| store_root.to_path_buf());
    let tag = blake3::hash(canonical.as_os_str().as_encoded_bytes()).to_hex();
    base.join(format!("cacheman-{}", &tag[..16]))
}

/// Makes sure `root`, when it exists, is a directory of this user's that no
/// one else can enter, checking what is at the name through a descriptor
/// opened without following a symbolic link (so no swap between a check and
/// the open can fool it). With `create`, a missing `root` is made first (mode
/// 0700), so a writer never finds someone else's folder made in between. A
/// missing `root` (or runtime directory: `/run/user/UID` is gone while its
/// user is logged out) holds no volatile cache: its caches read as empty.
pub fn prepare(root: &Path, create: bool) -> Result<()> {
    if create {
        match rustix::fs::mkdir(root, Mode::RWXU) {
            Ok(()) | Err(Errno::EXIST | Errno::NOENT) => {}
            Err(e) => return Err(unsafe_root(root, &format!("cannot be created ({e})"))),
        }
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let dir = match rustix::fs::open(root, flags, Mode::empty()) {
        Ok(dir) => dir,
        Err(Errno::NOENT) => return Ok(()),
        Err(Errno::LOOP | Errno::NOTDIR) => {
            let link = root.symlink_metadata().is_ok_and(|m| m.is_symlink());
            let what = if link {
                "is a symbolic link"
            } else {
                "is not a directory"
            };
            return Err(unsafe_root(root, what));
        }
        Err(e) => return Err(unsafe_root(root, &format!("cannot be opened ({e})"))),
    };
    let stat = rustix::fs::fstat(&dir).map_err(|e| unsafe_root(root, &e.to_string()))?;
    let me = rustix::process::geteuid().as_raw();
    let mode = stat.st_mode & 0o7777;
    if stat.st_uid != me {
        return Err(unsafe_root(
            root,
            &format!(
                "is owned by uid {}, not by this user (uid {me})",
                stat.st_uid
            ),
        ));
    }
    if mode & 0o077 != 0 {
        return Err(unsafe_root(
            root,
            &format!("has mode {mode:04o}: others can reach it (0700 is needed)"),
        ));
    }
    Ok(())
}

/// A store error naming the folder and what is wrong with it.
fn unsafe_root(root: &Path, why: &str) -> Error {
    Error::Io {
        path: root.to_path_buf(),
        source: io::Error::other(format!("{why}; refusing to keep volatile caches there")),
    }
}

/// Whether a directory is one [`prepare`] would accept, without creating it:
/// for listings (`inspect`, `repair --manifest`), which must not read a
/// folder someone else planted.
pub fn is_private(root: &Path) -> bool {
    let me = rustix::process::geteuid().as_raw();
    root.symlink_metadata()
        .is_ok_and(|meta| meta.is_dir() && meta.uid() == me && meta.mode() & 0o077 == 0)
}
