//! The blob files of a cache as `verify` and `repair` see them: every file
//! under `blobs/`, checked against its header, its length, its content hash
//! and its name.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Result;
use crate::inspect::problem::Problem;
use crate::local::blob::{self, BlobReader};
use crate::local::fsutil;

/// Checks one blob file whole: its header, its length, that its content hashes
/// to what the header says, and that it is named by that hash. Returns the hash
/// and length.
pub fn check_blob(path: &Path) -> Result<([u8; 32], u64), Problem> {
    fsutil::check_regular(path)?;
    let blob = BlobReader::open_path(path)?;
    blob.verify()?;
    let hex = blake3::Hash::from_bytes(*blob.hash()).to_hex();
    if path.file_name() != Some(hex.as_str().as_ref()) {
        return Err(Problem::file(
            path,
            format!("the blob's content hashes to {hex}, not to its file name"),
        ));
    }
    Ok((*blob.hash(), blob.len()))
}

/// The blob files of a cache: the sound ones by hash (with their lengths), and
/// what is wrong with the others.
#[derive(Debug, Default)]
pub struct StoredBlobs {
    pub sound: HashMap<[u8; 32], u64>,
    pub damaged: Vec<Problem>,
}

/// Checks every blob file under `blobs_dir`, calling `tick` after each.
pub fn check_all(blobs_dir: &Path, tick: &dyn Fn()) -> Result<StoredBlobs> {
    let mut stored = StoredBlobs::default();
    for path in blob::files(blobs_dir)? {
        match check_blob(&path) {
            Ok((hash, len)) => {
                stored.sound.insert(hash, len);
            }
            Err(problem) => stored.damaged.push(problem),
        }
        tick();
    }
    Ok(stored)
}
