//! Hashing declared inputs (`--input`: files, directories, globs) by content,
//! with a stat fingerprint cache so that unchanged files are not read again.
//!
//! A fingerprint (device, inode, size, mtime, ctime) is only trusted if the file
//! had not been touched for two seconds when it was taken: a file written in the
//! same clock tick as the fingerprint (git's "racy" case, or a coarse-grained
//! file system) is re-hashed until it settles.
//!
//! What each input stands for is found by [`walk`]; a symbolic link met in a
//! walk is keyed by its target and by what it resolves to, and FIFOs, sockets
//! and devices by their kind, without opening them.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};
use crate::file_stamp::FileStamp;
use crate::run::key::{Content, Input};
use crate::run::walk::{self, Found, What};

/// A trusted content hash: the file's absolute path, fingerprint and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub path: Vec<u8>,
    pub fingerprint: FileStamp,
    pub hash: [u8; 32],
}

/// Hashes inputs, reusing trusted hashes from an earlier run.
pub struct InputHasher {
    cwd: PathBuf,
    /// The store's directory, left out of walks.
    store: PathBuf,
    earlier: HashMap<Vec<u8>, (FileStamp, [u8; 32])>,
    /// When this run's fingerprints were taken (ns since the Unix epoch).
    taken_ns: i128,
    /// The trusted hashes to keep for the next run.
    pub known: Vec<Known>,
    /// Some file was read whose hash can be trusted from now on.
    pub learned: bool,
    /// What to warn about when the command runs: inputs that stand for nothing.
    pub unmatched: Vec<String>,
}

impl InputHasher {
    pub fn new(cwd: &Path, store: &Path, earlier: Vec<Known>) -> InputHasher {
        let taken_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        InputHasher {
            cwd: cwd.to_path_buf(),
            store: cwd.join(store),
            earlier: earlier
                .into_iter()
                .map(|k| (k.path, (k.fingerprint, k.hash)))
                .collect(),
            taken_ns,
            known: Vec::new(),
            learned: false,
            unmatched: Vec::new(),
        }
    }

    /// Hashes every input, sorted by how it was written and without repeats.
    pub fn hash_all(&mut self, specs: &[OsString]) -> Result<Vec<Input>> {
        let mut specs: Vec<&OsString> = specs.iter().collect();
        specs.sort();
        specs.dedup();
        specs.into_iter().map(|spec| self.hash_one(spec)).collect()
    }

    fn hash_one(&mut self, spec: &OsStr) -> Result<Input> {
        let covered = walk::covered(spec, &self.cwd, &self.store)?;
        let mut files = Vec::new();
        for entry in &covered.found {
            let content = self.hash(entry)?;
            files.push((entry.shown.as_os_str().as_bytes().to_vec(), content));
        }
        let shown = spec.to_string_lossy();
        if covered.literal && files.first().is_some_and(|(_, c)| *c == Content::Missing) {
            self.unmatched.push(format!(
                "--input {shown:?} does not exist (keyed as missing)"
            ));
        } else if !covered.matched {
            self.unmatched
                .push(format!("--input {shown:?} matches nothing"));
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Input {
            spec: spec.as_bytes().to_vec(),
            files,
        })
    }

    /// What a found path holds.
    fn hash(&mut self, found: &Found) -> Result<Content> {
        let absolute = &found.absolute;
        match &found.what {
            What::Unread => {
                let meta = fs::symlink_metadata(absolute).at(absolute)?;
                self.content(absolute, &meta)
            }
            What::Read(meta) => self.resolved(absolute, meta.as_ref()),
            What::Link(target, meta) => {
                let resolved = self.resolved(absolute, meta.as_ref())?;
                Ok(Content::Symlink(target.clone(), Box::new(resolved)))
            }
        }
    }

    /// What a path holds, from its metadata following links.
    fn resolved(&mut self, absolute: &Path, meta: Option<&Metadata>) -> Result<Content> {
        match meta {
            None => Ok(Content::Missing),
            Some(meta) if meta.is_dir() => Ok(Content::Dir),
            Some(meta) => self.content(absolute, meta),
        }
    }

    /// A regular file by content; anything else by its kind, never opened.
    fn content(&mut self, absolute: &Path, meta: &Metadata) -> Result<Content> {
        let kind = meta.file_type();
        if kind.is_file() {
            return self.content_hash(absolute, meta).map(Content::File);
        }
        let code = [
            kind.is_fifo(),
            kind.is_socket(),
            kind.is_char_device(),
            kind.is_block_device(),
        ]
        .iter()
        .position(|&is| is)
        .map_or(0, |i| i as u8 + 1);
        Ok(Content::Special {
            kind: code,
            rdev: meta.rdev(),
        })
    }

    /// The BLAKE3 hash of a file, from a trusted fingerprint when it matches.
    fn content_hash(&mut self, absolute: &Path, meta: &Metadata) -> Result<[u8; 32]> {
        let key = absolute.as_os_str().as_bytes().to_vec();
        let fingerprint = FileStamp::of(meta);
        let reused = self
            .earlier
            .get(&key)
            .filter(|(earlier, _)| *earlier == fingerprint)
            .map(|(_, hash)| *hash);
        let hash = match reused {
            Some(hash) => hash,
            None => {
                let mut hasher = blake3::Hasher::new();
                let file = File::open(absolute).at(absolute)?;
                hasher.update_reader(file).at(absolute)?;
                if fingerprint.settled(self.taken_ns) {
                    self.learned = true;
                }
                *hasher.finalize().as_bytes()
            }
        };
        if fingerprint.settled(self.taken_ns) {
            self.known.push(Known {
                path: key,
                fingerprint,
                hash,
            });
        }
        Ok(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matching_fingerprint_short_cuts_the_hash_and_a_fresh_file_is_not_trusted() {
        let dir = std::env::temp_dir().join(format!("cacheman-inputs-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("a"), "content").unwrap();
        let meta = fs::metadata(dir.join("a")).unwrap();
        let remembered = Known {
            path: dir.join("a").as_os_str().as_bytes().to_vec(),
            fingerprint: FileStamp::of(&meta),
            hash: [7; 32],
        };
        let mut hasher = InputHasher::new(&dir, &dir.join(".store"), vec![remembered.clone()]);
        let inputs = hasher.hash_all(&["a".into()]).unwrap();
        assert_eq!(inputs[0].files[0].1, Content::File([7; 32]), "not re-read");
        assert!(
            hasher.known.is_empty(),
            "written just now: not trusted next time"
        );
        fs::write(dir.join("a"), "CONTENT").unwrap();
        let mut hasher = InputHasher::new(&dir, &dir.join(".store"), vec![remembered]);
        let inputs = hasher.hash_all(&["a".into()]).unwrap();
        let real = *blake3::hash(b"CONTENT").as_bytes();
        assert_eq!(
            inputs[0].files[0].1,
            Content::File(real),
            "a changed file is re-read"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
