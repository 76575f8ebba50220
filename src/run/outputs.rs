//! Declared outputs (`--output PATH`: regular files, directories, symbolic
//! links): archived into a run's result after the command succeeds, and
//! restored on a hit byte for byte, with their permission bits and
//! modification times. A restored directory keeps files it holds that the
//! result does not, as it would after running the command. Only what this call
//! declared is restored: a stored path elsewhere, or reached through a symbolic
//! link inside a declared directory, refuses the whole result.

use std::collections::HashSet;
use std::fs::{self, File, FileTimes, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::files::codec;
use crate::run::replay::ReplayError;
use crate::run::transcript::{self, Tag};

/// One archived path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub path: Vec<u8>,
    pub kind: Kind,
    /// Permission bits.
    pub mode: u32,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A regular file; its bytes follow in a `Content` frame.
    File,
    Dir,
    Symlink(Vec<u8>),
}

/// Archives every declared output (directories with all they hold) as frames.
/// A missing output is an error naming it.
pub fn archive(paths: &[PathBuf], out: &mut dyn Write, spool: &Path) -> Result<()> {
    for path in paths {
        archive_path(path, out, spool)?;
    }
    Ok(())
}

fn archive_path(path: &Path, out: &mut dyn Write, spool: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(path).at(path)?;
    let kind = if meta.is_dir() {
        Kind::Dir
    } else if meta.file_type().is_symlink() {
        Kind::Symlink(fs::read_link(path).at(path)?.into_os_string().into_vec())
    } else if meta.is_file() {
        Kind::File
    } else {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: io::Error::other(
                "not a regular file, directory or symbolic link, so it cannot be an output",
            ),
        });
    };
    let record = Meta {
        path: path.as_os_str().as_bytes().to_vec(),
        kind,
        mode: meta.mode() & 0o7777,
        mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
    };
    transcript::write_frame(out, Tag::Output, &codec::encode(&record)).at(spool)?;
    match record.kind {
        Kind::File => {
            let file = File::open(path).at(path)?;
            transcript::write_frame_head(out, Tag::Content, meta.len()).at(spool)?;
            let copied = io::copy(&mut file.take(meta.len()), out).at(spool)?;
            if copied != meta.len() {
                return Err(Error::Io {
                    path: path.to_path_buf(),
                    source: io::Error::other("the output changed while it was being stored"),
                });
            }
        }
        Kind::Dir => {
            let mut children: Vec<PathBuf> = fs::read_dir(path)
                .at(path)?
                .map(|entry| entry.map(|e| e.path()))
                .collect::<io::Result<_>>()
                .at(path)?;
            children.sort();
            for child in children {
                archive_path(&child, out, spool)?;
            }
        }
        Kind::Symlink(_) => {}
    }
    Ok(())
}

/// Why a stored output path is not restored (the result is then not used).
#[derive(Debug)]
pub struct Refused(pub String);

/// The `--output` paths of this call: what a stored result may restore.
pub struct Declared<'a>(pub &'a [PathBuf]);

impl Declared<'_> {
    /// The declared output that `stored` is, or lies beneath (by plain names,
    /// no `..`), with the part below it (empty for the output itself).
    pub fn locate<'p>(&self, stored: &'p Path) -> Result<(&Path, &'p Path), Refused> {
        for declared in self.0 {
            if let Ok(below) = stored.strip_prefix(declared)
                && below
                    .components()
                    .all(|c| matches!(c, Component::Normal(_)))
            {
                return Ok((declared, below));
            }
        }
        Err(Refused(format!(
            "it names an output this run did not declare: {}",
            shown(stored)
        )))
    }
}

/// A stored path as a warning shows it: quoted, any control character escaped.
fn shown(path: &Path) -> String {
    format!("{:?}", path.as_os_str().to_string_lossy())
}

/// Creates what is missing of the directories `dirs` under the declared
/// directory `root`, refusing any of them, `root` included, that exists as
/// anything but a directory: a symbolic link there could lead out of it.
fn enter_beneath(root: &Path, dirs: &Path) -> Result<(), Refused> {
    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| Refused(format!("{}: {e}", parent.display())))?;
    }
    let mut dir = root.to_path_buf();
    enter(&dir)?;
    for name in dirs.components() {
        dir.push(name);
        enter(&dir)?;
    }
    Ok(())
}

/// Makes sure `dir` is a directory itself (not a link to one), creating it if missing.
fn enter(dir: &Path) -> Result<(), Refused> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(Refused(format!(
            "a stored output lies beneath {}, which is a symbolic link or not a directory",
            shown(dir)
        ))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir(dir).map_err(|e| Refused(format!("{}: {e}", dir.display())))
        }
        Err(e) => Err(Refused(format!("{}: {e}", dir.display()))),
    }
}

/// Restores outputs from a result's frames, one `Output` frame (and the
/// `Content` frame after it) at a time; directories get their times last.
/// Files are written under a temporary name beside their place, readable by
/// the owner alone until they get their mode; the temporary files that a
/// killed restore left in a directory are removed when it is next restored into.
pub struct Restorer<'a> {
    /// What may be restored.
    declared: Declared<'a>,
    /// Directories restored so far, with their times, set when all is done.
    dirs: Vec<(PathBuf, SystemTime)>,
    /// Directories already cleared of leftover temporary files.
    swept: HashSet<PathBuf>,
}

impl<'a> Restorer<'a> {
    pub fn new(declared: &'a [PathBuf]) -> Restorer<'a> {
        Restorer {
            declared: Declared(declared),
            dirs: Vec::new(),
            swept: HashSet::new(),
        }
    }

    /// Restores one archived path, if it is a declared output or lies beneath
    /// one; a file's content is read from `content`.
    pub fn restore(
        &mut self,
        meta: &Meta,
        content: Option<&mut dyn Read>,
    ) -> Result<(), ReplayError> {
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(&meta.path));
        let (root, below) = self.declared.locate(&path)?;
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        match below.parent() {
            Some(dirs) => enter_beneath(root, dirs)?,
            None => {
                if let Some(parent) = parent {
                    fs::create_dir_all(parent)
                        .at(parent)
                        .map_err(ReplayError::Failed)?;
                }
            }
        }
        let dir = parent.unwrap_or(Path::new(".")).to_path_buf();
        if !self.swept.contains(&dir) {
            sweep_leftovers(&dir);
            self.swept.insert(dir);
        }
        self.put(meta, &path, content).map_err(ReplayError::Failed)
    }

    /// Puts one archived path in place, its directory being there.
    fn put(&mut self, meta: &Meta, path: &Path, content: Option<&mut dyn Read>) -> Result<()> {
        let path = path.to_path_buf();
        let mtime = time_of(meta.mtime_ns);
        match (&meta.kind, content) {
            (Kind::Dir, _) => {
                match fs::create_dir(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists && is_dir(&path) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        return Err(io::Error::other("it exists and is not a directory")).at(&path);
                    }
                    Err(e) => return Err(e).at(&path),
                }
                fs::set_permissions(&path, Permissions::from_mode(meta.mode)).at(&path)?;
                self.dirs.push((path, mtime));
            }
            (Kind::Symlink(target), _) => {
                let tmp = temp_sibling(&path);
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), &tmp).at(&tmp)?;
                rename_into_place(&tmp, &path)?;
            }
            (Kind::File, Some(content)) => {
                let tmp = temp_sibling(&path);
                let written = write_file(&tmp, content, meta.mode, mtime);
                written.and_then(|()| rename_into_place(&tmp, &path))?;
            }
            (Kind::File, None) => {
                return Err(Error::corrupt(
                    &path,
                    0,
                    "an output file without its content",
                ));
            }
        }
        Ok(())
    }

    /// Sets the directories' times, deepest first, once their contents are back.
    pub fn finish(self) -> Result<()> {
        for (dir, mtime) in self.dirs.iter().rev() {
            File::open(dir)
                .and_then(|d| d.set_times(FileTimes::new().set_modified(*mtime)))
                .at(dir)?;
        }
        Ok(())
    }
}

/// True for a directory itself, not a link to one.
fn is_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir())
}

fn write_file(tmp: &Path, content: &mut dyn Read, mode: u32, mtime: SystemTime) -> Result<()> {
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(tmp)?;
        io::copy(content, &mut file)?;
        file.set_permissions(Permissions::from_mode(mode))?;
        file.set_times(FileTimes::new().set_modified(mtime))
    })();
    if result.is_err() {
        let _ = fs::remove_file(tmp);
    }
    result.at(tmp)
}

fn rename_into_place(tmp: &Path, path: &Path) -> Result<()> {
    let renamed = fs::rename(tmp, path);
    if renamed.is_err() {
        let _ = fs::remove_file(tmp);
    }
    renamed.at(path)
}

/// What the names of temporary files carry, between the output's name and
/// the writer's `PID.N`.
const TEMP_MARK: &str = ".cacheman-";

/// A hidden name beside `path` for writing before the rename:
/// `.NAME.cacheman-PID.N`.
fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(
        ".{name}{TEMP_MARK}{}",
        crate::clock::unique_suffix()
    ))
}

/// Removes the temporary files in `dir` whose writer is dead (a restore killed
/// part way). Best-effort: whatever cannot be read or removed stays.
fn sweep_leftovers(dir: &Path) {
    let Ok(listing) = fs::read_dir(dir) else {
        return;
    };
    for entry in listing.flatten() {
        let name = entry.file_name();
        if writer_of(name.as_bytes()).is_some_and(|pid| !is_alive(pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The PID in a temporary file's name `.NAME.cacheman-PID.N`.
fn writer_of(name: &[u8]) -> Option<i32> {
    let rest = name.strip_prefix(b".")?;
    let mark = TEMP_MARK.as_bytes();
    let at = rest.windows(mark.len()).rposition(|w| w == mark)?;
    let suffix = std::str::from_utf8(&rest[at + mark.len()..]).ok()?;
    let (pid, n) = suffix.split_once('.')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// True unless no process has this PID.
fn is_alive(pid: i32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return true;
    };
    rustix::process::test_kill_process(pid) != Err(rustix::io::Errno::SRCH)
}

fn time_of(ns: i128) -> SystemTime {
    let magnitude = Duration::from_nanos(u64::try_from(ns.unsigned_abs()).unwrap_or(u64::MAX));
    if ns >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_paths_and_plain_names_beneath_them_are_located() {
        let paths = [PathBuf::from("out.txt"), PathBuf::from("gen/")];
        let declared = Declared(&paths);
        let located = |p: &str| {
            declared
                .locate(Path::new(p))
                .map(|(_, below)| below.to_owned())
        };
        assert_eq!(located("out.txt").unwrap(), Path::new(""));
        assert_eq!(located("gen").unwrap(), Path::new(""));
        assert_eq!(located("gen/a/b").unwrap(), Path::new("a/b"));
        for refused in [
            "/tmp/EVIL",
            "gen/../x",
            "gen/a/../../x",
            "out.txt/../x",
            "other",
            "gen2/a",
        ] {
            assert!(located(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_temporary_name_gives_its_writer() {
        let tmp = temp_sibling(Path::new("out/a.cacheman-x.bin"));
        let name = tmp.file_name().unwrap().as_bytes();
        assert_eq!(writer_of(name), Some(std::process::id() as i32));
        assert!(is_alive(std::process::id() as i32));
        for other in [
            &b"a.cacheman-1.2"[..],
            b".a.cacheman-1",
            b".a.cacheman-x.2",
            b".a",
        ] {
            assert_eq!(writer_of(other), None, "{}", String::from_utf8_lossy(other));
        }
    }
}
