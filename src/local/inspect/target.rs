//! What a path given to `inspect` is: a cacheman file, a cache directory (it
//! holds HEAD or record files) or a store directory (it holds a manifest or
//! `caches/`). Anything else is bad input, refused before anything is printed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::local::inspect::summary;
use crate::local::{counters, fsutil};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    File(PathBuf),
    Cache(PathBuf),
    Store(PathBuf),
}

/// Classifies a path. One reached through a symbolic link is named by where it
/// leads: inside a store, cacheman follows no link.
pub fn classify(path: &Path) -> Result<Target> {
    let canonical = match fsutil::symlink_on(path) {
        Some(_) => path.canonicalize().ok(),
        None => None,
    };
    let path = canonical.as_deref().unwrap_or(path);
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(Error::usage(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
        Err(e) => return Err(e).at(path),
    };
    if let Some(what) = fsutil::not_regular(&meta).filter(|_| !meta.is_dir()) {
        return Err(Error::usage(format!(
            "{}: not a cacheman file ({what})",
            path.display()
        )));
    }
    if !meta.is_dir() {
        summary::detect(path)?;
        return Ok(Target::File(path.to_path_buf()));
    }
    if path.join("manifest").exists() || path.join("caches").is_dir() {
        return Ok(Target::Store(path.to_path_buf()));
    }
    if path.join("HEAD").exists() || !record_files(path)?.is_empty() {
        return Ok(Target::Cache(path.to_path_buf()));
    }
    Err(Error::usage_with_hint(
        format!(
            "{}: not a cacheman store or cache directory",
            path.display()
        ),
        "a store holds `manifest` and `caches/`; a cache directory holds HEAD, snap.N and journal.N",
    ))
}

/// Whether a numbered file of a cache directory is a snapshot or a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Numbered {
    Snapshot,
    Journal,
}

/// A `snap.N` or `journal.N` file of a cache directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordFile {
    pub kind: Numbered,
    pub number: u64,
    pub path: PathBuf,
}

/// The snapshot and journal files of a cache directory: the snapshots, then
/// the journals, each by number (none when the directory does not exist).
pub fn record_files(dir: &Path) -> Result<Vec<RecordFile>> {
    let mut files = Vec::new();
    for item in fsutil::dir_entries(dir)? {
        let name = item.file_name();
        let Some((kind, number)) = name.to_str().and_then(|n| n.split_once('.')) else {
            continue;
        };
        let kind = match kind {
            "snap" => Numbered::Snapshot,
            "journal" => Numbered::Journal,
            _ => continue,
        };
        if let Ok(number) = number.parse::<u64>() {
            files.push(RecordFile {
                kind,
                number,
                path: item.path(),
            });
        }
    }
    files.sort();
    Ok(files)
}

/// Every file of a cache directory `inspect` summarises one by one: HEAD, the
/// record files, then the counters (blobs are summed up instead; the temporary
/// `counters.tmp.PID.N` of a reader making the file are left out).
pub fn cache_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let head = dir.join("HEAD");
    let counters = dir.join(counters::FILE_NAME);
    let mut files: Vec<PathBuf> = head.exists().then_some(head).into_iter().collect();
    files.extend(record_files(dir)?.into_iter().map(|file| file.path));
    files.extend(counters.exists().then_some(counters));
    Ok(files)
}

/// The cache directories of a store, sorted by name (hidden ones, a `drop` in
/// progress, left out).
pub fn store_caches(store: &Path) -> Result<Vec<PathBuf>> {
    cache_dirs(&store.join("caches"))
}

/// The directories in `folder` (a store's `caches/`, or the runtime folder of
/// its volatile caches), sorted, hidden ones left out; none when it is missing.
pub fn cache_dirs(folder: &Path) -> Result<Vec<PathBuf>> {
    Ok(listing(folder)?
        .into_iter()
        .filter(|path| path.is_dir())
        .collect())
}

/// What else `caches/` holds besides directories (hidden ones left out).
pub fn stray_files(store: &Path) -> Result<Vec<PathBuf>> {
    Ok(listing(&store.join("caches"))?
        .into_iter()
        .filter(|path| !path.is_dir())
        .collect())
}

/// Everything in `folder` but hidden names, sorted.
fn listing(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = fsutil::dir_entries(folder)?
        .into_iter()
        .filter(|item| !item.file_name().to_string_lossy().starts_with('.'))
        .map(|item| item.path())
        .collect();
    paths.sort();
    Ok(paths)
}
