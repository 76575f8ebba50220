//! Declared outputs (`--output PATH`): archived into a run's result after the
//! command succeeds, and restored on a hit byte for byte, with their permission
//! bits and modification times.

use std::fs::{self, File, FileTimes, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::local::codec;
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
    } else {
        Kind::File
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

/// Restores outputs from a result's frames, one `Output` frame (and the
/// `Content` frame after it) at a time; directories get their times last.
#[derive(Default)]
pub struct Restorer {
    /// Directories restored so far, with their times, set when all is done.
    dirs: Vec<(PathBuf, SystemTime)>,
}

impl Restorer {
    /// Restores one archived path; a file's content is read from `content`.
    pub fn restore(&mut self, meta: &Meta, content: Option<&mut dyn Read>) -> Result<()> {
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(&meta.path));
        let mtime = time_of(meta.mtime_ns);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).at(parent)?;
        }
        match (&meta.kind, content) {
            (Kind::Dir, _) => {
                match fs::create_dir(&path) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e).at(&path),
                    _ => {}
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

fn write_file(tmp: &Path, content: &mut dyn Read, mode: u32, mtime: SystemTime) -> Result<()> {
    let result = (|| {
        let mut file = File::create(tmp)?;
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

/// A hidden name beside `path` for writing before the rename.
fn temp_sibling(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(
        ".{name}.cacheman-{}",
        crate::clock::unique_suffix()
    ))
}

fn time_of(ns: i128) -> SystemTime {
    let magnitude = Duration::from_nanos(u64::try_from(ns.unsigned_abs()).unwrap_or(u64::MAX));
    if ns >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}
