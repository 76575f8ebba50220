//! The blob files of a cache as `verify` and `repair` see them: every file
//! under `blobs/`, checked against its header, its length, its content hash
//! and its name.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::local::blob::{self, BlobReader};
use crate::local::fsutil;
use crate::local::inspect::problem::Problem;

/// Checks one blob file whole: its header, its length, that its content hashes
/// to what the header says, and that it is named by that hash. Returns the hash
/// and length, or what is wrong with the file; a file that cannot be read (an
/// I/O error, such as a permission refused) is an error, not damage: it may be
/// intact.
pub fn check_blob(path: &Path) -> Result<Result<([u8; 32], u64), Problem>> {
    let blob = match read_whole(path) {
        Ok(blob) => blob,
        Err(e @ Error::Corrupt { .. }) => return Ok(Err(e.into())),
        Err(e) => return Err(e),
    };
    let hex = blake3::Hash::from_bytes(*blob.hash()).to_hex();
    if path.file_name() != Some(hex.as_str().as_ref()) {
        return Ok(Err(Problem::file(
            path,
            format!("the blob's content hashes to {hex}, not to its file name"),
        )));
    }
    Ok(Ok((*blob.hash(), blob.len())))
}

/// Opens a blob file and checks its header, length and content hash.
fn read_whole(path: &Path) -> Result<BlobReader> {
    fsutil::check_regular(path)?;
    let blob = BlobReader::open_path(path)?;
    blob.verify()?;
    Ok(blob)
}

/// The blob files of a cache: the sound ones by hash (with their lengths),
/// what is wrong with the others, and how many there are and their size.
#[derive(Debug, Default)]
pub struct StoredBlobs {
    pub sound: HashMap<[u8; 32], u64>,
    pub damaged: Vec<Problem>,
    pub files: u64,
    pub bytes: u64,
}

/// Checks every blob file under `blobs_dir`, calling `checked` with the size
/// of each. A blob deleted meanwhile (a sync or gc dropped its entry) is no
/// longer there to check.
pub fn check_all(blobs_dir: &Path, checked: &dyn Fn(u64)) -> Result<StoredBlobs> {
    let mut stored = StoredBlobs::default();
    if blobs_dir.metadata().is_ok_and(|meta| !meta.is_dir()) {
        stored.damaged.push(Problem::file(
            blobs_dir,
            "not a directory: no blob in it can be read",
        ));
        return Ok(stored);
    }
    for path in blob::files(blobs_dir)? {
        let Ok(meta) = path.symlink_metadata() else {
            continue;
        };
        match check_blob(&path) {
            Ok(Ok((hash, len))) => {
                stored.sound.insert(hash, len);
            }
            Err(e) if e.is_not_found() => continue,
            Ok(Err(_)) if path.symlink_metadata().is_err() => continue,
            Ok(Err(problem)) => stored.damaged.push(problem),
            Err(e) => return Err(e),
        }
        stored.files += 1;
        stored.bytes += meta.len();
        checked(meta.len());
    }
    Ok(stored)
}

/// The total size of the blob files under `blobs_dir` (what [`check_all`]
/// reads; 0 for what cannot be listed), for sizing a progress bar.
pub fn total_bytes(blobs_dir: &Path) -> u64 {
    blob::files(blobs_dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|path| path.symlink_metadata().ok())
        .map(|meta| meta.len())
        .sum()
}
