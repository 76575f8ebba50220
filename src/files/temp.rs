//! Temporary files inside the store: created fresh (never opening something
//! already there, link or file) at a name no one can guess, mode 0600, and put
//! in place by a rename relative to their directory.

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags};

use crate::error::{IoContext, Result};
use crate::files::fsutil;

/// The prefix of every temporary file's name: `tmp.PID.RANDOM`. The process
/// id lets `gc` tell a dead writer's leftovers from a live one's file.
pub const PREFIX: &str = "tmp";

/// How often a name already taken (by a planted file, say) is drawn again.
const ATTEMPTS: usize = 8;

/// A temporary file, deleted when dropped unless persisted.
#[derive(Debug)]
pub struct TempFile {
    dir: OwnedFd,
    path: PathBuf,
    file: File,
    persisted: bool,
}

/// A directory a file was just persisted into, to fsync when that is wanted.
pub struct Persisted {
    dir: OwnedFd,
    path: PathBuf,
}

impl TempFile {
    /// Creates a temporary file in the store directory `dir` with
    /// `O_CREAT|O_EXCL|O_NOFOLLOW`, never through a link.
    pub fn create_in(dir: &Path) -> Result<TempFile> {
        let fd = fsutil::open_dir(dir)?;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let name = fresh_name();
            let flags =
                OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            match rustix::fs::openat(&fd, &name, flags, Mode::from_raw_mode(0o600)) {
                Ok(file) => {
                    return Ok(TempFile {
                        dir: fd,
                        path: dir.join(name),
                        file: File::from(file),
                        persisted: false,
                    });
                }
                Err(rustix::io::Errno::EXIST) => last = Some(rustix::io::Errno::EXIST),
                Err(errno) => return Err(std::io::Error::from(errno)).at(&dir.join(name)),
            }
        }
        let errno = last.expect("the loop ran at least once");
        Err(std::io::Error::from(errno)).at(dir)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Renames the file to `target` (replacing what is there, a link itself
    /// rather than what it points to) relative to the directories' descriptors.
    pub fn persist(mut self, target: &Path) -> Result<Persisted> {
        let (target_dir, name) = fsutil::split(target);
        let (_, own) = fsutil::split(&self.path);
        let same = Some(target_dir) == self.path.parent();
        let dir = match same {
            true => self.dir.try_clone().at(target_dir)?,
            false => fsutil::open_dir(target_dir)?,
        };
        rustix::fs::renameat(&self.dir, own, &dir, name)
            .map_err(std::io::Error::from)
            .at(target)?;
        self.persisted = true;
        Ok(Persisted {
            dir,
            path: target_dir.to_path_buf(),
        })
    }

    /// Links the file at `target` unless something is there already (then
    /// leaves that), and deletes the temporary name.
    pub fn link_unless_present(self, target: &Path) -> Result<()> {
        let (_, name) = fsutil::split(target);
        let (_, own) = fsutil::split(&self.path);
        match rustix::fs::linkat(&self.dir, own, &self.dir, name, AtFlags::empty()) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
            Err(errno) => Err(std::io::Error::from(errno)).at(target),
        }
    }
}

impl Persisted {
    /// fsyncs the directory, making the rename durable.
    pub fn sync(self) -> Result<()> {
        self.dir
            .try_clone()
            .map(File::from)
            .and_then(|d| d.sync_all())
            .at(&self.path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            let (_, own) = fsutil::split(&self.path);
            let _ = rustix::fs::unlinkat(&self.dir, own, AtFlags::empty());
        }
    }
}

/// `tmp.PID.RANDOM`, RANDOM drawn from the standard library's per-process
/// random hash keys mixed with a counter and the time: not guessable by
/// another process.
fn fresh_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(NEXT.fetch_add(1, Ordering::Relaxed));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    format!("{PREFIX}.{}.{:016x}", std::process::id(), hasher.finish())
}

/// A private, nameless scratch file for data on its way into the store (an
/// import's spool): an `O_TMPFILE` in `dir`, a folder of the store already made
/// and checked like every store directory, so it never has a name anyone could
/// open and vanishes with the last descriptor, even on a crash.
pub fn unnamed_in(dir: &Path) -> Result<File> {
    let fd = fsutil::open_dir(dir)?;
    let flags = OFlags::RDWR | OFlags::TMPFILE | OFlags::CLOEXEC;
    match rustix::fs::openat(&fd, ".", flags, Mode::from_raw_mode(0o600)) {
        Ok(file) => Ok(File::from(file)),
        // A file system without O_TMPFILE: a fresh named file, unlinked at once.
        Err(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::ISDIR) => {
            let mut tmp = TempFile::create_in(dir)?;
            let file = tmp.file().try_clone().at(tmp.path())?;
            drop(tmp);
            Ok(file)
        }
        Err(errno) => Err(std::io::Error::from(errno)).at(dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differ_and_never_open_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::write(&outside, b"keep").unwrap();
        let a = TempFile::create_in(dir.path()).unwrap();
        let b = TempFile::create_in(dir.path()).unwrap();
        assert_ne!(a.path(), b.path());
        let mut tmp = TempFile::create_in(dir.path()).unwrap();
        use std::io::Write;
        tmp.file().write_all(b"new").unwrap();
        let target = dir.path().join("doc");
        std::os::unix::fs::symlink(&outside, &target).unwrap();
        tmp.persist(&target).unwrap();
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep");
        assert!(target.symlink_metadata().unwrap().is_file());
        drop((a, b));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 2, "the dropped temporary files are gone");
    }

    #[test]
    fn a_spool_file_has_no_name() {
        let dir = tempfile::tempdir().unwrap();
        let _spool = unnamed_in(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
