//! A store's scratch directory: a private directory on this machine for what
//! is only ever of use here. `run` spools transcripts and stdin to it and
//! keeps its notes in it (see [`notes`]); a batch spills large output to it.
//! The local store's is its own directory; any other store's is a sidecar
//! under the user's cache directory (see [`Store::scratch`]).
//!
//! [`Store::scratch`]: crate::store::Store::scratch

pub mod notes;

use std::fs::File;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::files::{fsutil, temp, trusted};
use crate::scratch::notes::NoteFiles;

/// A private local directory (mode 0700, this user's, writable by no one
/// else, never reached through a symbolic link).
#[derive(Debug, Clone)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// The scratch directory of a local store: its own directory, checked
    /// when the store was opened (the folders in it are checked as they are
    /// made).
    pub fn at(dir: impl Into<PathBuf>) -> Scratch {
        Scratch { dir: dir.into() }
    }

    /// The sidecar of the store at `location`:
    /// `<user cache dir>/cacheman/sidecar/<blake3 of location>/`, made if
    /// missing and checked as a store directory is.
    pub fn sidecar(location: &str) -> Result<Scratch> {
        let base = Scratch::default_base().ok_or_else(|| Error::Backend {
            store: location.to_string(),
            message: "no home directory to keep this store's sidecar directory in".into(),
        })?;
        Scratch::sidecar_in(&base, location)
    }

    /// The folder sidecars go in by default: `<user cache dir>/cacheman/sidecar`
    /// (`None` without a home directory).
    pub fn default_base() -> Option<PathBuf> {
        directories::BaseDirs::new().map(|dirs| dirs.cache_dir().join("cacheman/sidecar"))
    }

    /// Where the sidecar of the store at `location` is in the folder `base`
    /// (named by a hash of the location, so no password shows in the name).
    pub fn sidecar_dir(base: &Path, location: &str) -> PathBuf {
        base.join(blake3::hash(location.as_bytes()).to_hex().as_str())
    }

    /// The sidecar of the store at `location` in the folder `base` (made if
    /// missing, links on the way to it followed: it is the user's own, and
    /// must be writable by no one else). The sidecar itself is made with
    /// mode 0700, never through a link, and refused if someone else owns it
    /// or could change it; every file in it is then opened from the
    /// descriptor it was checked on.
    pub(crate) fn sidecar_in(base: &Path, location: &str) -> Result<Scratch> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(base)
            .at(base)?;
        let base = base.canonicalize().at(base)?;
        // Someone who could change the folder could swap the sidecar for a link.
        trusted::check_dir(fsutil::open_dir(&base)?, &base)?;
        let dir = Scratch::sidecar_dir(&base, location);
        fsutil::create_private_dir(&dir)?;
        trusted::open_root(&dir).map(Scratch::at)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `run`'s notes kept here.
    pub fn notes(&self) -> NoteFiles {
        NoteFiles::new(&self.dir)
    }

    /// Where `run` spools transcripts and stdin.
    pub fn spool_dir(&self) -> PathBuf {
        self.dir.join("run-spool")
    }

    /// Removes the spool files of runs that died (the named ones a file
    /// system without unnamed files needs); returns how many went.
    pub fn sweep_spool(&self) -> u64 {
        fsutil::remove_abandoned(&self.spool_dir(), "spool").files
    }

    /// An unnamed file in the private `tmp` folder, for data too large to
    /// hold in memory; it is gone when closed.
    pub fn spill(&self) -> Result<Spill> {
        let dir = self.dir.join("tmp");
        let made = MadeDirs(
            dir.ancestors()
                .take_while(|d| !d.exists())
                .map(Path::to_path_buf)
                .collect(),
        );
        // Another process that made the folder may remove it at any moment.
        let mut tries = 0;
        let file = loop {
            fsutil::create_private_dir(&dir)?;
            match temp::unnamed_in(&dir) {
                Err(e) if e.is_not_found() && tries < 3 => tries += 1,
                file => break file?,
            }
        };
        Ok(Spill { file, made })
    }
}

/// An unnamed file of a [`Scratch`] directory (see [`Scratch::spill`]).
pub struct Spill {
    /// The file, open for reading and writing.
    pub file: File,
    /// The folders made for it, removed again when it is done with.
    pub made: MadeDirs,
}

/// The folders a spill file needed made (the store's own, on its first use),
/// deepest first: they are removed again, where empty, when it is done with,
/// so a refused import leaves no trace. The `tmp` folder itself is always
/// empty, its files having no name.
pub struct MadeDirs(Vec<PathBuf>);

impl Drop for MadeDirs {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;
    use crate::name::CacheName;

    const LOCATION: &str = "redis://cache.example:6379/0";

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    /// Where the sidecar of [`LOCATION`] goes under `base`.
    fn expected(base: &Path) -> PathBuf {
        let hash = blake3::hash(LOCATION.as_bytes()).to_hex();
        base.canonicalize().unwrap().join(hash.as_str())
    }

    /// Why the sidecar of [`LOCATION`] in `base` is refused.
    fn refusal(base: &Path) -> String {
        Scratch::sidecar_in(base, LOCATION).unwrap_err().to_string()
    }

    #[test]
    fn a_sidecar_is_made_private_and_keeps_notes_and_spills() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("cache/cacheman/sidecar");
        let scratch = Scratch::sidecar_in(&base, LOCATION).unwrap();
        assert_eq!(scratch.dir(), expected(&base));
        assert_eq!(mode(scratch.dir()), 0o700);
        assert_eq!(mode(&base), 0o700);
        let cache = CacheName::new("c").unwrap();
        scratch.notes().write(&cache, &[3; 32], b"body").unwrap();
        assert_eq!(
            scratch.notes().read(&cache, &[3; 32]).unwrap().unwrap(),
            b"body"
        );
        assert_eq!(mode(&scratch.dir().join("run-notes/c")), 0o700);
        drop(scratch.spill().unwrap());
        let again = Scratch::sidecar_in(&base, LOCATION).unwrap();
        assert_eq!(
            again.dir(),
            scratch.dir(),
            "the same store, the same sidecar"
        );
        let other = Scratch::sidecar_in(&base, "redis://elsewhere:6379/0").unwrap();
        assert_ne!(other.dir(), scratch.dir());
    }

    #[test]
    fn a_sidecar_planted_as_a_link_is_refused_and_nothing_is_written_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("sidecar");
        std::fs::create_dir_all(&base).unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o700)).unwrap();
        symlink(&outside, expected(&base)).unwrap();
        let refused = refusal(&base);
        assert!(refused.contains("symbolic link"), "{refused}");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    }

    #[test]
    fn a_sidecar_someone_else_owns_or_can_change_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("sidecar");
        std::fs::create_dir_all(&base).unwrap();
        let sidecar = expected(&base);
        std::fs::create_dir(&sidecar).unwrap();
        std::fs::set_permissions(&sidecar, std::fs::Permissions::from_mode(0o777)).unwrap();
        let refused = refusal(&base);
        assert!(refused.contains("mode 0777"), "{refused}");
        std::fs::set_permissions(&sidecar, std::fs::Permissions::from_mode(0o700)).unwrap();
        let stranger = rustix::fs::Uid::from_raw(54321);
        if rustix::fs::chown(&sidecar, Some(stranger), None).is_err() {
            return; // Not root: no other owner can be given.
        }
        let refused = refusal(&base);
        assert!(refused.contains("owned by uid 54321"), "{refused}");
    }

    #[test]
    fn a_sidecar_folder_others_can_change_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("sidecar");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o775)).unwrap();
        let refused = refusal(&base);
        assert!(refused.contains("mode 0775"), "{refused}");
        assert!(!expected(&base).exists(), "nothing made in it");
    }
}
