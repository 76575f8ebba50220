//! Hashing declared inputs (`--input`: files, directories, globs) by content,
//! with a stat fingerprint cache so that unchanged files are not read again.
//!
//! A fingerprint (device, inode, size, mtime, ctime) is only trusted if the file
//! had not been touched for two seconds when it was taken: a file written in the
//! same clock tick as the fingerprint (git's "racy" case, or a coarse-grained
//! file system) is re-hashed until it settles.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use globset::GlobBuilder;
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::file_stamp::FileStamp;
use crate::run::key::{Content, Input};

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
    earlier: HashMap<Vec<u8>, (FileStamp, [u8; 32])>,
    /// When this run's fingerprints were taken (ns since the Unix epoch).
    taken_ns: i128,
    /// The trusted hashes to keep for the next run.
    pub known: Vec<Known>,
    /// Some file was read whose hash can be trusted from now on.
    pub learned: bool,
}

impl InputHasher {
    pub fn new(cwd: &Path, earlier: Vec<Known>) -> InputHasher {
        let taken_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        InputHasher {
            cwd: cwd.to_path_buf(),
            earlier: earlier
                .into_iter()
                .map(|k| (k.path, (k.fingerprint, k.hash)))
                .collect(),
            taken_ns,
            known: Vec::new(),
            learned: false,
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
        let text = spec.as_bytes();
        let paths = if text.iter().any(|b| b"*?[{".contains(b)) {
            self.glob(spec)?
        } else {
            vec![PathBuf::from(spec)]
        };
        let mut files = Vec::new();
        for path in paths {
            self.add(&path, &mut files)?;
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Input {
            spec: text.to_vec(),
            files,
        })
    }

    /// The files a glob matches, walking from its literal leading directories.
    fn glob(&self, spec: &OsStr) -> Result<Vec<PathBuf>> {
        let text = spec.to_string_lossy();
        let matcher = GlobBuilder::new(&text)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                Error::usage_with_hint(
                    format!("--input {text:?} is not a valid glob ({e})"),
                    "quote globs so the shell leaves them alone: --input 'src/**/*.c'",
                )
            })?
            .compile_matcher();
        let base: PathBuf = Path::new(spec)
            .components()
            .take_while(|c| !c.as_os_str().as_bytes().iter().any(|b| b"*?[{".contains(b)))
            .collect();
        let mut found = Vec::new();
        let start = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base.clone()
        };
        walk(&self.cwd.join(&start), &start, &mut found)?;
        found.retain(|p| {
            let shown = p.strip_prefix("./").unwrap_or(p);
            matcher.is_match(shown)
        });
        Ok(found
            .into_iter()
            .map(|p| p.strip_prefix("./").map(Path::to_path_buf).unwrap_or(p))
            .collect())
    }

    /// Adds what `path` holds: a file, every file under a directory, or a note
    /// that it is missing.
    fn add(&mut self, path: &Path, files: &mut Vec<(Vec<u8>, Content)>) -> Result<()> {
        let absolute = self.cwd.join(path);
        let shown = path.as_os_str().as_bytes().to_vec();
        let meta = match fs::metadata(&absolute) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                files.push((shown, Content::Missing));
                return Ok(());
            }
            Err(e) => return Err(e).at(&absolute),
        };
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(&absolute, path, &mut found)?;
            for file in found {
                self.add_entry(&file, files)?;
            }
            return Ok(());
        }
        let hash = self.content_hash(&absolute, &meta)?;
        files.push((shown, Content::File(hash)));
        Ok(())
    }

    /// Adds one entry found walking a directory (symbolic links are not followed).
    fn add_entry(&mut self, path: &Path, files: &mut Vec<(Vec<u8>, Content)>) -> Result<()> {
        let absolute = self.cwd.join(path);
        let meta = fs::symlink_metadata(&absolute).at(&absolute)?;
        let content = if meta.file_type().is_symlink() {
            let target = fs::read_link(&absolute).at(&absolute)?;
            Content::Symlink(target.as_os_str().as_bytes().to_vec())
        } else {
            Content::File(self.content_hash(&absolute, &meta)?)
        };
        files.push((path.as_os_str().as_bytes().to_vec(), content));
        Ok(())
    }

    /// The BLAKE3 hash of a file, from a trusted fingerprint when it matches.
    fn content_hash(&mut self, absolute: &Path, meta: &fs::Metadata) -> Result<[u8; 32]> {
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

/// Every non-directory under `dir` (found on disk at `absolute`), as paths
/// starting with `dir`, sorted.
fn walk(absolute: &Path, dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<(OsString, bool)> = match fs::read_dir(absolute) {
        Ok(listing) => listing
            .map(|entry| {
                let entry = entry?;
                Ok((entry.file_name(), entry.file_type()?.is_dir()))
            })
            .collect::<io::Result<_>>()
            .at(absolute)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).at(absolute),
    };
    entries.sort();
    for (name, is_dir) in entries {
        if is_dir {
            walk(&absolute.join(&name), &dir.join(&name), found)?;
        } else {
            found.push(dir.join(&name));
        }
    }
    Ok(())
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
        let mut hasher = InputHasher::new(&dir, vec![remembered.clone()]);
        let inputs = hasher.hash_all(&["a".into()]).unwrap();
        assert_eq!(inputs[0].files[0].1, Content::File([7; 32]), "not re-read");
        assert!(
            hasher.known.is_empty(),
            "written just now: not trusted next time"
        );
        fs::write(dir.join("a"), "CONTENT").unwrap();
        let mut hasher = InputHasher::new(&dir, vec![remembered]);
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
