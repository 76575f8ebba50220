//! Hashing declared inputs (`--input`: files, directories, globs) by content,
//! with a stat fingerprint cache so that unchanged files are not read again.
//!
//! A fingerprint (device, inode, size, mtime, ctime) is only trusted if the file
//! had not been touched for two seconds when it was taken: a file written in the
//! same clock tick as the fingerprint (git's "racy" case, or a coarse-grained
//! file system) is re-hashed until it settles.
//!
//! A path that exists is taken literally even if it looks like a glob. Walks
//! leave out the store's own directory, key a symbolic link by its target and
//! by what it resolves to (walking a linked directory, but never into a
//! directory it is already inside), and key FIFOs, sockets and devices by their
//! kind without opening them.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, FileType, Metadata};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use globset::GlobBuilder;
use rustix::io::Errno;
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
    /// The store's directory, left out of walks.
    store: PathBuf,
    /// Its name and (device, inode), looked up on the first walk; `None` when
    /// it does not exist.
    store_id: OnceCell<Option<(OsString, (u64, u64))>>,
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

/// The bytes that make an `--input` a glob (unless the path exists as written).
const GLOB_BYTES: &[u8] = b"*?[{";

/// A path an input stands for, not yet hashed.
struct Found {
    shown: PathBuf,
    absolute: PathBuf,
    what: What,
}

/// What is known of a found path; `None` metadata means nothing is there.
enum What {
    /// An entry of a walk that is neither a directory nor a link, not yet read.
    Unread,
    /// A literal path, read following links.
    Read(Option<Metadata>),
    /// A symbolic link met walking: its target, and what it resolves to.
    Link(Vec<u8>, Option<Metadata>),
}

impl InputHasher {
    pub fn new(cwd: &Path, store: &Path, earlier: Vec<Known>) -> InputHasher {
        let taken_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        InputHasher {
            cwd: cwd.to_path_buf(),
            store: cwd.join(store),
            store_id: OnceCell::new(),
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
        if spec.is_empty() {
            return Err(Error::usage_with_hint(
                "--input needs a path; it was empty",
                "write --input . for the working directory",
            ));
        }
        let text = spec.as_bytes();
        let path = Path::new(spec);
        let literal = !text.iter().any(|b| GLOB_BYTES.contains(b))
            || fs::symlink_metadata(self.cwd.join(path)).is_ok();
        let found = if literal {
            self.literal(path)?
        } else {
            self.glob(spec)?
        };
        let mut files = Vec::new();
        for entry in found {
            let content = self.hash(&entry)?;
            files.push((entry.shown.as_os_str().as_bytes().to_vec(), content));
        }
        if literal && files.first().is_some_and(|(_, c)| *c == Content::Missing) {
            self.unmatched.push(format!(
                "--input {:?} does not exist (keyed as missing)",
                spec.to_string_lossy()
            ));
        } else if !literal && files.is_empty() {
            self.unmatched.push(format!(
                "--input {:?} matches nothing",
                spec.to_string_lossy()
            ));
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Input {
            spec: text.to_vec(),
            files,
        })
    }

    /// What a literal path stands for: itself, or all under a directory.
    fn literal(&self, path: &Path) -> Result<Vec<Found>> {
        let absolute = self.cwd.join(path);
        let meta = match fs::metadata(&absolute) {
            Ok(meta) if meta.is_dir() => {
                let mut found = Vec::new();
                self.walk(&absolute, path, &mut Vec::new(), &mut found)?;
                return Ok(found);
            }
            Ok(meta) => Some(meta),
            Err(e) if is_absent(&e) => None,
            Err(e) => return Err(e).at(&absolute),
        };
        Ok(vec![Found {
            shown: path.to_path_buf(),
            absolute,
            what: What::Read(meta),
        }])
    }

    /// What a glob matches, walking from its literal leading directories.
    fn glob(&self, spec: &OsStr) -> Result<Vec<Found>> {
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
            .take_while(|c| {
                !c.as_os_str()
                    .as_bytes()
                    .iter()
                    .any(|b| GLOB_BYTES.contains(b))
            })
            .collect();
        let start = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let mut found = Vec::new();
        self.walk(&self.cwd.join(&start), &start, &mut Vec::new(), &mut found)?;
        for entry in &mut found {
            if let Ok(shown) = entry.shown.strip_prefix("./") {
                entry.shown = shown.to_path_buf();
            }
        }
        found.retain(|entry| matcher.is_match(&entry.shown));
        Ok(found)
    }

    /// Every entry under the directory `shown` (on disk at `absolute`) but the
    /// directories themselves, sorted; symbolic links to directories are listed
    /// and walked. `links` holds the (canonical) directories entered through
    /// links on the way here: a link to a directory holding one of them, or
    /// this one, is not walked again.
    fn walk(
        &self,
        absolute: &Path,
        shown: &Path,
        links: &mut Vec<PathBuf>,
        found: &mut Vec<Found>,
    ) -> Result<()> {
        let mut entries: Vec<(OsString, FileType)> = match fs::read_dir(absolute) {
            Ok(listing) => listing
                .map(|entry| {
                    let entry = entry?;
                    Ok((entry.file_name(), entry.file_type()?))
                })
                .collect::<io::Result<_>>()
                .at(absolute)?,
            Err(e) if is_absent(&e) => return Ok(()),
            Err(e) => return Err(e).at(absolute),
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, file_type) in entries {
            let (absolute, shown) = (absolute.join(&name), shown.join(&name));
            if file_type.is_dir() {
                if !self.is_store(&name, || fs::symlink_metadata(&absolute)) {
                    self.walk(&absolute, &shown, links, found)?;
                }
                continue;
            }
            if !file_type.is_symlink() {
                found.push(Found {
                    shown,
                    absolute,
                    what: What::Unread,
                });
                continue;
            }
            let target = fs::read_link(&absolute).at(&absolute)?;
            let resolved = match fs::metadata(&absolute) {
                Ok(meta) => Some(meta),
                Err(e) if is_absent(&e) => None,
                Err(e) => return Err(e).at(&absolute),
            };
            let into_dir = resolved
                .as_ref()
                .is_some_and(|meta| meta.is_dir() && !self.is_store(&name, || Ok(meta.clone())));
            found.push(Found {
                shown: shown.clone(),
                absolute: absolute.clone(),
                what: What::Link(target.into_os_string().into_vec(), resolved),
            });
            if into_dir && let Some(canonical) = self.unvisited(&absolute, links)? {
                links.push(canonical);
                self.walk(&absolute, &shown, links, found)?;
                links.pop();
            }
        }
        Ok(())
    }

    /// The canonical path of the linked directory at `link`, unless walking it
    /// would go round in a loop: it holds the directory the link is in, or one
    /// entered through a link on the way there.
    fn unvisited(&self, link: &Path, links: &[PathBuf]) -> Result<Option<PathBuf>> {
        let target = fs::canonicalize(link).at(link)?;
        let here = link.parent().unwrap_or(link);
        let here = fs::canonicalize(here).at(here)?;
        let inside = |dir: &PathBuf| dir.starts_with(&target);
        Ok((!inside(&here) && !links.iter().any(inside)).then_some(target))
    }

    /// True if the directory `name`, whose metadata `meta` gives, is the store.
    /// Only a directory of the store's own name is looked at.
    fn is_store(&self, name: &OsStr, meta: impl FnOnce() -> io::Result<Metadata>) -> bool {
        let store = self.store_id.get_or_init(|| {
            let canonical = fs::canonicalize(&self.store).ok()?;
            let meta = fs::metadata(&canonical).ok()?;
            Some((canonical.file_name()?.to_owned(), (meta.dev(), meta.ino())))
        });
        match store {
            Some((store_name, id)) if store_name == name => {
                meta().is_ok_and(|meta| (meta.dev(), meta.ino()) == *id)
            }
            _ => false,
        }
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

/// True for an error that means nothing is at the path (or a link that leads
/// nowhere).
fn is_absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || [Errno::LOOP, Errno::NOTDIR]
            .iter()
            .any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
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
