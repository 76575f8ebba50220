//! What one `--input` stands for: a literal path (a directory with all under
//! it), or what a glob matches below its literal base, where a matched
//! directory stands for all under it too. Globs are walked only as deep as
//! they can match (see [`GlobTail`]).
//!
//! Walks list symbolic links and follow those that lead to directories, after
//! the tree itself, so that a directory is found where it is. They go through
//! each directory once (known by device and inode), never into one above where
//! the walk started, and never into the store.

use std::collections::{HashSet, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::{self, FileType, Metadata};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::error::{Error, IoContext, Result};
use crate::glob::{GlobTail, is_glob, split_glob};

/// A path an input stands for, not yet hashed.
pub struct Found {
    /// The path as the input names it (relative ones from the working directory).
    pub shown: PathBuf,
    pub absolute: PathBuf,
    pub what: What,
}

/// What is known of a found path; `None` metadata means nothing is there.
pub enum What {
    /// An entry of a walk that is neither a directory nor a link, not yet read.
    Unread,
    /// A literal path, read following links.
    Read(Option<Metadata>),
    /// A symbolic link met walking: its target, and what it resolves to.
    Link(Vec<u8>, Option<Metadata>),
}

/// What an input stands for.
pub struct Covered {
    pub found: Vec<Found>,
    /// False for a glob that matched nothing at all (not even a directory).
    pub matched: bool,
    /// The input was taken literally.
    pub literal: bool,
}

/// A directory's identity: (device, inode).
type DirId = (u64, u64);

/// Finds what `spec` stands for, relative paths taken from `cwd`, leaving out
/// the directory `store`. A path that exists is taken as written even if it
/// looks like a glob.
pub fn covered(spec: &OsStr, cwd: &Path, store: &Path) -> Result<Covered> {
    if spec.is_empty() {
        return Err(Error::usage_with_hint(
            "--input needs a path; it was empty",
            "write --input . for the working directory",
        ));
    }
    let path = Path::new(spec);
    let literal = !is_glob(spec.as_bytes()) || fs::symlink_metadata(cwd.join(path)).is_ok();
    let (base, tail) = match literal {
        true => (path.to_path_buf(), None),
        false => {
            let (base, rest) = split_glob(path);
            (base, Some(glob_tail(spec, &rest)?))
        }
    };
    let absolute = cwd.join(&base);
    let mut walk = Walk {
        store,
        store_id: None,
        tail,
        root: absolute.clone(),
        visited: HashSet::new(),
        above: None,
        links: VecDeque::new(),
        found: Vec::new(),
        matched: literal,
    };
    let meta = match fs::metadata(&absolute) {
        Ok(meta) => Some(meta),
        Err(e) if is_absent(&e) => None,
        Err(e) => return Err(e).at(&absolute),
    };
    match meta {
        Some(meta) if meta.is_dir() => walk.all(&absolute, &base, &meta)?,
        // A glob's base that is not a directory holds no match.
        _ if !literal => {}
        meta => walk.found.push(Found {
            shown: base,
            absolute,
            what: What::Read(meta),
        }),
    }
    Ok(Covered {
        found: walk.found,
        matched: walk.matched,
        literal,
    })
}

/// The wildcard part `rest` of the glob `spec`, compiled; errors name the input.
fn glob_tail(spec: &OsStr, rest: &Path) -> Result<GlobTail> {
    GlobTail::new(rest.as_os_str().as_bytes()).map_err(|e| match e {
        Error::Usage { message, hint } => Error::Usage {
            message: format!("--input {:?}: {message}", spec.to_string_lossy()),
            hint: hint.or_else(|| {
                Some("quote globs so the shell leaves them alone: --input 'src/**/*.c'".into())
            }),
        },
        other => other,
    })
}

/// Where a walk goes next: a directory, as shown, its path below the glob's
/// base, and whether all under it is covered (else what the glob matches).
struct Dir {
    absolute: PathBuf,
    shown: PathBuf,
    relative: PathBuf,
    whole: bool,
}

struct Walk<'a> {
    store: &'a Path,
    /// The store's identity, looked up at the first directory met; `Some(None)`
    /// when it does not exist.
    store_id: Option<Option<DirId>>,
    /// A glob's wildcard part; `None` for a literal path.
    tail: Option<GlobTail>,
    /// Where the walk started.
    root: PathBuf,
    /// Every directory walked so far.
    visited: HashSet<DirId>,
    /// The directories above the root, looked up at the first link to a
    /// directory: a link to one of them is not walked.
    above: Option<HashSet<DirId>>,
    /// Links to directories, walked once the tree itself is, so that a
    /// directory is found where it is rather than through a link to it.
    links: VecDeque<Dir>,
    found: Vec<Found>,
    matched: bool,
}

impl Walk<'_> {
    /// Walks the tree from the root directory, then the directories that links
    /// lead to and that were not walked yet.
    fn all(&mut self, absolute: &Path, shown: &Path, meta: &Metadata) -> Result<()> {
        let id = (meta.dev(), meta.ino());
        if self.is_store(id) {
            return Ok(());
        }
        self.visited.insert(id);
        let root = Dir {
            absolute: absolute.to_path_buf(),
            shown: shown.to_path_buf(),
            relative: PathBuf::new(),
            whole: self.tail.is_none(),
        };
        self.walk(&root)?;
        while let Some(link) = self.links.pop_front() {
            let meta = match fs::metadata(&link.absolute) {
                Ok(meta) => meta,
                Err(e) if is_absent(&e) => continue,
                Err(e) => return Err(e).at(&link.absolute),
            };
            let id = (meta.dev(), meta.ino());
            if !self.is_store(id) && !self.is_above(id) && self.visited.insert(id) {
                self.walk(&link)?;
            }
        }
        Ok(())
    }

    /// Every entry under `dir` that it covers, in name order; subdirectories
    /// are walked at once, linked ones queued.
    fn walk(&mut self, dir: &Dir) -> Result<()> {
        let mut entries: Vec<(OsString, FileType)> = match fs::read_dir(&dir.absolute) {
            Ok(listing) => listing
                .map(|entry| {
                    let entry = entry?;
                    Ok((entry.file_name(), entry.file_type()?))
                })
                .collect::<io::Result<_>>()
                .at(&dir.absolute)?,
            Err(e) if is_absent(&e) => return Ok(()),
            Err(e) => return Err(e).at(&dir.absolute),
        };
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, file_type) in entries {
            let relative = dir.relative.join(&name);
            let (covers, enters) = match (&self.tail, dir.whole) {
                (Some(tail), false) => (tail.matches(&relative), tail.enters(&relative)),
                _ => (true, true),
            };
            self.matched |= covers;
            let next = Dir {
                absolute: dir.absolute.join(&name),
                shown: dir.shown.join(&name),
                relative,
                // Inside a matched directory, everything is covered.
                whole: dir.whole || covers,
            };
            if file_type.is_dir() {
                if (covers || enters) && self.first_visit(&next.absolute)? {
                    self.walk(&next)?;
                }
            } else if file_type.is_symlink() {
                self.link(next, covers, enters)?;
            } else if covers {
                self.found.push(Found {
                    shown: next.shown,
                    absolute: next.absolute,
                    what: What::Unread,
                });
            }
        }
        Ok(())
    }

    /// A symbolic link met walking: listed when covered, and queued for a
    /// walk when it leads to a directory that can hold covered paths.
    fn link(&mut self, link: Dir, covers: bool, enters: bool) -> Result<()> {
        let target = fs::read_link(&link.absolute).at(&link.absolute)?;
        let resolved = match fs::metadata(&link.absolute) {
            Ok(meta) => Some(meta),
            Err(e) if is_absent(&e) => None,
            Err(e) => return Err(e).at(&link.absolute),
        };
        let into_dir = resolved.as_ref().is_some_and(Metadata::is_dir) && (covers || enters);
        if covers {
            self.found.push(Found {
                shown: link.shown.clone(),
                absolute: link.absolute.clone(),
                what: What::Link(target.into_os_string().into_vec(), resolved),
            });
        }
        if into_dir {
            self.links.push_back(link);
        }
        Ok(())
    }

    /// True the first time the directory `dir` is met, unless it is the store
    /// or is gone.
    fn first_visit(&mut self, dir: &Path) -> Result<bool> {
        let meta = match fs::symlink_metadata(dir) {
            Ok(meta) => meta,
            Err(e) if is_absent(&e) => return Ok(false),
            Err(e) => return Err(e).at(dir),
        };
        let id = (meta.dev(), meta.ino());
        Ok(!self.is_store(id) && self.visited.insert(id))
    }

    /// True if `id` is the store's directory.
    fn is_store(&mut self, id: DirId) -> bool {
        let store = self.store;
        let store_id = *self.store_id.get_or_insert_with(|| {
            fs::metadata(store)
                .ok()
                .map(|meta| (meta.dev(), meta.ino()))
        });
        store_id == Some(id)
    }

    /// True if `id` is a directory above the root (none once the root is gone).
    fn is_above(&mut self, id: DirId) -> bool {
        let root = &self.root;
        self.above
            .get_or_insert_with(|| {
                let canonical = fs::canonicalize(root).unwrap_or_default();
                canonical
                    .ancestors()
                    .skip(1)
                    .filter_map(|dir| fs::metadata(dir).ok())
                    .map(|meta| (meta.dev(), meta.ino()))
                    .collect()
            })
            .contains(&id)
    }
}

/// True for an error that means nothing is at the path (or a link that leads
/// nowhere).
pub fn is_absent(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || [Errno::LOOP, Errno::NOTDIR]
            .iter()
            .any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
}
