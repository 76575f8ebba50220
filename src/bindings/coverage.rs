//! What a bound pattern covers right now: the one definition that `check`'s
//! fingerprints and the watcher's inotify watches share.
//!
//! A path covers whatever is there: a file, a symbolic link, or a directory
//! with every file, subdirectory and link under it. A glob covers each path
//! below its base that it matches as a path would (a matched directory with
//! its tree). Symbolic links are never followed, the store's own directory is
//! left out, and a directory that cannot be read counts as such. Every
//! directory whose changes could alter the coverage is handed to a `watch`
//! callback before it is read: those read, and every existing directory above
//! the base (a rename anywhere up the chain moves the bound paths away).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::bindings::pattern::Compiled;
use crate::file_stamp::FileStamp;

/// One covered path and what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: PathBuf,
    pub state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Nothing is there (a bound path that does not exist).
    Missing,
    Present(FileStamp),
    /// A directory whose contents could not be listed.
    Unlisted(FileStamp),
}

/// Calls with each directory to watch and its inode, before it is read.
pub type WatchDir<'a> = dyn FnMut(&Path, u64) + 'a;

/// The entries `pattern` covers, in a stable order, leaving out `skip` (the
/// store's directory, when it has one) and everything under it.
pub fn entries(pattern: &Compiled, skip: Option<&Path>, watch: &mut WatchDir<'_>) -> Vec<Entry> {
    let mut walk = Walk {
        pattern,
        skip,
        watch,
        out: Vec::new(),
    };
    let base = &pattern.base;
    if skip.is_some_and(|skip| base.starts_with(skip)) {
        return Vec::new();
    }
    for (dir, ino) in base.ancestors().skip(1).filter_map(directory) {
        (walk.watch)(dir, ino);
    }
    let meta = fs::symlink_metadata(base).ok();
    match (&pattern.tail, meta) {
        (None, None) => walk.push(base.clone(), State::Missing),
        (None, Some(meta)) => walk.visit(base.clone(), Path::new(""), &meta, true),
        (Some(_), Some(meta)) if meta.is_dir() => {
            walk.read(base, Path::new(""), meta.ino(), false);
        }
        (Some(_), _) => {}
    }
    walk.out
}

fn directory(path: &Path) -> Option<(&Path, u64)> {
    let meta = fs::metadata(path).ok()?;
    meta.is_dir().then(|| (path, meta.ino()))
}

struct Walk<'a, 'w> {
    pattern: &'a Compiled,
    skip: Option<&'a Path>,
    watch: &'a mut WatchDir<'w>,
    out: Vec<Entry>,
}

impl Walk<'_, '_> {
    fn push(&mut self, path: PathBuf, state: State) {
        self.out.push(Entry { path, state });
    }

    /// A path met in the walk, at `relative` below the base: recorded when
    /// covered (`in_match`: it is in a covered tree), entered when it is a
    /// directory that can hold covered paths.
    fn visit(&mut self, path: PathBuf, relative: &Path, meta: &fs::Metadata, in_match: bool) {
        let tail = self.pattern.tail.as_ref();
        let covered = in_match || tail.is_none_or(|tail| tail.matches(relative));
        let enter = meta.is_dir() && (covered || tail.is_none_or(|tail| tail.enters(relative)));
        let stamp = FileStamp::of(meta);
        let at = self.out.len();
        if covered {
            self.push(path.clone(), State::Present(stamp));
        }
        if enter && !self.read(&path, relative, meta.ino(), covered) {
            // What is inside is unknown, which must count whether or not the
            // directory itself is covered.
            match covered {
                true => {
                    if let Some(entry) = self.out.get_mut(at) {
                        entry.state = State::Unlisted(stamp);
                    }
                }
                false => self.push(path, State::Unlisted(stamp)),
            }
        }
    }

    /// Watches and reads a directory (`in_match`: in a covered tree); false
    /// when it cannot be listed.
    fn read(&mut self, dir: &Path, relative: &Path, ino: u64, in_match: bool) -> bool {
        (self.watch)(dir, ino);
        let Ok(listing) = fs::read_dir(dir) else {
            return false;
        };
        let mut names: Vec<_> = listing
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for name in names {
            let path = dir.join(&name);
            if Some(path.as_path()) == self.skip {
                continue;
            }
            // Gone since the listing: the event of its removal follows.
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            self.visit(path, &relative.join(&name), &meta, in_match);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::pattern::{Kind, Pattern};
    use std::os::unix::ffi::OsStrExt;

    fn compiled(kind: Kind, path: &Path) -> Compiled {
        Pattern {
            kind,
            path: path.as_os_str().as_bytes().to_vec(),
        }
        .compile()
        .unwrap()
    }

    fn walk(pattern: &Compiled, skip: Option<&Path>) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let mut watched = Vec::new();
        let entries = entries(pattern, skip, &mut |dir, _| watched.push(dir.to_path_buf()));
        (entries.into_iter().map(|e| e.path).collect(), watched)
    }

    #[test]
    fn a_tree_covers_files_empty_directories_and_links_but_not_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let tree = root.join("tree");
        fs::create_dir_all(tree.join("empty")).unwrap();
        fs::create_dir_all(tree.join("store/caches")).unwrap();
        fs::create_dir_all(root.join("elsewhere")).unwrap();
        fs::write(tree.join("a"), "").unwrap();
        fs::write(root.join("elsewhere/hidden"), "").unwrap();
        std::os::unix::fs::symlink(root.join("elsewhere"), tree.join("link")).unwrap();
        let (paths, watched) = walk(&compiled(Kind::Dir, &tree), Some(&tree.join("store")));
        let names = ["a", "empty", "link"].map(|n| tree.join(n));
        assert_eq!(paths[0], tree);
        assert_eq!(paths[1..], names);
        let above: Vec<PathBuf> = root.ancestors().map(Path::to_path_buf).collect();
        assert_eq!(
            watched,
            [above, vec![tree.clone(), tree.join("empty")]].concat()
        );
    }

    #[test]
    fn a_glob_reads_only_as_deep_as_it_can_match() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::create_dir_all(root.join("sub/deeper")).unwrap();
        fs::write(root.join("x.conf"), "").unwrap();
        fs::write(root.join("sub/y.conf"), "").unwrap();
        let (paths, watched) = walk(
            &compiled(Kind::Glob, &root.join("*.conf")),
            Some(Path::new("/x")),
        );
        assert_eq!(paths, vec![root.join("x.conf")]);
        assert_eq!(watched.last(), Some(&root), "sub is never read");
        let (paths, watched) = walk(
            &compiled(Kind::Glob, &root.join("**/*.conf")),
            Some(Path::new("/x")),
        );
        assert_eq!(paths, vec![root.join("sub/y.conf"), root.join("x.conf")]);
        assert!(watched.contains(&root.join("sub/deeper")));
    }

    #[test]
    fn a_directory_a_glob_matches_is_covered_with_its_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        fs::create_dir_all(root.join("sub/deeper")).unwrap();
        fs::write(root.join("sub/deeper/x"), "").unwrap();
        fs::write(root.join("top"), "").unwrap();
        let (paths, watched) = walk(
            &compiled(Kind::Glob, &root.join("*")),
            Some(Path::new("/x")),
        );
        let names = ["sub", "sub/deeper", "sub/deeper/x", "top"];
        assert_eq!(paths, names.map(|n| root.join(n)));
        assert!(watched.ends_with(&[root.clone(), root.join("sub"), root.join("sub/deeper")]));
    }

    #[test]
    fn a_missing_path_is_covered_as_missing_and_every_directory_above_watched() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let pattern = compiled(Kind::File, &root.join("not/yet/a.conf"));
        let mut watched = Vec::new();
        let found = entries(&pattern, Some(Path::new("/x")), &mut |d, _| {
            watched.push(d.to_owned())
        });
        assert_eq!(found[0].state, State::Missing);
        assert_eq!(watched, root.ancestors().collect::<Vec<_>>());
    }
}
