//! Whether a store directory can be trusted: it must be the user's (owned by
//! the effective uid) and writable by no one else, checked on an open
//! descriptor. That descriptor is kept, and every store file is opened
//! relative to it, so nothing can be swapped in between the check and the use.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustix::fs::{Mode, OFlags};

use crate::error::{Error, IoContext, Result};

/// The effective uid, asked of the kernel once.
pub fn euid() -> u32 {
    static EUID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *EUID.get_or_init(|| rustix::process::geteuid().as_raw())
}

/// Checks a directory of the store, open as `dir`: a directory, owned by the
/// effective uid, not group- or world-writable. `path` names it in the error.
pub fn check_dir(dir: impl AsFd, path: &Path) -> Result<()> {
    let stat = rustix::fs::fstat(dir)
        .map_err(std::io::Error::from)
        .at(path)?;
    let me = euid();
    let mode = stat.st_mode & 0o7777;
    let is_dir =
        rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Directory;
    if is_dir && stat.st_uid == me && mode & 0o022 == 0 {
        return Ok(());
    }
    Err(untrusted(path, stat.st_uid, me, mode))
}

/// The one-line refusal of a directory someone else could change.
fn untrusted(path: &Path, owner: u32, me: u32, mode: u32) -> Error {
    let fix = match owner == me {
        true => format!("`chmod 700 {}`, or use another --dir", path.display()),
        false => "use another --dir (a store must be your own)".to_string(),
    };
    let reason = format!(
        "refusing a store directory others can change: owned by uid {owner} (you are uid {me}), mode {mode:04o}; fix: {fix}"
    );
    // Not a PermissionDenied error: the line already names the fix, and the
    // generic hint for one (give back permissions) would mislead.
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(reason),
    }
}

/// The canonical path of the store at `root` (no symbolic link in it, as the
/// store's own files are then opened with links refused all the way down),
/// after checking the store with [`check_dir`] when it exists. A link naming
/// the store itself is followed: the user chose it, and what it leads to is
/// checked. A store that does not exist yet is checked when it is created.
pub fn open_root(root: &Path) -> Result<PathBuf> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    match rustix::fs::open(root, flags, Mode::empty()) {
        Ok(dir) => {
            check_dir(&dir, root)?;
            let canonical = canonical(&dir, root)?;
            keep(&canonical, dir);
            Ok(canonical)
        }
        Err(rustix::io::Errno::NOENT) => Ok(canonical_missing(root)),
        Err(errno) => Err(std::io::Error::from(errno)).at(root),
    }
}

/// The checked store roots of this process, by canonical path, with their
/// descriptors: a root is opened and checked once, then every path beneath it
/// resolves from its descriptor (see [`beneath`]).
static ROOTS: RwLock<Vec<(PathBuf, Arc<OwnedFd>)>> = RwLock::new(Vec::new());

fn keep(canonical: &Path, dir: OwnedFd) {
    let mut roots = ROOTS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !roots.iter().any(|(root, _)| root == canonical) {
        roots.push((canonical.to_path_buf(), Arc::new(dir)));
    }
}

/// Opens, checks and keeps the descriptor of a store root just created (a
/// store that did not exist when [`open_root`] named it).
pub fn adopt(root: &Path) -> Result<()> {
    match beneath(root) {
        Some(_) => Ok(()),
        None => open_root(root).map(drop),
    }
}

/// The descriptor of the checked store root `path` lies beneath, and the rest
/// of `path` relative to it (`.` for the root itself).
pub fn beneath(path: &Path) -> Option<(Arc<OwnedFd>, PathBuf)> {
    let roots = ROOTS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    roots.iter().find_map(|(root, fd)| {
        let rest = path.strip_prefix(root).ok()?;
        let rest = match rest.as_os_str().is_empty() {
            true => PathBuf::from("."),
            false => rest.to_path_buf(),
        };
        Some((Arc::clone(fd), rest))
    })
}

/// What the kernel calls an open directory.
fn canonical(dir: &OwnedFd, root: &Path) -> Result<PathBuf> {
    use std::os::fd::AsRawFd;
    let link = format!("/proc/self/fd/{}", dir.as_raw_fd());
    match std::fs::read_link(link) {
        Ok(path) if path.is_absolute() => Ok(path),
        // No /proc: the slower library call.
        _ => root.canonicalize().at(root),
    }
}

/// The canonical path of a directory yet to be made: its nearest existing
/// ancestor's, with the missing components after it.
fn canonical_missing(root: &Path) -> PathBuf {
    let existing = root
        .ancestors()
        .find(|dir| dir.symlink_metadata().is_ok())
        .unwrap_or(Path::new("/"));
    let rest = root.strip_prefix(existing).unwrap_or(Path::new(""));
    match existing.canonicalize() {
        Ok(base) => base.join(rest),
        Err(_) => root.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_directory_passes_and_a_shared_one_does_not() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s");
        std::fs::create_dir(&store).unwrap();
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(open_root(&store).unwrap(), store.canonicalize().unwrap());
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o777)).unwrap();
        let refused = open_root(&store).unwrap_err().to_string();
        assert!(
            refused.contains("mode 0777") && refused.contains("chmod 700"),
            "{refused}"
        );
    }

    #[test]
    fn a_store_swapped_after_its_check_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s");
        std::fs::create_dir(&store).unwrap();
        std::fs::write(store.join("manifest"), b"checked").unwrap();
        let root = open_root(&store).unwrap();
        std::fs::rename(&store, dir.path().join("moved")).unwrap();
        std::fs::create_dir(&store).unwrap();
        std::fs::write(store.join("manifest"), b"planted").unwrap();
        let read = crate::files::fsutil::read(&root.join("manifest")).unwrap();
        assert_eq!(read, b"checked");
    }

    #[test]
    fn a_missing_store_is_named_canonically() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        let named = open_root(&link.join("new/store")).unwrap();
        assert_eq!(named, dir.path().canonicalize().unwrap().join("new/store"));
    }
}
