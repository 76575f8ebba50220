//! A bound path: a file, a directory tree or a glob, stored absolute, and how
//! a file-system event or a scan relates to it.

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a bound path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// One file (which may not exist yet).
    File,
    /// A directory and everything under it.
    Dir,
    /// The files a glob matches (`*` stays within one directory, `**` crosses them).
    Glob,
}

/// One bound path, absolute, its directories canonical where they existed at
/// bind time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pattern {
    pub kind: Kind,
    #[serde(with = "serde_bytes")]
    pub path: Vec<u8>,
}

/// How an event on a path bears on a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relevance {
    Unrelated,
    /// The path is a directory above the bound files, or beside a glob's
    /// matches: the bound set may have changed, which a scan decides.
    Maybe,
    /// The path is a bound file.
    Definite,
}

impl Pattern {
    /// The pattern a command-line argument names, relative paths taken from `cwd`.
    pub fn resolve(arg: &OsStr, cwd: &Path) -> Result<Pattern> {
        if arg.is_empty() {
            return Err(Error::usage("an empty path cannot be bound"));
        }
        let absolute = normalize(&cwd.join(arg));
        if is_glob(arg.as_bytes()) {
            let (base, rest) = split_glob(&absolute);
            if rest.components().count() > split_glob(Path::new(arg)).1.components().count() {
                return Err(Error::usage_with_hint(
                    format!(
                        "the directory of glob '{}' has a wildcard character in its name",
                        arg.display()
                    ),
                    "bind the files one by one, or from a directory whose path has no * ? [ {",
                ));
            }
            let path = canonical_or_same(&base).join(rest);
            let pattern = Pattern {
                kind: Kind::Glob,
                path: path.into_os_string().into_vec(),
            };
            pattern.glob()?;
            return Ok(pattern);
        }
        let (kind, path) = match absolute.canonicalize() {
            Ok(path) if path.is_dir() => (Kind::Dir, path),
            Ok(path) => (Kind::File, path),
            Err(_) => (Kind::File, canonical_or_same(&absolute)),
        };
        Ok(Pattern {
            kind,
            path: path.into_os_string().into_vec(),
        })
    }

    pub fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.path))
    }

    /// The directory a glob's matches are under (for files and trees, the path).
    pub fn base(&self) -> PathBuf {
        match self.kind {
            Kind::Glob => split_glob(self.path()).0,
            Kind::File | Kind::Dir => self.path().to_path_buf(),
        }
    }

    /// The glob's matcher; files and trees have none.
    pub fn glob(&self) -> Result<Option<GlobMatcher>> {
        if self.kind != Kind::Glob {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&self.path);
        GlobBuilder::new(&text)
            .literal_separator(true)
            .build()
            .map(|glob| Some(glob.compile_matcher()))
            .map_err(|e| Error::usage(format!("bad glob '{text}': {e}")))
    }

    /// How an event on `path` bears on this pattern.
    pub fn relevance(&self, glob: Option<&GlobMatcher>, path: &Path) -> Relevance {
        let base = self.base();
        let definite = match (self.kind, glob) {
            (Kind::File, _) => path == base,
            (Kind::Dir, _) => path.starts_with(&base),
            (Kind::Glob, Some(glob)) => glob.is_match(path),
            (Kind::Glob, None) => false,
        };
        if definite {
            Relevance::Definite
        } else if base.starts_with(path) || (self.kind == Kind::Glob && path.starts_with(&base)) {
            Relevance::Maybe
        } else {
            Relevance::Unrelated
        }
    }

    /// The directories to watch for this pattern, and whether recursively: the
    /// nearest existing directory above it (which sees it replaced or deleted),
    /// and a tree's or a glob's base itself.
    pub fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
        let base = self.base();
        let mut roots = Vec::new();
        if let Some(above) = base.parent().and_then(nearest_existing) {
            roots.push((above, false));
        }
        if self.kind != Kind::File && base.is_dir() {
            roots.push((base, true));
        }
        roots
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slash = if self.kind == Kind::Dir { "/" } else { "" };
        write!(f, "{}{slash}", self.path().display())
    }
}

fn is_glob(path: &[u8]) -> bool {
    path.iter().any(|b| matches!(b, b'*' | b'?' | b'[' | b'{'))
}

/// A glob's literal leading directories, and the rest.
fn split_glob(path: &Path) -> (PathBuf, PathBuf) {
    let mut base = PathBuf::new();
    let mut rest = PathBuf::new();
    for component in path.components() {
        let literal = rest.as_os_str().is_empty() && !is_glob(component.as_os_str().as_bytes());
        match literal {
            true => base.push(component),
            false => rest.push(component),
        }
    }
    (base, rest)
}

/// `.` and `..` taken out without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The path with its longest existing prefix made canonical.
fn canonical_or_same(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => canonical_or_same(parent).join(name),
        _ => path.to_path_buf(),
    }
}

fn nearest_existing(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|dir| dir.is_dir())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(kind: Kind, path: &str) -> Pattern {
        Pattern {
            kind,
            path: path.as_bytes().to_vec(),
        }
    }

    #[test]
    fn relative_paths_resolve_from_the_working_directory() {
        let p = Pattern::resolve(OsStr::new("../x/./a.conf"), Path::new("/nonexistent/w")).unwrap();
        assert_eq!(p, pattern(Kind::File, "/nonexistent/x/a.conf"));
        let g = Pattern::resolve(OsStr::new("src/**/*.rs"), Path::new("/nonexistent")).unwrap();
        assert_eq!(g, pattern(Kind::Glob, "/nonexistent/src/**/*.rs"));
        assert_eq!(g.base(), Path::new("/nonexistent/src"));
    }

    #[test]
    fn events_are_judged_against_each_kind() {
        let file = pattern(Kind::File, "/a/b.conf");
        assert_eq!(
            file.relevance(None, Path::new("/a/b.conf")),
            Relevance::Definite
        );
        assert_eq!(
            file.relevance(None, Path::new("/a/c.conf")),
            Relevance::Unrelated
        );
        assert_eq!(file.relevance(None, Path::new("/a")), Relevance::Maybe);
        let dir = pattern(Kind::Dir, "/a/d");
        assert_eq!(
            dir.relevance(None, Path::new("/a/d/x/y")),
            Relevance::Definite
        );
        assert_eq!(
            dir.relevance(None, Path::new("/a/dd")),
            Relevance::Unrelated
        );
        let glob = pattern(Kind::Glob, "/a/*.conf");
        let matcher = glob.glob().unwrap();
        let judge = |p: &str| glob.relevance(matcher.as_ref(), Path::new(p));
        assert_eq!(judge("/a/x.conf"), Relevance::Definite);
        assert_eq!(judge("/a/sub/x.conf"), Relevance::Maybe);
        assert_eq!(judge("/b/x.conf"), Relevance::Unrelated);
    }

    #[test]
    fn a_wildcard_in_the_working_directory_is_not_a_glob() {
        let p = Pattern::resolve(OsStr::new("a.conf"), Path::new("/nonexistent/x[1]")).unwrap();
        assert_eq!(p, pattern(Kind::File, "/nonexistent/x[1]/a.conf"));
        let error = Pattern::resolve(OsStr::new("*.conf"), Path::new("/nonexistent/x[1]"));
        assert!(error.unwrap_err().to_string().contains("wildcard"));
    }

    #[test]
    fn a_bad_glob_is_bad_input() {
        let error = Pattern::resolve(OsStr::new("/a/[x"), Path::new("/")).unwrap_err();
        assert!(error.to_string().contains("bad glob"), "{error}");
    }
}
